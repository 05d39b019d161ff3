"""The forecast itself: each series by its selected model (or the mean of a combination's members), with
statsforecast's intervals (*Forecast* in the notes of ``salesops.demand.forecast``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.demand.forecast.engine import Engine, engine_for
from salesops.demand.forecast.series import check_regular, check_series, trim_leading_zeros
from salesops.demand.forecast.settings import (
    BASELINE,
    COMBINATION_SEPARATOR,
    MEAN_MODEL,
    MODELS,
    ForecastSettings,
    did_you_mean,
    resolve_settings,
)


def _interval_columns(levels_pct: Sequence[int]) -> list[str]:
    return [f"{side}-{level}" for level in levels_pct for side in ("lo", "hi")]


def forecast(series: pd.DataFrame, settings: ForecastSettings | None = None,
             selection: pd.DataFrame | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Forecast each series with its selected model, ``settings.horizon`` periods after its last period.

    ``selection``: ``unique_id, model`` (``select_models``' output); every series needs a row. Series that
    need the same models are forecast together (see the package notes); the ensemble is the mean of its
    members, its bounds the means of their bounds (an approximation).

    Columns: ``unique_id, ds, model, mean, lo-80, hi-80, lo-95, hi-95`` (one lo/hi pair per
    ``levels_pct``), in the series' unit; clipped at 0 with ``nonnegative``. Sorted by unique_id, ds.
    """
    frame = check_series(series)
    settings = resolve_settings(settings).for_series(frame["unique_id"].nunique())
    check_regular(frame, settings.freq)
    frame = trim_leading_zeros(frame)
    chosen = _check_selection(selection, frame, settings)

    members = list(settings.candidates)
    needs = {uid: tuple(members) if model == "Ensemble" else _members(model) for uid, model in chosen.items()}
    groups: dict[tuple[str, ...], list[str]] = {}
    for uid, names in needs.items():
        groups.setdefault(names, []).append(uid)

    bounds = _interval_columns(settings.levels_pct)
    pieces = []
    with engine_for(settings, engine) as runner:
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
    allowed = (*settings.candidates, *settings.combination, BASELINE, MEAN_MODEL,
               *(["Ensemble"] if "Ensemble" in settings.models else []))
    for uid, model in chosen.items():
        parts = _members(model)
        if model not in allowed and not (len(parts) > 1 and (set(parts) <= set(settings.candidates)
                                                             or set(parts) == set(settings.combination))):
            raise ValueError(f"selection: model {model!r} of series {uid!r} is not one of the settings' models "
                             f"{list(allowed)}{did_you_mean(model, allowed)}")
    return {uid: chosen[uid] for uid in frame["unique_id"].unique()}
