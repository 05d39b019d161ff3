"""The label registry (``report.labels``) and what the pages' tables and sentences show through it."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel

from salesops.plan_params import Params
from salesops.report import labels, present


def test_params_keys_read_as_the_setting_they_name():
    assert labels.plain_text("assumed (demand.customers_per_deal)") == "assumed (the “customers per deal” setting)"
    assert (labels.plain_text("list today's roles under organisation.current_roles to see what is missing")
            == "list today's roles under the “current roles” setting to see what is missing")
    assert labels.plain_text("assumed (compensation.plans.AE.pay_mix)") == "assumed (the “pay mix” setting)"
    # a file name or a sentence's end is not a params key
    assert labels.plain_text("see docs/data.md; quotas. Then collect.py") == "see docs/data.md; quotas. Then collect.py"
    assert labels.plain_text(3.5) == 3.5


def test_model_class_names_read_as_methods():
    assert labels.plain_text("uses AutoARIMA + HoltWinters") == "uses ARIMA + Holt-Winters"
    assert labels.plain_text("DynamicOptimizedTheta and SeasonalNaive") == "Theta and last year's same month"


def test_internal_values_and_series_keys_read_as_words():
    assert labels.value_label("region=APAC/segment=ENT") == "APAC · ENT"
    assert labels.value_label("region=EMEA") == "EMEA"
    assert labels.value_label("grade=A") == "grade A"
    assert labels.value_label("best_case") == "best case"
    assert labels.value_label("CONSULTANT") == "Delivery consultant"
    assert labels.value_label("AE") == "AE" and labels.value_label("Acme = best") == "Acme = best"
    assert labels.value_label(7) == 7


def test_column_labels_and_dates():
    assert labels.column_label("ds") == "month" and labels.column_label("open_value") == "open value"
    assert labels.date_label(pd.Timestamp("2027-01-01")) == "1 Jan 2027"


def test_the_params_sections_are_those_of_the_params():
    sections = [name for name, field in Params.model_fields.items()
                if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)]
    assert sorted(labels.PARAMS_SECTIONS) == sorted(sections)


def test_tables_show_labels_words_and_dates():
    frame = pd.DataFrame({"ds": pd.to_datetime(["2027-01-01"]), "series": ["region=APAC/segment=ENT"],
                          "category": ["best_case"], "note": ["set by quotas.over_assignment"]})
    shown = present.table(frame).to_html()
    assert ">month<" in shown and "1 Jan 2027" in shown and "APAC · ENT" in shown and ">best case<" in shown
    assert "the “over assignment” setting" in shown
    assert "2027-01-01" not in shown and "region=" not in shown and "best_case" not in shown
    assert "the “target” setting" in present.bullets(["assumed (collect.target)"]).data
