"""Step 1: quota attainment per rep and quarter, from the quota history (the ``quotas`` input table).

Definitions:

* **Quota** of a rep in a fiscal quarter: the sum of the rep's quota rows starting in the quarter
  (``contract.quota_history.quarter_quotas``), company currency.
* **Bookings**: the amounts of the rep's won deals (``opportunities.rep_id``) whose close date falls in the
  quarter, both ends included — the convention of ``kpis.py``.
* **Attainment** = bookings ÷ quota (a fraction: 1.0 is exactly at quota; missing when the quota is 0).

Only complete quarters count: those ended on or before ``as_of``, the last day of known data. Inputs are never
modified; outputs are new frames with a fresh 0..n-1 index.
"""

from __future__ import annotations

import pandas as pd

from salesops import fiscal_calendar
from salesops.checks import as_timestamp
from salesops.contract import quota_history
from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import check_columns, ratio, won_mask
from salesops.formats import percent

ATTAINMENT_COLUMNS: tuple[str, ...] = ("rep_id", "name", "quarter", "quota", "bookings", "attainment")


def quarterly_attainment(quotas: pd.DataFrame, opportunities: pd.DataFrame, reps: pd.DataFrame | None, as_of,
                         fiscal_year_start_month: int = 1, quarters: int = 4) -> pd.DataFrame:
    """Each rep's attainment in each of the last ``quarters`` complete quarters that have quota rows (see the
    module docstring). ``reps`` (rep_id, name) gives names when present.

    One row per rep and quarter with a quota row: ``rep_id``, ``name`` (empty without reps), ``quarter``
    (label), ``quota``, ``bookings`` (company currency) and ``attainment`` (fraction). Sorted by quarter, then
    attainment high to low, then rep_id."""
    check_columns(quotas, ("rep_id", "start_date", "amount"), "quotas")
    check_columns(opportunities, ("rep_id", "close_date", "amount", "is_won"), "opportunities")
    as_of = as_timestamp(as_of, "as_of")
    by_quarter = quota_history.quarter_quotas(quotas, fiscal_year_start_month)
    labels = by_quarter["quarter"].astype(object)
    complete = sorted({q for q in labels if fiscal_calendar.quarter_end(q, fiscal_year_start_month) <= as_of})
    kept = set(complete[-quarters:]) if quarters > 0 else set()
    rows = by_quarter.loc[labels.isin(kept).to_numpy(bool)]
    won = opportunities.loc[won_mask(opportunities)]
    won_quarter = fiscal_calendar.quarter_labels(won["close_date"], fiscal_year_start_month).astype(object)
    booked = won["amount"].astype("float64").groupby([won["rep_id"].astype(object).to_numpy(),
                                                       won_quarter.to_numpy()]).sum()
    keys = list(zip(rows["rep_id"].astype(object), rows["quarter"].astype(object)))
    bookings = pd.Series([float(booked.get(key, 0.0)) for key in keys], dtype="float64")
    quota = rows["quota"].astype("float64").reset_index(drop=True)
    names = pd.Series(pd.NA, index=quota.index, dtype=object)
    if reps is not None and "name" in reps.columns:
        people = reps.drop_duplicates("rep_id")
        names = rows["rep_id"].astype(object).map(dict(zip(people["rep_id"].astype(object),
                                                           people["name"].astype(object)))).reset_index(drop=True)
    out = pd.DataFrame({
        "rep_id": pd.array(rows["rep_id"].astype(object), dtype=TEXT_DTYPE),
        "name": pd.array(names, dtype=TEXT_DTYPE),
        "quarter": pd.array(rows["quarter"].astype(object), dtype=TEXT_DTYPE),
        "quota": quota,
        "bookings": bookings,
        "attainment": ratio(bookings, quota),
    })
    return (out.sort_values(["quarter", "attainment", "rep_id"], ascending=[True, False, True], na_position="last",
                            kind="mergesort").reset_index(drop=True)[list(ATTAINMENT_COLUMNS)])


def attainment_sentence(table: pd.DataFrame) -> str:
    """One sentence on the latest quarter of ``quarterly_attainment``: how many reps made quota and the team's
    bookings against its quota ("" when the table is empty)."""
    if table.empty:
        return ""
    latest = table.loc[(table["quarter"] == table["quarter"].iloc[-1]).to_numpy(bool)]
    made = int((latest["attainment"] >= 1).sum())
    total = ratio(float(latest["bookings"].sum()), float(latest["quota"].sum()))
    quarters = table["quarter"].nunique()
    return (f"In {latest['quarter'].iloc[0]}, {made} of {len(latest)} reps with a quota in the quotas table made it, "
            f"and the team booked {percent(total, 0)} of its quota (measured from the quota history"
            + (f"; the table shows the last {quarters} complete quarters)." if quarters > 1 else ")."))
