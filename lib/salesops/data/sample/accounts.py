"""The accounts: the company universe leads and deals are drawn from, and its finishing touches."""

from __future__ import annotations

import numpy as np

from salesops.contract import schema
from salesops.data.sample.clock import Clock, NO_END
from salesops.data.sample.draws import draw_index, pick_weighted
from salesops.data.sample.knobs import (
    ACCOUNTS_AT_SCALE_1, ACCOUNT_SEGMENT_SHARE, COUNTRIES, DUPLICATE_ACCOUNT_SHARE, EMPLOYEE_RANGE, INDUSTRIES,
    INDUSTRY_FIT, INDUSTRY_SHARE, MISSING_ACCOUNT_INDUSTRY, REGIONS, REGION_SHARE, REVENUE_PER_EMPLOYEE,
    SEGMENTS,
)
from salesops.data.sample.names import DUPLICATE_NAME_SUFFIXES, company_names


def _size_fit(employees: np.ndarray) -> np.ndarray:
    """ICP fit of company size: mid-sized companies fit best, very small ones worst."""
    return np.select([employees < 50, employees < 200, employees < 2000], [-0.4, 0.1, 0.35], 0.0)


def make_accounts(rng, clock: Clock, scale: float) -> dict[str, np.ndarray]:
    """The company universe leads and deals are drawn from (segment implied by employees).

    Returns one array per attribute, one entry per account (indices into ``SEGMENTS``, ``REGIONS``,
    ``INDUSTRIES``; ``fit`` in ICP logit points; ``revenue`` annual), plus ``by_group``, ``group_start`` and
    ``group_count``, the accounts of each segment-region group for :func:`sample_accounts`.
    """
    n = max(200, int(round(ACCOUNTS_AT_SCALE_1 * scale)))
    segment = draw_index(rng, SEGMENTS, ACCOUNT_SEGMENT_SHARE, n)
    region = draw_index(rng, REGIONS, REGION_SHARE, n)
    for g in range(len(SEGMENTS) * len(REGIONS)):  # make sure every segment-region group has accounts
        if not np.any(segment * len(REGIONS) + region == g):
            rows = np.flatnonzero(segment == g // len(REGIONS))
            region[rows[rng.integers(len(rows), size=2)]] = g % len(REGIONS)
    industry = draw_index(rng, INDUSTRIES, INDUSTRY_SHARE, n)
    lo = np.array([r[0] for r in EMPLOYEE_RANGE])[segment]
    hi = np.array([r[1] for r in EMPLOYEE_RANGE])[segment]
    employees = np.clip(np.exp(rng.uniform(np.log(lo), np.log(hi + 1))).astype(np.int64), lo, hi)
    revenue = np.round(employees * REVENUE_PER_EMPLOYEE[industry] * rng.lognormal(0.0, 0.35, n), -3)
    country = np.empty(n, dtype=object)
    for r, name in enumerate(REGIONS):
        rows = np.flatnonzero(region == r)
        codes, shares = COUNTRIES[name]
        country[rows] = np.array(codes, dtype=object)[draw_index(rng, codes, shares, len(rows))]
    accounts = {
        "segment": segment, "region": region, "industry": industry, "employees": employees,
        "revenue": revenue, "country": country, "name": company_names(rng, industry),
        "fit": INDUSTRY_FIT[industry] + _size_fit(employees),
        "random_created": rng.integers(clock.start - 730, clock.end + 1, n),
    }
    group = segment * len(REGIONS) + region
    accounts["by_group"] = np.argsort(group, kind="stable")
    accounts["group_start"] = np.searchsorted(group[accounts["by_group"]], np.arange(12), side="left")
    accounts["group_count"] = np.bincount(group, minlength=12)
    return accounts


def sample_accounts(rng, accounts, group: np.ndarray) -> np.ndarray:
    """A uniformly random account of each requested segment-region group."""
    offset = np.floor(rng.random(len(group)) * accounts["group_count"][group]).astype(np.int64)
    return accounts["by_group"][accounts["group_start"][group] + offset]


def finish_accounts(rng, clock: Clock, reps, accounts, leads, opps) -> np.ndarray:
    """Account created dates and owners; duplicates re-pointing some leads/deals. Returns output row order.

    Adds ``created``, ``owner``, ``duplicate_of`` and ``industry_missing`` to ``accounts`` (duplicate rows
    appended after the originals), ``keep`` to ``leads`` (the leads that are output) and re-points
    ``leads['account']`` / ``opps['account']``: the simulation's arrays are updated in place.
    """
    n = len(accounts["segment"])
    keep_lead = (leads["created"] >= clock.start) | np.isin(np.arange(len(leads["created"])),
                                                              opps["lead"][opps["keep"] & (opps["lead"] >= 0)])
    leads["keep"] = keep_lead
    first_seen = np.full(n, NO_END)
    np.minimum.at(first_seen, leads["account"][keep_lead], leads["created"][keep_lead])
    np.minimum.at(first_seen, opps["account"][opps["keep"]], opps["created"][opps["keep"]])
    created = np.where(first_seen < NO_END, first_seen - rng.integers(0, 91, n), accounts["random_created"])

    # duplicates: a second record for ~2 % of accounts, created later, picking up some later leads and deals
    n_dup = int(round(DUPLICATE_ACCOUNT_SHARE * n))
    original = np.sort(rng.choice(n, n_dup, replace=False))
    dup_created = np.minimum(created[original] + rng.integers(30, 500, n_dup), clock.end)
    dup_of = np.full(n, -1, dtype=np.int64)
    dup_of[original] = n + np.arange(n_dup)
    for table, key in ((leads, "created"), (opps, "created")):
        target = dup_of[table["account"]]
        move = (target >= 0) & (rng.random(len(target)) < 0.5)
        move &= table[key] >= dup_created[np.maximum(target - n, 0)]
        table["account"] = np.where(move, target, table["account"])

    variant = rng.integers(0, 4, n_dup)
    base = accounts["name"][original]
    legal = np.array(DUPLICATE_NAME_SUFFIXES, dtype=object)[rng.integers(0, len(DUPLICATE_NAME_SUFFIXES), n_dup)]
    dup_name = np.select(
        [variant == 0, variant == 1, variant == 2],
        [np.char.upper(base.astype(str)).astype(object), np.char.replace(base.astype(str), " ", "  ").astype(object)
         + " ", base + legal], np.char.lower(base.astype(str)).astype(object))
    for key in ("segment", "region", "industry", "employees", "revenue", "country", "fit"):
        accounts[key] = np.concatenate([accounts[key], accounts[key][original]])
    accounts["name"] = np.concatenate([accounts["name"], dup_name])
    accounts["duplicate_of"] = np.concatenate([np.full(n, -1), original])
    created = np.concatenate([created, dup_created])
    accounts["created"] = created
    total = n + n_dup
    accounts["industry_missing"] = rng.random(total) < MISSING_ACCOUNT_INDUSTRY

    # owner: the AE of the latest kept deal when still employed, else an employed AE of the segment/region
    ae = np.flatnonzero((reps["role"] == schema.ROLES.index("AE")) & (reps["leave"] == NO_END))
    owner = pick_weighted(rng, accounts["segment"] * 4 + accounts["region"],
                           reps["segment"][ae] * 4 + reps["region"][ae], np.ones(len(ae)))
    owner = np.where(owner >= 0, owner, pick_weighted(rng, accounts["segment"], reps["segment"][ae],
                                                       np.ones(len(ae))))
    owner = np.where(owner >= 0, ae[np.maximum(owner, 0)], ae[rng.integers(0, len(ae), total)])
    kept = np.flatnonzero(opps["keep"])
    kept = kept[np.lexsort((kept, opps["created"][kept], opps["account"][kept]))]
    last_of_account = np.append(opps["account"][kept][1:] != opps["account"][kept][:-1], True)
    latest_rep = np.full(total, -1, dtype=np.int64)
    latest_rep[opps["account"][kept[last_of_account]]] = opps["rep"][kept[last_of_account]]
    still_there = (latest_rep >= 0) & (reps["leave"][np.maximum(latest_rep, 0)] == NO_END)
    accounts["owner"] = np.where(still_there, latest_rep, owner)
    return np.lexsort((np.arange(total), created))
