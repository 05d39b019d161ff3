"""The team (``reps``): hires, leavers, managers, ramp-up and the deal capacity of the account executives."""

from __future__ import annotations

import numpy as np

from salesops.contract import schema
from salesops.data.sample.clock import Clock, NO_END
from salesops.data.sample.knobs import (
    AE_SEGMENT_SHARE, ANNUAL_ATTRITION, HEADCOUNT_AT_END, MIN_HEADCOUNT, MIN_TENURE_BEFORE_LEAVING,
    MONTH_SEASONALITY, OPPS_PER_AE_MONTH, OPTIMISTIC_SHARE, OTE_AE, OTE_OTHER, PESSIMISTIC_SHARE, QUOTA,
    RAMP_MONTHS, REGIONS, REGION_SHARE, SEGMENTS, TEAM_GROWTH,
)
from salesops.data.sample.names import person_names


def _hire_cells(rng, n_hire: int, counts: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Cells (segment x region, or region) for new hires: each goes where the team is most under its share."""
    counts = counts.astype(float).copy()
    cells = np.empty(n_hire, dtype=np.int64)
    for i in range(n_hire):  # one step per hire
        deficit = shares * (counts.sum() + 1) - counts + 0.05 * rng.random(len(shares))
        cells[i] = np.argmax(deficit)
        counts[cells[i]] += 1
    return cells


def simulate_reps(rng, clock: Clock, scale: float) -> dict[str, np.ndarray]:
    """Hire and lose people month by month so each role grows ~30 %/year to its end-date headcount.

    Returns one array per attribute, one entry per person ordered by hire day: ``role`` (index into
    ``schema.ROLES``), ``hire`` and ``leave`` (day numbers; ``NO_END`` while employed), ``segment`` (index into
    ``SEGMENTS``, -1 for non-AEs), ``region``, ``skill`` (standard normal), ``name``, ``manager`` (person index,
    -1 for none), ``quota`` (quarterly, AEs only), ``ote`` (annual) and ``forecast_bias`` (commit multiplier).
    """
    parts = []
    years_before_end = (clock.end - clock.month_last) / 365.25
    for role_index, role in enumerate(schema.ROLES):
        n_end = max(MIN_HEADCOUNT[role], int(round(HEADCOUNT_AT_END[role] * scale)))
        target = np.maximum(MIN_HEADCOUNT[role], np.round(n_end * TEAM_GROWTH ** -years_before_end)).astype(int)
        target[-1] = n_end
        p_leave = 1.0 - (1.0 - ANNUAL_ATTRITION[role]) ** (1.0 / 12.0)
        # AEs are placed in segment x region cells, everyone else in a region
        shares = np.outer(AE_SEGMENT_SHARE, REGION_SHARE).ravel() if role == "AE" else REGION_SHARE
        n_regions = len(REGIONS)

        n0 = target[0]
        hire = clock.month_start[0] - rng.integers(30, 5 * 365, n0)
        leave = np.full(n0, NO_END)
        cell = _hire_cells(rng, n0, np.zeros(len(shares)), shares)
        for m in range(clock.n_months):
            ms, ml = clock.month_start[m], clock.month_last[m]
            last_leave = min(ml, clock.end - 1)
            if last_leave >= ms:
                eligible = (leave == NO_END) & (hire <= ms - MIN_TENURE_BEFORE_LEAVING)
                leavers = eligible & (rng.random(len(hire)) < p_leave)
                leave[leavers] = ms + rng.integers(0, last_leave - ms + 1, leavers.sum())
            staff = leave == NO_END
            n_hire = int(max(0, target[m] - staff.sum()))
            if n_hire == 0:
                continue
            counts = np.bincount(cell[staff], minlength=len(shares))
            cell = np.concatenate([cell, _hire_cells(rng, n_hire, counts, shares)])
            hire = np.concatenate([hire, ms + rng.integers(0, ml - ms + 1, n_hire)])
            leave = np.concatenate([leave, np.full(n_hire, NO_END)])
        segment = cell // n_regions if role == "AE" else np.full(len(cell), -1)
        parts.append((np.full(len(hire), role_index), hire, leave, segment, cell % n_regions))

    role, hire, leave, segment, region = (np.concatenate(column) for column in zip(*parts))
    order = np.lexsort((role, hire))
    reps = {"role": role[order], "hire": hire[order], "leave": leave[order], "segment": segment[order],
            "region": region[order]}
    n = len(order)
    reps["skill"] = rng.standard_normal(n)
    reps["name"] = person_names(rng, n)
    reps["manager"] = _assign_managers(rng, reps)
    is_ae = reps["role"] == schema.ROLES.index("AE")
    seg = np.maximum(reps["segment"], 0)
    reps["quota"] = np.where(is_ae, QUOTA[seg], np.nan)
    other_ote = np.array([OTE_OTHER.get(r, 0.0) for r in schema.ROLES])[reps["role"]]
    reps["ote"] = np.round(np.where(is_ae, OTE_AE[seg], other_ote) * rng.uniform(0.93, 1.07, n), -3)
    bias = rng.normal(0.95, 0.07, n)
    kind = rng.random(n)
    bias = np.where(kind < OPTIMISTIC_SHARE, rng.uniform(1.3, 1.6, n), bias)
    bias = np.where((kind >= OPTIMISTIC_SHARE) & (kind < OPTIMISTIC_SHARE + PESSIMISTIC_SHARE),
                    rng.uniform(0.6, 0.8, n), bias)
    reps["forecast_bias"] = bias
    return reps


def _assign_managers(rng, reps) -> np.ndarray:
    """AEs and SDRs report to a manager of their region hired before them (any manager as a fallback)."""
    manager_role = schema.ROLES.index("MANAGER")
    managed = np.isin(reps["role"], [schema.ROLES.index("AE"), schema.ROLES.index("SDR")])
    managers = np.flatnonzero(reps["role"] == manager_role)
    out = np.full(len(reps["role"]), -1, dtype=np.int64)
    for i in np.flatnonzero(managed):  # one small step per person
        cands = managers[(reps["hire"][managers] <= reps["hire"][i]) & (reps["region"][managers] == reps["region"][i])]
        if len(cands) == 0:
            cands = managers[reps["hire"][managers] <= reps["hire"][i]]
        if len(cands) == 0:
            cands = managers
        out[i] = cands[rng.integers(len(cands))]
    return out


def ramp_matrix(clock: Clock, reps) -> np.ndarray:
    """(reps x months) productivity of each AE working the whole month: 0..1 during ramp, 0 when absent."""
    is_ae = reps["role"] == schema.ROLES.index("AE")
    ms = clock.month_start[None, :]
    active = is_ae[:, None] & (reps["hire"][:, None] <= ms) & (reps["leave"][:, None] >= clock.month_last[None, :])
    months_in = (ms - reps["hire"][:, None]) / 30.44 + 0.5
    ramp_months = RAMP_MONTHS[np.maximum(reps["segment"], 0)][:, None]
    return np.where(active, np.clip(months_in / ramp_months, 0.05, 1.0), 0.0)


def monthly_demand(clock: Clock, reps, weight: np.ndarray) -> np.ndarray:
    """(months x 12 segment-region groups) expected new deals: AE capacity x rate x seasonality."""
    demand = np.zeros((clock.n_months, len(SEGMENTS) * len(REGIONS)))
    group = reps["segment"] * len(REGIONS) + reps["region"]
    for g in range(demand.shape[1]):  # one step per group
        demand[:, g] = weight[group == g].sum(axis=0) * OPPS_PER_AE_MONTH[g // len(REGIONS)]
    season = MONTH_SEASONALITY[clock.month_of_year - 1] * clock.month_days / clock.full_month_days
    return demand * season[:, None]
