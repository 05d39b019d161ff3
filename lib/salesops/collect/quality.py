"""Step 1 data-quality audit: what the validation rules allow but a sales manager should fix.

The loader has already enforced the hard rules of :mod:`salesops.contract.schema` (types, keys, foreign keys,
allowed values, date order): rows breaking them either stopped the run or were set aside in a
``rejects`` frame (columns ``table, row, column, problem, value, message``). This module looks at what
got through and at what was set aside, and answers three questions for the data-quality page:

* :func:`completeness` — how much of each canonical column is filled in?
* :func:`audit_checks` — which soft problems (stale deals, duplicates, missing owners…) are there,
  and how many rows do they touch? Every check is reported, including the ones that found nothing,
  so the page shows what was checked.
* :func:`table_scores` / :func:`fix_list` — one 0–100 score per table, and a short prioritised list of
  fixes worded for a sales manager.

All functions are pure: they never modify the frames they are given.

Conventions used throughout:

* A value is *missing* when it is empty (NA/NaN/NaT) or, for text, blank after stripping spaces.
* A deal is *open* when its ``stage`` is one of :data:`salesops.contract.schema.OPEN_STAGES` and *won* when its
  stage is ``closed_won``; ``is_closed`` / ``is_won`` are used only when ``stage`` is absent (the
  schema derives them from the stage, so the stage is the authority).
* ``as_of`` is the last day of known data; only its date is used.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from salesops.contract import schema
from salesops.contract.schema import TEXT_DTYPE

__all__ = [
    "LEGAL_SUFFIXES",
    "SEVERITY_WEIGHTS",
    "NO_ACTIVITY_MIN_AGE_DAYS",
    "completeness",
    "audit_checks",
    "table_scores",
    "fix_list",
    "normalize_company_name",
]

#: Legal-form words dropped from the end of a company name before comparing names.
LEGAL_SUFFIXES: frozenset[str] = frozenset({"inc", "ltd", "llc", "gmbh", "corp", "co", "plc", "sa", "ag"})

#: Weight of one affected row in the issue share of a table, by check severity.
SEVERITY_WEIGHTS: dict[str, float] = {"high": 1.0, "medium": 0.5, "low": 0.2, "info": 0.0}
#: Severity of a documented rule the workbook applied on load (derived reps, unified spellings, converted
#: currencies ...): listed with the checks so nothing changes silently, but not a fault of the data: it lowers no
#: score and is no fix to ask for.
RULE_APPLIED = "info"

#: An opportunity must be at least this many days old (created on or before ``as_of`` minus this)
#: before a missing activity log counts against it: a brand-new deal may not have been worked yet.
NO_ACTIVITY_MIN_AGE_DAYS: int = 7

COMPLETENESS_COLUMNS = ["table", "column", "rows", "filled", "filled_share"]
CHECK_COLUMNS = ["table", "check", "severity", "rows_affected", "rows_total", "share", "example_ids",
                 "description"]
SCORE_COLUMNS = ["table", "rows", "completeness", "issue_share", "score"]
FIX_COLUMNS = ["priority", "table", "problem", "rows", "action"]
REJECT_COLUMNS = ["table", "row", "column", "problem", "value", "message"]

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_MAX_EXAMPLES = 5
_REJECTED_PREFIX = "rejected_"
_NO_REJECTS_CHECK = "rejected_rows"


# --------------------------------------------------------------------------------------------------
# The checks: id → table, severity, description and the sales-manager wording of the fix list.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckSpec:
    table: str
    severity: str
    description: str
    problem_one: str  # problem sentence when one row is affected ({n} is the formatted count)
    problem_many: str  # ... when several are
    action: str


_CHECKS: dict[str, _CheckSpec] = {
    spec_id: spec
    for spec_id, spec in (
        ("stale_open_opportunities", _CheckSpec(
            "opportunities", "high",
            "open opportunities whose expected close date is before as_of (minus the grace days)",
            "{n} open opportunity has a close date in the past",
            "{n} open opportunities have a close date in the past",
            "Owners should update the close date or close the deal as lost; managers review in the weekly "
            "pipeline call.")),
        ("open_opportunities_without_close_date", _CheckSpec(
            "opportunities", "high",
            "open opportunities with no expected close date",
            "{n} open opportunity has no expected close date",
            "{n} open opportunities have no expected close date",
            "Owners should enter an expected close date so the deal counts in the forecast; make the field "
            "mandatory in the CRM.")),
        ("open_opportunities_zero_amount", _CheckSpec(
            "opportunities", "medium",
            "open opportunities with an amount of zero (or no amount)",
            "{n} open opportunity has no amount (or 0)",
            "{n} open opportunities have no amount (or 0)",
            "Owners should enter the expected deal value; deals without a value are left out of pipeline "
            "coverage.")),
        ("opportunities_without_activity", _CheckSpec(
            "opportunities", "medium",
            f"opportunities created at least {NO_ACTIVITY_MIN_AGE_DAYS} days before as_of with no logged "
            "activity",
            "{n} opportunity has no logged activity",
            "{n} opportunities have no logged activity",
            "Reps should log their calls, e-mails and meetings against the deal (or switch on the CRM's "
            "e-mail and calendar sync); managers check unworked deals weekly.")),
        ("opportunities_without_account", _CheckSpec(
            "opportunities", "medium",
            "opportunities not linked to an account",
            "{n} opportunity is not linked to an account",
            "{n} opportunities are not linked to an account",
            "Owners should link each deal to its account so it counts in account and segment reports.")),
        ("won_deals_zero_amount", _CheckSpec(
            "opportunities", "medium",
            "won deals with an amount of zero (or no amount)",
            "{n} won deal has an amount of 0",
            "{n} won deals have an amount of 0",
            "Sales ops should correct the booked amount from the signed contract; bookings and average deal "
            "size are understated until then.")),
        ("duplicate_accounts", _CheckSpec(
            "accounts", "medium",
            "accounts whose normalised name matches an earlier account (the first of each group is not "
            "counted)",
            "{n} account looks like a duplicate of another account with the same name",
            "{n} accounts look like duplicates of other accounts with the same name",
            "Sales ops should merge the duplicates in the CRM, keeping the record with the most history.")),
        ("accounts_missing_industry", _CheckSpec(
            "accounts", "medium",
            "accounts with no industry",
            "{n} account has no industry",
            "{n} accounts have no industry",
            "Account owners (or an enrichment tool) should fill in the industry; the ideal customer profile "
            "depends on it.")),
        ("accounts_missing_employees", _CheckSpec(
            "accounts", "low",
            "accounts with no employee count",
            "{n} account has no employee count",
            "{n} accounts have no employee count",
            "Sales ops should fill in company size from enrichment data; segmentation and territories depend on it.")),
        ("accounts_without_owner", _CheckSpec(
            "accounts", "low",
            "accounts with no owner",
            "{n} account has no owner",
            "{n} accounts have no owner",
            "Managers should assign an owner so that every account is covered.")),
        ("duplicate_leads", _CheckSpec(
            "leads", "medium",
            "leads whose e-mail (case-insensitive) matches an earlier lead (the first of each group is not "
            "counted)",
            "{n} lead shares its e-mail address with another lead",
            "{n} leads share their e-mail address with another lead",
            "Marketing ops should merge duplicate leads and switch on duplicate checks in the forms and the "
            "CRM.")),
        ("leads_missing_industry", _CheckSpec(
            "leads", "low",
            "leads with no industry",
            "{n} lead has no industry",
            "{n} leads have no industry",
            "Marketing ops should enrich leads or ask for the industry on forms; lead scoring uses it.")),
        ("leads_missing_source", _CheckSpec(
            "leads", "low",
            "leads with no source",
            "{n} lead has no source",
            "{n} leads have no source",
            "Marketing ops should tag every lead with its source (campaign or UTM) so that channels can be "
            "compared.")),
        ("aes_without_quota", _CheckSpec(
            "reps", "medium",
            "current account executives (no end date before as_of) with no quota or a quota of zero",
            "{n} account executive has no quota",
            "{n} account executives have no quota",
            "Sales leadership should set a quarterly quota for every AE before the plan is finalised.")),
        ("reps_without_region", _CheckSpec(
            "reps", "low",
            "current reps (no end date before as_of) with no region",
            "{n} rep has no region",
            "{n} reps have no region",
            "Sales ops should record each person's region in the rep roster.")),
        ("activities_zero_duration", _CheckSpec(
            "activities", "low",
            "activities with a duration of zero or no duration",
            "{n} activity has no duration logged",
            "{n} activities have no duration logged",
            "Reps should record the time spent on calls and meetings (or switch on calendar sync) so that "
            "selling time can be measured.")),
    )
}

#: Plain-words reading of the loader's problem codes ({unknown} and {dates} are filled per table).
_PROBLEM_PHRASES: dict[str, str] = {
    "duplicate_key": "a duplicate id",
    "orphan_key": "{unknown}",
    "invalid_value": "a value that is not allowed",
    "unparseable_date": "a date that could not be read",
    "negative_value": "a negative number",
    "date_order": "{dates}",
    "unmapped_value": "a value the column mapping does not recognise",
    "missing_value": "a required value left empty",
}

_SINGULAR = {
    "reps": "rep", "accounts": "account", "leads": "lead", "opportunities": "opportunity",
    "activities": "activity", "products": "product", "orders": "order",
    "forecast_submissions": "forecast submission", "quotas": "quota row", "opportunity_lines": "line item",
}


#: Documented rules applied by ``derive.py`` (``apply_rules``, ``derive_rep_segments``), reported as low-severity
#: checks.
_CHECKS.update({
    "reps_derived": _CheckSpec(
        "reps", "low", "no reps table: reps derived from the people named on opportunities and the other tables",
        "{n} rep was derived from the people named on opportunities and the other tables (no reps table)",
        "{n} reps were derived from the people named on opportunities and the other tables (no reps table)",
        "Export the users or reps table too (role, region, segment, hire date, quota) for capacity and "
        "performer analyses."),
    "accounts_derived": _CheckSpec(
        "accounts", "low", "no accounts table: accounts derived from the accounts named on opportunities and leads",
        "{n} account was derived from the opportunities and leads (no accounts table)",
        "{n} accounts were derived from the opportunities and leads (no accounts table)",
        "Export the accounts table too (industry, employees, region) for segments and the ideal customer "
        "profile."),
    "rep_names_from_ids": _CheckSpec(
        "reps", "low", "reps without a name: the rep_id is shown as the name",
        "{n} rep has no name; its id is shown instead", "{n} reps have no name; their ids are shown instead",
        "Export the users' full names with the reps table (or map the export's name column onto name)."),
    "rep_roles_derived": _CheckSpec(
        "reps", "low", "no role column: roles derived from who manages (MANAGER) and who owns deals (AE)",
        "{n} rep's role was derived (no role column)", "{n} reps' roles were derived (no role column)",
        "Map the export's job-role or profile column onto role (data.columns.reps and data.values.reps.role): "
        "supporting roles (SDR, SE, CSM, support) are only planned from real roles."),
    "rep_role_cells_derived": _CheckSpec(
        "reps", "low", "reps with an empty role: roles derived from who manages (MANAGER) and who owns deals (AE)",
        "{n} rep had an empty role; it was derived", "{n} reps had an empty role; they were derived",
        "Sales ops should fill in every person's role in the CRM's user records."),
    "managers_added": _CheckSpec(
        "reps", "low", "managers named in manager_id but absent from the reps table, added as managers",
        "{n} manager was named but not in the reps table; added", "{n} managers were named but not in the reps "
        "table; added", "Export every user, managers included, with the reps table."),
    "owners_added": _CheckSpec(
        "reps", "low", "people named as owners in other tables but absent from the reps table, added as reps",
        "{n} owner was not in the reps table; added", "{n} owners were not in the reps table; added",
        "Export every user, inactive ones included, with the reps table, and reassign the deals of placeholder "
        "owners such as 'Unassigned' in the CRM."),
    "rep_segments_derived": _CheckSpec(
        "reps", "low", "account executives without a segment, given the size band of the accounts of most of their "
        "won value in the last four complete quarters",
        "{n} account executive had no segment; one was derived from the accounts they won",
        "{n} account executives had no segment; theirs were derived from the accounts they won",
        "Record each account executive's segment in the rep roster (or map the export's column onto segment)."),
    "account_names_from_ids": _CheckSpec(
        "accounts", "low", "accounts without a name: the account_id is shown as the name",
        "{n} account has no name; its id is shown instead", "{n} accounts have no name; their ids are shown "
        "instead", "Export the company names with the accounts table (or map the export's name column onto name)."),
    "product_spellings_unified": _CheckSpec(
        "opportunities", "low", "product names spelled more than one way, unified to one spelling",
        "{n} row had a product name spelled another way; it was unified",
        "{n} rows had product names spelled other ways; they were unified",
        "Sales ops should merge the duplicate product entries in the CRM's product list."),
    "max_stage_from_history": _CheckSpec(
        "opportunities", "low", "deals without a furthest stage, given the furthest open stage of their history",
        "{n} deal had no furthest stage; its stage history gave it",
        "{n} deals had no furthest stage; their stage history gave it",
        "Nothing to fix: the stage history tells how far each lost deal got."),
    # several files, line items and quota history (contract/collapse.py, line_items.py, quota_history.py)
    "rows_collapsed": _CheckSpec(
        "accounts", "low", "a table read from a file whose key repeats, collapsed to one row per key (data.collapse)",
        "{n} row was kept, one per key, from a file whose rows repeat their key",
        "{n} rows were kept, one per key, from a file whose rows repeat their key",
        "Export the table itself (an accounts export, say) when the CRM has one: it holds what the other file "
        "repeats on every row."),
    "collapsed_values_disagree": _CheckSpec(
        "accounts", "low", "rows of one key disagreed on a value when collapsed: the most frequent value kept",
        "{n} row had rows disagreeing on a value; the most frequent value was kept",
        "{n} rows had rows disagreeing on a value; the most frequent value was kept",
        "Sales ops should correct the records that carry another value than the rest of their key's rows."),
    "line_amounts_computed": _CheckSpec(
        "opportunity_lines", "low", "line items without an amount, worth quantity × unit price",
        "{n} line item had no amount; quantity × unit price was used",
        "{n} line items had no amount; quantity × unit price was used",
        "Export the line total too (Salesforce: TotalPrice)."),
    "product_from_lines": _CheckSpec(
        "opportunities", "low", "deals without a product took that of their largest line item",
        "{n} deal had no product; its largest line item's was used",
        "{n} deals had no product; their largest line item's was used",
        "Nothing to fix: map the deals' own product column if the CRM has one."),
    "products_from_lines": _CheckSpec(
        "products", "low", "no products table: products derived from the line items",
        "{n} product was derived from the line items (no products table)",
        "{n} products were derived from the line items (no products table)",
        "Export the products table too (kind, unit cost, stock) for the product mix and hardware inventory."),
    "quota_from_quotas": _CheckSpec(
        "reps", "low", "reps without a quota took one quarter's from the quotas table",
        "{n} rep had no quota; one quarter's was taken from the quotas table",
        "{n} reps had no quota; one quarter's was taken from the quotas table",
        "Nothing to fix: the quotas table is the quotas reps carried."),
    "amounts_converted": _CheckSpec(
        "opportunities", "low", "deals entered in another currency, converted to the company currency",
        "{n} deal was entered in another currency and converted with the currency_rates table",
        "{n} deals were entered in other currencies and converted with the currency_rates table",
        "Keep the currency_rates export as current as the deals (dated rates for the periods planned)."),
    "placeholder_ids_emptied": _CheckSpec(
        "opportunities", "low", "placeholder ids (Salesforce's empty id 000000000000000AAA) read as empty",
        "{n} cell held a placeholder id; it was read as empty",
        "{n} cells held placeholder ids; they were read as empty",
        "Sales ops may fill the links the CRM left empty where they are known (a deal's account, a task's "
        "deal)."),
    "other_kind_ids_emptied": _CheckSpec(
        "activities", "low", "ids of another kind of record (an account on a task's WhatId) read as empty",
        "{n} cell named another kind of record than the column holds; it was read as empty",
        "{n} cells named another kind of record than the column holds; they were read as empty",
        "These activities still count, without a deal; link them to their deal in the CRM if they belong to "
        "one."),
})

#: Money values far above their column's median (``validation.amount_outlier_rows``); the table varies.
_CHECKS["amount_outliers"] = _CheckSpec(
    "opportunities", "high",
    "money values (amounts, quotas, prices ...) more than data.flag_amount_ratio times the median of their "
    "column's positive values",
    "{n} row has an amount far above the rest of its column",
    "{n} rows have amounts far above the rest of their column",
    "Sales ops should check these amounts against the contract or price list (a value in cents, a missing "
    "decimal point or a test record is the usual cause); they distort bookings, deal size and quotas.")


def _join_or(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _problem_phrase(table: str, code: str) -> str:
    """``orphan_key`` on opportunities → "an unknown rep, account, product or lead"."""
    template = _PROBLEM_PHRASES.get(code)
    if template is None:
        return str(code).replace("_", " ")
    spec = schema.TABLES.get(table)
    unknown = "a reference to a record that does not exist"
    dates = "dates in the wrong order"
    if spec is not None:
        refs: list[str] = []
        for fk in spec.foreign_keys:
            word = "manager" if fk.column == "manager_id" else _SINGULAR.get(fk.ref_table, fk.ref_table)
            if word not in refs:
                refs.append(word)
        if refs:
            unknown = "an unknown " + _join_or(refs)
        if spec.date_orders:
            pairs = [
                f"{_article(_date_words(o.later))} before the {_date_words(o.earlier)}" for o in spec.date_orders
            ]
            dates = _join_or(pairs)
    return template.format(unknown=unknown, dates=dates)


def _date_words(column: str) -> str:
    words = column.replace("_", " ")
    return "create date" if words == "created date" else words


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _missing(values: pd.Series) -> pd.Series:
    """True where a value is empty: NA/NaN/NaT, or text that is blank after stripping spaces."""
    missing = values.isna()
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        # Arrow-backed text strips in Arrow; "string" (Python objects) took 11 of step 1's 57 s at scale 10
        text = values.astype(TEXT_DTYPE).str.strip()
        missing = missing | text.eq("").fillna(False).astype(bool)
    return missing.astype(bool)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _stage_mask(opps: pd.DataFrame, stages: tuple[str, ...], flag: str, flag_value: bool) -> pd.Series | None:
    """Rows whose stage is in ``stages``; falls back on boolean column ``flag`` when stage is absent."""
    if "stage" in opps.columns:
        return opps["stage"].astype("string").str.strip().isin(stages).fillna(False).astype(bool)
    if flag in opps.columns:
        return opps[flag].astype("boolean").eq(flag_value).fillna(False).astype(bool)
    return None


def _open_mask(opps: pd.DataFrame) -> pd.Series | None:
    return _stage_mask(opps, schema.OPEN_STAGES, "is_closed", False)


def _won_mask(opps: pd.DataFrame) -> pd.Series | None:
    return _stage_mask(opps, ("closed_won",), "is_won", True)


def _id_series(table: str, frame: pd.DataFrame) -> pd.Series:
    """The primary key of each row as text (1-based spreadsheet row numbers when the key is absent)."""
    spec = schema.TABLES.get(table)
    key = list(spec.primary_key) if spec is not None else []
    if key and all(column in frame.columns for column in key):
        parts = [frame[column].astype("string").fillna("") for column in key]
        ids = parts[0]
        for part in parts[1:]:
            ids = ids + " / " + part
        return ids.astype(object)
    return pd.Series([f"row {i + 2}" for i in range(len(frame))], index=frame.index, dtype=object)


def _amount_outlier_checks(table: str, frame: pd.DataFrame, ratio: float) -> list[dict]:
    """One ``amount_outliers`` row for a table with money columns (none for a table without)."""
    from salesops.contract.validation import amount_outlier_rows  # validation uses this module: imported when run

    spec = schema.TABLES.get(table)
    if spec is None or not any(c.money and not c.wide_range and c.name in frame.columns for c in spec.columns):
        return []
    labels = set(amount_outlier_rows({table: frame}, ratio)["row"])
    mask = pd.Series(frame.index.isin(list(labels)), index=frame.index)
    key = spec.primary_key[0] if spec.primary_key and spec.primary_key[0] in frame.columns else None
    ids = frame[key] if key else pd.Series([f"row {label}" for label in frame.index], index=frame.index)
    row = _check_row("amount_outliers", mask, ids, len(frame))
    return [{**row, "table": table}]


def _examples(ids: pd.Series, mask: pd.Series) -> str:
    return ", ".join(str(v) for v in ids[mask.to_numpy()].head(_MAX_EXAMPLES).tolist())


def normalize_company_name(name: object) -> str:
    """Company name reduced for duplicate matching ("" when empty).

    Lowercase; dots and apostrophes removed (``S.A.`` → ``sa``); every other run of punctuation or
    whitespace splits words; legal-form words (:data:`LEGAL_SUFFIXES`) dropped from the end, repeatedly;
    the remaining words joined without spaces. A name made only of legal-form words keeps them.
    ``"Acme, Inc."``, ``"ACME inc"`` and ``"Acme Co. Ltd"`` all become ``"acme"``.
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return ""
    text = re.sub(r"[.'’`]", "", str(name).lower())
    words = [w for w in re.split(r"[\W_]+", text) if w]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return "".join(words)


def _duplicates_beyond_first(keys: pd.Series) -> pd.Series:
    """True for every row whose non-empty key already appeared on an earlier row."""
    present = keys.ne("")
    return (keys.duplicated(keep="first") & present).astype(bool)


# --------------------------------------------------------------------------------------------------
# 1. Completeness
# --------------------------------------------------------------------------------------------------


def completeness(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """How much of each canonical column is filled in.

    One row per canonical column present in each canonical table given, tables and columns in
    :data:`salesops.contract.schema.TABLES` order (unknown tables and non-canonical columns are ignored).

    Columns: ``table``, ``column``, ``rows`` (rows in the table), ``filled`` (rows where the value is not
    missing: not NA and, for text, not blank), ``filled_share`` = filled / rows as a fraction 0–1
    (0.0 for a table with no rows: an empty table is not complete).
    """
    records = []
    for name, spec in schema.TABLES.items():
        frame = tables.get(name)
        if frame is None:
            continue
        n_rows = len(frame)
        for column in spec.column_names:
            if column not in frame.columns:
                continue
            filled = int((~_missing(frame[column])).sum())
            records.append((name, column, n_rows, filled, filled / n_rows if n_rows else 0.0))
    out = pd.DataFrame.from_records(records, columns=COMPLETENESS_COLUMNS)
    return out.astype({"table": object, "column": object, "rows": "int64", "filled": "int64",
                       "filled_share": "float64"})


# --------------------------------------------------------------------------------------------------
# 2. Audit checks
# --------------------------------------------------------------------------------------------------


def _check_row(check: str, mask: pd.Series, ids: pd.Series, rows_total: int) -> dict:
    spec = _CHECKS[check]
    affected = int(mask.sum())
    return {
        "table": spec.table, "check": check, "severity": spec.severity, "rows_affected": affected,
        "rows_total": rows_total, "share": affected / rows_total if rows_total else 0.0,
        "example_ids": _examples(ids, mask), "description": spec.description,
    }


def _reject_rows(table: str, rejects: pd.DataFrame, table_rows: int | None) -> list[dict]:
    """One row per problem code found in ``rejects`` for ``table`` (or one zero row when none). A row is its file
    and row number (a table may be read from several files); the examples name the file when there are several."""
    mine = rejects[rejects["table"].astype("string").eq(table).fillna(False).to_numpy()]
    row_numbers = pd.to_numeric(mine["row"], errors="coerce") if "row" in mine.columns else pd.Series(
        np.nan, index=mine.index)
    files = mine["file"].astype(object) if "file" in mine.columns else pd.Series("", index=mine.index, dtype=object)
    several = files.nunique() > 1

    def distinct_rows(rows: pd.Series) -> int:
        # a reject without a row number counts as a row of its own
        places = pd.DataFrame({"file": files[rows.index], "row": rows})
        return int(len(places.dropna().drop_duplicates()) + rows.isna().sum())

    def place(file, number) -> str:
        row = f"row {int(number) if float(number).is_integer() else number}"
        return f"{file} {row}" if several else row

    rejected_total = distinct_rows(row_numbers)
    rows_total = (table_rows or 0) + rejected_total
    if mine.empty:
        return [{
            "table": table, "check": _NO_REJECTS_CHECK, "severity": "high", "rows_affected": 0,
            "rows_total": rows_total, "share": 0.0, "example_ids": "",
            "description": "rows rejected by validation",
        }]
    codes = mine["problem"].astype("string").str.strip().fillna("").replace("", "unknown")
    out = []
    for code in sorted(codes.unique()):
        numbers = row_numbers[codes.eq(code).to_numpy()]
        affected = distinct_rows(numbers)
        shown = sorted(set(zip(files[numbers.dropna().index].astype(str), numbers.dropna())),
                       key=lambda pair: (pair[1], pair[0]))[:_MAX_EXAMPLES]
        out.append({
            "table": table, "check": f"{_REJECTED_PREFIX}{code}", "severity": "high",
            "rows_affected": affected, "rows_total": rows_total,
            "share": affected / rows_total if rows_total else 0.0,
            "example_ids": ", ".join(place(file, number) for file, number in shown),
            "description": f"rows rejected by validation: {code}",
        })
    return out


def _opportunity_checks(opps: pd.DataFrame, activities: pd.DataFrame | None, as_of: pd.Timestamp,
                        stale_grace_days: int) -> list[dict]:
    out: list[dict] = []
    ids = _id_series("opportunities", opps)
    total = len(opps)
    is_open = _open_mask(opps)
    is_won = _won_mask(opps)
    amount = _numbers(opps["amount"]) if "amount" in opps.columns else None

    if is_open is not None and "close_date" in opps.columns:
        close = _dates(opps["close_date"])
        cutoff = as_of - pd.Timedelta(days=stale_grace_days)
        out.append(_check_row("stale_open_opportunities", is_open & close.lt(cutoff), ids, total))
        out.append(_check_row("open_opportunities_without_close_date", is_open & close.isna(), ids, total))
    if is_open is not None and amount is not None:
        out.append(_check_row("open_opportunities_zero_amount", is_open & amount.fillna(0).eq(0), ids, total))
    if (activities is not None and "opportunity_id" in activities.columns
            and "opportunity_id" in opps.columns and "created_date" in opps.columns):
        named = activities["opportunity_id"][~_missing(activities["opportunity_id"])]
        worked = set(pd.Series(named.unique(), dtype=object).astype(str))  # each deal once, not once per activity
        old_enough = _dates(opps["created_date"]).le(as_of - pd.Timedelta(days=NO_ACTIVITY_MIN_AGE_DAYS))
        unworked = ~opps["opportunity_id"].astype(str).isin(worked)
        out.append(_check_row("opportunities_without_activity", old_enough & unworked, ids, total))
    if "account_id" in opps.columns:
        out.append(_check_row("opportunities_without_account", _missing(opps["account_id"]), ids, total))
    if is_won is not None and amount is not None:
        out.append(_check_row("won_deals_zero_amount", is_won & amount.fillna(0).eq(0), ids, total))
    return out


def _account_checks(accounts: pd.DataFrame) -> list[dict]:
    out: list[dict] = []
    ids = _id_series("accounts", accounts)
    total = len(accounts)
    if "name" in accounts.columns:
        keys = accounts["name"].map(normalize_company_name).astype(object)
        out.append(_check_row("duplicate_accounts", _duplicates_beyond_first(keys), ids, total))
    for check, column in (("accounts_missing_industry", "industry"), ("accounts_missing_employees", "employees"),
                          ("accounts_without_owner", "owner_rep_id")):
        if column in accounts.columns:
            out.append(_check_row(check, _missing(accounts[column]), ids, total))
    return out


def _lead_checks(leads: pd.DataFrame) -> list[dict]:
    out: list[dict] = []
    ids = _id_series("leads", leads)
    total = len(leads)
    if "email" in leads.columns:
        keys = leads["email"].astype("string").str.strip().str.lower().fillna("").astype(object)
        out.append(_check_row("duplicate_leads", _duplicates_beyond_first(keys), ids, total))
    for check, column in (("leads_missing_industry", "industry"), ("leads_missing_source", "source")):
        if column in leads.columns:
            out.append(_check_row(check, _missing(leads[column]), ids, total))
    return out


def _rep_checks(reps: pd.DataFrame, as_of: pd.Timestamp) -> list[dict]:
    out: list[dict] = []
    ids = _id_series("reps", reps)
    total = len(reps)
    if "end_date" in reps.columns:
        current = ~_dates(reps["end_date"]).lt(as_of)
    else:
        current = pd.Series(True, index=reps.index)
    if "role" in reps.columns and "quota" in reps.columns:
        is_ae = reps["role"].astype("string").str.strip().str.upper().eq("AE").fillna(False).astype(bool)
        no_quota = _numbers(reps["quota"]).fillna(0).eq(0)
        out.append(_check_row("aes_without_quota", current & is_ae & no_quota, ids, total))
    if "region" in reps.columns:
        out.append(_check_row("reps_without_region", current & _missing(reps["region"]), ids, total))
    return out


def _activity_checks(activities: pd.DataFrame) -> list[dict]:
    if "duration_minutes" not in activities.columns:
        return []
    ids = _id_series("activities", activities)
    no_time = _numbers(activities["duration_minutes"]).fillna(0).eq(0)
    return [_check_row("activities_zero_duration", no_time, ids, len(activities))]


def audit_checks(tables: Mapping[str, pd.DataFrame], rejects: pd.DataFrame | None, as_of,
                 stale_grace_days: int = 0, adjustments: pd.DataFrame | None = None,
                 flag_amount_ratio: float | None = None) -> pd.DataFrame:
    """Run every data-quality check; one row per check, including checks that found nothing.

    Columns:

    * ``table`` — canonical table the check is about;
    * ``check`` — stable snake_case id (see below);
    * ``severity`` — ``high``, ``medium`` or ``low``;
    * ``rows_affected`` — rows the check flags;
    * ``rows_total`` — rows of the table (for the ``rejected_*`` checks: rows kept plus distinct rows set
      aside, i.e. the rows of the input file);
    * ``share`` — rows_affected / rows_total (0.0 when the table has no rows);
    * ``example_ids`` — up to 5 primary-key values of affected rows, in table order, joined by ", "
      ("" when none; for rejects the spreadsheet row numbers, e.g. "row 7, row 12");
    * ``description`` — what the check counts, in words.

    Checks, per table (a check whose table or columns are absent is skipped, never an error):

    * every table: ``rejected_<problem>`` (high) — rows of that table the loader set aside, one row per
      problem code in ``rejects`` (a row with two problems counts once under each); a table present in
      ``tables`` with no rejects gets a single ``rejected_rows`` row with 0;
    * opportunities: ``stale_open_opportunities`` (high) — open and ``close_date`` before
      ``as_of - stale_grace_days``; ``open_opportunities_without_close_date`` (high);
      ``open_opportunities_zero_amount`` (medium; zero or missing amount);
      ``opportunities_without_activity`` (medium; needs ``activities``) — no activity names the deal,
      counting only opportunities created on or before ``as_of`` minus
      :data:`NO_ACTIVITY_MIN_AGE_DAYS` (7) days, since newer deals may not have been worked yet;
      ``opportunities_without_account`` (medium); ``won_deals_zero_amount`` (medium);
    * accounts: ``duplicate_accounts`` (medium) — accounts whose :func:`normalize_company_name` matches
      an earlier account, i.e. for each group of same-name accounts of size > 1 every account beyond
      the first in table order; ``accounts_missing_industry`` (medium); ``accounts_missing_employees``
      (low); ``accounts_without_owner`` (low);
    * leads: ``duplicate_leads`` (medium) — same non-empty e-mail, ignoring case and surrounding spaces,
      counted beyond the first like accounts; ``leads_missing_industry`` (low); ``leads_missing_source`` (low);
    * reps: ``aes_without_quota`` (medium) — role AE with a missing or zero quota;
      ``reps_without_region`` (low); both count only current reps (no ``end_date`` before ``as_of``);
    * activities: ``activities_zero_duration`` (low) — duration zero or missing.
    * every table with money columns, when ``flag_amount_ratio`` is given (``data.flag_amount_ratio``):
      ``amount_outliers`` (high) — rows with a money value more than that many times the median of its
      column's positive values (``validation.amount_outlier_rows``), after the table's other checks.
    * documented rules applied on load (``adjustments`` from ``derive.apply_rules``, ``export_ids.empty_ids``, the
      currency conversion and the rules of several files, line items and quota history; low): ``reps_derived``,
      ``accounts_derived``, ``rep_names_from_ids``, ``rep_roles_derived``, ``rep_role_cells_derived``,
      ``managers_added``, ``owners_added``, ``rep_segments_derived``, ``account_names_from_ids``,
      ``product_spellings_unified``, ``placeholder_ids_emptied``, ``other_kind_ids_emptied``,
      ``max_stage_from_history``, ``amounts_converted``, ``rows_collapsed``, ``collapsed_values_disagree``,
      ``line_amounts_computed``, ``product_from_lines``, ``products_from_lines``, ``quota_from_quotas`` — one row
      per rule applied.

    Rows are ordered by table (schema order), rejects first, then the checks in the order above.
    """
    if stale_grace_days < 0:
        raise ValueError(f"stale_grace_days must be 0 or more, got {stale_grace_days}")
    as_of = pd.Timestamp(as_of).normalize()
    if rejects is None:
        rejects = pd.DataFrame(columns=REJECT_COLUMNS)
    if len(rejects) and not {"table", "problem"} <= set(rejects.columns):
        raise ValueError(
            "rejects must have the columns " + ", ".join(REJECT_COLUMNS)
            + f"; got {', '.join(map(str, rejects.columns))}"
        )
    present = [name for name in schema.TABLES if tables.get(name) is not None]
    rejected_tables = (sorted(set(rejects["table"].dropna().astype(str))) if len(rejects) else [])
    order = [t for t in schema.TABLES if t in present or t in rejected_tables]
    order += [t for t in rejected_tables if t not in schema.TABLES]
    if not len(rejects):
        rejects = pd.DataFrame(columns=REJECT_COLUMNS)

    records: list[dict] = []
    for name in order:
        frame = tables.get(name)
        records += _reject_rows(name, rejects, len(frame) if frame is not None else None)
        if frame is None:
            continue
        if name == "opportunities":
            records += _opportunity_checks(frame, tables.get("activities"), as_of, stale_grace_days)
        elif name == "accounts":
            records += _account_checks(frame)
        elif name == "leads":
            records += _lead_checks(frame)
        elif name == "reps":
            records += _rep_checks(frame, as_of)
        elif name == "activities":
            records += _activity_checks(frame)
        if flag_amount_ratio is not None:
            records += _amount_outlier_checks(name, frame, flag_amount_ratio)
    for row in (adjustments.itertuples(index=False) if adjustments is not None else ()):
        total = len(tables[row.table]) if tables.get(row.table) is not None else int(row.rows)
        records.append({"table": row.table, "check": row.rule, "severity": RULE_APPLIED, "rows_affected": int(row.rows),
                        "rows_total": total, "share": row.rows / total if total else 0.0, "example_ids": row.detail,
                        "description": _CHECKS[row.rule].description})
    out = pd.DataFrame.from_records(records, columns=CHECK_COLUMNS)
    return out.astype({"rows_affected": "int64", "rows_total": "int64", "share": "float64"})


# --------------------------------------------------------------------------------------------------
# 3. Table scores
# --------------------------------------------------------------------------------------------------


def table_scores(completeness_frame: pd.DataFrame, checks_frame: pd.DataFrame) -> pd.DataFrame:
    """One data-quality score per table, 0 (unusable) to 100 (complete and clean).

    For each table in ``completeness_frame`` (output of :func:`completeness`), in its order:

    * ``rows`` — rows in the table;
    * ``completeness`` — mean ``filled_share`` over the table's canonical columns present
      (required and optional alike);
    * ``issue_share`` — ``min(1, Σ share × weight)`` over the table's checks in ``checks_frame``
      (output of :func:`audit_checks`), with weights high 1.0, medium 0.5, low 0.2
      (:data:`SEVERITY_WEIGHTS`);
    * ``score`` — ``round(100 × completeness × (1 − issue_share))``, rounded half up, an int 0–100.

    Example: completeness 0.9 and one medium check flagging 20 % of rows → issue_share 0.1,
    score = round(100 × 0.9 × 0.9) = 81.
    """
    records = []
    for table, columns in completeness_frame.groupby("table", sort=False):
        rows = int(columns["rows"].iloc[0]) if len(columns) else 0
        complete = float(columns["filled_share"].mean()) if len(columns) else 0.0
        mine = checks_frame[checks_frame["table"].eq(table).to_numpy()]
        weights = mine["severity"].map(SEVERITY_WEIGHTS)
        unknown = sorted(set(mine["severity"][weights.isna()].astype(str)))
        if unknown:
            raise ValueError(f"unknown severity {unknown} in checks_frame; use one of {list(SEVERITY_WEIGHTS)}")
        issue = min(1.0, float((mine["share"].fillna(0.0) * weights).sum()))
        score = int(math.floor(100 * complete * (1 - issue) + 0.5 + 1e-9))
        records.append((table, rows, complete, issue, score))
    out = pd.DataFrame.from_records(records, columns=SCORE_COLUMNS)
    return out.astype({"table": object, "rows": "int64", "completeness": "float64", "issue_share": "float64",
                       "score": "int64"})


# --------------------------------------------------------------------------------------------------
# 4. Fix list
# --------------------------------------------------------------------------------------------------


def _wording(table: str, check: str, n: int) -> tuple[str, str]:
    count = f"{n:,}"
    spec = _CHECKS.get(check)
    if spec is not None:
        return (spec.problem_one if n == 1 else spec.problem_many).format(n=count), spec.action
    if check.startswith(_REJECTED_PREFIX):
        code = check[len(_REJECTED_PREFIX):]
        phrase = _problem_phrase(table, code)
        table_words = table.replace("_", " ")
        if n == 1:
            return (f"{count} row of {table_words} was set aside because of {phrase}",
                    "Fix it in the CRM export (see the rejected rows table) and rerun.")
        return (f"{count} rows of {table_words} were set aside because of {phrase}",
                "Fix them in the CRM export (see the rejected rows table) and rerun.")
    words = check.replace("_", " ")
    return f"{count} rows of {table.replace('_', ' ')}: {words}", "Review these rows in the CRM."


def fix_list(checks_frame: pd.DataFrame, top: int | None = 8) -> pd.DataFrame:
    """The fixes a sales manager should ask for, most urgent first.

    Only checks with ``rows_affected > 0`` that are faults (not a rule the workbook applied, ``RULE_APPLIED``),
    ordered by severity (high, medium, low), then
    ``rows_affected`` descending (ties keep the order of ``checks_frame``); the first ``top`` are kept
    (``top=None``: all). Columns: ``priority`` (1..n), ``table``, ``problem`` (plain-words sentence with
    the count, thousands separated, e.g. "1,312 open opportunities have a close date in the past"),
    ``rows`` (rows affected) and ``action`` (who should do what).
    """
    if top is not None and top < 0:
        raise ValueError(f"top must be 0 or more (or None for all), got {top}")
    issues = checks_frame[checks_frame["rows_affected"].gt(0).to_numpy()
                          & checks_frame["severity"].ne(RULE_APPLIED).to_numpy(dtype=bool)]
    issues = issues.assign(
        _rank=issues["severity"].map(_SEVERITY_ORDER).fillna(len(_SEVERITY_ORDER)),
        _pos=np.arange(len(issues)),
    ).sort_values(["_rank", "rows_affected", "_pos"], ascending=[True, False, True])
    if top is not None:
        issues = issues.head(top)
    records = []
    for priority, row in enumerate(issues.itertuples(index=False), start=1):
        n = int(row.rows_affected)
        problem, action = _wording(str(row.table), str(row.check), n)
        records.append((priority, row.table, problem, n, action))
    out = pd.DataFrame.from_records(records, columns=FIX_COLUMNS)
    return out.astype({"priority": "int64", "table": object, "problem": object, "rows": "int64",
                       "action": object})
