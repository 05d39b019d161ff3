"""The statistical and the pipeline forecasts backtested at the same past quarter starts, so that their errors on
the same quarters can weigh the blend (``demand.plan.method_weights``).

* **Pipeline**: ``demand.plan.pipeline_backtest`` — the pipeline as the stage history says it stood on the eve of
  each quarter, forecast as it would have been then.
* **Earlier reports**: without a stage history, each method's forecast of an earlier quarter as that quarter's own
  report made it (:func:`forecasts_made`): every method, the lead method's too.
* **Statistical**: the company's monthly bookings cut at the eve of each quarter (only whole months before it),
  forecast by the model chosen for the company total today (not chosen again at each origin: a slight advantage
  to this method, stated on the page), summed over the quarter's three months. A quarter whose eve leaves fewer
  than ``MIN_HISTORY_MONTHS`` months of history is not forecast.

A method's error is the mean over the quarters both methods forecast of |forecast ÷ actual − 1| (quarters that
booked nothing left out). Money in the company currency; inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops import deals, fiscal_calendar
from salesops.contract.schema import TEXT_DTYPE
from salesops.demand import forecast
from salesops.demand.forecast import ForecastSettings

#: Fewest months of history before a quarter's eve for the statistical method to be backtested on that quarter.
MIN_HISTORY_MONTHS = 12
COMPARISON_COLUMNS: tuple[str, ...] = ("quarter", "method", "forecast", "actual", "error")


def statistical_backtest(total_series: pd.DataFrame, model: str, quarter_starts: Sequence,
                         settings: ForecastSettings, fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """The company-total forecast of each quarter starting on one of ``quarter_starts``, made on its eve.

    ``total_series``: the long series of the company total (``unique_id`` ``total``, monthly ``ds``, ``y``);
    ``model``: the model chosen for it (the backtest table's ``model``). Columns ``quarter``, ``forecast``
    (the base forecast summed over the quarter). Monthly series only: weekly ones give an empty frame."""
    rows = []
    if settings.freq == "M":
        freq = fiscal_calendar.quarter_freq(fiscal_year_start_month)
        for start in quarter_starts:
            start = pd.Timestamp(start).normalize()
            history = total_series.loc[total_series["ds"] < start]
            if history["y"].gt(0).cumsum().gt(0).sum() < MIN_HISTORY_MONTHS:
                continue
            cut = settings.model_copy(update={"horizon_quarters": 0})
            predicted = forecast.forecast(history[["unique_id", "ds", "y"]], cut,
                                          pd.DataFrame({"unique_id": [forecast.TOTAL_ID], "model": [model]}))
            in_quarter = predicted["ds"].between(start, start.to_period(freq).end_time)
            rows.append((fiscal_calendar.quarter_label(start.to_period(freq)),
                         float(predicted.loc[in_quarter, "mean"].sum())))
    return pd.DataFrame(rows, columns=["quarter", "forecast"]).astype({"quarter": TEXT_DTYPE, "forecast": "float64"})


def compare_methods(pipeline: pd.DataFrame, statistical: pd.DataFrame) -> pd.DataFrame:
    """Both methods on the quarters both forecast: one row per quarter and method with ``forecast`` (base),
    ``actual`` (bookings of the quarter) and ``error`` (forecast ÷ actual − 1; NaN when nothing was booked).
    ``pipeline``: ``pipeline_backtest``'s frame; ``statistical``: :func:`statistical_backtest`'s."""
    both = pipeline[["quarter", "base", "actual"]].merge(statistical, on="quarter", how="inner")
    frames = [both.assign(method=name, forecast=both[column]) for name, column in
              (("statistical", "forecast"), ("pipeline", "base"))]
    out = pd.concat(frames, ignore_index=True)
    out["error"] = deals.ratio(out["forecast"], out["actual"]) - 1
    return out[list(COMPARISON_COLUMNS)].sort_values(["quarter", "method"], kind="stable").reset_index(drop=True)


def forecasts_made(comparisons: dict[str, pd.DataFrame], opportunities: pd.DataFrame, as_of,
                   fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """Each method's base forecast of an earlier quarter as that quarter's own report made it (``comparisons``:
    quarter label → the report's ``demand_comparison``), against what the quarter booked in ``opportunities``
    (today's data, known to ``as_of``): the forecasts really made, every method's (the lead method's too).
    Quarters not over by ``as_of`` are left out. Columns as :func:`compare_methods`."""
    won = deals.won_mask(opportunities)
    frames = []
    for label, comparison in sorted(comparisons.items()):
        start = fiscal_calendar.quarter_start(label, fiscal_year_start_month)
        end = fiscal_calendar.quarter_end(label, fiscal_year_start_month).normalize()
        if end > pd.Timestamp(as_of):
            continue
        made = comparison[(comparison["scenario"] == "base") & (comparison["method"] != "blended")]
        actual = float(opportunities.loc[won & opportunities["close_date"].between(start, end).to_numpy(bool),
                                         "amount"].sum())
        frames.append(pd.DataFrame({"quarter": label, "method": made["method"].astype(str).to_numpy(),
                                    "forecast": made["bookings"].astype(float).to_numpy(), "actual": actual}))
    if not frames:
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    out = pd.concat(frames, ignore_index=True).sort_values(["quarter", "method"], kind="stable")
    out["error"] = deals.ratio(out["forecast"], out["actual"]) - 1
    return out[list(COMPARISON_COLUMNS)].astype({"quarter": TEXT_DTYPE, "method": TEXT_DTYPE}).reset_index(drop=True)


def method_errors(comparison: pd.DataFrame) -> dict[str, float] | None:
    """Each method's mean absolute error over the compared quarters (a fraction), for the blend weights; None
    when no quarter could be compared."""
    errors = comparison.dropna(subset=["error"]).groupby("method")["error"].apply(lambda e: float(np.abs(e).mean()))
    return {str(method): value for method, value in errors.items()} or None
