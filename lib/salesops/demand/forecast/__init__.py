"""Step 2: the statistical forecast of bookings (and lead volume) per level of a sales hierarchy.

The flow, one function per step (``forecast_step`` runs them all)::

    series   = series_from_bookings(opportunities, settings.levels, end=as_of)   # long frame
    metrics  = cross_validate(series, settings)        # rolling-origin backtest, per series x model
    chosen   = select_models(metrics)                  # by default the combination: the mean of 4 models
    raw      = forecast(series, settings, chosen)      # chosen model per series, with intervals
    coherent = reconcile(raw, series, settings)        # lower levels add up to higher ones
    table    = scenarios(coherent)                     # downside / base / upside
    trust    = backtest_table(metrics, chosen)         # how far to trust each forecast

Conventions shared by every function in this package (those of ``collect/kpis.py`` where they overlap):

* **Long format** (statsforecast's): one row per series and period, columns ``unique_id`` (text), ``ds``
  (first day of the period, a midnight Timestamp) and ``y`` (float), plus the level columns (e.g.
  ``region``, ``segment``). Periods (``ForecastSettings.freq``): ``"M"`` calendar month, ``"W"`` week
  Monday–Sunday, ``"Q"`` calendar quarter (starting 1 January, April, July, October). A quarter is 3 months,
  13 weeks or 1 quarter; a year 12 months, 52 weeks or 4 quarters (the season of ``"Q"`` is 4, not a
  monthly season in disguise).
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

**Selection** (``select_models``), by ``rule``:

* ``"combination"`` (default): every series is forecast by the **mean of the ``combination``'s models** (by
  default AutoETS, AutoARIMA, AutoCES and DynamicOptimizedTheta; labelled ``"AutoETS + AutoARIMA + ..."``),
  the same for every series: nothing is chosen from the backtest, which runs on the members (and the
  seasonal naive baseline) only to say how far to trust the result (``backtest_table``). Why: four diverse
  models, each good on its own, averaged — the M4 competition's "SCUM" benchmark family — were the most
  accurate of the rules compared on the M3 competition's series (``benchmarks/forecast_competitions.py``,
  figures in ``benchmarks/README.md``): choosing per series from 3 backtest windows is a noisy pick, and a
  rule that never chooses cannot choose badly. So a short history (24–36 months) is no special case: its
  forecast rests on no backtest choice at all.
* ``"top_k"`` (the default until 2026-11): each series by the **mean of its k best candidates** of
  ``models`` (lowest backtest MASE; labelled ``"AutoETS + HoltWinters"``), with one ``k`` for all the series
  of a call, chosen by the backtest itself: for each window, the candidates are ranked on the *other* windows
  and the mean of the first ``k`` is scored on the window left out (``top_k_backtest``); the ``k`` with the
  lowest mean of these leave-one-window-out MASEs over the series wins (k = 1 is the single best model, k =
  all the ensemble). ``k`` is pooled over the series because a per-series ``k`` would rest on 3 windows.
* ``"best"``: the lowest backtest MASE per series among the models in ``settings.models``.

Ties (within a relative 1e-6) go to the simpler model, in the order of ``SIMPLICITY`` (fewest parameters
first; the ensemble needs all its members); the same order breaks ties in the top-k ranking. ``SeasonalNaive``
is always backtested as the baseline of ``backtest_table``; it is selectable only when listed in ``models``
(or in the ``combination``). The backtest scores the combination whenever its members were all backtested
(with rule ``top_k`` or ``best`` too, as a row that is not a candidate).

**Short series** (history shorter than ``min_history`` months, or too short for the backtest windows
plus one season) are not cross-validated: they are forecast by ``SeasonalNaive`` when they have at least
one season + 1 periods of history, else by ``HistoricAverage`` (the mean of their history), and the
``note`` column says so.

**Forecast** (``forecast``): statsforecast ``StatsForecast.forecast`` is run once per *group of series
that need the same models* (a series that chose AutoETS needs AutoETS only; one that chose the ensemble
needs all members, a combination its members), not all candidates on every series. With the default rule
every series needs the combination's four models. It is the faster option because AutoARIMA costs
about 6x AutoETS and 50x AutoTheta (per fit, 36–48 months: 190, 32 and 4 ms) and is chosen for only a
quarter to a half of the series: on 1,000 synthetic series the forecast stage took 73 s on 2 cores where
fitting every candidate on every series would take about 113 s. Intervals start as statsforecast's own (``levels_pct``); the
**ensemble's** (and a **combination's**) mean is the mean of the members' means and its bounds the means of
the members' bounds (an approximation: the members' errors are correlated but not identical).

**Intervals** (``intervals``; ``calibrate_intervals``, default true): the backtest forecasts every model with its
bands too, and counts how many past outcomes each band held. Each model's band at each level and forecast step is then
stretched (or shrunk) around the mean by the factor that would have made it hold its level of the backtest's
outcomes at that step, pooled over the series of the call (a split-conformal quantile of error over half-width;
module notes). Up to the last step the backtest measured the factor applies as it is; beyond it, only when it
widens. ``backtest`` returns the factors beside the metrics; ``forecast_step`` applies them
(``ForecastResult.intervals``). Measured on the
competition data (``benchmarks/forecast_competitions.py``, 120-series samples): on M3 quarterly the
combination's own 80 % and 95 % bands held 66.6 % and 81.2 % of the outcomes over the 8-quarter horizon, the
rescaled ones 78.0 % and 95.6 %; on Tourism quarterly and M3 monthly the rescaled 80 % band is too wide (85.5 %,
86.0 %), on M3's 24- and 36-month histories still too narrow (about 74 %): ``benchmarks/README.md``.

With ``nonnegative`` (default, money and counts cannot be negative) means and bounds are clipped at 0, in the backtest too.

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

**Engines**: ``engine="local"`` runs statsforecast in this process with ``n_jobs`` worker processes (-1: all
cores). ``engine="dask"`` runs it on a dask.distributed cluster (``dask_address``, or a LocalCluster with one
single-threaded worker per core) through Fugue (``fugue.api.transform``): the series are split into partitions of
whole series, four per worker thread, and each partition is forecast by statsforecast's own in-process code
(``StatsForecast(n_jobs=1)``), so the results equal the local engine's exactly. Not through statsforecast's Fugue
backend (``forecast(df=<dask DataFrame>)``): it groups by series and builds one StatsForecast per series: on 2,000
series with SeasonalNaive alone it took 62–76 s on two Dask workers where the local engine took 9 s and these
partitions 5–12 s (a busy 2-core machine; ``benchmarks/README.md``). The function sent to the workers carries the
models with it: the workers need statsforecast (and fugue, pandas), not this package. Everything else (metrics,
selection, ensemble, reconciliation) runs in the calling process on the gathered results. ``engine="spark"`` and
``engine="ray"`` send the same function through Fugue's Spark and Ray engines (the Spark session
``SparkSession.builder.getOrCreate()`` gives, the Ray cluster ``ray.init()`` finds); they need pyspark or ray and
are not tested here. How to point the forecast at a cluster: ``docs/scale.md``.

**Speed** (``benchmarks/forecast_speed.py``, 2 cores, 36–48 months per series). The full candidate set costs
about 0.75 s of one core per series (3 backtest windows re-estimated at each + the forecast): 2.7 series/s,
so 1,000 series take 6 minutes and 10,000 about an hour (measured before the top-k rule and the three added
models; with them 1,000 series took 10.5 minutes on a machine shared with another benchmark, an upper bound). Profiled per model on 200 series (backtest +
forecast, wall time on 2 cores): AutoARIMA 362 ms a series, AutoETS 61, AutoTheta 10, SeasonalNaive 2 — the
ARIMA order search is 80 % of the time, and its ``approximation`` option does not shorten it (350 ms).
``cv_refit=False`` (estimate once in the backtest) gives 5.5–6.6 series/s (10,000 in 30 minutes) for a 1 %
worse holdout MASE. Hence ``profile`` (default ``"auto"``): the *full* profile up to ``fast_above_series``
(1,000) series, above it the *fast* one (``FAST_PROFILE`` for the default candidates: all but AutoARIMA,
estimated once), about 13x faster. The three cheaper candidates added with the top-k rule (HoltWinters, AutoCES,
DynamicOptimizedTheta: about 7, 4 and 2 ms a series estimated once, AutoETS 28) and the combination (a
few numpy operations on the backtest frame, then k models per series in the forecast) left it at 10,000
series in 6.2 minutes, with a synthetic holdout MASE of 0.906 where the fast profile without them gave 1.035
(seasonal naive: 1.148). ``cross_validate`` and ``forecast`` resolve the profile on the number of series
they are given (``ForecastSettings.for_series``); ``forecast_step`` resolves it once and reports it in
``ForecastResult.settings``. With the default rule (``combination``) the backtest and the forecast run the
combination's four models and the seasonal naive baseline on every series (not the seven candidates); its
fast profile averages AutoETS, AutoCES and DynamicOptimizedTheta.

**Modules**, one stage each: ``settings`` (``ForecastSettings`` and the names it uses), ``series`` (building
and checking long series), ``engine`` (local or dask), ``backtest`` (cross-validation and metrics),
``selection`` (the model of each series, the backtest table), ``predict`` (the forecast), ``intervals`` (bands
rescaled on the backtest), ``reconciliation``
and ``step`` (``forecast_step``, the scenarios). Everything public is importable from this package. Only
pandas, numpy and pydantic are imported at module level (statsforecast, scipy and dask are imported when
used); ``settings`` imports pydantic only, so ``settings/loader.py`` can embed ``ForecastSettings`` cheaply.
"""

from salesops.demand.forecast.backtest import backtest, cross_validate, cv_metrics, top_k_backtest
from salesops.demand.forecast.engine import Engine, open_engine
from salesops.demand.forecast.intervals import calibrate, interval_factors, range_held
from salesops.demand.forecast.predict import forecast
from salesops.demand.forecast.reconciliation import reconcile
from salesops.demand.forecast.selection import backtest_table, select_models
from salesops.demand.forecast.series import series_from_bookings, series_from_counts, series_id
from salesops.demand.forecast.settings import (
    BASELINE,
    COMBINATION_SEPARATOR,
    DEFAULT_COMBINATION,
    DEFAULT_LEVELS,
    DEFAULT_MODELS,
    FAST_PROFILE,
    FREQS,
    MEAN_MODEL,
    MODELS,
    PROFILES,
    RECONCILIATIONS,
    RULES,
    SIMPLICITY,
    TOTAL_ID,
    ForecastSettings,
)
from salesops.demand.forecast.step import ForecastResult, compute_ahead, forecast_step, pending_ahead, scenarios

__all__ = [
    "BASELINE", "COMBINATION_SEPARATOR", "DEFAULT_COMBINATION", "DEFAULT_LEVELS", "DEFAULT_MODELS", "FAST_PROFILE", "FREQS", "MEAN_MODEL",
    "MODELS", "PROFILES", "RECONCILIATIONS", "RULES", "SIMPLICITY", "TOTAL_ID", "Engine", "ForecastResult", "ForecastSettings",
    "backtest", "backtest_table", "calibrate", "compute_ahead", "cross_validate", "cv_metrics", "forecast", "forecast_step",
    "interval_factors", "open_engine", "pending_ahead", "range_held", "reconcile", "scenarios", "select_models",
    "series_from_bookings", "series_from_counts", "series_id", "top_k_backtest",
]
