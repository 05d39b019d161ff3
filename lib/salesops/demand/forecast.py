"""Step 2: the statistical forecast of bookings (and lead volume) per level of a sales hierarchy.

The flow, one function per step (``forecast_step`` runs them all)::

    series   = series_from_bookings(opportunities, settings.levels, end=as_of)   # long frame
    metrics  = cross_validate(series, settings)        # rolling-origin backtest, per series x model
    chosen   = select_models(metrics)                  # mean of each series' k best (k by backtest)
    raw      = forecast(series, settings, chosen)      # chosen model per series, with intervals
    coherent = reconcile(raw, series, settings)        # lower levels add up to higher ones
    table    = scenarios(coherent)                     # downside / base / upside
    trust    = backtest_table(metrics, chosen)         # how far to trust each forecast

Conventions shared by every function in this module (those of ``collect/kpis.py`` where they overlap):

* **Long format** (statsforecast's): one row per series and period, columns ``unique_id`` (text), ``ds``
  (first day of the period, a midnight Timestamp) and ``y`` (float), plus the level columns (e.g.
  ``region``, ``segment``). Periods (``ForecastSettings.freq``): ``"M"`` calendar month, ``"W"`` week
  Monday–Sunday. A quarter is 3 months or 13 weeks; a year 12 months or 52 weeks.
* **Levels and series ids.** A level is a list of columns; ``[]`` is the company total. The default
  ``[[], ["region"], ["region", "segment"]]`` gives the total, one series per region and one per region x
  segment. ``unique_id`` is ``"total"`` for ``[]``, else ``column=value`` pairs joined with ``/`` in the
  level's column order: ``"region=EMEA"``, ``"region=EMEA/segment=MM"``. A level column is empty (NA) on
  the rows of the levels that do not split by it (``segment`` is NA on ``"region=EMEA"``). The most
  detailed level (the *bottom*) must contain every column the other levels use, so each series of a
  higher level is the sum of bottom series.
* **History of a series**: its periods from its first non-zero value to the last period. Leading zeros
  (a region that had not started selling yet) are dropped before any model sees the series; a series with
  no non-zero value keeps its zeros.
* Money is in the company currency; ``smape`` and ``bias`` are fractions (0.1 means 10 %); ``mase`` is a
  ratio (1.0 = as good as the seasonal naive forecast was in-sample).
* Inputs are never modified; outputs are new DataFrames with a fresh 0..n-1 index, text columns as
  ``schema.TEXT_DTYPE``. Bad arguments raise ``ValueError`` naming the argument and what is accepted.

**Models** (statsforecast's, names as in ``MODELS``): ``AutoETS``, ``AutoARIMA``, ``AutoTheta``,
``SeasonalNaive`` (the same month last year), ``HoltWinters`` (additive Holt-Winters: level, trend and season
always, where AutoETS may drop the trend or season on a short history), ``AutoCES`` (complex exponential
smoothing), ``DynamicOptimizedTheta``, ``MSTL`` (weekly only: a 13-week and a 52-week season with an ETS
trend) and ``Ensemble`` (the mean of the other models listed). A model that fails on a series is replaced by
``SeasonalNaive`` for that series (statsforecast's ``fallback_model``).

**Cross-validation** (``cross_validate``): statsforecast's ``StatsForecast.cross_validation`` with an
expanding window: ``cv_windows`` origins ``cv_step`` months apart, the last one ``h`` periods before the
end of history. ``h`` (``cv_horizon``):

* ``"auto"`` (default): the whole forecast horizon (12 months by default) for a series whose history
  leaves at least three seasons of training before the first origin (horizon + the other windows + 3
  seasons: 54 months by default), else one quarter. Selecting on the horizon that is forecast is the
  textbook choice and the better one on long histories (US retail sales, 30 years: 1.133 vs 1.233 MASE
  in ``benchmarks/forecast_accuracy.py``); on three or four years of history a year-long backtest leaves
  18–30 months to train on and picked worse models (synthetic series: 1.006 vs 0.979; Superstore: 1.232
  vs 1.195), so short histories backtest the planned quarter. The rule was settled with those backtests
  in view — one long real series argues for its first half.
* ``"quarter"``: always one quarter: each origin plays the start of a planning quarter and forecasts that
  quarter (3 windows a quarter apart hold out 9 months, so three years of data still train on 27).
* ``"full"``: always the whole horizon (series too short for it fall back, see *Short series*).

MASE is compared within a series only, so series backtested over different ``h`` are selected alike;
``cv_h`` in the output says which. The ensemble's backtest forecast is the mean of its members' backtest
forecasts (no refit).

**Metrics** (``cv_metrics``), per series x model over its backtest points:

* ``mase``: per window, the mean absolute error divided by the *scale*: the mean absolute error of the
  seasonal naive forecast in-sample, i.e. mean ``|y[t] - y[t - season_length]|`` over the training part
  of that window; then the mean over windows. Where that scale is zero (the history repeats exactly) or
  cannot be computed (training shorter than a season + 1) the lag-1 naive MAE is used, then the mean
  ``|y|``, then 1, so MASE stays finite.
* ``smape``: mean of ``2 |f - y| / (|f| + |y|)`` (0 where both are 0); from 0 to 2.
* ``bias``: (mean forecast - mean actual) / mean actual; positive = over-forecast; NaN when the mean
  actual is 0.

**Selection** (``select_models``). With ``combine`` (default) each series is forecast by the **mean of its
k best candidates** (lowest backtest MASE; labelled ``"AutoETS + HoltWinters"``), with one ``k`` for all the
series of a call, chosen by the backtest itself: for each window, the candidates are ranked on the *other*
windows and the mean of the first ``k`` is scored on the window left out (``top_k_backtest``); the ``k``
with the lowest mean of these leave-one-window-out MASEs over the series wins (k = 1 is the single best
model, k = all the ensemble). Why: with 3 windows on a short history the single lowest MASE is a noisy pick,
averaging the few best is the usual remedy, and how many to average is itself chosen on the training data,
not fixed. ``k`` is pooled over the series because a per-series ``k`` would rest on 3 windows. In the outer
backtest of ``benchmarks/forecast_accuracy.py`` this rule, with the seven candidates, gave MASE 1.144 on
US retail sales (previous default, one of five models per series: 1.133) and 1.124 on Superstore's 17
series (1.195; there k came out as all seven, the ensemble); the candidates and the rule were compared on
synthetic series too (benchmarks/README.md, *Forecast accuracy*). Without ``combine``: the lowest MASE per series among the models in ``settings.models``. Ties
(within a relative 1e-6) go to the simpler model, in the order of ``SIMPLICITY`` (fewest parameters first;
the ensemble needs all its members); the same order breaks ties in the ranking. ``SeasonalNaive`` is always
backtested as the baseline of ``backtest_table``; it is selectable only when listed in ``models``.

**Short series** (history shorter than ``min_history`` months, or too short for the backtest windows
plus one season) are not cross-validated: they are forecast by ``SeasonalNaive`` when they have at least
one season + 1 periods of history, else by ``HistoricAverage`` (the mean of their history), and the
``note`` column says so.

**Forecast** (``forecast``): statsforecast ``StatsForecast.forecast`` is run once per *group of series
that need the same models* (a series that chose AutoETS needs AutoETS only; one that chose the ensemble
needs all members, a combination its members), not all candidates on every series. It is the faster option because AutoARIMA costs
about 6x AutoETS and 50x AutoTheta (per fit, 36–48 months: 190, 32 and 4 ms) and is chosen for only a
quarter to a half of the series: on 1,000 synthetic series the forecast stage took 73 s on 2 cores where
fitting every candidate on every series would take about 113 s. Intervals are statsforecast's own (``levels_pct``). The
**ensemble's** (and a **combination's**) mean is the mean of the members' means and its bounds the means of
the members' bounds —
an approximation: the members' errors are correlated but not identical, so this is neither the interval
of the averaged forecast nor calibrated; read it as a rough band. With ``nonnegative`` (default, money
and counts cannot be negative) means and bounds are clipped at 0, in the backtest too.

**Reconciliation** (``reconcile``), so that every level adds up exactly, per period, for the mean:

* ``bottom_up`` (default): keep the bottom series' forecasts, sum them for every higher series.
* ``top_down``: split the forecast of each series of the *top* level (fewest columns, usually the total)
  among its bottom series in proportion to their share of its history over the last ``season_length``
  periods (Gross & Sohl's proportions of historical sums over the last year; equal shares when that sum
  is 0), then sum up again.
* ``middle_out``: the same from the middle level (``levels`` sorted top to bottom, the one at index
  ``len // 2``: ``["region"]`` by default): regions are forecast by their own models, split down by
  historical shares and summed up for the total.
* ``min_trace``: MinT with structural scaling (WLS-s of Wickramasuriya, Athanasopoulos & Hyndman): bottom
  = ``(S' W^-1 S)^-1 S' W^-1 y_hat`` with ``S`` the summing matrix and ``W`` the diagonal of the number
  of bottom series under each series; every level's forecast contributes. Implemented here in a few lines
  of numpy/scipy, so it does not need hierarchicalforecast; it does not use forecast-error covariances
  (MinT-shrink would need every model's in-sample residuals).

With ``nonnegative`` a negative reconciled bottom forecast is set to 0 before summing, so levels still add
up. **Intervals are not reconciled**: each series keeps its own model's interval *relative to its mean*
(bounds multiplied by reconciled mean / fitted mean; shifted by the change when the fitted mean is 0,
then clipped at 0). Interval bounds do not add up (the sum of regions' 80 %
lower bounds is well below the total's 80 % lower bound, because the regions' errors partly cancel), so
the total's interval is the one to quote for the total.

**Engines**: ``engine="local"`` runs statsforecast in this process with ``n_jobs`` worker processes (-1:
all cores). ``engine="dask"`` hands the same models to statsforecast's Fugue backend on a
dask.distributed cluster (``dask_address``, or a LocalCluster with one single-threaded worker per core):
``StatsForecast.cross_validation/forecast(df=<dask DataFrame>)``. Everything else (metrics, selection,
ensemble, reconciliation) is the same code, so the results equal the local engine's up to the Fugue
backend's float32 output (relative differences around 1e-7).

**Speed** (``benchmarks/forecast_speed.py``, 2 cores, 36–48 months per series). The full candidate set costs
about 0.75 s of one core per series (3 backtest windows re-estimated at each + the forecast): 2.7 series/s,
so 1,000 series take 6 minutes and 10,000 about an hour (measured before ``combine`` and the three added
models; with them 1,000 series took 10.5 minutes on a machine shared with another benchmark, an upper bound). Profiled per model on 200 series (backtest +
forecast, wall time on 2 cores): AutoARIMA 362 ms a series, AutoETS 61, AutoTheta 10, SeasonalNaive 2 — the
ARIMA order search is 80 % of the time, and its ``approximation`` option does not shorten it (350 ms).
``cv_refit=False`` (estimate once in the backtest) gives 5.5–6.6 series/s (10,000 in 30 minutes) for a 1 %
worse holdout MASE. Hence ``profile`` (default ``"auto"``): the *full* profile up to ``fast_above_series``
(1,000) series, above it the *fast* one (``FAST_PROFILE`` for the default candidates: all but AutoARIMA,
estimated once), about 13x faster. The three cheaper candidates added with ``combine`` (HoltWinters, AutoCES,
DynamicOptimizedTheta: about 7, 4 and 2 ms a series estimated once, AutoETS 28) and the combination (a
few numpy operations on the backtest frame, then k models per series in the forecast) left it at 10,000
series in 6.2 minutes, with a synthetic holdout MASE of 0.906 where the fast profile without them gave 1.035
(seasonal naive: 1.148). ``cross_validate`` and ``forecast`` resolve the profile on the number of series
they are given (``ForecastSettings.for_series``); ``forecast_step`` resolves it once and reports it in
``ForecastResult.settings``.

Only pandas, numpy and pydantic are imported at module level (statsforecast, scipy and dask are imported
when used), so ``settings/loader.py`` can embed ``ForecastSettings`` cheaply.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import logging
import math
import numbers
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from salesops.checks import as_timestamp
from salesops.contract.schema import TEXT_DTYPE

# --------------------------------------------------------------------------------------------------
# constants

#: Models that can be listed in ``ForecastSettings.models``.
MODELS: tuple[str, ...] = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES",
                           "DynamicOptimizedTheta", "MSTL", "Ensemble")

#: Models from simplest to most complex: a tie in MASE goes to the one listed first.
SIMPLICITY: tuple[str, ...] = ("SeasonalNaive", "AutoTheta", "DynamicOptimizedTheta", "HoltWinters", "AutoETS",
                               "AutoCES", "AutoARIMA", "MSTL", "Ensemble")

#: Joins the members of a combination in its model label: ``"AutoETS + HoltWinters"`` is their mean.
COMBINATION_SEPARATOR = " + "

#: Model of a series too short for anything else: the mean of its history.
MEAN_MODEL = "HistoricAverage"

#: Baseline every series is backtested with (``backtest_table``'s ``seasonal_naive_mase``).
BASELINE = "SeasonalNaive"

#: Reconciliation methods (see the module notes).
RECONCILIATIONS: tuple[str, ...] = ("bottom_up", "top_down", "middle_out", "min_trace")

#: ``unique_id`` of the company-total series (the level ``[]``).
TOTAL_ID = "total"

#: Default hierarchy: total, region, region x segment.
DEFAULT_LEVELS: tuple[tuple[str, ...], ...] = ((), ("region",), ("region", "segment"))

#: Default candidate models.
DEFAULT_MODELS: tuple[str, ...] = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES",
                                   "DynamicOptimizedTheta", "Ensemble")

#: Settings for thousands of series: about 1/13 of the default's time (no AutoARIMA, models estimated once in
#: the backtest): 10,000 series in about 6 minutes on 2 cores. benchmarks/forecast_speed.py shows the accuracy
#: it gives up. What ``profile: fast`` makes of the default candidates.
FAST_PROFILE: dict[str, Any] = {"models": ("AutoETS", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES",
                                           "DynamicOptimizedTheta", "Ensemble"), "cv_refit": False}

#: ``ForecastSettings.profile`` values.
PROFILES: tuple[str, ...] = ("auto", "full", "fast")

#: The model the fast profile leaves out: most of the full profile's time (AutoARIMA: about 360 ms per series on
#: 2 cores, AutoETS 60, AutoTheta 10, SeasonalNaive 2; 3 re-estimated backtest windows + the forecast).
_SLOW_MODEL = "AutoARIMA"

FREQS: tuple[str, ...] = ("M", "W")
_PANDAS_PERIOD = {"M": "M", "W": "W-SUN"}  # a week ends on Sunday, so it starts on Monday
_STATSFORECAST_FREQ = {"M": "MS", "W": "W-MON"}  # period starts
_PER_QUARTER = {"M": 3, "W": 13}
_PER_YEAR = {"M": 12, "W": 52}
_TIE = 1e-6  # relative MASE difference still counted as a tie
_ZERO_SCALE = 1e-9  # a scale below this fraction of the mean |y| counts as zero

_SERIES_KEYS = ("unique_id", "ds", "y")


# --------------------------------------------------------------------------------------------------
# settings


def _nearest(value: Any, accepted: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for the accepted name closest to ``value``, case-insensitively; else ''."""
    lowered = {name.lower(): name for name in accepted}
    close = difflib.get_close_matches(str(value).lower(), list(lowered), n=1, cutoff=0.5)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""


def _check_levels(levels: Any, name: str = "levels") -> tuple[tuple[str, ...], ...]:
    """``levels`` as a tuple of column tuples, sorted top (fewest columns) to bottom; ValueError otherwise."""
    example = "[[], ['region'], ['region', 'segment']]"
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or len(levels) == 0:
        raise ValueError(f"{name} must be a non-empty list of levels, each a list of column names, e.g. {example}; "
                         f"got {levels!r}")
    checked: list[tuple[str, ...]] = []
    for index, level in enumerate(levels):
        if isinstance(level, (str, bytes)) or not isinstance(level, Sequence):
            raise ValueError(f"{name}[{index}] must be a list of column names (use [] for the total, ['region'] "
                             f"for one column), e.g. {example}; got {level!r}")
        for column in level:
            if not isinstance(column, str) or not column.strip():
                raise ValueError(f"{name}[{index}]: {column!r} is not a column name; column names are non-empty "
                                 f"text, e.g. 'region'")
        if len(set(level)) != len(level):
            raise ValueError(f"{name}[{index}] lists a column more than once: {list(level)}; list each column once")
        checked.append(tuple(level))
    if len({frozenset(level) for level in checked}) != len(checked):
        raise ValueError(f"{name} lists the same level twice: {[list(level) for level in checked]}")
    ordered = tuple(sorted(checked, key=len))
    bottom = ordered[-1]
    used = [column for level in ordered for column in level]
    missing = [column for column in dict.fromkeys(used) if column not in bottom]
    if missing or (len(ordered) > 1 and len(ordered[-2]) == len(bottom)):
        raise ValueError(
            f"{name}: the most detailed level {list(bottom)} must contain every column the other levels use "
            f"(missing {missing}), so each higher series is a sum of bottom series; add a level such as "
            f"{list(dict.fromkeys(used))}"
        )
    return ordered


def _whole(value: Any, name: str, minimum: int, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, e.g. {example}; got {value!r}")
    return int(value)


class ForecastSettings(BaseModel):
    """How bookings (or leads) are forecast (the ``forecast:`` block of the params).

    * ``freq`` (``"M"``): ``"M"`` calendar months or ``"W"`` weeks starting Monday.
    * ``levels`` (``[[], [region], [region, segment]]``): the hierarchy, each level a list of columns;
      ``[]`` is the company total. The most detailed level must contain every column used.
    * ``models`` (``[AutoETS, AutoARIMA, AutoTheta, SeasonalNaive, HoltWinters, AutoCES,
      DynamicOptimizedTheta, Ensemble]``): candidates, any of ``MODELS``; ``MSTL`` only with ``freq: W``;
      ``Ensemble`` (mean of the others) needs two others.
    * ``season_length`` (null): periods per season; null means a year (12 months or 52 weeks).
    * ``horizon_quarters`` (3): quarters forecast *after* the planned quarter; the horizon is the planned
      quarter plus these, 3 -> 4 quarters = 12 months (52 weeks). 0 forecasts the planned quarter only.
    * ``cv_windows`` (3), ``cv_step`` (3): backtest origins and the months between them.
    * ``cv_horizon`` (``"auto"``): periods each backtest window forecasts: ``"quarter"``, the ``"full"``
      horizon, or ``"auto"``: the full horizon where the history leaves 3 seasons of training before the
      first origin, else a quarter (module notes).
    * ``cv_refit`` (true): re-estimate every model at every backtest origin; false estimates them once, at
      the first origin, and only updates their state with the later data (statsforecast's ``refit=False``,
      about 3x faster, slightly pessimistic for the later windows).
    * ``selection_metric`` (``"mase"``): the metric a series' model is chosen by (only MASE for now).
    * ``combine`` (true): forecast each series by the mean of its ``k`` candidates with the lowest backtest
      MASE, ``k`` chosen for all the series of a call by a leave-one-window-out backtest (module notes,
      *Selection*); false: each series' single best model (``Ensemble`` included). Needs 2+ backtest windows.
    * ``levels_pct`` ([80, 95]): prediction-interval levels, percent.
    * ``reconciliation`` (``"bottom_up"``): ``bottom_up``, ``top_down``, ``middle_out`` or ``min_trace``.
    * ``engine`` (``"local"``), ``n_jobs`` (-1 = all cores), ``dask_address`` (null = start a LocalCluster
      when ``engine: dask``).
    * ``min_history`` (24): months of history (from the first non-zero value) a series needs to be
      cross-validated; shorter ones fall back to SeasonalNaive or the mean of their history.
    * ``nonnegative`` (true): clip forecasts and bounds at 0 (money and counts).
    * ``profile`` (``"auto"``): ``"full"`` uses ``models`` and ``cv_refit`` as set; ``"fast"`` leaves
      AutoARIMA out of ``models`` (and Ensemble when fewer than two other models remain) and estimates the
      models once in the backtest (``cv_refit`` false); ``"auto"``: full for up to ``fast_above_series``
      series, fast above (see :meth:`for_series` and "Speed" in the module notes).
    * ``fast_above_series`` (1000): with ``profile: auto``, the number of series above which the fast
      profile is used.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    freq: str = Field("M", description="Period: 'M' calendar month or 'W' week starting Monday.")
    levels: tuple[tuple[str, ...], ...] = Field(DEFAULT_LEVELS, description="Hierarchy levels, each a list of columns.")
    models: tuple[str, ...] = Field(DEFAULT_MODELS, description="Candidate models; Ensemble = mean of the others.")
    season_length: int | None = Field(None, description="Periods per season; null = a year (12 or 52).")
    horizon_quarters: int = Field(3, description="Quarters forecast after the planned quarter.")
    cv_windows: int = Field(3, description="Rolling-origin backtest windows.")
    cv_step: int = Field(3, description="Months between backtest origins.")
    cv_horizon: str = Field("auto", description="Backtest forecast length: 'auto', 'quarter' or 'full' horizon.")
    cv_refit: bool = Field(True, description="Re-estimate the models at every backtest origin (false: once).")
    selection_metric: str = Field("mase", description="Metric the model of each series is chosen by.")
    combine: bool = Field(True, description="Forecast each series by the mean of its k best candidates, k chosen by "
                                            "leave-one-window-out backtest (false: its single best model).")
    levels_pct: tuple[int, ...] = Field((80, 95), description="Prediction-interval levels, percent.")
    reconciliation: str = Field("bottom_up", description="bottom_up, top_down, middle_out or min_trace.")
    engine: str = Field("local", description="'local' (processes on this machine) or 'dask'.")
    n_jobs: int = Field(-1, description="Local worker processes; -1 = all cores.")
    dask_address: str | None = Field(None, description="Dask scheduler address; null = start a LocalCluster.")
    min_history: int = Field(24, description="Months of history a series needs to be cross-validated.")
    nonnegative: bool = Field(True, description="Clip forecasts and bounds at 0.")
    profile: str = Field("auto", description="'full', 'fast' (no AutoARIMA, estimated once) or 'auto' (fast above "
                                             "fast_above_series series).")
    fast_above_series: int = Field(1000, description="With profile auto: series above which the fast profile runs.")

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"profile must be 'auto' (full up to fast_above_series series, fast above), 'full' "
                             f"(models as listed) or 'fast' (no AutoARIMA, models estimated once in the backtest)"
                             f"{_nearest(value, PROFILES)}; got {value!r}")
        return value

    @field_validator("fast_above_series", mode="before")
    @classmethod
    def _fast_above(cls, value: Any) -> int:
        return _whole(value, "fast_above_series", 0, 1000)

    @field_validator("freq", mode="before")
    @classmethod
    def _freq(cls, value: Any) -> str:
        key = value.upper() if isinstance(value, str) else None
        if key not in FREQS:
            raise ValueError(f"freq must be 'M' (calendar months) or 'W' (weeks starting Monday); got {value!r}")
        return key

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> tuple[tuple[str, ...], ...]:
        return _check_levels(value)

    @field_validator("models", mode="before")
    @classmethod
    def _models(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, Sequence) or not value:
            raise ValueError(f"models must be a non-empty list of {', '.join(MODELS)}; got {value!r}")
        for name in value:
            if name not in MODELS:
                raise ValueError(f"unknown model {name!r}{_nearest(name, MODELS)}; accepted: {', '.join(MODELS)}")
        repeated = sorted({name for name in value if list(value).count(name) > 1})
        if repeated:
            raise ValueError(f"models lists {', '.join(repeated)} more than once; list each model once")
        if "Ensemble" in value and len(value) < 3:
            raise ValueError(
                f"Ensemble is the mean of the other models and needs at least two of them; got {list(value)}, "
                "e.g. [AutoETS, AutoTheta, SeasonalNaive, Ensemble]"
            )
        return tuple(value)

    @field_validator("season_length", mode="before")
    @classmethod
    def _season_length(cls, value: Any) -> int | None:
        return None if value is None else _whole(value, "season_length", 2, 12)

    @field_validator("horizon_quarters", mode="before")
    @classmethod
    def _horizon(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            quarters = f"{1 + value} quarters; " if isinstance(value, numbers.Integral) else ""
            raise ValueError(
                f"horizon_quarters {value!r} gives a horizon of {quarters}the horizon must be at least 1 quarter "
                "(the planned quarter). horizon_quarters counts the quarters forecast after the planned quarter: "
                "use 0 or more, e.g. 3"
            )
        return int(value)

    @field_validator("cv_windows", mode="before")
    @classmethod
    def _cv_windows(cls, value: Any) -> int:
        return _whole(value, "cv_windows", 1, 3)

    @field_validator("cv_step", mode="before")
    @classmethod
    def _cv_step(cls, value: Any) -> int:
        return _whole(value, "cv_step (months between backtest origins)", 1, 3)

    @field_validator("min_history", mode="before")
    @classmethod
    def _min_history(cls, value: Any) -> int:
        return _whole(value, "min_history (months)", 1, 24)

    @field_validator("cv_horizon")
    @classmethod
    def _cv_horizon(cls, value: str) -> str:
        if value not in ("auto", "quarter", "full"):
            raise ValueError(f"cv_horizon must be 'auto' (the whole horizon where the history is long enough, "
                             f"else a quarter), 'quarter' or 'full' (the whole horizon); got {value!r}")
        return value

    @field_validator("selection_metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value != "mase":
            raise ValueError(f"selection_metric must be 'mase' (the only metric models are chosen by); got {value!r}")
        return value

    @field_validator("levels_pct", mode="before")
    @classmethod
    def _levels_pct(cls, value: Any) -> tuple[int, ...]:
        values = [value] if isinstance(value, numbers.Real) else value
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            raise ValueError(f"levels_pct must be a list of interval levels in percent, e.g. [80, 95]; got {value!r}")
        for level in values:
            if isinstance(level, bool) or not isinstance(level, numbers.Integral) or not 0 < level < 100:
                raise ValueError(
                    f"levels_pct must hold whole percentages between 1 and 99, e.g. [80, 95]; got {value!r}")
        return tuple(sorted({int(level) for level in values}))

    @field_validator("reconciliation")
    @classmethod
    def _reconciliation(cls, value: str) -> str:
        if value not in RECONCILIATIONS:
            raise ValueError(f"unknown reconciliation {value!r}{_nearest(value, RECONCILIATIONS)}; accepted: "
                             f"{', '.join(RECONCILIATIONS)}")
        return value

    @field_validator("engine")
    @classmethod
    def _engine(cls, value: str) -> str:
        if value not in ("local", "dask"):
            raise ValueError(f"engine must be 'local' or 'dask'{_nearest(value, ('local', 'dask'))}; got {value!r}")
        return value

    @field_validator("n_jobs", mode="before")
    @classmethod
    def _n_jobs(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value == 0 or value < -1:
            raise ValueError(f"n_jobs must be -1 (all cores) or a number of processes >= 1; got {value!r}")
        return int(value)

    @model_validator(mode="after")
    def _consistent(self) -> "ForecastSettings":
        if "MSTL" in self.models and self.freq != "W":
            raise ValueError(
                "MSTL is for weekly series only (it separates a 13-week and a 52-week season): set freq: W or "
                f"remove MSTL from models; got freq {self.freq!r}"
            )
        return self

    # derived values, in periods of ``freq``

    @property
    def season(self) -> int:
        """Periods per season: ``season_length``, else a year (12 months or 52 weeks)."""
        return self.season_length or _PER_YEAR[self.freq]

    @property
    def horizon(self) -> int:
        """Periods forecast: the planned quarter plus ``horizon_quarters`` quarters."""
        return _PER_QUARTER[self.freq] * (1 + self.horizon_quarters)

    @property
    def cv_h(self) -> int:
        """Periods each backtest window forecasts (with ``"auto"``: for series too short for the full horizon)."""
        return self.horizon if self.cv_horizon == "full" else _PER_QUARTER[self.freq]

    @property
    def full_cv_min_periods(self) -> int:
        """With ``cv_horizon="auto"``: history a series needs to be backtested over the full horizon."""
        return self.horizon + self.cv_step_periods * (self.cv_windows - 1) + 3 * self.season

    @property
    def cv_step_periods(self) -> int:
        return _months_to_periods(self.cv_step, self.freq)

    @property
    def cv_test_size(self) -> int:
        """Periods held out by the backtest: ``cv_h + cv_step * (cv_windows - 1)``."""
        return self.cv_h + self.cv_step_periods * (self.cv_windows - 1)

    @property
    def min_history_periods(self) -> int:
        """Periods a series needs to be cross-validated: ``min_history`` and the backtest + one season + 1."""
        return max(_months_to_periods(self.min_history, self.freq), self.cv_test_size + self.season + 1)

    @property
    def candidates(self) -> tuple[str, ...]:
        """The statsforecast models listed (``models`` without Ensemble)."""
        return tuple(name for name in self.models if name != "Ensemble")

    def for_series(self, n_series: int) -> "ForecastSettings":
        """The settings that run on ``n_series`` series: ``profile`` resolved to ``"full"`` (these settings as
        they are) or ``"fast"`` (``models`` without AutoARIMA, and without Ensemble when fewer than two other
        models remain, unless that leaves no model; ``cv_refit`` false). Resolved settings resolve to themselves.
        """
        n_series = _whole(n_series, "n_series", 0, 100)
        fast = self.profile == "fast" or (self.profile == "auto" and n_series > self.fast_above_series)
        if not fast:
            return self if self.profile == "full" else self.model_copy(update={"profile": "full"})
        models = [name for name in self.models if name != _SLOW_MODEL] or list(self.models)
        if "Ensemble" in models and len(models) < 3:
            models.remove("Ensemble")
        return self.model_copy(update={"profile": "fast", "models": tuple(models), "cv_refit": False})


def _months_to_periods(months: int, freq: str) -> int:
    return months if freq == "M" else max(1, round(months * 52 / 12))


def _settings(settings: ForecastSettings | None) -> ForecastSettings:
    if settings is None:
        return ForecastSettings()
    if not isinstance(settings, ForecastSettings):
        raise ValueError(
            f"settings must be a ForecastSettings (or None for the defaults); got {type(settings).__name__}")
    return settings


# --------------------------------------------------------------------------------------------------
# 1. series


def series_id(level: Sequence[str], values: Sequence[Any]) -> str:
    """``unique_id`` of the series of ``level`` with ``values``: ``"total"`` or ``"region=EMEA/segment=MM"``."""
    if not level:
        return TOTAL_ID
    return "/".join(f"{column}={value}" for column, value in zip(level, values))


def _attach(frame: pd.DataFrame, columns: list[str], lookup: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """``frame`` with the level ``columns`` it lacks taken from ``lookup`` (joined on their shared columns)."""
    missing = [column for column in columns if column not in frame.columns]
    if not missing:
        return frame
    if lookup is not None:
        if not isinstance(lookup, pd.DataFrame):
            raise ValueError(f"segment_columns must be a DataFrame (a lookup such as reps[['rep_id', 'region', "
                             f"'segment']]) or None; got {type(lookup).__name__}")
        keys = [column for column in lookup.columns if column in frame.columns and column not in columns]
        taken = [column for column in missing if column in lookup.columns]
        if keys and taken:
            if lookup.duplicated(keys).any():
                raise ValueError(f"segment_columns must have one row per {keys}; some keys appear more than once")
            frame = frame.merge(lookup[[*keys, *taken]], on=keys, how="left", validate="many_to_one")
            missing = [column for column in missing if column not in taken]
    if missing:
        available = list(frame.columns) + ([c for c in lookup.columns if c not in frame.columns]
                                           if isinstance(lookup, pd.DataFrame) else [])
        hint = _nearest(missing[0], [str(c) for c in available])
        raise ValueError(
            f"levels: column {missing[0]!r}{hint} is not in the {table} table"
            f"{' nor in segment_columns (joined on a shared key column)' if lookup is not None else ''}; "
            f"available columns: {available}. Add it (e.g. salesops.collect.overview.attach_segments adds region and "
            "segment to opportunities) or change levels"
        )
    return frame


def series_from_counts(
    frame: pd.DataFrame,
    date_column: str,
    levels: Sequence[Sequence[str]] = DEFAULT_LEVELS,
    freq: str = "M",
    start=None,
    end=None,
    value_column: str | None = None,
    segment_columns: pd.DataFrame | None = None,
    table: str = "frame",
) -> pd.DataFrame:
    """Rows of ``frame`` per period and level as long series: the count of rows (or the sum of
    ``value_column``) dated by ``date_column``.

    Columns: ``unique_id, ds, y, <level columns...>`` (the level columns in the order they first appear in
    ``levels``). ``ds`` is the first day of the period; ``y`` float. A level column is NA on the rows of the
    levels that do not split by it; a missing value in the data becomes ``"Unknown"``.

    Only rows dated in ``[start, end]`` (both days included) count; defaults: the first and last date.
    Every series has every period from the one containing ``start`` to the one containing ``end``, zeros
    where nothing happened; a level's series are the value combinations that occur in range. The first
    and last period are partial when ``start``/``end`` are not period boundaries: pass the last day of the
    last complete period as ``end``. Rows: levels top to bottom, then by the level's values, then ``ds``.

    ``segment_columns``: an optional lookup table giving level columns ``frame`` lacks, joined on the
    columns it shares with ``frame`` (e.g. ``reps[["rep_id", "region", "segment"]]`` joined on rep_id).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{table} must be a DataFrame; got {type(frame).__name__}")
    levels = _check_levels(levels)
    freq = ForecastSettings._freq(freq)
    if date_column not in frame.columns:
        raise ValueError(f"date_column {date_column!r}{_nearest(date_column, [str(c) for c in frame.columns])} is not "
                         f"in the {table} table; it has {list(frame.columns)}")
    if value_column is not None and value_column not in frame.columns:
        raise ValueError(f"value_column {value_column!r} is not in the {table} table; it has {list(frame.columns)}")
    if not pd.api.types.is_datetime64_any_dtype(frame[date_column]):
        raise ValueError(f"{table}.{date_column} must hold dates (datetime64); got dtype {frame[date_column].dtype}")
    start = None if start is None else as_timestamp(start, "start")
    end = None if end is None else as_timestamp(end, "end")
    if start is not None and end is not None and start > end:
        raise ValueError(f"start ({start.date()}) must not be after end ({end.date()})")
    columns = list(dict.fromkeys(column for level in levels for column in level))
    frame = _attach(frame, columns, segment_columns, table)

    day = frame[date_column].dt.normalize()
    keep = day.notna().to_numpy(dtype=bool)
    if start is not None:
        keep &= (day >= start.normalize()).to_numpy(dtype=bool, na_value=False)
    if end is not None:
        keep &= (day <= end.normalize()).to_numpy(dtype=bool, na_value=False)
    rows = frame.loc[keep]
    period = _PANDAS_PERIOD[freq]
    first = start if start is not None else day[keep].min()
    last = end if end is not None else day[keep].max()
    out_columns = [*_SERIES_KEYS, *columns]
    if pd.isna(first) or pd.isna(last):
        return _empty_series(columns)
    periods = pd.period_range(first.to_period(period), last.to_period(period), freq=period)
    ds = pd.DatetimeIndex(periods.start_time).astype("datetime64[ns]")

    values = (rows[value_column].astype("float64") if value_column is not None
              else pd.Series(1.0, index=rows.index))
    data = pd.DataFrame({"ds": rows[date_column].dt.to_period(period).dt.start_time.astype("datetime64[ns]"),
                         "y": values.to_numpy(dtype="float64", na_value=0.0)})
    for column in columns:
        data[column] = rows[column].astype("string").str.strip().replace("", pd.NA).fillna("Unknown").to_numpy()

    pieces = []
    for level in levels:
        keys = list(level)
        if keys:
            totals = data.groupby([*keys, "ds"], sort=False)["y"].sum().rename("y").reset_index()
            combos = data[keys].drop_duplicates().sort_values(keys, kind="stable").reset_index(drop=True)
            combos.insert(0, "unique_id", [series_id(keys, values) for values in combos.itertuples(index=False)])
            block = combos.merge(pd.DataFrame({"ds": ds}), how="cross").merge(totals, on=[*keys, "ds"], how="left")
            block["y"] = block["y"].fillna(0.0)
        else:
            totals = data.groupby("ds")["y"].sum().reindex(ds, fill_value=0.0)
            block = pd.DataFrame({"unique_id": TOTAL_ID, "ds": ds, "y": totals.to_numpy(dtype="float64")})
        for column in columns:
            if column not in block.columns:
                block[column] = pd.NA
        pieces.append(block[out_columns])
    out = pd.concat(pieces, ignore_index=True)
    return out.astype({"unique_id": TEXT_DTYPE, "ds": "datetime64[ns]", "y": "float64",
                       **{column: TEXT_DTYPE for column in columns}})


def _empty_series(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": pd.array([], dtype=TEXT_DTYPE), "ds": pd.Series([], dtype="datetime64[ns]"),
                         "y": pd.Series([], dtype="float64"),
                         **{column: pd.array([], dtype=TEXT_DTYPE) for column in columns}})


def series_from_bookings(
    opportunities: pd.DataFrame,
    levels: Sequence[Sequence[str]] = DEFAULT_LEVELS,
    freq: str = "M",
    start=None,
    end=None,
    segment_columns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Bookings (``amount`` of won deals, by ``close_date``) per period and level as long series.

    Columns ``unique_id, ds, y, <level columns...>``; ``y`` in the company currency. A deal is won when
    ``is_won`` is true. Everything else as ``series_from_counts`` (period range, zero-filling, ids, order,
    ``segment_columns``). Canonical opportunities carry no region or segment: add them first with
    ``collect.overview.attach_segments(opportunities, reps, accounts)`` or pass a lookup as ``segment_columns``.
    """
    if not isinstance(opportunities, pd.DataFrame):
        raise ValueError(f"opportunities must be a DataFrame; got {type(opportunities).__name__}")
    missing = [column for column in ("close_date", "amount", "is_won") if column not in opportunities.columns]
    if missing:
        raise ValueError(f"opportunities is missing required column(s) {missing}; it has {list(opportunities.columns)}")
    won = opportunities.loc[opportunities["is_won"].fillna(False).to_numpy(dtype=bool)]
    return series_from_counts(won, "close_date", levels, freq, start, end, value_column="amount",
                              segment_columns=segment_columns, table="opportunities")


def _check_series(series: Any, name: str = "series") -> pd.DataFrame:
    """``series`` checked and reduced to ``unique_id`` (str), ``ds``, ``y`` (float), sorted; ValueError otherwise."""
    if not isinstance(series, pd.DataFrame):
        raise ValueError(f"{name} must be a long DataFrame with columns unique_id, ds, y (see series_from_bookings); "
                         f"got {type(series).__name__}")
    missing = [column for column in _SERIES_KEYS if column not in series.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; it has {list(series.columns)}. Build it with "
                         "series_from_bookings or series_from_counts")
    if len(series) == 0:
        raise ValueError(f"{name} is empty: there is nothing to forecast (no bookings in the date range?)")
    if not pd.api.types.is_datetime64_any_dtype(series["ds"]):
        raise ValueError(f"{name}.ds must hold period start dates (datetime64); got dtype {series['ds'].dtype}")
    y = pd.to_numeric(series["y"], errors="coerce").astype("float64")
    bad = y.isna() | ~np.isfinite(y)
    if bad.any():
        row = series.loc[bad].iloc[0]
        raise ValueError(f"{name}.y has {int(bad.sum())} missing or non-numeric value(s), e.g. unique_id "
                         f"{row['unique_id']!r} at {row['ds']}; fill periods with nothing with 0 or drop the series")
    out = pd.DataFrame({"unique_id": series["unique_id"].astype(str).to_numpy(dtype=object),
                        "ds": series["ds"].astype("datetime64[ns]").to_numpy(), "y": y.to_numpy()})
    if out.duplicated(["unique_id", "ds"]).any():
        row = out.loc[out.duplicated(["unique_id", "ds"])].iloc[0]
        raise ValueError(f"{name} has more than one row for unique_id {row['unique_id']!r} at {row['ds']}; "
                         "one row per series and period")
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _check_regular(frame: pd.DataFrame, freq: str, name: str = "series") -> None:
    """Every ``ds`` a period start of ``freq`` and no gaps within a series."""
    ds = frame["ds"]
    aligned = (ds == ds.dt.normalize()) & ((ds.dt.day == 1) if freq == "M" else (ds.dt.dayofweek == 0))
    if not aligned.all():
        bad = frame.loc[~aligned.to_numpy()].iloc[0]
        first = "the first day of a month" if freq == "M" else "a Monday"
        raise ValueError(f"{name}.ds must be period starts for freq {freq!r} ({first}); unique_id "
                         f"{bad['unique_id']!r} has {bad['ds']}")
    number = _period_number(ds, freq)
    same = frame["unique_id"].to_numpy() == np.roll(frame["unique_id"].to_numpy(), 1)
    gap = same & (number - np.roll(number, 1) != 1)
    gap[0] = False
    if gap.any():
        where = int(np.flatnonzero(gap)[0])
        before, after = frame["ds"].iloc[where - 1].date(), frame["ds"].iloc[where].date()
        raise ValueError(f"{name} has a gap between {before} and {after} in unique_id "
                         f"{frame['unique_id'].iloc[where]!r}: every period must be present (0 where nothing "
                         "happened); series_from_bookings fills them")


def _period_number(ds: pd.Series, freq: str) -> np.ndarray:
    """Consecutive integers for consecutive periods."""
    if freq == "M":
        return (ds.dt.year * 12 + ds.dt.month).to_numpy(dtype="int64")
    return ((ds - pd.Timestamp("1970-01-05")).dt.days // 7).to_numpy(dtype="int64")


def _trim(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop each series' leading zeros (a series with no non-zero value keeps all its rows)."""
    started = frame["y"].ne(0).groupby(frame["unique_id"], sort=False).cummax()
    never = ~frame["y"].ne(0).groupby(frame["unique_id"], sort=False).transform("any")
    return frame.loc[(started | never).to_numpy()].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# engines


def _model(name: str, settings: ForecastSettings):
    from statsforecast import models as sf

    m = settings.season
    if name == "AutoETS":
        return sf.AutoETS(season_length=m)
    if name == "AutoARIMA":
        return sf.AutoARIMA(season_length=m)
    if name == "AutoTheta":
        return sf.AutoTheta(season_length=m)
    if name == "SeasonalNaive":
        return sf.SeasonalNaive(season_length=m)
    if name == "HoltWinters":
        return sf.HoltWinters(season_length=m, error_type="A", alias="HoltWinters")
    if name == "AutoCES":
        return sf.AutoCES(season_length=m, alias="AutoCES")
    if name == "DynamicOptimizedTheta":
        return sf.DynamicOptimizedTheta(season_length=m, alias="DynamicOptimizedTheta")
    if name == "MSTL":
        quarter = _PER_QUARTER[settings.freq]
        seasons = sorted({quarter, m}) if m > quarter else [m]
        return sf.MSTL(season_length=seasons)
    if name == MEAN_MODEL:
        return sf.HistoricAverage()
    raise ValueError(f"unknown model {name!r}{_nearest(name, MODELS)}; accepted: {', '.join(MODELS)}")


class Engine:
    """Runs statsforecast locally or through its Fugue backend on a dask.distributed client; get one from
    ``open_engine``."""

    def __init__(self, client=None):
        self.client = client  # a dask.distributed Client, or None for the local engine

    def _frame(self, df: pd.DataFrame):
        if self.client is None:
            return df
        import dask.dataframe as dd

        workers = max(1, sum(self.client.nthreads().values()))
        return dd.from_pandas(df, npartitions=max(1, min(df["unique_id"].nunique(), 2 * workers)))

    def _statsforecast(self, names: Sequence[str], settings: ForecastSettings, fallback: bool):
        from statsforecast import StatsForecast

        return StatsForecast(
            models=[_model(name, settings) for name in names],
            freq=_STATSFORECAST_FREQ[settings.freq],
            n_jobs=settings.n_jobs if self.client is None else 1,
            fallback_model=_model(BASELINE, settings) if fallback else None,
        )

    @staticmethod
    def _local(result) -> pd.DataFrame:
        if hasattr(result, "compute"):
            result = result.compute()
        out = pd.DataFrame(result).reset_index(drop=True)
        out["unique_id"] = out["unique_id"].astype(str).to_numpy(dtype=object)
        for column in ("ds", "cutoff"):
            if column in out.columns:
                out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        for column in out.columns:
            if column not in ("unique_id", "ds", "cutoff"):
                out[column] = pd.Series(out[column]).to_numpy(dtype="float64", na_value=np.nan)
        return out

    def cross_validation(self, df: pd.DataFrame, names: Sequence[str], s: ForecastSettings) -> pd.DataFrame:
        with _quiet():
            result = self._statsforecast(names, s, fallback=True).cross_validation(
                h=s.cv_h, df=self._frame(df), n_windows=s.cv_windows, step_size=s.cv_step_periods,
                refit=s.cv_refit)
            return self._local(result).sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)

    def forecast(self, df: pd.DataFrame, names: Sequence[str], s: ForecastSettings) -> pd.DataFrame:
        fallback = MEAN_MODEL not in names
        with _quiet():
            result = self._statsforecast(names, s, fallback=fallback).forecast(
                h=s.horizon, df=self._frame(df), level=list(s.levels_pct))
            return self._local(result).sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the warnings and log lines statsforecast, fugue and dask print while they work."""
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.shuffle._scheduler_plugin", "fugue")]
    before = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, before):
                logger.setLevel(level)


@contextlib.contextmanager
def open_engine(settings: ForecastSettings | None = None) -> Iterator[Engine]:
    """The engine of ``settings``: local, or a dask.distributed client (to ``dask_address``, else a new
    LocalCluster with one single-threaded worker process per core) closed on exit. The public functions
    open one themselves; pass the one yielded here as ``engine=`` to share a cluster between calls (the
    engine only runs statsforecast: every other setting comes from the ``settings`` given to each call).

    A LocalCluster starts worker processes that import the calling script again: in a script (not a
    notebook) call this under ``if __name__ == "__main__":``, as dask requires."""
    settings = _settings(settings)
    if settings.engine == "local":
        yield Engine()
        return
    try:
        from distributed import Client, LocalCluster
        import dask.dataframe  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ValueError("engine 'dask' needs dask and distributed: pip install 'dask[distributed,dataframe]', or "
                         "set engine: local") from exc
    cluster = None
    with _quiet():
        if settings.dask_address:
            client = Client(settings.dask_address, set_as_default=True)
        else:
            cores = os.cpu_count() or 1
            before = os.environ.get("PYTHONWARNINGS")
            os.environ["PYTHONWARNINGS"] = "ignore"  # the worker processes inherit it: no warnings in the report
            try:
                cluster = LocalCluster(n_workers=cores, threads_per_worker=1, dashboard_address=None)
            finally:
                if before is None:
                    os.environ.pop("PYTHONWARNINGS", None)
                else:
                    os.environ["PYTHONWARNINGS"] = before
            client = Client(cluster, set_as_default=True)
    try:
        with client.as_current():
            yield Engine(client)
    finally:
        with _quiet():
            client.close()
            if cluster is not None:
                cluster.close()


@contextlib.contextmanager
def _engine(settings: ForecastSettings, engine: Engine | None) -> Iterator[Engine]:
    if engine is not None:
        if not isinstance(engine, Engine):
            raise ValueError("engine must be one yielded by forecast.open_engine(settings), or None")
        yield engine
    else:
        with open_engine(settings) as opened:
            yield opened


# --------------------------------------------------------------------------------------------------
# 2. cross-validation and metrics


def cv_metrics(cv: pd.DataFrame, series: pd.DataFrame, season_length: int,
               models: Sequence[str] | None = None) -> pd.DataFrame:
    """Backtest accuracy per series x model from a statsforecast cross-validation frame.

    ``cv``: columns ``unique_id, ds, cutoff, y`` and one forecast column per model (statsforecast's
    ``cross_validation`` output); ``models`` defaults to all other columns. ``series``: the history the
    models were trained on (``unique_id, ds, y``), which gives each window's MASE scale. Definitions of
    ``mase``, ``smape`` and ``bias`` in the module notes.

    Columns: ``unique_id, model, mase, smape, bias, windows`` (number of backtest origins); sorted by
    unique_id, then model in ``models`` order.
    """
    season_length = _whole(season_length, "season_length", 1, 12)
    missing = [column for column in ("unique_id", "ds", "cutoff", "y") if column not in cv.columns]
    if missing:
        raise ValueError(f"cv is missing column(s) {missing}; it has {list(cv.columns)} (statsforecast's "
                         "cross_validation output)")
    if models is None:
        models = [column for column in cv.columns if column not in ("unique_id", "ds", "cutoff", "y")]
    history = _check_series(series[list(_SERIES_KEYS)] if isinstance(series, pd.DataFrame) else series)
    cv = cv.assign(unique_id=cv["unique_id"].astype(str).to_numpy(dtype=object))

    scale = _window_scales(history, cv[["unique_id", "cutoff"]].drop_duplicates(), season_length)
    points = cv.merge(scale, on=["unique_id", "cutoff"], how="left")
    y = points["y"].to_numpy(dtype="float64")
    pieces = []
    for name in models:
        f = points[name].to_numpy(dtype="float64")
        error = np.abs(f - y)
        denominator = np.abs(f) + np.abs(y)
        smape = np.divide(2 * error, denominator, out=np.zeros_like(error), where=denominator > 0)
        smape[np.isnan(error)] = np.nan
        frame = pd.DataFrame({"unique_id": points["unique_id"].to_numpy(), "cutoff": points["cutoff"].to_numpy(),
                              "error": error, "scale": points["scale"].to_numpy(), "smape": smape, "f": f, "y": y})
        windows = frame.groupby(["unique_id", "cutoff"], sort=False).agg(
            mae=("error", "mean"), scale=("scale", "first"))
        mase = (windows["mae"] / windows["scale"]).groupby(level="unique_id", sort=False).agg(["mean", "size"])
        per_series = frame.groupby("unique_id", sort=False).agg(smape=("smape", "mean"), f=("f", "mean"),
                                                                y=("y", "mean"))
        actual = per_series["y"].where(per_series["y"] != 0)
        pieces.append(pd.DataFrame({
            "unique_id": per_series.index.to_numpy(),
            "model": name,
            "mase": mase["mean"].reindex(per_series.index).to_numpy(dtype="float64"),
            "smape": per_series["smape"].to_numpy(dtype="float64"),
            "bias": ((per_series["f"] - actual) / actual).to_numpy(dtype="float64"),
            "windows": mase["size"].reindex(per_series.index).to_numpy(dtype="int64"),
        }))
    if not pieces:
        return _empty_metrics()[["unique_id", "model", "mase", "smape", "bias", "windows"]]
    out = pd.concat(pieces, ignore_index=True)
    order = {name: index for index, name in enumerate(models)}
    out = out.assign(_order=out["model"].map(order)).sort_values(["unique_id", "_order"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True).astype({"unique_id": TEXT_DTYPE, "model": TEXT_DTYPE})


def _window_scales(history: pd.DataFrame, origins: pd.DataFrame, season_length: int) -> pd.DataFrame:
    """MASE scale of each (unique_id, cutoff): seasonal-naive in-sample MAE up to the cutoff, with fallbacks."""
    y = history["y"]
    group = history["unique_id"]
    seasonal = (y - y.groupby(group, sort=False).shift(season_length)).abs()
    naive = (y - y.groupby(group, sort=False).shift(1)).abs()
    sums = pd.DataFrame({
        "unique_id": group, "cutoff": history["ds"],
        "s_sum": seasonal.fillna(0.0).groupby(group, sort=False).cumsum(),
        "s_n": seasonal.notna().groupby(group, sort=False).cumsum(),
        "n_sum": naive.fillna(0.0).groupby(group, sort=False).cumsum(),
        "n_n": naive.notna().groupby(group, sort=False).cumsum(),
        "a_sum": y.abs().groupby(group, sort=False).cumsum(),
        "a_n": y.groupby(group, sort=False).cumcount() + 1,
    })
    at = origins.merge(sums, on=["unique_id", "cutoff"], how="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (at["s_sum"] / at["s_n"]).to_numpy(dtype="float64")
        n = (at["n_sum"] / at["n_n"]).to_numpy(dtype="float64")
        a = (at["a_sum"] / at["a_n"]).to_numpy(dtype="float64")
    floor = _ZERO_SCALE * np.nan_to_num(a)
    scale = np.where(s > floor, s, np.where(n > floor, n, np.where(a > 0, a, 1.0)))
    return pd.DataFrame({"unique_id": at["unique_id"].to_numpy(), "cutoff": at["cutoff"].to_numpy(), "scale": scale})


def top_k_backtest(cv: pd.DataFrame, series: pd.DataFrame, season_length: int,
                   models: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mean of each series' ``k`` best models in a backtest, for every ``k`` from 1 to ``len(models)``.

    ``cv``: statsforecast's cross-validation frame (``unique_id, ds, cutoff, y`` and one forecast column per
    model in ``models``); ``series``: the history (``unique_id, ds, y``), which gives each window's MASE
    scale. Every series needs the same number of points in each of its windows.

    Definitions, per series: a window's *window MASE* of a forecast is its mean absolute error over the
    window's points divided by the window's scale (``cv_metrics``); a model's backtest MASE is the mean of its
    window MASEs. The models are *ranked* by backtest MASE, ties (and failed, NaN, models last) in ``models``
    order. The *top-k mean* is, point by point, the mean of the forecasts of the first ``k`` models of the
    ranking. Its ``nested_mase`` is its leave-one-window-out MASE: for each window, the models are ranked on
    the *other* windows only, the mean of the first ``k`` is scored on the window left out, and the window
    MASEs are averaged; so it measures the whole rule "rank, then average the first k" on data the ranking
    did not see (NaN with a single window, where nothing can be left out).

    Returns ``(points, table)``: ``points`` = ``cv``'s ``unique_id, ds, cutoff, y`` with columns ``top1`` …
    ``top<n>`` (the top-k means, ranked on all windows); ``table`` = one row per series and ``k``:
    ``unique_id, k, members`` (the first ``k`` models of the ranking, joined by ``COMBINATION_SEPARATOR``)
    and ``nested_mase``.
    """
    models = list(models)
    n = len(models)
    history = _check_series(series[list(_SERIES_KEYS)] if isinstance(series, pd.DataFrame) else series)
    cv = cv.assign(unique_id=cv["unique_id"].astype(str).to_numpy(dtype=object))
    scale = _window_scales(history, cv[["unique_id", "cutoff"]].drop_duplicates(), season_length)
    points = cv[["unique_id", "ds", "cutoff", "y", *models]].merge(scale, on=["unique_id", "cutoff"], how="left")
    points = points.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)
    shape = points.groupby("unique_id", sort=False).agg(rows=("ds", "size"), windows=("cutoff", "nunique"))
    out_points, tables = [], []
    for (rows, windows), ids in shape.groupby(["rows", "windows"]).groups.items():
        block = points.loc[points["unique_id"].isin(ids).to_numpy()]
        n_series, h = len(ids), rows // windows
        if rows % windows:
            raise ValueError(f"cv: every window of a series must hold the same number of points; series "
                             f"{ids[0]!r} has {rows} points in {windows} windows")
        f = block[models].to_numpy(dtype="float64").reshape(n_series, windows, h, n)
        y = block["y"].to_numpy(dtype="float64").reshape(n_series, windows, h)
        s = block["scale"].to_numpy(dtype="float64").reshape(n_series, windows, h)[:, :, 0]
        with np.errstate(invalid="ignore"):
            window_mase = np.abs(f - y[..., None]).mean(axis=2) / s[..., None]  # series x window x model
        window_mase = np.where(np.isfinite(window_mase), window_mase, np.inf)
        sizes = np.arange(1, n + 1)

        def top_means(forecasts: np.ndarray, ranking: np.ndarray) -> np.ndarray:
            ordered = np.take_along_axis(forecasts, ranking.reshape(ranking.shape[0], *([1] * (forecasts.ndim - 2)),
                                                                   n), axis=-1)
            return np.cumsum(ordered, axis=-1) / sizes  # [..., k - 1] = mean of the k first

        ranking = np.argsort(window_mase.mean(axis=1), axis=1, kind="stable")  # series x model
        tops = top_means(f, ranking).reshape(rows * n_series, n)
        nested = np.full((n_series, n), np.nan)
        if windows > 1:
            errors = np.zeros((n_series, n))
            for held in range(windows):
                others = np.delete(window_mase, held, axis=1).mean(axis=1)
                held_ranking = np.argsort(others, axis=1, kind="stable")
                combined = top_means(f[:, held], held_ranking)  # series x h x k
                errors += np.abs(combined - y[:, held, :, None]).mean(axis=1) / s[:, held, None]
            nested = errors / windows
        out_points.append(block[["unique_id", "ds", "cutoff", "y"]].reset_index(drop=True).join(
            pd.DataFrame(tops, columns=[f"top{k}" for k in sizes])))
        names = np.asarray(models, dtype=object)[ranking]
        tables.append(pd.DataFrame({
            "unique_id": np.repeat(np.asarray(ids, dtype=object), n),
            "k": np.tile(sizes, n_series),
            "members": [COMBINATION_SEPARATOR.join(names[row, :k]) for row in range(n_series) for k in sizes],
            "nested_mase": nested.ravel(),
        }))
    if not tables:
        return (points[["unique_id", "ds", "cutoff", "y"]].assign(**{f"top{k}": np.nan for k in range(1, n + 1)}),
                pd.DataFrame({"unique_id": [], "k": [], "members": [], "nested_mase": []}))
    return (pd.concat(out_points, ignore_index=True),
            pd.concat(tables, ignore_index=True).astype({"k": "int64", "nested_mase": "float64"}))


def _empty_metrics() -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": pd.array([], dtype=TEXT_DTYPE), "model": pd.array([], dtype=TEXT_DTYPE),
        "mase": pd.Series([], dtype="float64"), "smape": pd.Series([], dtype="float64"),
        "bias": pd.Series([], dtype="float64"), "windows": pd.Series([], dtype="int64"),
        "cv_h": pd.Series([], dtype="int64"), "candidate": pd.Series([], dtype="bool"),
        "top_k": pd.Series([], dtype="int64"), "nested_mase": pd.Series([], dtype="float64"),
        "note": pd.array([], dtype=TEXT_DTYPE)})


def _split_short(frame: pd.DataFrame, settings: ForecastSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(series long enough to cross-validate, one row per short series: unique_id, history, model, note)."""
    history = frame.groupby("unique_id", sort=False).size()
    short = history[history < settings.min_history_periods]
    m = settings.season
    unit = "months" if settings.freq == "M" else "weeks"
    need = settings.min_history_periods
    rows = []
    for uid, periods in short.items():
        if periods >= m + 1:
            model, how = BASELINE, "seasonal naive (same period last season)"
        else:
            model, how = MEAN_MODEL, "the mean of its history"
        rows.append((uid, int(periods), model,
                     f"short history ({periods} {unit}, needs {need} to be backtested): forecast by {how}"))
    fallbacks = pd.DataFrame(rows, columns=["unique_id", "history", "model", "note"])
    long_enough = frame.loc[~frame["unique_id"].isin(short.index).to_numpy()].reset_index(drop=True)
    return long_enough, fallbacks


def cross_validate(series: pd.DataFrame, settings: ForecastSettings | None = None,
                   engine: Engine | None = None) -> pd.DataFrame:
    """Rolling-origin backtest of every candidate model on every series (statsforecast's
    ``StatsForecast.cross_validation``; windows, horizon and metrics in the module notes).

    Columns: ``unique_id, model, mase, smape, bias, windows, cv_h, candidate, top_k, nested_mase, note``
    (``cv_h``: periods each backtest window forecast). One row per series x model backtested (the models of
    ``settings.models`` and the ``SeasonalNaive`` baseline, whose ``candidate`` is False when it is not
    listed); a series too short to backtest has one row, its fallback model, with NaN metrics, 0 windows
    and a ``note`` saying why. With ``combine`` (and 2+ candidates), each backtested series also has one
    row per k from 2 to the number of candidates: the mean of its k best candidates (``top_k_backtest``),
    labelled by its members (``"AutoETS + HoltWinters"``), ``candidate`` False, ``top_k`` = k and
    ``nested_mase`` its leave-one-window-out MASE; the row of the series' best single candidate has
    ``top_k`` 1 and the nested MASE of k = 1. Other rows: ``top_k`` 0, ``nested_mase`` NaN. Sorted by
    unique_id, then model in ``settings.models`` order, then the combinations by k.
    """
    frame = _check_series(series)
    settings = _settings(settings).for_series(frame["unique_id"].nunique())
    _check_regular(frame, settings.freq)
    frame = _trim(frame)
    long_enough, fallbacks = _split_short(frame, settings)

    names = list(settings.candidates) + ([BASELINE] if BASELINE not in settings.candidates else [])
    pieces = []
    if len(long_enough):
        groups = [(settings, long_enough)]
        if settings.cv_horizon == "auto":
            history = long_enough.groupby("unique_id", sort=False)["y"].transform("size")
            full = (history >= settings.full_cv_min_periods).to_numpy()
            groups = [(settings.model_copy(update={"cv_horizon": "full"}), long_enough.loc[full]),
                      (settings.model_copy(update={"cv_horizon": "quarter"}), long_enough.loc[~full])]
        parts = []
        with _engine(settings, engine) as runner:
            for group_settings, group in groups:
                if len(group):
                    parts.append(runner.cross_validation(group.reset_index(drop=True), names, group_settings)
                                 .assign(cv_h=group_settings.cv_h))
        cv = pd.concat(parts, ignore_index=True)
        horizons = cv.groupby("unique_id", sort=False)["cv_h"].first()
        actual = long_enough[["unique_id", "ds", "y"]]
        cv = cv.drop(columns=["y", "cv_h"]).merge(actual, on=["unique_id", "ds"], how="left")
        if "Ensemble" in settings.models:
            cv["Ensemble"] = cv[list(settings.candidates)].mean(axis=1, skipna=False)
        columns = [*settings.models, *([BASELINE] if BASELINE not in settings.models else [])]
        if settings.nonnegative:
            cv[columns] = cv[columns].clip(lower=0)
        metrics = cv_metrics(cv, long_enough, settings.season, columns)
        metrics["candidate"] = metrics["model"].isin(list(settings.models)).to_numpy(dtype=bool)
        metrics = metrics.assign(top_k=0, nested_mase=np.nan)
        ranked = sorted(settings.candidates, key=SIMPLICITY.index)  # ties in the ranking go to the simpler model
        if settings.combine and len(ranked) > 1:
            metrics = _with_combinations(cv, long_enough, settings.season, ranked, metrics)
        metrics["cv_h"] = metrics["unique_id"].astype(str).map(horizons).to_numpy(dtype="int64")
        metrics["note"] = pd.array([""] * len(metrics), dtype=TEXT_DTYPE)
        pieces.append(metrics)
    if len(fallbacks):
        pieces.append(pd.DataFrame({
            "unique_id": fallbacks["unique_id"], "model": fallbacks["model"], "mase": np.nan, "smape": np.nan,
            "bias": np.nan, "windows": 0, "cv_h": 0, "candidate": True, "top_k": 0, "nested_mase": np.nan,
            "note": fallbacks["note"]}))
    if not pieces:
        return _empty_metrics()
    out = pd.concat(pieces, ignore_index=True)
    order = {name: index for index, name in enumerate([*settings.models, BASELINE, MEAN_MODEL])}
    out = out.assign(_order=out["model"].astype(object).map(order).fillna(len(order)),
                     top_k=out["top_k"].fillna(0), candidate=out["candidate"].astype(bool))
    out = out.sort_values(["unique_id", "_order", "top_k"], kind="stable").drop(columns="_order").reset_index(drop=True)
    return out[list(_METRIC_COLUMNS)].astype({
        "unique_id": TEXT_DTYPE, "model": TEXT_DTYPE, "mase": "float64", "smape": "float64", "bias": "float64",
        "windows": "int64", "cv_h": "int64", "candidate": "bool", "top_k": "int64", "nested_mase": "float64",
        "note": TEXT_DTYPE})


def _with_combinations(cv: pd.DataFrame, history: pd.DataFrame, season_length: int, ranked: Sequence[str],
                       metrics: pd.DataFrame) -> pd.DataFrame:
    """``metrics`` (with ``top_k`` and ``nested_mase`` columns) plus the rows of the top-k means
    (``top_k_backtest``) for k >= 2: model = the members' label, backtest metrics of the mean over all windows,
    ``top_k`` = k, ``nested_mase``, ``candidate`` False. The k = 1 "mean" is the series' best single model: its
    row gets ``top_k`` 1 and the nested MASE. A new frame; ``metrics`` is not modified."""
    metrics = metrics.copy()
    tops, table = top_k_backtest(cv, history, season_length, ranked)
    columns = [f"top{k}" for k in range(1, len(ranked) + 1)]
    combined = cv_metrics(tops, history, season_length, columns)
    combined = combined.assign(unique_id=combined["unique_id"].astype(str),
                               k=combined["model"].astype(str).str[3:].astype("int64"))
    combined = combined.merge(table, on=["unique_id", "k"], how="left", validate="one_to_one")
    best = combined.loc[combined["k"] == 1].set_index(["unique_id", "members"])["nested_mase"]
    keys = pd.MultiIndex.from_arrays([metrics["unique_id"].astype(str), metrics["model"].astype(str)])
    is_best = keys.isin(best.index) & metrics["candidate"].to_numpy(dtype=bool)
    metrics.loc[is_best, "top_k"] = 1
    metrics.loc[is_best, "nested_mase"] = best.reindex(keys[is_best]).to_numpy(dtype="float64")
    more = combined.loc[combined["k"] > 1]
    rows = pd.DataFrame({
        "unique_id": more["unique_id"].to_numpy(dtype=object), "model": more["members"].to_numpy(dtype=object),
        "mase": more["mase"].to_numpy(), "smape": more["smape"].to_numpy(), "bias": more["bias"].to_numpy(),
        "windows": more["windows"].to_numpy(), "candidate": False, "top_k": more["k"].to_numpy(),
        "nested_mase": more["nested_mase"].to_numpy()})
    return pd.concat([metrics, rows], ignore_index=True)


_METRIC_COLUMNS = ("unique_id", "model", "mase", "smape", "bias", "windows", "cv_h", "candidate", "top_k",
                   "nested_mase", "note")


def _check_metrics(cv_metrics_frame: Any) -> pd.DataFrame:
    if not isinstance(cv_metrics_frame, pd.DataFrame):
        raise ValueError(
            f"cv_metrics must be the DataFrame cross_validate returns; got {type(cv_metrics_frame).__name__}")
    missing = [column for column in ("unique_id", "model", "mase") if column not in cv_metrics_frame.columns]
    if missing:
        raise ValueError(f"cv_metrics is missing column(s) {missing}; it has {list(cv_metrics_frame.columns)} "
                         "(pass what cross_validate returns)")
    frame = cv_metrics_frame.copy()
    if "candidate" not in frame.columns:
        frame["candidate"] = True
    if "note" not in frame.columns:
        frame["note"] = ""
    return frame


def select_models(cv_metrics: pd.DataFrame) -> pd.DataFrame:
    """The model of each series.

    Without top-k rows (``cross_validate`` with ``combine`` false): the lowest backtest MASE among its
    candidates; ties (within a relative 1e-6) go to the simpler model (``SIMPLICITY`` order).

    With top-k rows (``combine`` true; ``top_k`` >= 1, see ``top_k_backtest``): one ``k`` for all the series
    given, the one with the lowest *pooled nested MASE* (the mean over series of ``nested_mase``; ties to the
    smaller ``k``), and each series gets the mean of its own ``k`` best candidates: its row with that ``top_k``
    (a combination, labelled ``"AutoETS + HoltWinters"``, or, for k = 1, its best single model). Pooling the
    choice of ``k`` over the series is deliberate: per series it would rest on a few backtest windows.

    A series without backtest (too short) keeps its fallback model; one whose every candidate failed (NaN
    MASE) gets ``SeasonalNaive``.

    Columns: ``unique_id, model, note`` (why a series did not get a backtested choice; "" otherwise).
    Sorted by unique_id.
    """
    frame = _check_metrics(cv_metrics)
    combined = _pooled_top_k(frame)
    frame = frame.loc[frame["candidate"].fillna(False).to_numpy(dtype=bool)]
    rank = {name: index for index, name in enumerate((*SIMPLICITY, MEAN_MODEL))}
    table = pd.DataFrame({
        "unique_id": frame["unique_id"].astype(str).to_numpy(dtype=object),
        "model": frame["model"].astype(str).to_numpy(dtype=object),
        "mase": pd.to_numeric(frame["mase"], errors="coerce").to_numpy(dtype="float64"),
        "note": frame["note"].fillna("").astype(str).to_numpy(dtype=object),
    })
    table["rank"] = table["model"].map(rank).fillna(len(rank)).to_numpy()
    scored = np.isfinite(table["mase"].to_numpy())
    best = table["mase"].where(scored).groupby(table["unique_id"]).transform("min").to_numpy()
    tied = scored & (table["mase"].to_numpy() <= best * (1 + _TIE) + 1e-12)
    winners = table.loc[tied].sort_values(["unique_id", "rank"], kind="stable").drop_duplicates("unique_id")
    winners = winners.assign(note="")
    rest = table.loc[~table["unique_id"].isin(winners["unique_id"]).to_numpy()]
    # no backtest: a short series' single fallback row keeps its model and note; else seasonal naive
    fallback = rest.groupby("unique_id", sort=False).filter(lambda g: len(g) == 1 and bool(g["note"].iloc[0]))
    failed = rest.loc[~rest["unique_id"].isin(fallback["unique_id"]).to_numpy()].drop_duplicates("unique_id")
    failed = failed.assign(model=BASELINE, note="no candidate model could be backtested: forecast by seasonal naive")
    out = pd.concat([winners, fallback, failed])[["unique_id", "model", "note"]]
    if len(combined):
        out = pd.concat([out.loc[~out["unique_id"].isin(combined["unique_id"]).to_numpy()], combined])
    out = out.sort_values("unique_id", kind="stable").reset_index(drop=True)
    return out.astype({"unique_id": TEXT_DTYPE, "model": TEXT_DTYPE, "note": TEXT_DTYPE})


def _pooled_top_k(frame: pd.DataFrame) -> pd.DataFrame:
    """``unique_id, model, note`` of the series with top-k rows: each one's row at the pooled best ``k`` (or
    its largest ``k`` when it has fewer candidates); empty when no row has a finite ``nested_mase``."""
    if "top_k" not in frame.columns or "nested_mase" not in frame.columns:
        return pd.DataFrame({"unique_id": [], "model": [], "note": []})
    rows = frame.loc[pd.to_numeric(frame["top_k"], errors="coerce").fillna(0).to_numpy() >= 1]
    rows = pd.DataFrame({"unique_id": rows["unique_id"].astype(str).to_numpy(dtype=object),
                         "model": rows["model"].astype(str).to_numpy(dtype=object),
                         "k": rows["top_k"].to_numpy(dtype="int64"),
                         "nested": pd.to_numeric(rows["nested_mase"], errors="coerce").to_numpy(dtype="float64")})
    pooled = rows.loc[np.isfinite(rows["nested"].to_numpy())].groupby("k")["nested"].mean()
    if pooled.empty:
        return pd.DataFrame({"unique_id": [], "model": [], "note": []})
    k = int(pooled.index[pooled.to_numpy() <= pooled.min() * (1 + _TIE) + 1e-12].min())
    usable = rows.loc[rows["k"] <= k]
    chosen = usable.sort_values(["unique_id", "k"], kind="stable").drop_duplicates("unique_id", keep="last")
    return chosen.assign(note="")[["unique_id", "model", "note"]]


# --------------------------------------------------------------------------------------------------
# 3. forecast


def _interval_columns(levels_pct: Sequence[int]) -> list[str]:
    return [f"{side}-{level}" for level in levels_pct for side in ("lo", "hi")]


def forecast(series: pd.DataFrame, settings: ForecastSettings | None = None,
             selection: pd.DataFrame | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Forecast each series with its selected model, ``settings.horizon`` periods after its last period.

    ``selection``: ``unique_id, model`` (``select_models``' output); every series needs a row. Series that
    need the same models are forecast together (see the module notes); the ensemble is the mean of its
    members, its bounds the means of their bounds (an approximation).

    Columns: ``unique_id, ds, model, mean, lo-80, hi-80, lo-95, hi-95`` (one lo/hi pair per
    ``levels_pct``), in the series' unit; clipped at 0 with ``nonnegative``. Sorted by unique_id, ds.
    """
    frame = _check_series(series)
    settings = _settings(settings).for_series(frame["unique_id"].nunique())
    _check_regular(frame, settings.freq)
    frame = _trim(frame)
    chosen = _check_selection(selection, frame, settings)

    members = list(settings.candidates)
    needs = {uid: tuple(members) if model == "Ensemble" else _members(model) for uid, model in chosen.items()}
    groups: dict[tuple[str, ...], list[str]] = {}
    for uid, names in needs.items():
        groups.setdefault(names, []).append(uid)

    bounds = _interval_columns(settings.levels_pct)
    pieces = []
    with _engine(settings, engine) as runner:
        for names, ids in groups.items():
            subset = frame.loc[frame["unique_id"].isin(ids).to_numpy()]
            result = runner.forecast(subset, names, settings)
            stacked = []
            for name in names:
                columns = {name: "mean", **{f"{name}-{b}": b for b in bounds}}
                stacked.append(result[["unique_id", "ds", *columns]].rename(columns=columns))
            values = pd.concat(stacked).groupby(["unique_id", "ds"], sort=False).mean() if len(names) > 1 \
                else stacked[0].set_index(["unique_id", "ds"])
            values = values.reset_index()
            values.insert(2, "model", values["unique_id"].map(chosen).to_numpy())
            pieces.append(values)
    out = pd.concat(pieces, ignore_index=True)[["unique_id", "ds", "model", "mean", *bounds]]
    if settings.nonnegative:
        out[["mean", *bounds]] = out[["mean", *bounds]].clip(lower=0)
    out = out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    return out.astype({"unique_id": TEXT_DTYPE, "model": TEXT_DTYPE, "ds": "datetime64[ns]",
                       **{column: "float64" for column in ("mean", *bounds)}})


def _members(model: str) -> tuple[str, ...]:
    """The models a selected model label stands for, in ``MODELS`` order (one, or a combination's members)."""
    parts = model.split(COMBINATION_SEPARATOR)
    return tuple(sorted(parts, key=lambda name: MODELS.index(name) if name in MODELS else len(MODELS)))


def _check_selection(selection: Any, frame: pd.DataFrame, settings: ForecastSettings) -> dict[str, str]:
    if not isinstance(selection, pd.DataFrame) or not {"unique_id", "model"} <= set(selection.columns):
        raise ValueError("selection must be a DataFrame with columns unique_id and model (select_models' output); "
                         f"got {type(selection).__name__}")
    chosen = dict(zip(selection["unique_id"].astype(str), selection["model"].astype(str)))
    missing = sorted(set(frame["unique_id"]) - set(chosen))
    if missing:
        raise ValueError(f"selection has no model for {len(missing)} series, e.g. {missing[:3]}; run select_models "
                         "on the cross_validate output of these series")
    allowed = (*settings.candidates, BASELINE, MEAN_MODEL, *(["Ensemble"] if "Ensemble" in settings.models else []))
    for uid, model in chosen.items():
        parts = _members(model)
        if model not in allowed and not (len(parts) > 1 and set(parts) <= set(settings.candidates)):
            raise ValueError(f"selection: model {model!r} of series {uid!r} is not one of the settings' models "
                             f"{list(allowed)}{_nearest(model, allowed)}")
    return {uid: chosen[uid] for uid in frame["unique_id"].unique()}


# --------------------------------------------------------------------------------------------------
# 4. reconciliation


@dataclasses.dataclass(frozen=True)
class _Hierarchy:
    nodes: list[str]  # every series, top level first
    bottom: list[str]  # the bottom series, in the order of the summing matrix's columns
    level_of: dict[str, tuple[str, ...]]
    summing: Any  # scipy.sparse csr matrix, nodes x bottom


def _hierarchy(series: pd.DataFrame, settings: ForecastSettings) -> _Hierarchy:
    from scipy import sparse

    levels = settings.levels
    columns = list(dict.fromkeys(column for level in levels for column in level))
    missing = [column for column in ("unique_id", *columns) if column not in series.columns]
    if missing:
        raise ValueError(f"series is missing level column(s) {missing} of settings.levels {[list(l) for l in levels]}; "
                         f"it has {list(series.columns)} (build it with series_from_bookings and the same levels)")
    nodes = series[["unique_id", *columns]].drop_duplicates("unique_id").reset_index(drop=True)
    nodes["unique_id"] = nodes["unique_id"].astype(str)
    present = nodes[columns].notna().to_numpy(dtype=bool) if columns else np.zeros((len(nodes), 0), dtype=bool)
    level_of: dict[str, tuple[str, ...]] = {}
    by_set = {frozenset(level): level for level in levels}
    for row, uid in enumerate(nodes["unique_id"]):
        used = frozenset(column for column, here in zip(columns, present[row]) if here)
        if used not in by_set:
            raise ValueError(f"series {uid!r} splits by {sorted(used)}, which is not one of settings.levels "
                             f"{[list(l) for l in levels]}")
        level_of[uid] = by_set[used]
    order = {level: index for index, level in enumerate(levels)}
    nodes = nodes.assign(_level=nodes["unique_id"].map(lambda uid: order[level_of[uid]]))
    nodes = nodes.sort_values(["_level", "unique_id"], kind="stable").reset_index(drop=True)
    bottom_level = levels[-1]
    bottom = nodes.loc[nodes["_level"] == order[bottom_level]].reset_index(drop=True)
    rows, cols = [], []
    for node_index, node in nodes.iterrows():
        level = level_of[node["unique_id"]]
        match = np.ones(len(bottom), dtype=bool)
        for column in level:
            match &= (bottom[column].astype(str) == str(node[column])).to_numpy(dtype=bool)
        children = np.flatnonzero(match)
        if len(children) == 0:
            raise ValueError(f"series {node['unique_id']!r} has no series below it at the bottom level "
                             f"{list(bottom_level)}; build all levels from the same data")
        rows.extend([node_index] * len(children))
        cols.extend(children.tolist())
    summing = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(bottom)))
    return _Hierarchy(nodes["unique_id"].tolist(), bottom["unique_id"].tolist(), level_of, summing)


def reconcile(forecasts: pd.DataFrame, series: pd.DataFrame, settings: ForecastSettings | None = None) -> pd.DataFrame:
    """Forecasts made coherent: per period, every series' mean is the sum of the bottom series below it.

    ``forecasts``: ``forecast``'s output for every series of ``series`` (the long frame with its level
    columns, which tell each series' level and parents). Method ``settings.reconciliation`` (see the module
    notes); bounds are scaled with the mean (each series keeps its interval's width relative to its mean)
    and are not additive. Same columns and order as ``forecasts``. With a single level there is nothing to
    reconcile and a copy is returned.
    """
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    settings = _settings(settings)
    if not isinstance(forecasts, pd.DataFrame) or not {"unique_id", "ds", "mean"} <= set(forecasts.columns):
        raise ValueError("forecasts must be forecast()'s output with columns unique_id, ds, mean and the bounds; "
                         f"got {type(forecasts).__name__}")
    history = _check_series(series)
    out = forecasts.copy().reset_index(drop=True)
    if len(settings.levels) == 1:
        return out
    tree = _hierarchy(series, settings)
    uid = out["unique_id"].astype(str)
    unknown = sorted(set(uid) - set(tree.nodes))
    absent = sorted(set(tree.nodes) - set(uid))
    if unknown or absent:
        raise ValueError(f"forecasts and series must hold the same series: {len(unknown)} forecast(s) without "
                         f"history (e.g. {unknown[:3]}), {len(absent)} series without forecast (e.g. {absent[:3]})")
    means = out.assign(unique_id=uid).pivot(index="unique_id", columns="ds", values="mean")
    if means.isna().any().any():
        raise ValueError("every series must be forecast for the same periods (and have no missing mean) to be "
                         "reconciled; forecast them together from series that end in the same period")
    means = means.reindex(tree.nodes)
    y_hat = means.to_numpy(dtype="float64")
    S = tree.summing
    bottom_rows = [tree.nodes.index(b) for b in tree.bottom]

    method = settings.reconciliation
    if method == "bottom_up":
        bottom = y_hat[bottom_rows]
    elif method in ("top_down", "middle_out"):
        level = settings.levels[0] if method == "top_down" else settings.levels[len(settings.levels) // 2]
        bottom = _disaggregate(y_hat, tree, level, history, settings.season)
    else:  # min_trace, structural scaling
        weights = np.asarray(S.sum(axis=1)).ravel()
        w_inv = sparse.diags(1.0 / weights)
        normal = (S.T @ w_inv @ S).tocsc()
        bottom = np.asarray(spsolve(normal, S.T @ (w_inv @ y_hat)))
        bottom = bottom.reshape(len(tree.bottom), y_hat.shape[1])
    if settings.nonnegative:
        bottom = np.clip(bottom, 0, None)
    coherent = np.asarray(S @ bottom)

    rows = pd.Index(tree.nodes).get_indexer(uid)
    cols = means.columns.get_indexer(out["ds"])
    old = out["mean"].to_numpy(dtype="float64")
    new = coherent[rows, cols]
    scaled = old > 0
    ratio = np.divide(new, old, out=np.ones_like(new), where=scaled)
    for column in [column for column in out.columns if column.startswith(("lo-", "hi-"))]:
        bound = out[column].to_numpy(dtype="float64")
        bound = np.where(scaled, bound * ratio, bound + (new - old))
        out[column] = np.clip(bound, 0, None) if settings.nonnegative else bound
    out["mean"] = new
    return out


def _disaggregate(y_hat: np.ndarray, tree: _Hierarchy, level: tuple[str, ...], history: pd.DataFrame,
                  season: int) -> np.ndarray:
    """Bottom forecasts: each ``level`` series' forecast split by its bottom series' share of the last
    ``season`` periods of history (equal shares where that history sums to 0)."""
    last = history.groupby("unique_id", sort=False).tail(season).groupby("unique_id")["y"].sum()
    recent = last.reindex(tree.bottom).fillna(0.0).to_numpy(dtype="float64")
    S = tree.summing.tocsr()
    bottom = np.zeros((len(tree.bottom), y_hat.shape[1]))
    for row, uid in enumerate(tree.nodes):
        if tree.level_of[uid] != level:
            continue
        children = S.getrow(row).indices
        total = recent[children].sum()
        share = recent[children] / total if total > 0 else np.full(len(children), 1.0 / len(children))
        bottom[children] = np.outer(share, y_hat[row])
    return bottom


# --------------------------------------------------------------------------------------------------
# 5. scenarios and the backtest table


def scenarios(forecasts: pd.DataFrame, level: int = 80, nonnegative: bool = True) -> pd.DataFrame:
    """Three planning scenarios per series and period: ``downside`` = the lower bound of the ``level`` %
    interval, ``base`` = the mean, ``upside`` = its upper bound (with 80: a 1-in-10 chance of landing
    below the downside and 1-in-10 above the upside, if the model's intervals are calibrated). The
    downside is clipped at 0 with ``nonnegative`` (money, counts). Bounds are per series: the downside of
    the total is not the sum of the regions' downsides.

    Columns: ``unique_id, ds, downside, base, upside``; same row order as ``forecasts``.
    """
    lo, hi = f"lo-{level}", f"hi-{level}"
    if not isinstance(forecasts, pd.DataFrame):
        raise ValueError(f"forecasts must be forecast()'s output; got {type(forecasts).__name__}")
    missing = [column for column in ("unique_id", "ds", "mean", lo, hi) if column not in forecasts.columns]
    if missing:
        levels = sorted({c.split("-", 1)[1] for c in forecasts.columns if c.startswith(("lo-", "hi-"))})
        raise ValueError(f"forecasts is missing column(s) {missing}: level {level!r} is not among its interval "
                         f"levels {levels}; pass one of those or add {level} to levels_pct")
    downside = forecasts[lo].astype("float64")
    return pd.DataFrame({
        "unique_id": forecasts["unique_id"].astype(TEXT_DTYPE).to_numpy(),
        "ds": forecasts["ds"].to_numpy(),
        "downside": (downside.clip(lower=0) if nonnegative else downside).to_numpy(),
        "base": forecasts["mean"].astype("float64").to_numpy(),
        "upside": forecasts[hi].astype("float64").to_numpy(),
    }).astype({"unique_id": TEXT_DTYPE})


def backtest_table(cv_metrics: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """How far to trust each series' forecast: the backtest of its selected model next to the seasonal
    naive baseline.

    Columns: ``unique_id, model`` (selected), ``mase, smape, bias`` (its backtest, see the module notes),
    ``seasonal_naive_mase``, ``improvement_vs_naive`` = 1 - mase / seasonal_naive_mase (0.3: 30 % smaller
    errors than repeating last year; negative: worse), ``windows``, ``cv_h`` (periods each backtest window
    forecast) and ``note``. NaN (and 0 windows) where the series was too short to backtest. Sorted by unique_id.
    """
    metrics = _check_metrics(cv_metrics)
    if not isinstance(selection, pd.DataFrame) or not {"unique_id", "model"} <= set(selection.columns):
        raise ValueError("selection must be select_models' output (columns unique_id, model)")
    metrics = metrics.assign(unique_id=metrics["unique_id"].astype(str), model=metrics["model"].astype(str))
    chosen = selection[["unique_id", "model", *(["note"] if "note" in selection.columns else [])]].copy()
    chosen = chosen.assign(unique_id=chosen["unique_id"].astype(str), model=chosen["model"].astype(str))
    for column in ("windows", "cv_h"):
        if column not in metrics.columns:
            metrics[column] = np.nan
    table = chosen.merge(metrics[["unique_id", "model", "mase", "smape", "bias", "windows", "cv_h"]],
                         on=["unique_id", "model"], how="left")
    naive = metrics.loc[metrics["model"] == BASELINE].drop_duplicates("unique_id").set_index("unique_id")["mase"]
    naive_mase = table["unique_id"].map(naive).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        improvement = np.where(naive_mase > 0, 1 - table["mase"] / naive_mase, np.nan)
    notes = table["note"] if "note" in table.columns else pd.Series("", index=table.index)
    out = pd.DataFrame({
        "unique_id": table["unique_id"], "model": table["model"],
        "mase": table["mase"].astype("float64"), "smape": table["smape"].astype("float64"),
        "bias": table["bias"].astype("float64"), "seasonal_naive_mase": naive_mase.to_numpy(),
        "improvement_vs_naive": improvement.astype("float64"),
        "windows": table["windows"].fillna(0).astype("int64"), "cv_h": table["cv_h"].fillna(0).astype("int64"),
        "note": notes.fillna("").astype(str),
    })
    out = out.sort_values("unique_id", kind="stable").reset_index(drop=True)
    return out.astype({"unique_id": TEXT_DTYPE, "model": TEXT_DTYPE, "note": TEXT_DTYPE})


# --------------------------------------------------------------------------------------------------
# the whole step


@dataclasses.dataclass(frozen=True)
class ForecastResult:
    """Everything ``forecast_step`` computes (each frame as its function documents)."""

    cv_metrics: pd.DataFrame
    selection: pd.DataFrame
    forecasts: pd.DataFrame  # as fitted, before reconciliation
    reconciled: pd.DataFrame
    scenarios: pd.DataFrame
    backtest: pd.DataFrame
    settings: ForecastSettings | None = None  # as run: ``profile`` resolved (ForecastSettings.for_series)


def forecast_step(series: pd.DataFrame, settings: ForecastSettings | None = None,
                  reconcile_levels: bool = True) -> ForecastResult:
    """Cross-validate, select, forecast, reconcile (unless ``reconcile_levels`` is False, e.g. for series
    that are not a hierarchy), and derive the scenarios and the backtest table, on one engine, with the
    profile resolved once for the number of series (``ForecastResult.settings``)."""
    settings = _settings(settings).for_series(_check_series(series)["unique_id"].nunique())
    with open_engine(settings) as runner:
        metrics = cross_validate(series, settings, engine=runner)
        selection = select_models(metrics)
        raw = forecast(series, settings, selection, engine=runner)
    coherent = reconcile(raw, series, settings) if reconcile_levels else raw.copy()
    low = 80 if 80 in settings.levels_pct else settings.levels_pct[0]
    return ForecastResult(metrics, selection, raw, coherent,
                          scenarios(coherent, low, settings.nonnegative), backtest_table(metrics, selection), settings)
