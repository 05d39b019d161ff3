"""The pipeline's view of the planned period: stage close rates and slippage measured in the history, the open
pipeline due in the period at those rates, and the new deals still to be created and won in it
(*Stage close rate*, *Slippage*, *New deals* in the notes of ``salesops.demand.plan``)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.contract.schema import OPEN_STAGES
from salesops.deals import (
    aggregate,
    check_by,
    closed_in_window,
    closed_mask,
    MIN_LOST_STAGE_KNOWN,
    furthest_open_stage,
    in_window,
    lost_stage_known_share,
    open_at,
    ratio,
    stage_progress,
    text_array,
    window_start,
    won_mask,
)
from salesops.demand.plan.common import (
    TOTAL,
    check_frame,
    check_opportunities_frame,
    check_period,
    month_start,
    months_between,
    segment_id,
    segment_order,
    segment_values,
    z_score,
)
from salesops.demand.plan.settings import DemandSettings, resolve_settings


PIPELINE_COLUMNS: tuple[str, ...] = (
    "unique_id", "segment", "open_deals", "open_value", "commit_value", "best_case_value", "weighted_value",
    "slip_share", "expected_pipeline", "expected_new_deals", "new_deal_periods", "won_to_date", "downside", "base",
    "upside", "commit_total",
    "best_case_total", "stale_deals", "stale_value", "target", "coverage", "expected_attainment",
)

PIPELINE_MONTH_COLUMNS: tuple[str, ...] = (
    "unique_id", "segment", "ds", "open_deals", "open_value", "weighted_value", "expected_pipeline",
    "expected_new_deals", "won_to_date", "downside", "base", "upside",
)

NEW_DEAL_COLUMNS: tuple[str, ...] = (
    "unique_id", "segment", "origin", "period_start", "period_end", "won_deals", "new_deal_bookings",
)


def _lookup(table: pd.Series, keys: pd.MultiIndex | pd.Index) -> np.ndarray:
    return table.reindex(keys).to_numpy(dtype=float)


def stage_close_rates(opportunities: pd.DataFrame, as_of, settings: DemandSettings | None = None,
                      by: Sequence[str] | str = ()) -> pd.DataFrame:
    """Measured close rate of each open stage: P(won | the deal reached the stage).

    Deals: closed (won or lost) in the history window ``(as_of - history_months months, as_of]``. For each stage
    of ``schema.OPEN_STAGES`` (funnel order): ``deals`` = how many of them reached it (count; a won deal passed
    every stage, any other reached the furthest of ``max_stage`` and its current stage, as in
    ``kpis.stage_funnel``), ``won`` = how many of those were won (count), ``close_rate`` = won / deals
    (fraction; NaN when no deal reached the stage). The first stage's rate is the win rate by count.

    When fewer than ``deals.MIN_LOST_STAGE_KNOWN`` of the deals lost in the window record the stage they reached
    (``max_stage``; the stage history fills it where there is one), how far lost deals got cannot be told: every
    one would count as lost at the first stage and every later stage would close at 100%. Every stage then takes
    the first stage's rate, the win rate by count (``rate_basis`` ``win rate``; else ``stage``).

    Columns ``<by...>, stage, deals, won, close_rate, rate_basis``: one row per stage (``by=()``) or per group with a deal
    closed in the window × stage, sorted by group then funnel order.
    """
    settings = resolve_settings(settings)
    check_opportunities_frame(opportunities)
    keys = check_by(by, opportunities=opportunities)
    as_of = as_timestamp(as_of, "as_of")

    closed = opportunities.loc[closed_in_window(opportunities, as_of, settings.history_months)]
    base = pd.DataFrame({key: closed[key].to_numpy() for key in keys}, index=pd.RangeIndex(len(closed)))
    progress = stage_progress(closed)
    won = won_mask(closed)
    parts = []
    for index in range(len(OPEN_STAGES)):
        reached = progress >= index
        parts.append(base.assign(_stage=index, _deals=reached.astype(np.int64), _won=(reached & won).astype(np.int64)))
    long = pd.concat(parts, ignore_index=True) if parts else base
    if keys:
        out = (long.groupby([*keys, "_stage"], dropna=False, sort=True)[["_deals", "_won"]].sum().reset_index())
    else:
        out = (long.groupby("_stage")[["_deals", "_won"]].sum()
               .reindex(range(len(OPEN_STAGES)), fill_value=0).rename_axis("_stage").reset_index())
    out = out.rename(columns={"_deals": "deals", "_won": "won"}).astype({"deals": "int64", "won": "int64"})
    stage = np.array(OPEN_STAGES, dtype=object)[out["_stage"].to_numpy(dtype=np.int64)]
    out = out.drop(columns="_stage")
    out.insert(len(keys), "stage", text_array(stage))
    out = out.assign(close_rate=ratio(out["won"], out["deals"])).reset_index(drop=True)
    if lost_stage_known_share(opportunities, as_of, settings.history_months) < MIN_LOST_STAGE_KNOWN:
        first = out["stage"] == OPEN_STAGES[0]
        win_rate = (out.loc[first].set_index(keys)["close_rate"] if keys else out.loc[first, "close_rate"].iloc[0])
        rate = (pd.MultiIndex.from_frame(out[keys]).map(win_rate.to_dict()) if len(keys) > 1 else
                out[keys[0]].map(win_rate) if keys else win_rate)
        return out.assign(close_rate=np.asarray(rate, dtype=float) * np.ones(len(out)),
                          rate_basis=text_array(["win rate"] * len(out)))
    return out.assign(rate_basis=text_array(["stage"] * len(out)))


def close_date_slippage(opportunities: pd.DataFrame, as_of, settings: DemandSettings | None = None,
                        by: Sequence[str] | str = ()) -> pd.DataFrame:
    """How often deals miss their expected close date: the share of the deals due in the history window that
    are still open after their date passed (see "Slippage" in the module docstring for what this can and
    cannot see).

    Deals *due* in the window ``(as_of - history_months months, as_of]``, created on or before ``as_of``:

    * closed there (``close_date`` is then the actual date: taken as on time), or
    * *slipped*: still open with an expected ``close_date`` in the window and before ``as_of`` (stale).

    Columns ``<by...>, due_deals, due_value, slipped_deals, slipped_value`` (counts; sums of ``amount``, company
    currency), ``slip_share_count`` = slipped_deals / due_deals, ``slip_share`` = slipped_value / due_value
    (fractions, NaN when nothing was due; the value share is the one the pipeline forecast applies),
    ``median_days_late`` = median of ``as_of - close_date`` of the slipped deals (days past the expected date
    so far; NaN when none slipped). One row (``by=()``) or one per group with a due deal, sorted by group.
    """
    settings = resolve_settings(settings)
    check_opportunities_frame(opportunities)
    keys = check_by(by, opportunities=opportunities)
    as_of = as_timestamp(as_of, "as_of")

    close = opportunities["close_date"]
    created = (opportunities["created_date"] <= as_of).to_numpy(dtype=bool)
    in_history = in_window(close, as_of, settings.history_months)
    closed = closed_mask(opportunities)
    slipped = created & in_history & ~closed & (close < as_of).to_numpy(dtype=bool)
    due = (created & in_history & closed) | slipped
    frame = opportunities.loc[due]
    is_slipped = slipped[due]
    late = (as_of - frame["close_date"]).dt.days.astype("float64")
    frame = frame.assign(
        _one=1,
        _slipped=is_slipped.astype(np.int64),
        _slipped_value=frame["amount"].where(is_slipped, 0.0),
        _late=late.where(is_slipped),
    )
    out = aggregate(
        frame, keys, due_deals=("_one", "sum"), due_value=("amount", "sum"), slipped_deals=("_slipped", "sum"),
        slipped_value=("_slipped_value", "sum"), median_days_late=("_late", "median"),
    ).astype({"due_deals": "int64", "due_value": "float64", "slipped_deals": "int64", "slipped_value": "float64",
              "median_days_late": "float64"})
    out = out.assign(
        slip_share_count=ratio(out["slipped_deals"], out["due_deals"]),
        slip_share=ratio(out["slipped_value"], out["due_value"]),
    )
    columns = [*keys, "due_deals", "due_value", "slipped_deals", "slipped_value", "slip_share_count", "slip_share",
               "median_days_late"]
    return out[columns].reset_index(drop=True)


def _check_target(target) -> dict[str, float] | None:
    """``target`` as {unique_id: amount}: a number is the total's target, a mapping gives segments (and
    optionally ``total``; else the total is the sum of the segment targets)."""
    if target is None:
        return None

    def amount(value, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"target{name} must be a bookings amount greater than 0 (company currency); got {value!r}")
        return float(value)

    if isinstance(target, Mapping):
        if not target:
            raise ValueError("target must be a number, a mapping {segment: amount} or None; got an empty mapping")
        out = {}
        for key, value in target.items():
            key = str(key)
            out[TOTAL if key == TOTAL else segment_id(key.removeprefix("segment="))] = amount(value, f"[{key!r}]")
        if TOTAL not in out:
            out[TOTAL] = sum(out.values())
        return out
    return {TOTAL: amount(target, "")}


def _measured_rates(opportunities, as_of, settings, segment, close_rates) -> tuple[pd.Series, pd.Series | None]:
    """(all-segment rate per stage, per (segment, stage) rate already falling back to the all-segment rate
    where measured on fewer than ``min_rate_deals`` deals, or None without segments)."""
    if close_rates is not None:
        check_frame(close_rates, "close_rates", ("stage", "close_rate"))
        rates = close_rates["close_rate"].astype("float64")
        if rates.isna().any() or ((rates < 0) | (rates > 1)).any():
            raise ValueError("close_rates.close_rate must be fractions from 0 to 1 with no missing value")
        stages = close_rates["stage"].astype(object).astype(str)
        unknown = sorted(set(stages) - set(OPEN_STAGES))
        if unknown:
            raise ValueError(f"close_rates has unknown stage(s) {unknown}; valid: {', '.join(OPEN_STAGES)}")
        if "segment" in close_rates.columns:
            index = pd.MultiIndex.from_arrays([segment_values(close_rates, "segment").to_numpy(), stages.to_numpy()])
            by_segment = pd.Series(rates.to_numpy(), index=index)
            if not by_segment.index.is_unique:
                raise ValueError("close_rates has more than one row for some segment and stage")
            return pd.Series(np.nan, index=list(OPEN_STAGES)), by_segment
        total = pd.Series(rates.to_numpy(), index=stages.to_numpy())
        if not total.index.is_unique:
            raise ValueError("close_rates has more than one row for some stage; give one close_rate per stage")
        return total.reindex(list(OPEN_STAGES)), None

    total_table = stage_close_rates(opportunities, as_of, settings)
    total = pd.Series(total_table["close_rate"].to_numpy(dtype=float), index=list(OPEN_STAGES))
    if segment is None:
        return total, None
    table = stage_close_rates(opportunities.assign(_segment=segment), as_of, settings, by="_segment")
    stages = table["stage"].astype(object).to_numpy()
    fallback = total.reindex(stages).to_numpy()
    rate = np.where(table["deals"].to_numpy() >= settings.min_rate_deals, table["close_rate"].to_numpy(dtype=float),
                    fallback)
    index = pd.MultiIndex.from_arrays([table["_segment"].astype(object).to_numpy(), stages])
    return total, pd.Series(rate, index=index)


def _measured_slip(opportunities, as_of, settings, segment, slip_share) -> tuple[float, dict[str, float]]:
    """(all-segment slip share, {segment: slip share}) as applied: 0 when slippage is off or nothing was due."""
    if not settings.slippage:
        return 0.0, {}
    if slip_share is not None:
        if (isinstance(slip_share, bool) or not isinstance(slip_share, numbers.Real)
                or not 0 <= slip_share < 1):
            raise ValueError(f"slip_share must be a fraction from 0 up to (not including) 1; got {slip_share!r}")
        return float(slip_share), {}
    total = float(close_date_slippage(opportunities, as_of, settings)["slip_share"].iloc[0])
    total = 0.0 if math.isnan(total) else total
    if segment is None:
        return total, {}
    table = close_date_slippage(opportunities.assign(_segment=segment), as_of, settings, by="_segment")
    by_segment = {}
    for name, due, share in zip(table["_segment"].astype(object), table["due_deals"], table["slip_share"]):
        usable = due >= settings.min_rate_deals and not math.isnan(share)
        by_segment[str(name)] = float(share) if usable else total
    return total, by_segment


def _past_periods(opportunities: pd.DataFrame, as_of: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp,
                  settings: DemandSettings) -> list[tuple[int, pd.Timestamp, pd.Timestamp, pd.Timestamp]]:
    """(shift in months, origin, first bookable day, last day) of each past period like the planned one, most
    recent first (rules under "New deals" in the module docstring)."""
    step = len(months_between(start, end))
    history_start = window_start(as_of, settings.history_months)
    earliest = opportunities["created_date"].min()
    first_day = max(start, as_of + pd.Timedelta(days=1))
    periods = []
    shift = step
    while (origin := window_start(as_of, shift)) >= history_start:
        last_day = window_start(end, shift)
        if last_day <= as_of and not (pd.isna(earliest) or origin < earliest):
            periods.append((shift, origin, window_start(first_day, shift), last_day))
        shift += step
    return periods


def _new_deal_items(opportunities: pd.DataFrame, labels: pd.Series, as_of, start, end, settings, include=True):
    """(won deals created and won inside each past period: ``segment, _period, ds, amount`` with ``ds`` the
    *planned* month the deal's month stands for; the past periods). ``include`` false: none."""
    periods = _past_periods(opportunities, as_of, start, end, settings) if include else []
    won = won_mask(opportunities)
    created, close = opportunities["created_date"], opportunities["close_date"]
    pieces = []
    for index, (shift, origin, first_day, last_day) in enumerate(periods):
        inside = won & ((created > origin) & (close >= first_day) & (close <= last_day)).to_numpy(dtype=bool)
        pieces.append(pd.DataFrame({
            "segment": labels[inside].to_numpy(dtype=object),
            "_period": index,
            "ds": (month_start(close[inside]) + pd.DateOffset(months=shift)).to_numpy(dtype="datetime64[ns]"),
            "amount": opportunities.loc[inside, "amount"].to_numpy(dtype=float),
        }))
    empty = pd.DataFrame({"segment": pd.Series(dtype=object), "_period": pd.Series(dtype="int64"),
                          "ds": pd.Series(dtype="datetime64[ns]"), "amount": pd.Series(dtype=float)})
    return pd.concat([empty, *pieces], ignore_index=True), periods


def _new_deal_expectation(new: pd.DataFrame, n_periods: int, keys: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance) per row of ``keys`` (``unique_id``, or ``unique_id, ds``) of the new-deal bookings over
    the past periods (module docstring); zeros without a past period."""
    if n_periods == 0:
        return np.zeros(len(keys)), np.zeros(len(keys))
    names = list(keys.names)
    per_period = (new.groupby([*names, "_period"])["amount"].sum().unstack("_period")
                  .reindex(index=keys, columns=range(n_periods)).fillna(0.0))
    mean = per_period.mean(axis=1).to_numpy(dtype=float)
    if n_periods >= 2:
        variance = per_period.var(axis=1, ddof=1).to_numpy(dtype=float) * (1 + 1 / n_periods)
    else:  # one period: compound Poisson, sum of amount²
        variance = (new.assign(_square=new["amount"] ** 2).groupby(names)["_square"].sum()
                    .reindex(keys, fill_value=0.0).to_numpy(dtype=float))
    return mean, variance


def new_deal_history(
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    *,
    segment_column: str | None = "segment",
) -> pd.DataFrame:
    """The deals created and won inside each past period like the planned one: what the pipeline forecast adds
    for the deals still to be created (``expected_new_deals`` = the mean of ``new_deal_bookings`` over these
    periods; the rules are under "New deals" in the module docstring).

    One row per ``unique_id`` (``segment=<s>`` for every segment of ``segment_column``, then ``total``; only
    ``total`` without that column) × past period, most recent period first. Columns: ``origin`` (the past
    period's stand-in for ``as_of``: deals created after it count), ``period_start``, ``period_end`` (the days
    a deal had to be won in, both included), ``won_deals`` (count) and ``new_deal_bookings`` (their amount,
    company currency). No row when no past period fits in the history window.
    """
    settings = resolve_settings(settings)
    check_opportunities_frame(opportunities)
    as_of, start, end = check_period(as_of, period_start, period_end)
    segment = segment_values(opportunities, segment_column)
    labels = pd.Series(TOTAL, index=opportunities.index) if segment is None else segment
    new, periods = _new_deal_items(opportunities, labels, as_of, start, end, settings)
    ids, names = _series_ids(segment)
    grid = pd.MultiIndex.from_product([ids, range(len(periods))], names=["unique_id", "_period"])
    table = (_with_total(new.assign(_deals=1), segment is not None).groupby(["unique_id", "_period"])
             [["_deals", "amount"]].sum().reindex(grid, fill_value=0))
    period_index = grid.get_level_values("_period")
    out = pd.DataFrame({
        "unique_id": text_array(grid.get_level_values("unique_id")),
        "segment": text_array(names[i] for i in grid.get_level_values("unique_id")),
        "origin": pd.DatetimeIndex([periods[i][1] for i in period_index]).astype("datetime64[ns]"),
        "period_start": pd.DatetimeIndex([periods[i][2] for i in period_index]).astype("datetime64[ns]"),
        "period_end": pd.DatetimeIndex([periods[i][3] for i in period_index]).astype("datetime64[ns]"),
        "won_deals": table["_deals"].to_numpy(dtype=np.int64),
        "new_deal_bookings": table["amount"].to_numpy(dtype=float),
    })
    return out[list(NEW_DEAL_COLUMNS)]


def _series_ids(segment: pd.Series | None) -> tuple[list[str], dict[str, str]]:
    """(``unique_id`` values in order, {unique_id: segment label}): the segments then ``total``."""
    if segment is None:
        return [TOTAL], {TOTAL: TOTAL}
    order = segment_order(segment)
    return [*(segment_id(name) for name in order), TOTAL], {**{segment_id(name): name for name in order},
                                                              TOTAL: TOTAL}


def _pipeline_parts(opportunities, as_of, period_start, period_end, settings, segment_column, close_rates,
                    slip_share):
    """Deal-level pieces of the pipeline forecast: (items due in the period, won in the period to date, stale
    deals, ids in order, {id: segment label}, months)."""
    settings = resolve_settings(settings)
    check_opportunities_frame(opportunities)
    as_of, start, end = check_period(as_of, period_start, period_end)
    segment = segment_values(opportunities, segment_column)
    labels = pd.Series(TOTAL, index=opportunities.index) if segment is None else segment

    total_rates, segment_rates = _measured_rates(opportunities, as_of, settings, segment, close_rates)
    total_slip, segment_slip = _measured_slip(opportunities, as_of, settings, segment, slip_share)

    open_mask = open_at(opportunities, as_of)
    if "forecast_category" in opportunities.columns:
        category = opportunities["forecast_category"].astype(object)
        category = category.where(category.notna(), "pipeline").replace({"closed": "commit"})
    else:
        category = pd.Series("pipeline", index=opportunities.index, dtype=object)
    counted = open_mask & (category != "omitted").to_numpy(dtype=bool)
    close = opportunities["close_date"]
    stale_mask = counted & (close < as_of).to_numpy(dtype=bool)
    due_mask = counted & ~stale_mask & ((close >= start) & (close <= end)).to_numpy(dtype=bool)

    due = opportunities.loc[due_mask]
    stage_index = furthest_open_stage(due)
    stage = np.array(OPEN_STAGES, dtype=object)[stage_index]
    group = labels[due_mask].to_numpy(dtype=object)
    if segment_rates is not None:
        rate = _lookup(segment_rates, pd.MultiIndex.from_arrays([group, stage]))
        if close_rates is None:  # a segment with no closed deal at all: the all-segment rate
            rate = np.where(np.isnan(rate), total_rates.reindex(stage).to_numpy(), rate)
    else:
        rate = total_rates.reindex(stage).to_numpy(dtype=float)
    if np.isnan(rate).any():
        missing = sorted({f"{g}/{s}" if segment_rates is not None else s
                          for g, s, r in zip(group, stage, rate) if math.isnan(r)})
        source = ("close_rates has no rate for" if close_rates is not None else
                  f"no deal closed in the last {settings.history_months} months reached")
        raise ValueError(f"{source} {missing}, where open deals are due in the period: "
                         "widen demand.history_months or pass close_rates")
    slip = np.array([segment_slip.get(g, total_slip) for g in group], dtype=float) if len(group) else np.zeros(0)
    amount = due["amount"].to_numpy(dtype=float)
    probability = rate * (1.0 - slip)
    due_category = category[due_mask].to_numpy(dtype=object)
    items = pd.DataFrame({
        "segment": group,
        "ds": month_start(due["close_date"]).to_numpy(),
        "open_deals": np.ones(len(due), dtype=np.int64),
        "open_value": amount,
        "commit_value": np.where(due_category == "commit", amount, 0.0),
        "best_case_value": np.where(due_category == "best_case", amount, 0.0),
        "weighted_value": amount * rate,
        "expected_pipeline": amount * probability,
        "_variance": amount**2 * probability * (1.0 - probability),
    })

    won_until = min(end, as_of)
    won_now = won_mask(opportunities) & ((close >= start) & (close <= won_until)).to_numpy(dtype=bool)
    won = pd.DataFrame({
        "segment": labels[won_now].to_numpy(dtype=object),
        "ds": month_start(opportunities.loc[won_now, "close_date"]).to_numpy(),
        "won_to_date": opportunities.loc[won_now, "amount"].to_numpy(dtype=float),
    })
    stale = pd.DataFrame({
        "segment": labels[stale_mask].to_numpy(dtype=object),
        "stale_deals": np.ones(int(stale_mask.sum()), dtype=np.int64),
        "stale_value": opportunities.loc[stale_mask, "amount"].to_numpy(dtype=float),
    })
    new, periods = _new_deal_items(opportunities, labels, as_of, start, end, settings, settings.pipeline_new_deals)
    ids, names = _series_ids(segment)
    return items, won, stale, (new, len(periods)), ids, names, months_between(start, end), settings


def _with_total(frame: pd.DataFrame, has_segments: bool) -> pd.DataFrame:
    """Rows of ``frame`` keyed ``unique_id``: once per segment (when there are segments) and once as total."""
    totals = frame.assign(unique_id=TOTAL)
    if not has_segments:
        return totals
    return pd.concat([frame.assign(unique_id=frame["segment"].map(segment_id)), totals], ignore_index=True)


def _scenarios(base: np.ndarray, sd: np.ndarray, floor: np.ndarray, ceiling: np.ndarray, z: float):
    downside = np.clip(base - z * sd, floor, None)
    upside = np.minimum(base + z * sd, ceiling)
    return downside, np.maximum(upside, base)


def _pipeline_scenarios(base, pipeline_variance, won_to_date, open_value, new_mean, new_variance,
                        settings: DemandSettings):
    """(downside, upside) of the pipeline forecast: base ∓ z × sqrt(pipeline variance + new-deal variance),
    never below what is won, never above won + every open deal + the new deals' own upside."""
    z = z_score(settings.interval)
    ceiling = won_to_date + open_value + new_mean + z * np.sqrt(new_variance)
    return _scenarios(base, np.sqrt(pipeline_variance + new_variance), won_to_date, ceiling, z)


def pipeline_forecast(
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    *,
    target: float | Mapping[str, float] | None = None,
    segment_column: str | None = "segment",
    close_rates: pd.DataFrame | None = None,
    slip_share: float | None = None,
) -> pd.DataFrame:
    """Bookings the open pipeline will bring in the planned period, per segment and in total.

    Deals counted: open at ``as_of``, not ``omitted`` from the forecast, with an expected ``close_date`` in
    ``[period_start, period_end]`` and not before ``as_of``. Each is worth amount × close rate of the furthest
    stage it reached × (1 − slip share): the close rate measured for its segment (:func:`stage_close_rates`,
    the all-segment rate where the segment had fewer than ``min_rate_deals`` closed deals at that stage) and the
    slip share likewise (:func:`close_date_slippage`; 0 when ``settings.slippage`` is false). ``close_rates`` (a
    :func:`stage_close_rates` frame, optionally with a ``segment`` column) and ``slip_share`` (a fraction;
    ignored when ``settings.slippage`` is false) replace the measured values, e.g. for a what-if. For a past
    ``as_of`` the stages and dates are today's, so a backtest of this method is optimistic.

    With ``settings.pipeline_new_deals`` (default) the deals still to be created and won in the period are added:
    ``expected_new_deals``, the mean over the past periods of :func:`new_deal_history` (module docstring, "New
    deals").

    One row per ``unique_id`` (``segment=<s>`` for every segment of ``segment_column``, then ``total``; only
    ``total`` without that column). Columns, money in company currency:

    * ``open_deals``, ``open_value``: count and amount of the deals counted; ``commit_value``,
      ``best_case_value``: their amount in forecast category commit (an open deal marked ``closed`` counts as
      commit) and best_case.
    * ``weighted_value`` = sum of amount × close rate; ``slip_share`` = 1 − expected_pipeline / weighted_value
      (the value share taken off for slippage); ``expected_pipeline`` = sum of amount × close rate × (1 − slip):
      the pipeline in hand.
    * ``expected_new_deals``: bookings expected from deals created after ``as_of`` and won in the period (0
      with ``pipeline_new_deals`` false or no past period); ``new_deal_periods``: the number of past periods
      it is the mean of.
    * ``won_to_date``: amount won with close_date in ``[period_start, min(period_end, as_of)]`` (0 before the
      period starts).
    * ``base`` = won_to_date + expected_pipeline + expected_new_deals; ``downside`` / ``upside``: the
      ``settings.interval`` bounds (module docstring: the open deals' and the new deals' spreads combined),
      never below won_to_date nor above won_to_date + open_value + the new deals' own upside.
    * ``commit_total`` = won_to_date + commit_value; ``best_case_total`` = commit_total + best_case_value: the
      reps' own view.
    * ``stale_deals``, ``stale_value``: open deals whose expected date is already past (left out above).
    * ``target`` (company currency; NaN when not given for the row), ``coverage`` = (won_to_date + open_value)
      / target (as ``kpis.pipeline_coverage``), ``expected_attainment`` = base / target.

    ``target``: a number (the total's bookings target) or ``{segment: amount}`` (the total then is the sum,
    unless a ``total`` key is given).
    """
    targets = _check_target(target)
    items, won, stale, (new, n_periods), ids, names, _, settings = _pipeline_parts(
        opportunities, as_of, period_start, period_end, settings, segment_column, close_rates, slip_share)
    has_segments = len(ids) > 1
    sums = ["open_deals", "open_value", "commit_value", "best_case_value", "weighted_value", "expected_pipeline",
            "_variance"]
    table = _with_total(items, has_segments).groupby("unique_id")[sums].sum().reindex(ids, fill_value=0)
    new_mean, new_variance = _new_deal_expectation(_with_total(new, has_segments), n_periods,
                                                   pd.Index(ids, name="unique_id"))
    table["won_to_date"] = _with_total(won, has_segments).groupby("unique_id")["won_to_date"].sum().reindex(
        ids, fill_value=0.0)
    stale_sums = _with_total(stale, has_segments).groupby("unique_id")[["stale_deals", "stale_value"]].sum()
    table[["stale_deals", "stale_value"]] = stale_sums.reindex(ids, fill_value=0).to_numpy()

    won_to_date = table["won_to_date"].to_numpy(dtype=float)
    open_value = table["open_value"].to_numpy(dtype=float)
    base = won_to_date + table["expected_pipeline"].to_numpy(dtype=float) + new_mean
    downside, upside = _pipeline_scenarios(base, table["_variance"].to_numpy(dtype=float), won_to_date,
                                           open_value, new_mean, new_variance, settings)
    weighted = table["weighted_value"].astype("float64")
    unknown = sorted(set(targets or {}) - set(ids))
    if unknown:
        raise ValueError(f"target names {unknown}, which are not rows of the forecast; rows: {ids}")
    target_values = np.array([np.nan if targets is None else targets.get(i, np.nan) for i in ids], dtype=float)
    out = pd.DataFrame({
        "unique_id": text_array(ids),
        "segment": text_array(names[i] for i in ids),
        "open_deals": table["open_deals"].to_numpy(dtype=np.int64),
        "open_value": open_value,
        "commit_value": table["commit_value"].to_numpy(dtype=float),
        "best_case_value": table["best_case_value"].to_numpy(dtype=float),
        "weighted_value": weighted.to_numpy(),
        "slip_share": (1.0 - ratio(table["expected_pipeline"], weighted)).to_numpy(dtype=float),
        "expected_pipeline": table["expected_pipeline"].to_numpy(dtype=float),
        "expected_new_deals": new_mean,
        "new_deal_periods": np.full(len(ids), n_periods, dtype=np.int64),
        "won_to_date": won_to_date,
        "downside": downside,
        "base": base,
        "upside": upside,
        "commit_total": won_to_date + table["commit_value"].to_numpy(dtype=float),
        "best_case_total": won_to_date + (table["commit_value"] + table["best_case_value"]).to_numpy(dtype=float),
        "stale_deals": table["stale_deals"].to_numpy(dtype=np.int64),
        "stale_value": table["stale_value"].to_numpy(dtype=float),
        "target": target_values,
    })
    out = out.assign(coverage=(won_to_date + open_value) / target_values, expected_attainment=base / target_values)
    return out[list(PIPELINE_COLUMNS)]


def pipeline_forecast_by_month(
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    *,
    segment_column: str | None = "segment",
    close_rates: pd.DataFrame | None = None,
    slip_share: float | None = None,
) -> pd.DataFrame:
    """:func:`pipeline_forecast` split by the month of each deal's expected close date (``won_to_date`` by the
    month it was won), one row per ``unique_id`` × month ``ds`` of the planned period, zeros where nothing is
    due. Columns ``unique_id, segment, ds, open_deals, open_value, weighted_value, expected_pipeline,
    expected_new_deals, won_to_date, downside, base, upside`` with the same definitions, month by month (the new
    deals by the month they were won in the past periods; the months' downsides do not add up to the period's: a
    bad month and a good one partly cancel)."""
    items, won, _, (new, n_periods), ids, names, months, settings = _pipeline_parts(
        opportunities, as_of, period_start, period_end, settings, segment_column, close_rates, slip_share)
    has_segments = len(ids) > 1
    grid = pd.MultiIndex.from_product([ids, months], names=["unique_id", "ds"])
    sums = ["open_deals", "open_value", "weighted_value", "expected_pipeline", "_variance"]
    table = _with_total(items, has_segments).groupby(["unique_id", "ds"])[sums].sum().reindex(grid, fill_value=0)
    table["won_to_date"] = (_with_total(won, has_segments).groupby(["unique_id", "ds"])["won_to_date"].sum()
                            .reindex(grid, fill_value=0.0))
    new_mean, new_variance = _new_deal_expectation(_with_total(new, has_segments), n_periods, grid)
    won_to_date = table["won_to_date"].to_numpy(dtype=float)
    open_value = table["open_value"].to_numpy(dtype=float)
    base = won_to_date + table["expected_pipeline"].to_numpy(dtype=float) + new_mean
    downside, upside = _pipeline_scenarios(base, table["_variance"].to_numpy(dtype=float), won_to_date,
                                           open_value, new_mean, new_variance, settings)
    unique_ids = grid.get_level_values("unique_id")
    out = pd.DataFrame({
        "unique_id": text_array(unique_ids),
        "segment": text_array(names[i] for i in unique_ids),
        "ds": grid.get_level_values("ds").to_numpy(dtype="datetime64[ns]"),
        "open_deals": table["open_deals"].to_numpy(dtype=np.int64),
        "open_value": open_value,
        "weighted_value": table["weighted_value"].to_numpy(dtype=float),
        "expected_pipeline": table["expected_pipeline"].to_numpy(dtype=float),
        "expected_new_deals": new_mean,
        "won_to_date": won_to_date,
        "downside": downside,
        "base": base,
        "upside": upside,
    })
    return out[list(PIPELINE_MONTH_COLUMNS)]
