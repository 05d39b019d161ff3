"""The whole statistical forecast in one call (``forecast_step``) and the planning scenarios
(downside / base / upside) it derives from the reconciled forecasts; ``compute_ahead`` runs it early, before the
call that needs it."""

from __future__ import annotations

import dataclasses
import hashlib

import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.demand.forecast.backtest import backtest
from salesops.demand.forecast.engine import open_engine
from salesops.demand.forecast.intervals import calibrate
from salesops.demand.forecast.predict import forecast
from salesops.demand.forecast.reconciliation import reconcile
from salesops.demand.forecast.selection import backtest_table, select_models
from salesops.demand.forecast.series import check_series
from salesops.demand.forecast.settings import ForecastSettings, resolve_settings


def scenarios(forecasts: pd.DataFrame, level: int = 80, nonnegative: bool = True) -> pd.DataFrame:
    """Three planning scenarios per series and period: ``downside`` = the lower bound of the ``level`` %
    interval, ``base`` = the mean, ``upside`` = its upper bound (with 80: a 1-in-10 chance of landing
    below the downside and 1-in-10 above the upside, as far as the backtest that rescaled the bands tells). The
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
    intervals: pd.DataFrame | None = None  # how each model's bands held up in the backtest (interval_factors)


#: Results of ``compute_ahead`` by ``_inputs_key``, each taken by the one ``forecast_step`` call with those inputs.
_AHEAD: dict[str, ForecastResult] = {}


def _inputs_key(series: pd.DataFrame, settings: ForecastSettings, reconcile_levels: bool) -> str:
    """Everything a ``forecast_step`` result is computed from: every column name, dtype and value of ``series`` in
    order, every setting (as resolved) and whether the levels are reconciled."""
    digest = hashlib.sha256()
    digest.update(repr([(str(name), str(dtype)) for name, dtype in series.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(series, index=False).to_numpy().tobytes())
    digest.update(settings.model_dump_json().encode())
    digest.update(b"reconciled" if reconcile_levels else b"as fitted")
    return digest.hexdigest()


def compute_ahead(series: pd.DataFrame, settings: ForecastSettings | None = None,
                  reconcile_levels: bool = True) -> None:
    """Run ``forecast_step(series, settings, reconcile_levels)`` now and keep its result for the next call of
    ``forecast_step`` with the same inputs (the same columns, dtypes and values of ``series``, settings and
    ``reconcile_levels``), which then returns it at once instead of computing it again: the same result, computed
    earlier. The runner uses it to forecast in step 2's kernel while step 1 still runs. A call with other inputs
    computes as usual; a result nobody takes is kept until the process ends."""
    resolved = resolve_settings(settings).for_series(check_series(series)["unique_id"].nunique())
    key = _inputs_key(series, resolved, reconcile_levels)
    if key not in _AHEAD:
        _AHEAD[key] = forecast_step(series, settings, reconcile_levels)


def pending_ahead() -> int:
    """How many results ``compute_ahead`` made that no ``forecast_step`` call has taken yet."""
    return len(_AHEAD)


def forecast_step(series: pd.DataFrame, settings: ForecastSettings | None = None,
                  reconcile_levels: bool = True) -> ForecastResult:
    """Cross-validate, select, forecast (bands rescaled on the backtest with ``calibrate_intervals``), reconcile
    (unless ``reconcile_levels`` is False, e.g. for series that are not a hierarchy), and derive the scenarios and the backtest table, on one engine, with the
    profile resolved once for the number of series (``ForecastResult.settings``). Returns the result
    ``compute_ahead`` made from the same inputs, when it made one (once)."""
    settings = resolve_settings(settings).for_series(check_series(series)["unique_id"].nunique())
    ahead = _AHEAD.pop(_inputs_key(series, settings, reconcile_levels), None) if _AHEAD else None
    if ahead is not None:
        return ahead
    with open_engine(settings) as runner:
        metrics, intervals = backtest(series, settings, engine=runner)
        selection = select_models(metrics)
        raw = calibrate(forecast(series, settings, selection, engine=runner), intervals, selection,
                        settings.nonnegative)
    coherent = reconcile(raw, series, settings) if reconcile_levels else raw.copy()
    low = 80 if 80 in settings.levels_pct else settings.levels_pct[0]
    return ForecastResult(metrics, selection, raw, coherent, scenarios(coherent, low, settings.nonnegative),
                          backtest_table(metrics, selection), settings, intervals)
