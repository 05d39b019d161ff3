"""The rows a quarantine set aside (``validation``'s rejects table), summed up for people: grouped by their root
cause, and the won bookings among them against all won bookings."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salesops.contract import schema

CAUSE_COLUMNS = ["cause_table", "cause_file", "cause_row", "cause", "rows", "because_of_it", "won_deals", "won_value"]
#: What names one row of the rejects table: a table's rows may come from several files, numbered in each.
ROW_KEY = ["table", "file", "row"]


def rows_set_aside(rejects: pd.DataFrame, table: str) -> int:
    """How many distinct rows of ``table`` the rejects (``validation.REJECT_COLUMNS``) hold."""
    if rejects is None or rejects.empty:
        return 0
    return len(rejects.loc[(rejects["table"] == table).to_numpy(bool), ROW_KEY].drop_duplicates())


def rejects_by_cause(rejects: pd.DataFrame) -> pd.DataFrame:
    """The rows the quarantine set aside, one row per root cause (``validation.REJECT_COLUMNS``).

    Columns: ``cause_table``, ``cause_file`` and ``cause_row`` (spreadsheet row in that file) of the root-cause
    row; ``cause`` (what is
    wrong with it, in words); ``rows`` — distinct rows set aside because of it, the cause itself included;
    ``because_of_it`` — the other rows set aside because of it, counted per table in schema order
    ("accounts 2 · opportunities 42 · activities 3,437"; "" when none); ``won_deals`` and ``won_value`` —
    won opportunities among them and their amounts (company currency; an unknown amount adds nothing).
    Ordered by won value, then rows, largest first (ties: table in schema order, then row).
    """
    if rejects is None or rejects.empty or "cause_row" not in rejects.columns:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(CAUSE_COLUMNS, (
            "string", "string", "int64", "string", "int64", "string", "int64", "float64"))})
    order = {name: i for i, name in enumerate(schema.TABLES)}
    rows = rejects.drop_duplicates(ROW_KEY)
    records = []
    for (table, file, row), group in rows.groupby(["cause_table", "cause_file", "cause_row"], sort=False):
        others = group[~group["is_cause"].to_numpy(bool)]
        counts = others.groupby("table").size()
        because = " · ".join(f"{name.replace('_', ' ')} {counts[name]:,}"
                             for name in sorted(counts.index, key=lambda n: (order.get(n, len(order)), n)))
        won = group[group["won_deal"].to_numpy(bool)]
        records.append((table, file, int(row), str(group["cause"].iloc[0]), len(group), because, len(won),
                        float(won["won_amount"].sum())))
    out = pd.DataFrame.from_records(records, columns=CAUSE_COLUMNS)
    out = out.assign(_table=out["cause_table"].map(order).fillna(len(order)))
    out = out.sort_values(["won_value", "rows", "_table", "cause_table", "cause_row"],
                          ascending=[False, False, True, True, True], kind="stable").drop(columns="_table")
    return out.reset_index(drop=True).astype({"cause_table": "string", "cause_file": "string", "cause_row": "int64",
                                              "cause": "string",
                                              "rows": "int64", "because_of_it": "string", "won_deals": "int64",
                                              "won_value": "float64"})


@dataclass(frozen=True)
class WonSetAside:
    """Won deals the quarantine set aside: how many (``deals``), their amounts (``value``, company currency; a
    won deal whose amount is itself the problem counts as a deal and adds nothing), all won bookings
    (``total``: the won deals kept plus those set aside) and ``share`` = value ÷ total (0.0 when there are no
    won bookings)."""

    deals: int
    value: float
    total: float
    share: float


def won_set_aside(rejects: pd.DataFrame | None, opportunities: pd.DataFrame) -> WonSetAside:
    """The won bookings set aside (``rejects`` as ``validation.REJECT_COLUMNS``) against all won bookings:
    those of the kept ``opportunities`` (``is_won``, ``amount``) plus those set aside."""
    won = opportunities["is_won"].fillna(False).astype(bool).to_numpy() if "is_won" in opportunities else None
    kept = float(opportunities.loc[won, "amount"].sum()) if won is not None else 0.0
    if rejects is None or rejects.empty or "won_deal" not in rejects.columns:
        return WonSetAside(0, 0.0, kept, 0.0)
    gone = rejects[(rejects["table"] == "opportunities").to_numpy(bool) & rejects["won_deal"].to_numpy(bool)]
    gone = gone.drop_duplicates(ROW_KEY)
    value = float(gone["won_amount"].sum())
    total = kept + value
    return WonSetAside(len(gone), value, total, value / total if total > 0 else 0.0)
