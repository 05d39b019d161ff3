"""Params: merging, validation messages naming file, key and nearest key; the quarter calendar."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from salesops import fiscal_calendar
from salesops.runner.run import default_quarter
from salesops.plan_params import load_params
from salesops.settings.loader import ParamsError, deep_merge, new_quarter_file

from builders import ROOT


def write(path, content: dict):
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def test_defaults_and_quarter_file_merge():
    params = load_params("2027Q1", root=ROOT)
    assert params.company == "Northwind Sample Co."  # from params/2027Q1.yaml
    assert params.data.on_row_error == "error"  # from defaults.yaml
    assert params.data.values["opportunities"]["stage"]["Closed Won"] == "closed_won"
    assert params.data_end == pd.Timestamp("2026-12-31")


def test_deep_merge_keeps_sibling_keys_and_inputs():
    base = {"a": {"x": 1, "y": 2}, "b": 1}
    override = {"a": {"y": 3}}
    assert deep_merge(base, override) == {"a": {"x": 1, "y": 3}, "b": 1}
    assert base == {"a": {"x": 1, "y": 2}, "b": 1}


def test_unknown_key_names_file_key_and_nearest(tmp_path):
    path = write(tmp_path / "q.yaml", {"data": {"on_row_eror": "quarantine"}})
    with pytest.raises(ParamsError, match=r"q\.yaml: unknown key 'data\.on_row_eror' \(did you mean 'on_row_error'\?\)"):
        load_params("2027Q1", path, ROOT)


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path / "q.yaml", {"colect": {}})
    with pytest.raises(ParamsError, match=r"unknown key 'colect' \(did you mean 'collect'\?\)"):
        load_params("2027Q1", path, ROOT)


@pytest.mark.parametrize("content, expected", [
    ({"collect": {"target_growth": -2}}, r"collect\.target_growth: expected a growth rate from -0\.99 to 10 .*; got -2 "),
    ({"data": {"max_reject_share": 1.5}}, r"data\.max_reject_share: expected a share from 0 to 1 .*; got 1\.5 "),
    ({"sample": {"scale": -1}}, r"sample\.scale: expected a scale factor above 0 and at most 100"),
    ({"data": {"on_row_error": "ignore"}}, r"data\.on_row_error: Input should be 'error' or 'quarantine'"),
    ({"fiscal_year_start_month": 13}, r"fiscal_year_start_month: expected a calendar month number \(1 = January\) from 1 to 12"),
    ({"as_of": "2027-05-01"}, r"as_of 2027-05-01 is after the end of quarter 2027Q1"),
    ({"data": {"source": "folder"}}, r"data\.source is 'folder' but data\.dir is empty"),
    ({"data": {"columns": {"opportunities": {"Amount": "amout"}}}},
     r"unknown column of table opportunities 'amout' \(did you mean 'amount'\?\)"),
])
def test_bad_values_are_explained_with_their_file(tmp_path, content, expected):
    path = write(tmp_path / "q.yaml", content)
    with pytest.raises(ParamsError, match=expected) as error:
        load_params("2027Q1", path, ROOT)
    assert "q.yaml" in str(error.value)


@pytest.mark.parametrize("quarter", ["2027-Q1", "2027Q5", "27Q1", ""])
def test_malformed_quarter(quarter):
    with pytest.raises(ParamsError, match=r"quarter: .*is not a quarter label: write YYYYQn, e.g. 2027Q1"):
        load_params(quarter, root=ROOT)


def test_invalid_yaml(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("data: [unclosed", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"q\.yaml is not valid YAML"):
        load_params("2027Q1", path, ROOT)


def test_fiscal_calendar_named_by_ending_year():
    # fiscal year starting in February: FY2027 runs 1 Feb 2026 - 31 Jan 2027
    assert fiscal_calendar.quarter_start("2027Q1", 2) == pd.Timestamp("2026-02-01")
    assert fiscal_calendar.quarter_end("2027Q4", 2) == pd.Timestamp("2027-01-31")
    assert fiscal_calendar.quarter_start("2027Q1", 1) == pd.Timestamp("2027-01-01")
    assert fiscal_calendar.shift_quarter("2027Q1", -1) == "2026Q4"
    labels = fiscal_calendar.quarter_labels(pd.Series(pd.to_datetime(["2026-01-31", "2026-02-01"])), 2)
    assert labels.tolist() == ["2026Q4", "2027Q1"]
    assert default_quarter(pd.Timestamp("2026-11-26").date()) == "2027Q1"


def test_new_quarter_writes_next_file_from_latest(tmp_path):
    (tmp_path / "params").mkdir()
    (tmp_path / "notebooks").mkdir()
    write(tmp_path / "params" / "2026Q4.yaml", {"company": "Old"})
    write(tmp_path / "params" / "2027Q1.yaml", {"company": "Acme", "as_of": "2027-02-15", "collect": {"target": 5}})
    created = new_quarter_file(tmp_path)
    assert created.name == "2027Q2.yaml"
    assert yaml.safe_load(created.read_text()) == {"company": "Acme"}
    assert new_quarter_file(tmp_path).name == "2027Q3.yaml"  # from 2027Q2, now the latest
    assert load_params("2027Q2", created, ROOT).company == "Acme"
