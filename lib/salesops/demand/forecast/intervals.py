"""Prediction intervals checked on the backtest and rescaled to hold what they promise (*Intervals* in the notes
of ``salesops.demand.forecast``).

The models' own intervals assume their errors follow the model; on real series they are often too narrow (M3
quarterly: the mean of four models' 80 % bands held 67 % of the outcomes over two years) and sometimes too wide.
The backtest already forecasts past origins, so it can measure the miss. For each model and level ``L``, every
backtest point gives a *ratio*: the point's error over the band's half-width on the error's side,

    ratio = |y - mean| / (hi_L - mean)   when y >= mean,     |y - mean| / (mean - lo_L)   otherwise,

so the point falls inside the band exactly when ratio <= 1. The *width factor* of a forecast step (1 for the first period after the
origin, 2 for the next...) is the conformal quantile of the model's ratios at that step, pooled over every series
and origin (the ``ceil((n + 1) L / 100)``-th smallest of ``n``): stretching each half-width by it would have held
``L`` % of the backtest's outcomes at that step. Per step, because the models' bands are often right at one
horizon and wrong at another (one factor for all steps over-widened the next quarter on Tourism quarterly). Pooling over the
series of a call is deliberate: one series has a handful of backtest points, far too few for a 95 % quantile;
the ratio is scale-free, so a company's total and its smallest segment pool fairly. Fewer than
``MIN_POINTS`` points: no factor (the model's own band is kept, and said so).

``calibrate`` applies each step's factor around the forecast's mean, up to the last step the backtest measured;
beyond it the last step's factor may widen a band but never narrows it, since nothing measured that a narrower
band would hold there. A hand-written rule rather than statsforecast's ``ConformalIntervals``: those
are per series, from a few windows each, and refit every model once per window on top of the backtest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE

MIN_POINTS = 20  # backtest points a model needs before its band is rescaled (a 95 % quantile of fewer is a guess)


def interval_factors(cv: pd.DataFrame, models: Sequence[str], levels_pct: Sequence[int]) -> pd.DataFrame:
    """The width factor of each model's band at each level and forecast step, pooled over the series and origins
    of a backtest.

    ``cv``: the backtest frame, one row a series, origin and period: ``step`` (1 for the first period after the
    origin), ``y`` (the outcome), a column per model (its forecast) and ``<model>-lo-<L>``, ``<model>-hi-<L>``
    (its band), unclipped. Rows without an outcome or a band are left out.

    Columns: ``model, level`` (percent), ``step``, ``points`` (backtest points scored), ``covered`` (share of them
    inside the model's own band, 0-1), ``factor`` (by how much to stretch the band's half-widths so that ``level``
    % of the points would have fallen inside; NaN with fewer than ``MIN_POINTS`` points). A model without bands in
    ``cv`` has no rows. Sorted by model (in ``models`` order), level, step.
    """
    rows = []
    steps = cv["step"].to_numpy(dtype="int64")
    y = cv["y"].to_numpy(dtype="float64")
    for model in models:
        for level in levels_pct:
            lo, hi = f"{model}-lo-{level}", f"{model}-hi-{level}"
            if model not in cv.columns or lo not in cv.columns or hi not in cv.columns:
                continue
            mean = cv[model].to_numpy(dtype="float64")
            half = np.where(y >= mean, cv[hi].to_numpy(dtype="float64") - mean,
                            mean - cv[lo].to_numpy(dtype="float64"))
            error = np.abs(y - mean)
            usable = np.isfinite(error) & np.isfinite(half)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(error == 0, 0.0, np.where(half > 0, error / np.where(half > 0, half, 1.0), np.inf))
            for step in np.unique(steps[usable]):
                at = ratio[usable & (steps == step)]
                rows.append({"model": model, "level": int(level), "step": int(step), "points": int(at.size),
                             "covered": float(np.mean(at <= 1)),
                             "factor": _conformal_quantile(at, level / 100) if at.size >= MIN_POINTS else np.nan})
    return _factor_frame(rows)


def no_factors() -> pd.DataFrame:
    """``interval_factors``' frame without rows: nothing measured, every band kept as the models made it."""
    return _factor_frame([])


def _factor_frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["model", "level", "step", "points", "covered", "factor"])
    return out.astype({"model": TEXT_DTYPE, "level": "int64", "step": "int64", "points": "int64",
                       "covered": "float64", "factor": "float64"})


def _conformal_quantile(ratio: np.ndarray, share: float) -> float:
    """The ``ceil((n + 1) share)``-th smallest ratio (split-conformal), the largest when that rank exceeds ``n``;
    NaN when it is infinite (a band of zero width that missed)."""
    ordered = np.sort(ratio)
    rank = min(int(np.ceil((ordered.size + 1) * share)), ordered.size)
    value = float(ordered[rank - 1])
    return value if np.isfinite(value) else np.nan


def calibrate(forecasts: pd.DataFrame, factors: pd.DataFrame, selection: pd.DataFrame,
              nonnegative: bool = True) -> pd.DataFrame:
    """``forecasts`` (``forecast``'s output: ``unique_id, ds, mean, lo-<L>, hi-<L>``, each series' periods in
    order) with each band's half-widths stretched around the mean by the factor of its series' model
    (``selection``: ``unique_id, model``), level and step in ``factors`` (``interval_factors``' output). Steps the
    backtest measured take their factor as it is; later steps take the last measured step's, only where it
    widens the band. A series whose model has no factors (a top-k mean of several models, a short series'
    fallback) or a step whose factor is NaN keeps its band. Bounds clipped at 0 with ``nonnegative``. A new frame
    in the same order; the inputs are not modified."""
    out = forecasts.copy()
    ids = out["unique_id"].astype(str)
    model = ids.map(dict(zip(selection["unique_id"].astype(str), selection["model"].astype(str))))
    step = out.groupby(ids, sort=False).cumcount().to_numpy() + 1
    mean = out["mean"].to_numpy(dtype="float64")
    for level, of_level in factors.groupby("level", sort=True):
        last = of_level.groupby(of_level["model"].astype(str))["step"].max()
        measured_to = model.map(last).fillna(0).to_numpy(dtype="int64")
        at = pd.MultiIndex.from_arrays([model.fillna("").to_numpy(), np.minimum(step, np.maximum(measured_to, 1))])
        by_step = of_level.set_index([of_level["model"].astype(str), of_level["step"]])["factor"]
        factor = by_step.reindex(at).to_numpy(dtype="float64")
        factor = np.where(np.isnan(factor), 1.0, np.where(step <= measured_to, factor, np.maximum(factor, 1.0)))
        lo = mean - factor * (mean - out[f"lo-{level}"].to_numpy(dtype="float64"))
        hi = mean + factor * (out[f"hi-{level}"].to_numpy(dtype="float64") - mean)
        out[f"lo-{level}"] = np.maximum(lo, 0.0) if nonnegative else lo
        out[f"hi-{level}"] = np.maximum(hi, 0.0) if nonnegative else hi
    return out


def range_held(factors: pd.DataFrame, model: str, level: int, steps: int) -> tuple[float, float, int]:
    """How ``model``'s own band at ``level`` held up over the first ``steps`` forecast steps of the backtest: the
    share of outcomes inside it (0-1), the points-weighted mean factor it was rescaled by (NaN where no step had
    one) and the points scored. (NaN, NaN, 0) without rows."""
    rows = factors.loc[(factors["model"].astype(str) == model) & (factors["level"] == level)
                       & (factors["step"] <= steps)]
    points = int(rows["points"].sum())
    if not points:
        return float("nan"), float("nan"), 0
    covered = float((rows["covered"] * rows["points"]).sum() / points)
    rescaled = rows.loc[rows["factor"].notna()]
    factor = float((rescaled["factor"] * rescaled["points"]).sum() / rescaled["points"].sum()) if len(rescaled) \
        else float("nan")
    return covered, factor, points
