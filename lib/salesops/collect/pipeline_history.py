"""Step 1: the open pipeline as it stood on a past date, rebuilt from the deals' stage history
(``opportunity_history``), and the pipeline at the start of each past quarter against what it became: the raw
material of a backtest of the pipeline forecast (``demand.plan.pipeline_forecast`` values the open deals due in a
quarter at stage close rates; here is what those deals looked like then and what was won of them).

Rules of :func:`pipeline_as_of` (the pipeline *at the end of* ``date``):

* **Open then**: created on or before the date and not closed by then. A deal is closed by the date when its last
  history row on or before the date has a closed stage, or when it is closed today with a close date on or before
  the date (a close entered in the CRM days after the close date counts from the close date).
* **Its values then** (stage, amount, expected close date, forecast category), ``basis``:
  ``history``: those of its last history row on or before the date (rows of the same moment: the later row of the
  table is the later change); ``first_history_row``: a deal created before its first history row (a history that
  starts later than the deals, e.g. a CRM keeping 18 months of field history) takes its first row's values;
  ``deal``: a deal with no history row at all takes its current values.
* **Gaps**: a value a history row leaves empty, or a column the history lacks (a HubSpot stage history has no
  amount), is the deal's last earlier value in the history, else its current value; ``from_deal`` marks the deals
  whose amount or expected close date was so taken from the deal as it is today.
* **Unknown stage**: a stage known only as a closed one (the first row, or the current values, of a deal that
  closed after the date) says nothing of where the deal stood: ``stage`` is empty.

History rows of deals absent from ``opportunities`` are ignored (validation reports them as orphans).

:func:`pipeline_snapshots` takes that pipeline at the end of the day before each quarter starts (nothing of the
quarter is known yet) and sets it against what the quarter brought: see ``SNAPSHOT_COLUMNS`` there. Money is in
the company currency: open and due values are the amounts of that day, won values the amounts booked. Inputs are
never modified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops import deals, fiscal_calendar
from salesops.checks import as_timestamp
from salesops.contract.schema import CLOSED_STAGES, OPEN_STAGES, TEXT_DTYPE
from salesops.formats import money

#: Columns of :func:`pipeline_as_of` (``rep_id`` and ``forecast_category`` only when the inputs carry them).
AS_OF_COLUMNS: tuple[str, ...] = ("opportunity_id", "rep_id", "created_date", "stage", "amount", "close_date",
                                  "forecast_category", "basis", "from_deal")
BASES: tuple[str, ...] = ("history", "first_history_row", "deal")
#: Stage label of the open deals whose stage on the snapshot day is not known.
UNKNOWN_STAGE = "unknown"
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "quarter", "quarter_start", "quarter_end", "stage", "open_deals", "open_value", "due_deals", "due_value",
    "due_won_deals", "due_won_value", "won_deals", "won_value", "estimated_deals", "quarter_won_deals",
    "quarter_won_value",
)
TOTAL_COLUMNS: tuple[str, ...] = ("quarter", "open_deals", "open_value", "due_value", "due_won_value",
                                  "due_won_share", "quarter_won_value", "estimated_deals")

_VALUES = ("amount", "close_date", "forecast_category")
_HISTORY_COLUMNS = ("opportunity_id", "changed_at", "stage")


def _history_rows(opportunities: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The history rows of known deals in time order (``_order``: place in the table, breaking ties), each of
    ``_VALUES`` filled by the Gaps rule, ``_from_deal`` true where the amount or close date came from the deal."""
    current = opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    rows = history.loc[history["opportunity_id"].isin(current.index).to_numpy(dtype=bool)]
    rows = rows.assign(_order=np.arange(len(rows))).sort_values(["opportunity_id", "changed_at", "_order"],
                                                                 kind="stable")
    ids = rows["opportunity_id"]
    out = {"opportunity_id": ids, "changed_at": rows["changed_at"], "stage": rows["stage"].astype(TEXT_DTYPE)}
    from_deal = np.zeros(len(rows), dtype=bool)
    for column in _VALUES:
        today = ids.map(current[column]) if column in current.columns else None
        if column in rows.columns:
            values = rows[column].groupby(ids.to_numpy(), sort=False).ffill()
            taken = values.isna() & (today.notna() if today is not None else False)
            values = values.where(~taken, today) if today is not None else values
        elif today is not None:
            values, taken = today, today.notna()
        else:
            continue
        out[column] = values
        if column != "forecast_category":
            from_deal |= np.asarray(taken, dtype=bool)
    return pd.DataFrame(out).assign(_from_deal=from_deal)


def _state_at(opportunities: pd.DataFrame, rows: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    """:func:`pipeline_as_of` from the prepared ``rows`` of :func:`_history_rows`."""
    end = date + pd.Timedelta(days=1)  # the whole of the date
    known = rows.loc[(rows["changed_at"] < end).to_numpy(dtype=bool)]
    last = known.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
    first = rows.drop_duplicates("opportunity_id", keep="first").set_index("opportunity_id")
    ids = opportunities["opportunity_id"].reset_index(drop=True)
    in_last = ids.isin(last.index).to_numpy(dtype=bool)
    in_first = ids.isin(first.index).to_numpy(dtype=bool) & ~in_last
    basis = np.select([in_last, in_first], ["history", "first_history_row"], "deal")
    picked = pd.concat([last.loc[ids[in_last].to_numpy()], first.loc[ids[in_first].to_numpy()]])
    picked = picked[~picked.index.duplicated()]  # a deal id repeated in opportunities
    then = picked.reindex(ids.to_numpy()).reset_index(drop=True)
    from_history = pd.Series(in_last | in_first)
    today = opportunities.reset_index(drop=True)
    values = {}
    for column in ("stage", *_VALUES):
        if column in then.columns:
            now = today[column] if column in today.columns else pd.Series(pd.NA, index=today.index)
            values[column] = then[column].where(from_history, now.astype(then[column].dtype))
    from_deal = then["_from_deal"].where(from_history, True).astype(bool).to_numpy()
    closed_by_then = deals.closed_mask(today) & (today["close_date"] <= date).to_numpy(dtype=bool, na_value=False)
    closed_in_history = in_last & values["stage"].isin(CLOSED_STAGES).to_numpy(dtype=bool)
    keep = (today["created_date"] <= date).to_numpy(dtype=bool) & ~closed_by_then & ~closed_in_history
    stage = values["stage"].astype(TEXT_DTYPE)
    frame = pd.DataFrame({
        "opportunity_id": ids.astype(TEXT_DTYPE),
        "rep_id": today["rep_id"].astype(TEXT_DTYPE) if "rep_id" in today.columns else None,
        "created_date": today["created_date"],
        "stage": stage.mask(stage.isin(CLOSED_STAGES).to_numpy(dtype=bool)),
        "amount": values["amount"].astype("float64"),
        "close_date": values["close_date"].astype("datetime64[ns]"),
        "forecast_category": values["forecast_category"].astype(TEXT_DTYPE) if "forecast_category" in values
        else None,
        "basis": pd.Series(basis, dtype=TEXT_DTYPE),
        "from_deal": from_deal,
    })
    columns = [c for c in AS_OF_COLUMNS if c not in ("rep_id", "forecast_category") or c in values or c in today]
    return frame.loc[keep, columns].reset_index(drop=True)


def _check(opportunities: pd.DataFrame, history: pd.DataFrame) -> None:
    deals.check_columns(opportunities, ("opportunity_id", *deals.OPPORTUNITY_COLUMNS), "opportunities")
    deals.check_columns(history, _HISTORY_COLUMNS, "opportunity_history")


def pipeline_as_of(opportunities: pd.DataFrame, history: pd.DataFrame, date) -> pd.DataFrame:
    """The open pipeline at the end of ``date``, one row per deal open then (module docstring: the rules), in the
    order of ``opportunities``.

    Columns: ``opportunity_id``, ``rep_id`` (when ``opportunities`` has it), ``created_date``, then the deal's values
    then: ``stage`` (an open stage; empty when unknown), ``amount`` (company currency; empty when unknown),
    ``close_date`` (expected close date), ``forecast_category`` (when the history or the opportunities have it);
    ``basis`` (where they come from: ``BASES``) and ``from_deal`` (amount or expected close date taken from the deal
    as it is today, so not as it stood then; always true for basis ``deal``)."""
    _check(opportunities, history)
    return _state_at(opportunities, _history_rows(opportunities, history), as_timestamp(date, "date").normalize())


def snapshot_quarter_starts(history: pd.DataFrame, as_of, fiscal_year_start_month: int = 1) -> list[pd.Timestamp]:
    """First days of the fiscal quarters that can be snapshot: ended on or before ``as_of`` (so what they brought is
    known), with the snapshot day (the day before the quarter starts) inside the history's span, from the day of its
    first change to the day of its last. Oldest first; empty when none."""
    deals.check_columns(history, ("changed_at",), "opportunity_history")
    as_of = as_timestamp(as_of, "as_of").normalize()
    changes = history["changed_at"].dropna()
    if changes.empty:
        return []
    first, last = changes.min().normalize(), changes.max().normalize()
    freq = fiscal_calendar.quarter_freq(fiscal_year_start_month)
    quarter = (first + pd.Timedelta(days=1)).to_period(freq)
    starts = []
    while quarter.end_time.normalize() <= as_of and quarter.start_time.normalize() - pd.Timedelta(days=1) <= last:
        start = quarter.start_time.normalize()
        if start - pd.Timedelta(days=1) >= first:
            starts.append(start)
        quarter += 1
    return starts


def pipeline_snapshots(opportunities: pd.DataFrame, history: pd.DataFrame, quarter_starts: Sequence,
                       fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """For each quarter starting on one of ``quarter_starts`` (first days of fiscal quarters): the open pipeline at
    the end of the day before (:func:`pipeline_as_of`) by stage, and what the quarter brought.

    One row per quarter and open stage (funnel order; zeros where none), plus a stage ``unknown`` row when some open
    deals' stage that day is not known. Columns: ``quarter`` (label), ``quarter_start``, ``quarter_end``,
    ``stage``; counts of deals and sums of amounts (company currency):

    * ``open_deals``, ``open_value``: the open deals and their amounts that day (an empty amount counts 0);
    * ``due_deals``, ``due_value``: those whose expected close date that day lies in the quarter;
    * ``due_won_deals``, ``due_won_value``: of the due deals, those won with a close date in the quarter, valued at
      the amount booked;
    * ``won_deals``, ``won_value``: of all the open deals, those won in the quarter (booked amounts);
    * ``estimated_deals``: open deals not valued from a history row of that day (``basis`` other than ``history``,
      or ``from_deal``): the backtest's uncertainty;
    * ``quarter_won_deals``, ``quarter_won_value``: every deal won in the quarter, including those created in it
      (the same on every row of the quarter).
    """
    _check(opportunities, history)
    rows = _history_rows(opportunities, history)
    won = deals.won_mask(opportunities)
    booked = opportunities["amount"].astype("float64").fillna(0.0)
    stages = [*OPEN_STAGES, UNKNOWN_STAGE]
    parts = []
    for value in quarter_starts:
        start = as_timestamp(value, "quarter_starts").normalize()
        label = fiscal_calendar.quarter_label(start.to_period(fiscal_calendar.quarter_freq(fiscal_year_start_month)))
        if fiscal_calendar.quarter_start(label, fiscal_year_start_month) != start:
            raise ValueError(f"quarter_starts must be first days of fiscal quarters (fiscal year starting in month "
                             f"{fiscal_year_start_month}); got {value!r}, inside {label}")
        end = fiscal_calendar.quarter_end(label, fiscal_year_start_month)
        won_in = won & opportunities["close_date"].between(start, end).to_numpy(dtype=bool)
        open_then = _state_at(opportunities, rows, start - pd.Timedelta(days=1))
        outcome = pd.DataFrame({"_won": won_in, "_booked": np.where(won_in, booked, 0.0)},
                               index=opportunities["opportunity_id"].to_numpy())
        outcome = outcome[~outcome.index.duplicated()].reindex(open_then["opportunity_id"].to_numpy())
        due = open_then["close_date"].between(start, end).to_numpy(dtype=bool)
        deal_won, deal_booked = outcome["_won"].to_numpy(dtype=bool), outcome["_booked"].to_numpy(dtype=float)
        per_deal = pd.DataFrame({
            "stage": open_then["stage"].fillna(UNKNOWN_STAGE).to_numpy(dtype=object),
            "open_deals": 1, "open_value": open_then["amount"].fillna(0.0).to_numpy(dtype=float),
            "due_deals": due.astype(np.int64),
            "due_value": np.where(due, open_then["amount"].fillna(0.0).to_numpy(dtype=float), 0.0),
            "due_won_deals": (due & deal_won).astype(np.int64), "due_won_value": np.where(due, deal_booked, 0.0),
            "won_deals": deal_won.astype(np.int64), "won_value": deal_booked,
            "estimated_deals": ((open_then["basis"] != "history").to_numpy(dtype=bool)
                                | open_then["from_deal"].to_numpy(dtype=bool)).astype(np.int64),
        })
        sums = per_deal.groupby("stage").sum().reindex(stages, fill_value=0)
        if not (per_deal["stage"] == UNKNOWN_STAGE).any():
            sums = sums.drop(index=UNKNOWN_STAGE)
        parts.append(sums.rename_axis("stage").reset_index().assign(
            quarter=label, quarter_start=start, quarter_end=end, quarter_won_deals=int(won_in.sum()),
            quarter_won_value=float(booked[won_in].sum())))
    if not parts:
        return _empty_snapshots()
    out = pd.concat(parts, ignore_index=True)
    counts = ["open_deals", "due_deals", "due_won_deals", "won_deals", "estimated_deals", "quarter_won_deals"]
    out = out.astype({**{c: "int64" for c in counts}, "quarter_start": "datetime64[ns]",
                      "quarter_end": "datetime64[ns]"})
    return out.assign(quarter=deals.text_array(out["quarter"]), stage=deals.text_array(out["stage"]))[
        list(SNAPSHOT_COLUMNS)]


def _empty_snapshots() -> pd.DataFrame:
    kinds = {"quarter": TEXT_DTYPE, "quarter_start": "datetime64[ns]", "quarter_end": "datetime64[ns]",
             "stage": TEXT_DTYPE, "open_value": "float64", "due_value": "float64", "due_won_value": "float64",
             "won_value": "float64", "quarter_won_value": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, "int64")) for c in SNAPSHOT_COLUMNS})


def snapshot_totals(snapshots: pd.DataFrame) -> pd.DataFrame:
    """One row per quarter of :func:`pipeline_snapshots`, the stages added up, oldest first: ``TOTAL_COLUMNS``, with
    ``due_won_share`` = due_won_value / due_value (NaN when nothing was due)."""
    sums = ["open_deals", "open_value", "due_value", "due_won_value", "estimated_deals"]
    totals = (snapshots.groupby(["quarter_start", "quarter"], sort=True)
              .agg(**{c: (c, "sum") for c in sums}, quarter_won_value=("quarter_won_value", "first"))
              .reset_index())
    totals = totals.assign(due_won_share=deals.ratio(totals["due_won_value"], totals["due_value"]).to_numpy())
    return totals[list(TOTAL_COLUMNS)]


def snapshots_or_reason(opportunities: pd.DataFrame, history: pd.DataFrame | None, as_of,
                        fiscal_year_start_month: int, absent: str) -> tuple[pd.DataFrame | None, str]:
    """(:func:`pipeline_snapshots` of every quarter of :func:`snapshot_quarter_starts`, "") or (None, why not):
    ``absent`` (the sentence saying what the section would show) when there is no history, else a sentence
    naming the span of the history when no complete quarter started inside it."""
    if history is None or absent:
        return None, absent
    starts = snapshot_quarter_starts(history, as_of, fiscal_year_start_month)
    if starts:
        return pipeline_snapshots(opportunities, history, starts, fiscal_year_start_month), ""
    changes = history["changed_at"].dropna()
    span = (f"from {changes.min():%d %b %Y} to {changes.max():%d %b %Y}" if len(changes) else "no dated change")
    return None, (f"The stage history holds {span}: no quarter both started inside it and ended by "
                  f"{as_timestamp(as_of, 'as_of'):%d %b %Y}, so no past pipeline can be set against what it became.")


def snapshot_findings(snapshots: pd.DataFrame, currency: str) -> list[str]:
    """What the snapshots say, in sentences computed from them: the share of the pipeline due in each quarter at
    its start that was won in the quarter (over all quarters, and the lowest and highest quarter), the share of the
    quarters' bookings it made, and how many open deals were valued without a history row of the day."""
    totals = snapshot_totals(snapshots)
    if totals.empty:
        return []
    n, first, last = len(totals), totals["quarter"].iloc[0], totals["quarter"].iloc[-1]
    span = f"{first}–{last}" if n > 1 else first
    quarters = f"{n} quarter{'s' if n != 1 else ''}, {span}"
    due, due_won = float(totals["due_value"].sum()), float(totals["due_won_value"].sum())
    if due <= 0:
        sentences = [f"At the start of the {quarters}, no open deal with an amount was expected to close within the "
                     "quarter: the history gives the pipeline forecast nothing to be tested on."]
    else:
        measured = totals.dropna(subset=["due_won_share"])
        low, high = measured.loc[measured["due_won_share"].idxmin()], measured.loc[measured["due_won_share"].idxmax()]
        spread = (f" (lowest {low['quarter']} {low['due_won_share']:.0%}, highest {high['quarter']} "
                  f"{high['due_won_share']:.0%})" if len(measured) > 1 else "")
        booked = float(totals["quarter_won_value"].sum())
        of_bookings = (f"; those wins made {due_won / booked:.0%} of the {money(booked, currency, compact=True)} "
                       "booked in these quarters" if booked > 0 else "")
        sentences = [f"Of the open pipeline expected to close within each quarter at its start ({quarters}), "
                     f"{due_won / due:.0%} by value was won in that quarter{spread}{of_bookings} (measured from "
                     "the stage history)."]
    estimated, counted = int(totals["estimated_deals"].sum()), int(totals["open_deals"].sum())
    if estimated:
        sentences.append(f"{estimated:,} of the {counted:,} open deals counted had no history row of the snapshot "
                         "day for their stage, amount or expected close date and carry their first recorded or "
                         "current values, so their figures are less certain.")
    return sentences
