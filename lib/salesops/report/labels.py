"""The words people read for the workbook's internal names: one registry for every page and the workbook.

A column is shown by ``column_label`` (the registry's label, else its name with spaces for underscores); a
value that is an internal code (a scenario, a forecast category, a role, a series key such as
``region=APAC/segment=ENT``) by ``value_label``; any sentence passes through ``plain_text``, which turns a params
key (``organisation.current_roles``) into the setting's name and a forecasting model's class name into the
method's. Dates read ``1 Jan 2027`` (``date_label``).

``INTERNAL_NAMES`` lists what must never reach an executive page, and ``APPENDIX_ONLY`` the technical terms an
executive page keeps for its appendix ("How this was computed"); ``tests/test_plain_words.py`` scans the
sample quarter's executive pages for both.
"""

from __future__ import annotations

import re

import pandas as pd

from salesops.contract.schema import ROLE_NAMES

#: Column names → the header people read (same on every page and in plan.xlsx). Unlisted: underscores as spaces.
COLUMN_LABELS: dict[str, str] = {
    "ds": "month",
    "unique_id": "series",
    "best_case_total": "best case",
    "commit_total": "commit",
    "converted_open_bookings": "bookings from converted leads' open deals",
    "converted_open": "converted leads' open deals",
    "rejected_rows": "rows set aside",
    "rows_set_aside": "rows set aside",
    "smape": "average error (% of bookings)",
    "mase": "error vs last year's same month (×)",
    "seasonal_naive_mase": "last year's same month (×)",
    "improvement_vs_naive": "better than last year's same month",
    "brier": "probability error (0 = perfect)",
    "roc_auc": "ranking accuracy (0.5 = chance)",
    "gini": "inequality (0 = even)",
    "cv": "variability",
    "cv_h": "months ahead tested",
    "sigma_monthly": "monthly variation (units)",
    "vs_team_pp": "vs team (points)",
    "fte": "people (full-time)",
}

#: Internal values → words, for a table cell that holds exactly the value.
VALUE_LABELS: dict[str, str] = {
    "best_case": "best case", "commit": "commit", "converted_open": "converted leads' open deals",
    "rejected_rows": "rows set aside", "pipeline": "pipeline", "omitted": "omitted",
    "closed_won": "won", "closed_lost": "lost",
    "blended": "blended", "statistical": "statistical", "lead": "leads",
    **{code: name[:1].upper() + name[1:] for code, name in ROLE_NAMES.items() if code not in ("AE", "SDR", "CSM")},
}

#: Forecasting models by their class name → the method's name.
MODEL_LABELS: dict[str, str] = {
    "AutoARIMA": "ARIMA", "AutoETS": "exponential smoothing", "AutoCES": "complex exponential smoothing",
    "AutoTheta": "Theta", "DynamicOptimizedTheta": "Theta", "HoltWinters": "Holt-Winters",
    "SeasonalNaive": "last year's same month", "Naive": "last month", "HistoricAverage": "historic average",
    "CrostonOptimized": "intermittent-demand (Croston)", "MSTL": "seasonal decomposition",
}

#: The sections of the params files (``plan_params.Params``): ``<section>.<key>`` in a sentence is a params key.
PARAMS_SECTIONS: tuple[str, ...] = (
    "data", "sample", "collect", "icp", "performers", "accuracy", "scoring", "forecast", "demand", "supply",
    "inventory", "quotas", "territories", "routing", "compensation", "organisation", "tooling", "actions",
)

#: Never on an executive page: ids, column names, codes and params keys.
INTERNAL_NAMES: tuple[str, ...] = (
    "region=", "segment=", "grade=", "converted_open", "best_case", "rejected_rows", "unique_id", "CONSULTANT",
    "SUPPORT", "closed_won", "closed_lost", "cv h", *[f"{section}." for section in PARAMS_SECTIONS if
                                                       section not in ("data", "sample")], *MODEL_LABELS,
)
#: Technical terms an executive page keeps for its appendix ("How this was computed").
APPENDIX_ONLY: tuple[str, ...] = ("MASE", "sMAPE", "Brier", "Gini", "AUC", "z·σ")

#: A file name such as ``data.md`` is not a params key.
_FILE_EXTENSIONS = ("md", "py", "csv", "tsv", "txt", "yaml", "yml", "json", "xlsx", "xls", "html", "parquet", "pdf")
_PARAMS_KEY = re.compile(r"\b(?:" + "|".join(PARAMS_SECTIONS) + r")((?:\.(?!(?:" + "|".join(_FILE_EXTENSIONS)
                         + r")\b)[A-Za-z_][A-Za-z0-9_]*)+)\b")
_MODEL = re.compile(r"\b(" + "|".join(sorted(MODEL_LABELS, key=len, reverse=True)) + r")\b")
_SERIES_KEY = re.compile(r"^[a-z_]+=[^/=]+(?:/[a-z_]+=[^/=]+)*$")


def column_label(name) -> str:
    """The header of column ``name``: the registry's label, else the name with spaces for underscores."""
    return COLUMN_LABELS.get(str(name), str(name).replace("_", " "))


def date_label(value) -> str:
    """A date as people write it: ``1 Jan 2027``."""
    moment = pd.Timestamp(value)
    return f"{moment.day} {moment:%b %Y}"


def value_label(value):
    """``value`` as shown in a table cell: an internal code in words, a series key ``region=APAC/segment=ENT``
    as ``APAC · ENT`` (``grade=A`` as ``grade A``); anything else unchanged."""
    if not isinstance(value, str):
        return value
    if value in VALUE_LABELS:
        return VALUE_LABELS[value]
    if _SERIES_KEY.match(value):
        parts = [part.split("=", 1) for part in value.split("/")]
        if len(parts) == 1 and parts[0][0] == "grade":
            return f"grade {parts[0][1]}"
        return " · ".join(level for _, level in parts)
    return plain_text(value)


def _setting(match: re.Match) -> str:
    key = match.group(1).rsplit(".", 1)[-1]
    return f"the “{key.replace('_', ' ')}” setting"


def plain_text(text):
    """``text`` with each params key (``demand.customers_per_deal``) named as its setting (the “customers per
    deal” setting) and each model class name as its method; anything not text is returned as it is."""
    if not isinstance(text, str):
        return text
    text = _PARAMS_KEY.sub(_setting, text)
    return _MODEL.sub(lambda m: MODEL_LABELS[m.group(1)], text)
