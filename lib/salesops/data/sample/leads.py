"""The leads: volume, engagement, conversion and owning SDR."""

from __future__ import annotations

import numpy as np

from salesops.contract import schema
from salesops.data.sample.accounts import sample_accounts
from salesops.data.sample.clock import Clock
from salesops.data.sample.draws import draw_index, pick_weighted
from salesops.data.sample.knobs import (
    CONVERSION_LAG_MEDIAN, ENGAGEMENT, LEAD_ACCOUNT_MATCH, LEAD_CONVERSION_INTERCEPT, LEAD_ICP_CONVERSION,
    LEAD_INTEREST_CONVERSION, SENIORITY_EFFECT, SENIORITY_SHARE, SOURCES, SOURCE_EFFECT, SOURCE_SHARE, TITLES,
)
from salesops.data.sample.names import FIRST_NAMES, LAST_NAMES


def make_leads(rng, clock: Clock, reps, accounts, expected: np.ndarray) -> dict[str, np.ndarray]:
    """Leads per month and group; conversion is logistic in ICP fit, seniority, source and interest.

    ``expected`` is the expected lead count per (simulated month, segment-region group). Returns one array per
    attribute, one entry per lead: ``created``, ``convert_day`` (day numbers), ``account`` (account index),
    source, seniority, title, latent ``interest``, the engagement counts (``ENGAGEMENT``), ``will_convert``,
    ``converted`` (by the end date), ``owner`` (SDR index, -1 for none) and the contact's name indices.
    """
    counts = rng.poisson(expected)
    month, group = np.nonzero(counts >= 0)
    month, group = np.repeat(month, counts.ravel()), np.repeat(group, counts.ravel())
    n = len(month)
    created = clock.month_start[month] + np.floor(rng.random(n) * clock.month_days[month]).astype(np.int64)
    account = sample_accounts(rng, accounts, group)
    source = draw_index(rng, SOURCES, SOURCE_SHARE, n)
    seniority = draw_index(rng, TITLES, SENIORITY_SHARE, n)
    interest = rng.standard_normal(n)
    engagement = {col: rng.poisson(np.exp(a + b * interest)) for col, (a, b) in ENGAGEMENT.items()}
    logit = (LEAD_CONVERSION_INTERCEPT + LEAD_INTEREST_CONVERSION * interest
             + LEAD_ICP_CONVERSION * accounts["fit"][account] + SENIORITY_EFFECT[seniority] + SOURCE_EFFECT[source])
    will_convert = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    lag = np.clip(np.round(rng.lognormal(np.log(CONVERSION_LAG_MEDIAN), 0.7, n)), 1, 120).astype(np.int64)
    convert_day = created + lag
    converted = will_convert & (convert_day <= clock.end)

    sdr = np.flatnonzero(reps["role"] == schema.ROLES.index("SDR"))
    owner = np.full(n, -1, dtype=np.int64)
    for m in range(clock.n_months):  # one step per month: SDRs employed that month own its leads
        rows = np.flatnonzero(month == m)
        ms, ml = clock.month_start[m], clock.month_last[m]
        cands = sdr[(reps["hire"][sdr] <= ms) & (reps["leave"][sdr] >= ml)]
        pick = pick_weighted(rng, accounts["region"][account[rows]], reps["region"][cands], np.ones(len(cands)))
        fallback = pick_weighted(rng, np.zeros(len(rows), np.int64), np.zeros(len(cands), np.int64),
                                  np.ones(len(cands)))
        pick = np.where(pick >= 0, pick, fallback)
        if len(cands):
            owner[rows] = np.where(pick >= 0, cands[np.maximum(pick, 0)], -1)
    n_titles = np.array([len(t) for t in TITLES])
    title_choice = np.floor(rng.random(n) * n_titles[seniority]).astype(np.int64)
    title_table = np.array([list(t) + [None] * (n_titles.max() - len(t)) for t in TITLES], dtype=object)
    employees = np.maximum(1, np.round(accounts["employees"][account] * rng.lognormal(0, 0.1, n))).astype(np.int64)
    return {
        "created": created, "account": account, "source": source, "seniority": seniority,
        "title": title_table[seniority, title_choice], "interest": interest, **engagement,
        "will_convert": will_convert, "convert_day": convert_day, "converted": converted, "owner": owner,
        "employees": employees, "show_account": converted | (rng.random(n) < LEAD_ACCOUNT_MATCH),
        "first": rng.integers(len(FIRST_NAMES), size=n), "last": rng.integers(len(LAST_NAMES), size=n),
    }
