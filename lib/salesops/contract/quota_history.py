"""Quotas as the CRM holds them (the ``quotas`` table: one row per rep and period) turned into quarters.

* **A quarter's quota** of a rep is the sum of the ``amount`` of the rep's rows whose ``start_date`` falls in
  the fiscal quarter (monthly rows: three of them; a quarterly row: itself). Money is in the company currency.
* **Reps without a quota** (``reps.quota`` absent or empty) take the quota of one quarter from here, stated
  as an adjustment row: the **planned quarter's** when some row starts in it, else the **latest complete
  quarter's** (ended on or before the last day of known data) that has rows. A rep with no row in that quarter
  keeps no quota.

Pure functions: inputs are never modified.
"""

from __future__ import annotations

import pandas as pd

from salesops import fiscal_calendar
from salesops.contract.schema import TEXT_DTYPE

QUARTER_QUOTA_COLUMNS = ["rep_id", "quarter", "quota", "rows"]


def quarter_quotas(quotas: pd.DataFrame, fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """One row per rep and fiscal quarter with quota rows: ``rep_id``, ``quarter`` (label, e.g. 2027Q1),
    ``quota`` (sum of the rows' amounts starting in the quarter, company currency; rows without an amount add
    nothing) and ``rows`` (how many rows were summed). Sorted by quarter, then rep_id."""
    known = quotas.loc[quotas["rep_id"].notna().to_numpy(bool) & quotas["start_date"].notna().to_numpy(bool)]
    frame = pd.DataFrame({
        "rep_id": known["rep_id"].astype(object).to_numpy(),
        "quarter": fiscal_calendar.quarter_labels(known["start_date"], fiscal_year_start_month).astype(object)
        .to_numpy(),
        "amount": known["amount"].astype("float64").to_numpy(),
    })
    out = (frame.groupby(["rep_id", "quarter"], sort=False)["amount"].agg(quota="sum", rows="size")
           .reset_index().sort_values(["quarter", "rep_id"], kind="stable").reset_index(drop=True))
    return out.astype({"rep_id": TEXT_DTYPE, "quarter": TEXT_DTYPE, "quota": "float64", "rows": "int64"})[
        QUARTER_QUOTA_COLUMNS]


def quota_quarter(by_quarter: pd.DataFrame, planned_quarter: str | None, as_of: pd.Timestamp | None,
                  fiscal_year_start_month: int = 1) -> tuple[str | None, str]:
    """The quarter whose quotas reps without one take (``quarter_quotas`` rows), and in words why: the planned
    quarter when it has rows, else the latest quarter ended on or before ``as_of`` that has rows; ``(None, "")``
    when there is none (or no planned quarter to start from)."""
    quarters = set(by_quarter["quarter"].astype(object))
    if planned_quarter is None:
        return None, ""
    if planned_quarter in quarters:
        return planned_quarter, f"{planned_quarter}, the planned quarter"
    ended = sorted(q for q in quarters
                   if as_of is None or fiscal_calendar.quarter_end(q, fiscal_year_start_month) <= as_of)
    if not ended:
        return None, ""
    return ended[-1], (f"{ended[-1]}, the latest complete quarter with quotas (the quotas table has none starting "
                       f"in the planned quarter {planned_quarter})")


def derive_rep_quotas(reps: pd.DataFrame, quotas: pd.DataFrame, planned_quarter: str | None,
                      as_of: pd.Timestamp | None, fiscal_year_start_month: int = 1) -> tuple[pd.DataFrame, list[tuple]]:
    """``reps`` with an empty ``quota`` (or none at all) filled from ``quotas`` (see the module docstring), and the
    adjustment rows ``(table, column, rule, rows, detail)`` saying so (none when nothing was filled)."""
    by_quarter = quarter_quotas(quotas, fiscal_year_start_month)
    quarter, why = quota_quarter(by_quarter, planned_quarter, as_of, fiscal_year_start_month)
    if quarter is None:
        return reps, []
    current = (reps["quota"].astype("float64") if "quota" in reps.columns
               else pd.Series(float("nan"), index=reps.index))
    of_quarter = by_quarter.loc[(by_quarter["quarter"] == quarter).to_numpy(bool)]
    taken = reps["rep_id"].astype(object).map(dict(zip(of_quarter["rep_id"].astype(object), of_quarter["quota"])))
    filled = current.isna().to_numpy(bool) & taken.notna().to_numpy(bool)
    if not filled.any():
        return reps, []
    detail = f"reps without a quota took it from the quotas table: the sum of their rows starting in {why}"
    return reps.assign(quota=current.where(~filled, taken.astype("float64"))), [
        ("reps", "quota", "quota_from_quotas", int(filled.sum()), detail)]


def apply_rules(tables: dict[str, pd.DataFrame], planned_quarter: str | None, as_of: pd.Timestamp | None,
                fiscal_year_start_month: int = 1) -> tuple[dict[str, pd.DataFrame], list[tuple]]:
    """The tables with reps' missing quotas taken from the quotas table (when both tables are there), and the
    adjustment rows."""
    if "quotas" not in tables or "reps" not in tables:
        return tables, []
    reps, adjustments = derive_rep_quotas(tables["reps"], tables["quotas"], planned_quarter, as_of,
                                          fiscal_year_start_month)
    return {**tables, "reps": reps}, adjustments
