"""The forecast submissions: each AE's commit and best case per quarter."""

from __future__ import annotations

import numpy as np

from salesops.contract import schema
from salesops.data.sample.clock import Clock, first_day, month_of, weekday
from salesops.data.sample.knobs import RAMP_MONTHS


def make_forecast_submissions(rng, clock: Clock, reps, opps) -> dict[str, np.ndarray]:
    """Each AE's commit and best case per quarter, anchored on what they went on to close, times a bias.

    Returns one entry per AE and quarter worked: ``rep``, ``quarter`` (quarters since 1970), ``submitted`` (day
    number), ``commit`` and ``best_case`` (company currency, rounded to thousands).
    """
    booked = np.flatnonzero(opps["won"])
    book_day = np.where(opps["is_open"][booked], opps["natural_close"][booked], opps["close"][booked])
    book_quarter = month_of(book_day) // 3
    ae = np.flatnonzero(reps["role"] == schema.ROLES.index("AE"))
    first_q, last_q = month_of(np.array([clock.start, clock.end])) // 3
    parts = []
    for q in range(first_q, last_q + 1):  # one step per quarter
        in_q = book_quarter == q
        actual = np.bincount(opps["rep"][booked[in_q]], weights=opps["amount"][booked[in_q]],
                             minlength=len(reps["role"]))[ae]
        submitted = first_day(np.array([q * 3]))[0] + rng.integers(2, 13, len(ae))
        wd = weekday(submitted)
        submitted = submitted + np.select([wd == 5, wd == 6], [2, 1], 0)
        ok = ((submitted >= clock.start) & (submitted <= clock.end) & (reps["hire"][ae] <= submitted)
              & (reps["leave"][ae] >= submitted))
        months_in = (submitted - reps["hire"][ae]) / 30.44
        ramp = np.clip(months_in / RAMP_MONTHS[reps["segment"][ae]], 0.05, 1.0)
        expected = 0.9 * actual + 0.1 * reps["quota"][ae] * ramp
        commit = expected * reps["forecast_bias"][ae] * rng.lognormal(0.0, 0.1, len(ae))
        best = commit * rng.uniform(1.15, 1.5, len(ae)) + 0.1 * reps["quota"][ae] * ramp
        parts.append((ae[ok], np.full(ok.sum(), q), submitted[ok], np.round(commit[ok], -3),
                      np.round(best[ok], -3)))
    rep, quarter, submitted, commit, best = (np.concatenate(c) for c in zip(*parts))
    return {"rep": rep, "quarter": quarter, "submitted": submitted, "commit": commit, "best_case": best}
