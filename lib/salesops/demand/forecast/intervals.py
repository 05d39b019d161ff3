"""Prediction intervals checked on the backtest and rescaled to hold what they promise (*Intervals* in the notes
of ``salesops.demand.forecast``).

The models' own intervals assume their errors follow the model; on real series they are often too narrow (M3
quarterly: the mean of four models' 80 % bands held 73 % of the next quarter's outcomes) and sometimes too wide.
The backtest already forecasts past origins, so it can measure the miss. For each model and level ``L``, every
backtest point gives a *ratio*: the point's error over the band's half-width on the error's side,

    ratio = |y - mean| / (hi_L - mean)   when y >= mean,     |y - mean| / (mean - lo_L)   otherwise,

so the point falls inside the band exactly when ratio <= 1. The *width factor* is the conformal quantile of the
ratios pooled over every series and backtest point of the model (the ``ceil((n + 1) L / 100)``-th smallest of
``n``): stretching each half-width by it would have held ``L`` % of the backtest's outcomes. Pooling over the
series of a call is deliberate: one series has a handful of backtest points, far too few for a 95 % quantile;
the ratio is scale-free, so a company's total and its smallest segment pool fairly. Fewer than
``MIN_POINTS`` points: no factor (the model's own band is kept, and said so).

``calibrate`` applies the factor around each forecast's mean, up to the horizon the backtest measured
(``cv_h``); beyond it the factor may widen a band but never narrows it, since nothing measured that a
narrower band would hold there. A hand-written rule rather than statsforecast's ``ConformalIntervals``: those
are per series, from a few windows each, and refit every model once per window on top of the backtest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE

MIN_POINTS = 20  # backtest points a model needs before its band is rescaled (a 95 % quantile of fewer is a guess)


def factor_column(level: int) -> str:
    """The column of the width factor at ``level`` percent in ``interval_factors``' and ``series_factors``' output."""
    return f"factor-{level}"


def interval_factors(cv: pd.DataFrame, models: Sequence[str], levels_pct: Sequence[int]) -> pd.DataFrame:
    """The width factor of each model's band at each level, pooled over the series and points of a backtest.

    ``cv``: the backtest frame, one row a series, origin and period: ``y`` (the outcome), a column per model (its
    forecast) and ``<model>-lo-<L>``, ``<model>-hi-<L>`` (its band), unclipped. Rows without an outcome or a
    band are left out.

    Columns: ``model, level`` (percent), ``points`` (backtest points scored), ``covered`` (share of them inside
    the model's own band, 0-1), ``factor`` (by how much to stretch the band's half-widths so that ``level`` % of
    the points would have fallen inside; NaN with fewer than ``MIN_POINTS`` points). A model without bands in
    ``cv`` has no rows.
    """
    rows = []
    for model in models:
        for level in levels_pct:
            lo, hi = f"{model}-lo-{level}", f"{model}-hi-{level}"
            if model not in cv.columns or lo not in cv.columns or hi not in cv.columns:
                continue
            mean = cv[model].to_numpy(dtype="float64")
            y = cv["y"].to_numpy(dtype="float64")
            above = y >= mean
            half = np.where(above, cv[hi].to_numpy(dtype="float64") - mean, mean - cv[lo].to_numpy(dtype="float64"))
            error = np.abs(y - mean)
            usable = np.isfinite(error) & np.isfinite(half)
            error, half = error[usable], half[usable]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(error == 0, 0.0, np.where(half > 0, error / np.where(half > 0, half, 1.0), np.inf))
            points = int(ratio.size)
            rows.append({"model": model, "level": int(level), "points": points,
                         "covered": float(np.mean(ratio <= 1)) if points else np.nan,
                         "factor": _conformal_quantile(ratio, level / 100) if points >= MIN_POINTS else np.nan})
    out = pd.DataFrame(rows, columns=["model", "level", "points", "covered", "factor"])
    return out.astype({"model": TEXT_DTYPE, "level": "int64", "points": "int64", "covered": "float64",
                       "factor": "float64"})


def _conformal_quantile(ratio: np.ndarray, share: float) -> float:
    """The ``ceil((n + 1) share)``-th smallest ratio (split-conformal), the largest when that rank exceeds ``n``;
    NaN when it is infinite (a band of zero width that missed)."""
    ordered = np.sort(ratio)
    rank = min(int(np.ceil((ordered.size + 1) * share)), ordered.size)
    value = float(ordered[rank - 1])
    return value if np.isfinite(value) else np.nan


def covered_column(level: int) -> str:
    """The column of the share of backtest points inside a model's own band at ``level`` percent."""
    return f"covered-{level}"


def with_factors(metrics: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """``metrics`` (one row a series and model) with ``covered-<L>`` and ``factor-<L>`` per level: the pooled
    figures of the row's model from ``interval_factors`` (NaN for a model without them). A new frame."""
    out = metrics.copy()
    models = out["model"].astype(str)
    for level in sorted(int(level) for level in factors["level"].unique()):
        of_level = factors.loc[factors["level"] == level]
        of_level = of_level.set_index(of_level["model"].astype(str))
        out[covered_column(level)] = models.map(of_level["covered"]).to_numpy(dtype="float64")
        out[factor_column(level)] = models.map(of_level["factor"]).to_numpy(dtype="float64")
    return out


def series_factors(metrics: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """Each series' width factors: those of the row of its selected model (``select_models``' ``unique_id,
    model``) in ``metrics`` (``cross_validate``'s output with ``factor-<L>`` columns), and the periods its backtest
    forecast (``cv_h``). Columns: ``unique_id, cv_h`` and the ``factor-<L>`` columns; a series whose model has no
    row (a top-k mean of two or more models, a short series' fallback) gets NaN factors: its band is kept."""
    columns = [column for column in metrics.columns if str(column).startswith("factor-")]
    rows = metrics.assign(unique_id=metrics["unique_id"].astype(str), model=metrics["model"].astype(str))
    rows = rows.drop_duplicates(["unique_id", "model"])[["unique_id", "model", "cv_h", *columns]]
    chosen = pd.DataFrame({"unique_id": selection["unique_id"].astype(str).to_numpy(dtype=object),
                           "model": selection["model"].astype(str).to_numpy(dtype=object)})
    out = chosen.merge(rows, on=["unique_id", "model"], how="left").drop(columns="model")
    return out.assign(cv_h=out["cv_h"].fillna(0).astype("int64")).astype({"unique_id": TEXT_DTYPE})


def calibrate(forecasts: pd.DataFrame, factors: pd.DataFrame, nonnegative: bool = True) -> pd.DataFrame:
    """``forecasts`` (``forecast``'s output: ``unique_id, ds, model, mean, lo-<L>, hi-<L>``) with each band's
    half-widths stretched by its series' factor (``series_factors``' output) around the mean: at the periods the
    backtest measured (the first ``cv_h`` of each series) by the factor, later by the factor when it widens the
    band and not at all when it would narrow it. A series or level without a factor keeps its band. Bounds
    clipped at 0 with ``nonnegative``. A new frame in the same order."""
    out = forecasts.copy()
    by_series = factors.set_index("unique_id")
    ids = out["unique_id"].astype(str)
    step = out.groupby(ids, sort=False).cumcount().to_numpy() + 1
    measured = step <= ids.map(by_series["cv_h"]).fillna(0).to_numpy()
    mean = out["mean"].to_numpy(dtype="float64")
    for column in by_series.columns:
        if not column.startswith("factor-"):
            continue
        level = column.split("-", 1)[1]
        factor = ids.map(by_series[column]).to_numpy(dtype="float64")
        factor = np.where(np.isnan(factor), 1.0, np.where(measured, factor, np.maximum(factor, 1.0)))
        lo = mean - factor * (mean - out[f"lo-{level}"].to_numpy(dtype="float64"))
        hi = mean + factor * (out[f"hi-{level}"].to_numpy(dtype="float64") - mean)
        out[f"lo-{level}"] = np.maximum(lo, 0.0) if nonnegative else lo
        out[f"hi-{level}"] = np.maximum(hi, 0.0) if nonnegative else hi
    return out
