"""The pipeline method backtested on the stage history: at the start of each past quarter, the opportunities as the
CRM held them the day before (closed deals as they closed, open deals with the stage, amount and expected close
date of that day, rebuilt by ``collect.pipeline_history.pipeline_as_of``), forecast with :func:`pipeline_forecast`
exactly as it would have been made then, and set against the bookings the quarter brought.

Rules of :func:`opportunities_as_of` (the table at the end of ``date``):

* deals created after the date are left out; deals closed by then (closed today with a close date on or before
  the date) are kept as they are: how a closed deal ended was known once it closed;
* deals open then take the values of that day; a stage known then only as a closed one (the history starts after
  the deal was last open) counts as the first open stage, and the furthest stage reached (``max_stage``) is left
  empty, since today's value would tell how far the deal finally got;
* an open deal without an amount then is valued as step 1 values today's (``collect.valuation``, by the
  ``collect.open_deal_value`` rule, with what was won by then).

Errors: ``error`` = base ÷ actual − 1 (a fraction: −0.2 is 20% below what was booked); the summary's ``mape`` is the
mean of its absolute values, ``bias`` its mean. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops import deals, fiscal_calendar
from salesops.collect import valuation
from salesops.collect.pipeline_history import pipeline_as_of, snapshot_quarter_starts
from salesops.contract.schema import OPEN_STAGES, TEXT_DTYPE
from salesops.demand.plan.pipeline import pipeline_forecast
from salesops.demand.plan.settings import DemandSettings, resolve_settings

BACKTEST_COLUMNS: tuple[str, ...] = ("quarter", "as_of", "open_deals", "open_value", "downside", "base", "upside",
                                     "actual", "error", "in_range")
_THEN = ("stage", "amount", "close_date", "forecast_category")


def opportunities_as_of(opportunities: pd.DataFrame, history: pd.DataFrame, date, window_months: int = 12,
                        value_rule: str = "median_won") -> pd.DataFrame:
    """The opportunities as they stood at the end of ``date`` (module docstring: the rules): the columns of
    ``opportunities``, closed deals first, then the deals open then, each in the order of ``opportunities``."""
    date = pd.Timestamp(date).normalize()
    created = (opportunities["created_date"] <= date).to_numpy(dtype=bool)
    closed = deals.closed_mask(opportunities) & (opportunities["close_date"] <= date).to_numpy(dtype=bool,
                                                                                               na_value=False)
    then = pipeline_as_of(opportunities, history, date).set_index("opportunity_id")
    current = opportunities.loc[opportunities["opportunity_id"].isin(then.index).to_numpy(dtype=bool)]
    ids = current["opportunity_id"]
    changes = {column: then[column].reindex(ids.to_numpy()).to_numpy() for column in _THEN if column in then}
    open_rows = current.assign(**changes).assign(is_closed=False, is_won=False)
    open_rows["stage"] = open_rows["stage"].astype(TEXT_DTYPE).fillna(OPEN_STAGES[0])
    if "max_stage" in open_rows:
        open_rows["max_stage"] = pd.Series(pd.NA, index=open_rows.index, dtype=open_rows["max_stage"].dtype)
    table = pd.concat([opportunities.loc[created & closed], open_rows.astype(opportunities.dtypes.to_dict())])
    return valuation.value_open_deals(table, date, window_months, value_rule).drop(columns="amount_basis")


def backtest_quarter_starts(history: pd.DataFrame | None, as_of, fiscal_year_start_month: int = 1,
                            last: int = 8) -> list[pd.Timestamp]:
    """The first days of the last ``last`` complete quarters (ended by ``as_of``) whose eve lies in the history's
    span (``pipeline_history.snapshot_quarter_starts``); empty without a history."""
    if history is None or history.empty:
        return []
    return snapshot_quarter_starts(history, as_of, fiscal_year_start_month)[-last:]


def pipeline_backtest(opportunities: pd.DataFrame, history: pd.DataFrame, quarter_starts: Sequence,
                      settings: DemandSettings | None = None, fiscal_year_start_month: int = 1,
                      value_rule: str = "median_won") -> pd.DataFrame:
    """The pipeline forecast of each past quarter starting on one of ``quarter_starts``, made on the eve of the
    quarter from :func:`opportunities_as_of`, against what the quarter booked.

    One row per quarter, oldest first; a quarter the method could not forecast then (no deal closed in the window
    before its eve had reached a stage that open deals were at) is left out. Columns: ``quarter`` (label), ``as_of`` (the eve), ``open_deals`` and
    ``open_value`` (deals due in the quarter then, and their amount), ``downside`` / ``base`` / ``upside`` (the
    forecast's total), ``actual`` (won bookings with a close date in the quarter), ``error`` (base ÷ actual − 1;
    NaN when nothing was booked), ``in_range`` (actual between downside and upside). Money in company currency."""
    settings = resolve_settings(settings)
    freq = fiscal_calendar.quarter_freq(fiscal_year_start_month)
    won = deals.won_mask(opportunities)
    rows = []
    for start in quarter_starts:
        start = pd.Timestamp(start).normalize()
        quarter = start.to_period(freq)
        end, eve = quarter.end_time.normalize(), start - pd.Timedelta(days=1)
        table = opportunities_as_of(opportunities, history, eve, settings.history_months, value_rule)
        try:
            total = pipeline_forecast(table, eve, start, end, settings, segment_column=None).iloc[-1]
        except ValueError:  # no deal closed by then had reached a stage open deals were at: not measurable then
            continue
        in_quarter = won & opportunities["close_date"].between(start, end).to_numpy(dtype=bool)
        actual = float(opportunities.loc[in_quarter, "amount"].sum())
        rows.append((fiscal_calendar.quarter_label(quarter), eve, int(total["open_deals"]),
                     float(total["open_value"]), float(total["downside"]), float(total["base"]),
                     float(total["upside"]), actual, deals.ratio(float(total["base"]), actual) - 1,
                     bool(total["downside"] <= actual <= total["upside"])))
    return pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS)).astype(
        {"quarter": TEXT_DTYPE, "as_of": "datetime64[ns]", "open_deals": "int64", "error": "float64",
         "in_range": bool})


def backtest_summary(backtest: pd.DataFrame) -> dict[str, float]:
    """``quarters`` backtested, ``mape`` (mean absolute error, a fraction of the actual), ``bias`` (mean error)
    and ``in_range`` (share of quarters whose bookings fell inside the forecast's range); NaN without quarters."""
    errors = backtest["error"].dropna()
    return {"quarters": int(len(backtest)), "mape": float(errors.abs().mean()) if len(errors) else np.nan,
            "bias": float(errors.mean()) if len(errors) else np.nan,
            "in_range": float(backtest["in_range"].mean()) if len(backtest) else np.nan}
