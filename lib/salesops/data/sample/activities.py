"""The activities logged against deals stage by stage, and SDR prospecting without a deal."""

from __future__ import annotations

import numpy as np

from salesops.contract import schema
from salesops.data.sample.clock import Clock, DAY_NS, NO_END, to_weekday, weekday
from salesops.data.sample.knobs import (
    ACTIVITY_RATE, DURATION_MEDIAN, NO_ACTIVITY_SHARE, SDR_TOUCHES_PER_DAY, SEGMENT_ACTIVITY, SKILL_DEMO_MIX,
    SKILL_EMAIL_MIX,
)
from salesops.data.sample.opportunities import stage_at


def make_activities(rng, clock: Clock, reps, opps) -> dict[str, np.ndarray]:
    """Activities stage by stage for deals in the window, then SDR prospecting without a deal.

    Adds ``keep`` (deals open or closed in the window, the ones that are output) and ``unlogged`` (deals whose
    activities were never logged) to ``opps``. Returns arrays sorted by time: ``opp`` (deal index, -1 for
    prospecting), ``kind`` (index into ``schema.ACTIVITY_TYPES``), ``timestamp`` (ns since 1970), ``rep`` and
    ``duration`` (minutes).
    """
    keep = opps["is_open"] | (opps["close"] >= clock.start)
    opps["keep"] = keep
    idx = np.flatnonzero(keep)
    created = opps["created"][idx]
    act_end = opps["activity_end"][idx]
    reached = np.minimum(opps["max_stage"][idx], stage_at({k: opps[k][idx] for k in
                         ("created", "stage_start", "max_stage")}, act_end))
    skill = reps["skill"][opps["first_rep"][idx]]
    mix = np.stack([np.exp(SKILL_EMAIL_MIX * skill), np.ones_like(skill), np.exp(SKILL_DEMO_MIX * skill),
                    np.exp(SKILL_DEMO_MIX * skill), np.ones_like(skill)], axis=1)
    level = SEGMENT_ACTIVITY[opps["segment"][idx]] * opps["intensity"][idx]
    starts, durations = opps["stage_start"][idx], opps["duration"][idx]

    # a first e-mail or call on the day the deal is created, then activities stage by stage
    opp_parts = [np.arange(len(idx))]
    type_parts = [(rng.random(len(idx)) < 0.5).astype(np.int8)]  # small types: these are the largest arrays
    day_parts = [created]
    for s in range(5):  # one step per stage
        lo = created + starts[:, s]
        nxt = created + starts[:, s + 1] - 1 if s < 4 else np.full(len(idx), NO_END)
        hi = np.where(s < reached, nxt, act_end)
        span = np.maximum(hi - lo + 1, 1)
        frac = np.clip(span / np.maximum(durations[:, s], 1), 0.15, 1.0) * (reached >= s)
        for t in range(len(schema.ACTIVITY_TYPES)):  # one step per activity type
            if ACTIVITY_RATE[s, t] == 0:
                continue
            count = rng.poisson(ACTIVITY_RATE[s, t] * level * mix[:, t] * frac)
            who = np.repeat(np.arange(len(idx)), count)
            opp_parts.append(who)
            type_parts.append(np.full(len(who), t, dtype=np.int8))
            day_parts.append(lo[who] + np.floor(rng.random(len(who)) * span[who]).astype(np.int64))
    local = np.concatenate(opp_parts)
    kind = np.concatenate(type_parts)
    day = to_weekday(np.concatenate(day_parts), clock.end)
    del opp_parts, type_parts, day_parts  # the parts: as large as the activities (34 million rows at scale 100)
    opp = idx[local]
    del local

    unlogged = np.zeros(len(opps["created"]), dtype=bool)
    unlogged[rng.choice(idx, int(round(NO_ACTIVITY_SHARE * len(idx))), replace=False)] = True
    rep = np.where(day < opps["handoff"][opp], opps["first_rep"][opp], opps["rep"][opp])
    ok = ~unlogged[opp] & (day >= reps["hire"][rep]) & (day <= reps["leave"][rep]) & (day <= clock.end)
    opp, kind, day, rep = opp[ok], kind[ok], day[ok], rep[ok]

    sdr_rep, sdr_day, sdr_kind = [], [], []
    for r in np.flatnonzero(reps["role"] == schema.ROLES.index("SDR")):  # one step per SDR
        days = np.arange(max(reps["hire"][r], clock.start), min(reps["leave"][r], clock.end) + 1)
        days = days[weekday(days) < 5]
        if len(days) == 0:
            continue
        k = rng.poisson(len(days) * SDR_TOUCHES_PER_DAY)
        sdr_day.append(days[rng.integers(0, len(days), k)])
        sdr_kind.append((rng.random(k) < 0.4).astype(np.int64))  # 0 email, 1 call
        sdr_rep.append(np.full(k, r))
    opp = np.concatenate([opp] + [np.full(len(d), -1) for d in sdr_day])
    kind = np.concatenate([kind] + sdr_kind)
    day = np.concatenate([day] + sdr_day)
    rep = np.concatenate([rep] + sdr_rep)

    minute = 8 * 60 + rng.integers(0, 600, len(day))  # working hours 08:00-17:59
    timestamp = day * DAY_NS + minute * 60 * 10**9
    duration = DURATION_MEDIAN[kind] * rng.lognormal(0.0, 0.3, len(day))
    step = np.where(kind <= 1, 1.0, 5.0)
    duration = np.maximum(1.0, np.round(duration / step) * step)
    del minute, step, day
    order = np.lexsort((kind, opp, rep, timestamp))
    opps["unlogged"] = unlogged
    out = {"opp": opp, "kind": kind, "timestamp": timestamp, "rep": rep, "duration": duration}
    del opp, kind, timestamp, rep, duration
    for name in out:  # one array sorted at a time: the unsorted one goes as its sorted copy comes
        out[name] = out[name][order]
    return out
