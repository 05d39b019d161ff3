"""Choosing each series' model from its backtest, and the table of how far to trust each forecast
(*Selection* in the notes of ``salesops.demand.forecast``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.demand.forecast.settings import BASELINE, MEAN_MODEL, SIMPLICITY


_TIE = 1e-6  # relative MASE difference still counted as a tie


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

    Without top-k rows (``cross_validate`` with rule ``best`` or ``combination``): the lowest backtest MASE
    among its candidates; ties (within a relative 1e-6) go to the simpler model (``SIMPLICITY`` order). With
    rule ``combination`` the combination's row is a series' only candidate, so every series gets it.

    With top-k rows (rule ``top_k``; ``top_k`` >= 1, see ``top_k_backtest``): one ``k`` for all the series
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


def backtest_table(cv_metrics: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """How far to trust each series' forecast: the backtest of its selected model next to the seasonal
    naive baseline.

    Columns: ``unique_id, model`` (selected), ``mase, smape, bias`` (its backtest, see the package notes),
    ``seasonal_naive_mase``, ``improvement_vs_naive`` = 1 - mase / seasonal_naive_mase (0.3: 30 % smaller
    errors than repeating last year; negative: worse), ``windows``, ``cv_h`` (periods each backtest window
    forecast) and ``note``. NaN (and 0 windows) where the series was too short to backtest. Sorted by unique_id.
    """
    metrics = _check_metrics(cv_metrics)
    if not isinstance(selection, pd.DataFrame) or not {"unique_id", "model"} <= set(selection.columns):
        raise ValueError("selection must be select_models' output (columns unique_id, model)")
    metrics = metrics.assign(unique_id=metrics["unique_id"].astype(str), model=metrics["model"].astype(str))
    # a top-k mean of the combination's members in its order is the combination: one row each
    metrics = metrics.drop_duplicates(["unique_id", "model"])
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
