"""The hardware orders: order lines per region and month, and the units on hand."""

from __future__ import annotations

import numpy as np

from salesops.data.sample.clock import Clock
from salesops.data.sample.knobs import (
    MONTH_SEASONALITY, ORDERS_PER_MONTH_AT_END, ORDER_DISCOUNTS, PRODUCTS, REGION_SHARE, TEAM_GROWTH,
    UNITS_PER_ORDER,
)


def make_orders(rng, clock: Clock, scale: float) -> dict[str, np.ndarray]:
    """Order lines of the hardware product per region and month: growth, seasonality, lumpy units.

    Returns arrays sorted by day: ``day``, ``region``, ``units``, ``revenue`` (company currency), and
    ``on_hand``, the units in stock on the end date.
    """
    price = PRODUCTS[-1][3]
    rows = np.flatnonzero(clock.month_last >= clock.start)
    first = np.maximum(clock.month_start[rows], clock.start)
    days = clock.month_last[rows] - first + 1
    growth = TEAM_GROWTH ** ((clock.month_last[rows] - clock.end) / 365.25)
    lam = (ORDERS_PER_MONTH_AT_END * scale * growth * MONTH_SEASONALITY[clock.month_of_year[rows] - 1]
           * days / clock.full_month_days[rows])[:, None] * REGION_SHARE[None, :]
    counts = rng.poisson(lam)
    m, region = np.nonzero(counts >= 0)
    m, region = np.repeat(m, counts.ravel()), np.repeat(region, counts.ravel())
    day = first[m] + np.floor(rng.random(len(m)) * days[m]).astype(np.int64)
    units = 1 + rng.negative_binomial(2, 2.0 / (2.0 + UNITS_PER_ORDER - 1.0), len(m))
    revenue = np.round(units * price * (1.0 - ORDER_DISCOUNTS[rng.integers(0, 4, len(m))]), 2)
    order = np.lexsort((units, region, day))
    recent = day >= clock.end - 29
    on_hand = int(round(units[recent].sum() * rng.uniform(0.8, 1.5)))
    return {"day": day[order], "region": region[order], "units": units[order], "revenue": revenue[order],
            "on_hand": on_hand}
