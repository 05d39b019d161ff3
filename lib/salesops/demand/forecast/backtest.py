"""Cross-validation: the rolling-origin backtest of every candidate model on every series, its accuracy
metrics (MASE, sMAPE, bias) and the top-k means of each series' best models (*Cross-validation*, *Metrics*
and *Short series* in the notes of ``salesops.demand.forecast``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.demand.forecast.engine import Engine, engine_for
from salesops.demand.forecast.intervals import interval_factors, no_factors
from salesops.demand.forecast.series import SERIES_KEYS, check_regular, check_series, trim_leading_zeros
from salesops.demand.forecast.settings import (
    BASELINE,
    COMBINATION_SEPARATOR,
    MEAN_MODEL,
    PERIOD_UNITS,
    SIMPLICITY,
    ForecastSettings,
    resolve_settings,
)
from salesops.settings.fields import Whole, check_argument


_ZERO_SCALE = 1e-9  # a scale below this fraction of the mean |y| counts as zero

_METRIC_COLUMNS = ("unique_id", "model", "mase", "smape", "bias", "windows", "cv_h", "candidate", "top_k",
                   "nested_mase", "note")  # cross_validate's columns


def cv_metrics(cv: pd.DataFrame, series: pd.DataFrame, season_length: int,
               models: Sequence[str] | None = None) -> pd.DataFrame:
    """Backtest accuracy per series x model from a statsforecast cross-validation frame.

    ``cv``: columns ``unique_id, ds, cutoff, y`` and one forecast column per model (statsforecast's
    ``cross_validation`` output); ``models`` defaults to all other columns. ``series``: the history the
    models were trained on (``unique_id, ds, y``), which gives each window's MASE scale. Definitions of
    ``mase``, ``smape`` and ``bias`` in the package notes.

    Columns: ``unique_id, model, mase, smape, bias, windows`` (number of backtest origins); sorted by
    unique_id, then model in ``models`` order.
    """
    season_length = check_argument(season_length, Whole("periods", 1, example=12), "season_length")
    missing = [column for column in ("unique_id", "ds", "cutoff", "y") if column not in cv.columns]
    if missing:
        raise ValueError(f"cv is missing column(s) {missing}; it has {list(cv.columns)} (statsforecast's "
                         "cross_validation output)")
    if models is None:
        models = [column for column in cv.columns if column not in ("unique_id", "ds", "cutoff", "y")]
    history = check_series(series[list(SERIES_KEYS)] if isinstance(series, pd.DataFrame) else series)
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
    history = check_series(series[list(SERIES_KEYS)] if isinstance(series, pd.DataFrame) else series)
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
    unit = PERIOD_UNITS[settings.freq]
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
    """The backtest's metrics per series and model: ``backtest``'s first frame (its docstring says what they are)."""
    return backtest(series, settings, engine)[0]


def backtest(series: pd.DataFrame, settings: ForecastSettings | None = None,
             engine: Engine | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling-origin backtest of every candidate model on every series (statsforecast's
    ``StatsForecast.cross_validation``; windows, horizon and metrics in the package notes).

    Columns: ``unique_id, model, mase, smape, bias, windows, cv_h, candidate, top_k, nested_mase, note``
    (``cv_h``: periods each backtest window forecast). One row per series x model backtested (the models of
    ``settings.backtested``, ``Ensemble`` when listed, the combination when its members were all backtested,
    and the ``SeasonalNaive`` baseline). ``candidate`` says what the rule chooses from: with rule
    ``combination`` only the combination's row (so ``select_models`` gives every series the combination),
    otherwise the models of ``settings.models``. A series too short to backtest has one row, its fallback
    model, with NaN metrics, 0 windows and a ``note`` saying why. With rule ``top_k`` (and 2+ candidates),
    each backtested series also has one
    row per k from 2 to the number of candidates: the mean of its k best candidates (``top_k_backtest``),
    labelled by its members (``"AutoETS + HoltWinters"``), ``candidate`` False, ``top_k`` = k and
    ``nested_mase`` its leave-one-window-out MASE; the row of the series' best single candidate has
    ``top_k`` 1 and the nested MASE of k = 1. Other rows: ``top_k`` 0, ``nested_mase`` NaN. Sorted by
    unique_id, then model (backtested, listed, the combination, the baseline), then the top-k means by k.

    Second frame: with ``calibrate_intervals``, how each backtested model's bands held up, per level and step
    (``intervals.interval_factors``: ``model, level, step, points, covered, factor``); empty otherwise.
    """
    frame = check_series(series)
    settings = resolve_settings(settings).for_series(frame["unique_id"].nunique())
    check_regular(frame, settings.freq)
    frame = trim_leading_zeros(frame)
    long_enough, fallbacks = _split_short(frame, settings)

    names = list(settings.backtested) + ([BASELINE] if BASELINE not in settings.backtested else [])
    pieces = []
    factors = no_factors()
    if len(long_enough):
        groups = [(settings, long_enough)]
        if settings.cv_horizon == "auto":
            history = long_enough.groupby("unique_id", sort=False)["y"].transform("size")
            full = (history >= settings.full_cv_min_periods).to_numpy()
            groups = [(settings.model_copy(update={"cv_horizon": "full"}), long_enough.loc[full]),
                      (settings.model_copy(update={"cv_horizon": "quarter"}), long_enough.loc[~full])]
        parts = []
        with engine_for(settings, engine) as runner:
            for group_settings, group in groups:
                if len(group):
                    parts.append(runner.cross_validation(group.reset_index(drop=True), names, group_settings)
                                 .assign(cv_h=group_settings.cv_h))
        cv = pd.concat(parts, ignore_index=True)
        horizons = cv.groupby("unique_id", sort=False)["cv_h"].first()
        actual = long_enough[["unique_id", "ds", "y"]]
        cv = cv.drop(columns=["y", "cv_h"]).merge(actual, on=["unique_id", "ds"], how="left")
        cv, columns = _with_averages(cv, settings)
        if settings.calibrate_intervals:
            steps = cv.groupby(["unique_id", "cutoff"], sort=False).cumcount() + 1
            factors = interval_factors(cv.assign(step=steps.to_numpy()), columns, settings.levels_pct)
        if settings.nonnegative:
            cv[columns] = cv[columns].clip(lower=0)
        metrics = cv_metrics(cv, long_enough, settings.season, columns)
        chosen_from = [settings.combination_label] if settings.rule == "combination" else list(settings.models)
        metrics["candidate"] = metrics["model"].isin(chosen_from).to_numpy(dtype=bool)
        metrics = metrics.assign(top_k=0, nested_mase=np.nan)
        ranked = sorted(settings.candidates, key=SIMPLICITY.index)  # ties in the ranking go to the simpler model
        if settings.rule == "top_k" and len(ranked) > 1:
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
        return _empty_metrics(), factors
    out = pd.concat(pieces, ignore_index=True)
    listed = dict.fromkeys([*settings.backtested, *settings.models, settings.combination_label, BASELINE, MEAN_MODEL])
    order = {name: index for index, name in enumerate(listed)}  # each model at its first place
    out = out.assign(_order=out["model"].astype(object).map(order).fillna(len(order)),
                     top_k=out["top_k"].fillna(0), candidate=out["candidate"].astype(bool))
    out = out.sort_values(["unique_id", "_order", "top_k"], kind="stable").drop(columns="_order").reset_index(drop=True)
    return out[list(_METRIC_COLUMNS)].astype({
        "unique_id": TEXT_DTYPE, "model": TEXT_DTYPE, "mase": "float64", "smape": "float64", "bias": "float64",
        "windows": "int64", "cv_h": "int64", "candidate": "bool", "top_k": "int64", "nested_mase": "float64",
        "note": TEXT_DTYPE}), factors


def _with_averages(cv: pd.DataFrame, settings: ForecastSettings) -> tuple[pd.DataFrame, list[str]]:
    """``cv`` with the columns of the averages the backtest scores besides the models it ran: ``Ensemble`` (the
    mean of the candidates, when listed and all backtested) and the combination (the mean of its members,
    when there are two or more and all were backtested); and the list of every model column to score."""
    backtested = list(settings.backtested)
    members = {}
    if "Ensemble" in settings.models and set(settings.candidates) <= set(backtested):
        members["Ensemble"] = list(settings.candidates)
    if len(settings.combination) > 1 and set(settings.combination) <= set(backtested):
        members[settings.combination_label] = list(settings.combination)
    averages = {}
    for label, names in members.items():  # the mean of the members' means, and of their bounds (as forecast does)
        averages[label] = cv[names].mean(axis=1, skipna=False)
        for bound in (f"{side}-{level}" for level in settings.levels_pct for side in ("lo", "hi")):
            if all(f"{name}-{bound}" in cv.columns for name in names):
                averages[f"{label}-{bound}"] = cv[[f"{name}-{bound}" for name in names]].mean(axis=1, skipna=False)
    columns = [*backtested, *members]
    return cv.assign(**averages), columns + ([BASELINE] if BASELINE not in columns else [])


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
