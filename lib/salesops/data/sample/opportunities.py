"""The opportunities: owner, amount, cycle, stage gates, close dates, open and stale deals, departures."""

from __future__ import annotations

import numpy as np

from salesops.contract import schema
from salesops.data.sample.accounts import sample_accounts
from salesops.data.sample.clock import Clock, NO_END, first_day, month_of, to_weekday
from salesops.data.sample.draws import draw_index, pick_weighted
from salesops.data.sample.knobs import (
    CLOSE_ON_DEPARTURE, CYCLE_MEDIAN, CYCLE_SIGMA, DEAL_SIZE_MEAN, DEAL_SIZE_SIGMA, DECEMBER_PULL, GATE_LOGIT,
    ICP_WIN, INTENSITY_SIGMA, INTENSITY_WIN, LEAD_INTEREST_WIN, LOST_CLEANUP, PRODUCTS, PRODUCT_MIX,
    PRODUCT_SIZE, QUARTER_END_PUSH, RAMP_WIN_PENALTY, SEGMENT_GATE_OFFSET, SKILL_CONVERSION, STAGE_SHARE,
    STALE_SHARE, SUMMER_SLIP,
)


def _assign_reps(rng, clock: Clock, reps, weight, day, segment, region) -> np.ndarray:
    """The AE of each new deal: same segment and region (then segment, then anyone), ∝ ramp x volume."""
    month = clock.month_index(day)
    owner = np.full(len(day), -1, dtype=np.int64)
    for m in range(clock.n_months):  # one step per month
        rows = np.flatnonzero(month == m)
        cands = np.flatnonzero(weight[:, m] > 0)
        w = weight[cands, m]
        pick = pick_weighted(rng, segment[rows] * 4 + region[rows], reps["segment"][cands] * 4
                              + reps["region"][cands], w)
        pick = np.where(pick >= 0, pick, pick_weighted(rng, segment[rows], reps["segment"][cands], w))
        pick = np.where(pick >= 0, pick, pick_weighted(rng, np.zeros(len(rows), np.int64),
                                                        np.zeros(len(cands), np.int64), w))
        if np.any(pick < 0):
            raise RuntimeError("no account executive employed in a simulated month")
        owner[rows] = cands[pick]
    return owner


def make_opportunities(rng, clock, reps, ramp, weight, accounts, leads, self_sourced) -> dict[str, np.ndarray]:
    """Deals from converted leads plus self-sourced ones; their path through the stages and close dates.

    ``ramp`` and ``weight`` are (reps x months) from ``people``; ``self_sourced`` is the expected count of deals
    without a lead per (month, segment-region group). Returns one array per attribute, one entry per deal:
    ``created``, ``close`` (expected close for open deals), ``natural_close`` (day numbers), ``account``,
    ``lead`` (-1 for none), ``rep`` (current owner), ``first_rep``, ``handoff`` (day of the first hand-over),
    ``product``, ``amount``, the stage plan (``cycle``, ``duration``, ``stage_start``), ``won``, ``max_stage``,
    ``stage`` (index into ``schema.STAGES``), ``is_open``, ``stale``, ``alive_until`` and ``activity_end``.
    """
    from_lead = np.flatnonzero(leads["converted"])
    counts = rng.poisson(self_sourced)
    month, group = np.nonzero(counts >= 0)
    month, group = np.repeat(month, counts.ravel()), np.repeat(group, counts.ravel())
    own_day = clock.month_start[month] + np.floor(rng.random(len(month)) * clock.month_days[month]).astype(np.int64)
    own_day = np.clip(to_weekday(own_day, clock.end), clock.month_start[month], clock.month_last[month])
    created = np.concatenate([leads["convert_day"][from_lead], own_day])
    account = np.concatenate([leads["account"][from_lead], sample_accounts(rng, accounts, group)])
    lead = np.concatenate([from_lead, np.full(len(own_day), -1)])
    interest = np.concatenate([leads["interest"][from_lead], np.zeros(len(own_day))])
    n = len(created)
    segment, region = accounts["segment"][account], accounts["region"][account]
    rep = _assign_reps(rng, clock, reps, weight, created, segment, region)
    rep_ramp = ramp[rep, clock.month_index(created)]
    skill = reps["skill"][rep]

    # amount and planned cycle
    product = draw_index(rng, PRODUCTS, PRODUCT_MIX, n)
    sigma = DEAL_SIZE_SIGMA
    amount = DEAL_SIZE_MEAN[segment] * PRODUCT_SIZE[product] * np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)
    amount = np.maximum(500.0, np.round(amount * np.exp(0.05 * skill), -2))
    size_effect = 0.25 * (np.log(amount) - np.log(DEAL_SIZE_MEAN[segment]))
    cycle = np.maximum(5.0, CYCLE_MEDIAN[segment] * np.exp(size_effect + CYCLE_SIGMA * rng.standard_normal(n)))
    share = rng.gamma(STAGE_SHARE * 15.0, size=(n, 5))
    duration = np.maximum(1, np.round(cycle[:, None] * share / share.sum(axis=1, keepdims=True))).astype(np.int64)
    stage_start = np.cumsum(duration, axis=1) - duration

    # stage gates
    intensity = rng.lognormal(0.0, INTENSITY_SIGMA, n)
    shift = (SKILL_CONVERSION * skill + ICP_WIN * accounts["fit"][account] + INTENSITY_WIN * np.log(intensity)
             - RAMP_WIN_PENALTY * (1.0 - rep_ramp) + LEAD_INTEREST_WIN * interest)
    logit = GATE_LOGIT[None, :] + SEGMENT_GATE_OFFSET[segment][:, None] + shift[:, None]
    passed = rng.random((n, 5)) < 1.0 / (1.0 + np.exp(-logit))
    n_passed = np.cumprod(passed, axis=1).sum(axis=1)
    won = n_passed == 5
    max_stage = np.minimum(n_passed, 4)
    rows = np.arange(n)
    lost_offset = stage_start[rows, max_stage] + np.maximum(
        1, np.round(rng.uniform(0.3, 1.0, n) * duration[rows, max_stage])).astype(np.int64)
    close = created + np.where(won, duration.sum(axis=1), lost_offset)
    close = _seasonal_close(rng, close, won)

    opps = {
        "created": created, "account": account, "lead": lead, "segment": segment, "rep": rep,
        "first_rep": rep.copy(), "handoff": np.full(n, NO_END), "product": product, "amount": amount,
        "cycle": cycle, "duration": duration, "stage_start": stage_start, "intensity": intensity,
        "won": won, "max_stage": max_stage, "natural_close": close.copy(),
    }
    _open_and_stale(rng, clock, opps)
    return opps


def _seasonal_close(rng, close: np.ndarray, won: np.ndarray) -> np.ndarray:
    """Move close dates later: summer slips, the December rush, the end-of-quarter push, lost-deal clean-up."""
    n = len(close)
    month = month_of(close)
    moy = month % 12 + 1
    january = month - (moy - 1)
    summer = won & ((moy == 7) | (moy == 8)) & (rng.random(n) < SUMMER_SLIP)
    close = np.where(summer, first_day(january + 8) + rng.integers(0, 20, n), close)
    autumn = won & ((moy == 10) | (moy == 11)) & (rng.random(n) < DECEMBER_PULL)
    close = np.where(autumn, first_day(january + 11) + rng.integers(4, 31, n), close)
    quarter_end = first_day((month_of(close) // 3 + 1) * 3) - 1
    to_go = quarter_end - close
    push = won & (to_go >= 14) & (to_go <= 41) & (rng.random(n) < QUARTER_END_PUSH)
    close = np.where(push, quarter_end - rng.integers(0, 14, n), close)
    cleanup = ~won & (to_go >= 7) & (to_go <= 30) & (rng.random(n) < LOST_CLEANUP)
    return np.where(cleanup, quarter_end - rng.integers(0, 7, n), close)


def stage_at(opps, day: np.ndarray) -> np.ndarray:
    """Index of the open stage each deal was in on ``day`` (capped at the furthest stage it reaches)."""
    reached = (opps["created"][:, None] + opps["stage_start"] <= day[:, None]).sum(axis=1) - 1
    return np.clip(reached, 0, opps["max_stage"])


def _open_and_stale(rng, clock: Clock, opps) -> None:
    """Deals running on the end date are open with an expected close date; plant stale open deals."""
    n = len(opps["created"])
    end = clock.end
    is_open = opps["natural_close"] > end
    planned = opps["created"] + opps["duration"].sum(axis=1)
    noise = np.round(rng.normal(0.0, 0.1, n) * opps["cycle"]).astype(np.int64)
    expected = np.where(opps["won"], opps["natural_close"], planned) + noise
    expected = np.where(expected <= end, end + rng.integers(5, 46, n), expected)

    candidates = np.flatnonzero(~is_open & ~opps["won"] & (opps["natural_close"] >= end - 270)
                                & (opps["created"] >= end - 400))
    n_stale = min(len(candidates), int(round(STALE_SHARE / (1 - STALE_SHARE) * is_open.sum())))
    stale = np.zeros(n, dtype=bool)
    stale[rng.choice(candidates, n_stale, replace=False)] = True
    gap = np.maximum(1, end - opps["natural_close"])
    stale_expected = np.where(planned < end, planned, opps["natural_close"] + np.floor(rng.random(n) * gap))
    expected = np.where(stale, np.minimum(stale_expected, end - 1).astype(np.int64), expected)

    is_open |= stale
    stage = np.where(opps["won"], 5, 6)
    stage = np.where(is_open, stage_at(opps, np.full(n, end)), stage)
    opps.update(
        is_open=is_open, stale=stale, stage=stage,
        close=np.where(is_open, expected, opps["natural_close"]),
        alive_until=np.where(is_open, end, opps["natural_close"]),
        activity_end=np.where(is_open & ~stale, end, opps["natural_close"]),
    )
    opps["max_stage"] = np.where(is_open, stage, opps["max_stage"])


def handle_departures(rng, clock: Clock, reps, opps) -> None:
    """A leaving AE's running deals are closed lost that day or handed to a colleague of the segment.

    Updates ``opps`` in place (owner, hand-over day, stage, close and the open/won/stale flags).
    """
    ae = reps["role"] == schema.ROLES.index("AE")
    leavers = np.flatnonzero(ae & (reps["leave"] < NO_END))
    leavers = leavers[np.argsort(reps["leave"][leavers], kind="stable")]
    for r in leavers:  # one step per leaving AE, in the order they leave
        day = reps["leave"][r]
        rows = np.flatnonzero((opps["rep"] == r) & (opps["alive_until"] > day))
        if len(rows) == 0:
            continue
        cands = np.flatnonzero(ae & (reps["hire"] <= day) & (reps["leave"] > day)
                               & (reps["segment"] == reps["segment"][r]))
        same_region = cands[reps["region"][cands] == reps["region"][r]]
        cands = same_region if len(same_region) else cands
        close_now = rng.random(len(rows)) < CLOSE_ON_DEPARTURE
        new_owner = rng.integers(0, max(1, len(cands)), len(rows))
        if len(cands) == 0:
            close_now[:] = True
        moved = rows[~close_now]
        first = moved[opps["handoff"][moved] == NO_END]
        opps["handoff"][first] = day
        if len(moved):
            opps["rep"][moved] = cands[new_owner[~close_now]]
        shut = rows[close_now]
        stage_then = stage_at({k: opps[k][shut] for k in ("created", "stage_start", "max_stage")},
                               np.full(len(shut), day))
        opps["max_stage"][shut] = stage_then
        opps["won"][shut] = False
        opps["is_open"][shut] = False
        opps["stale"][shut] = False
        opps["stage"][shut] = 6
        opps["close"][shut] = day
        opps["alive_until"][shut] = day
        opps["activity_end"][shut] = np.minimum(opps["activity_end"][shut], day)
