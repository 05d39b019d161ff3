"""Making the forecasts of a hierarchy add up: bottom-up, top-down, middle-out or MinT (*Reconciliation* in
the notes of ``salesops.demand.forecast``). scipy is imported when used."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from salesops.demand.forecast.series import check_series
from salesops.demand.forecast.settings import ForecastSettings, resolve_settings


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
    # each node's bottom series by a join on its level's columns (every bottom series for the total): a scan
    # of the bottom series per node grew with the square of the number of series
    pieces = []
    for level in levels:
        at = np.flatnonzero((nodes["_level"] == order[level]).to_numpy())
        mine = pd.DataFrame({"row": at,
                             **{column: nodes[column].iloc[at].astype(str).to_numpy() for column in level}})
        below = pd.DataFrame({"col": np.arange(len(bottom)),
                              **{column: bottom[column].astype(str).to_numpy() for column in level}})
        pieces.append(mine.merge(below, on=list(level)) if level else mine.merge(below, how="cross"))
    pairs = pd.concat(pieces, ignore_index=True)
    childless = np.setdiff1d(np.arange(len(nodes)), pairs["row"].to_numpy())
    if len(childless):
        raise ValueError(f"series {nodes['unique_id'].iloc[childless[0]]!r} has no series below it at the bottom "
                         f"level {list(bottom_level)}; build all levels from the same data")
    rows, cols = pairs["row"].to_numpy(), pairs["col"].to_numpy()
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

    settings = resolve_settings(settings)
    if not isinstance(forecasts, pd.DataFrame) or not {"unique_id", "ds", "mean"} <= set(forecasts.columns):
        raise ValueError("forecasts must be forecast()'s output with columns unique_id, ds, mean and the bounds; "
                         f"got {type(forecasts).__name__}")
    history = check_series(series)
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
    bottom_rows = pd.Index(tree.nodes).get_indexer(tree.bottom)

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
