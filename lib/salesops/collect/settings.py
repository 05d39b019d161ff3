"""Settings of step 1's data audit and KPIs (the ``collect:`` section of the params)."""

from __future__ import annotations

from typing import Literal

from salesops.settings.base import Settings
from salesops.settings.fields import Count, Days, Money, Months, Number


class CollectParams(Settings):
    """Step 1: data audit and KPIs."""

    window_months: Months(1, 60) = 12
    stale_grace_days: Days(0, 365, example=14) = 0
    target: Money(positive=True, example=5_000_000, optional=True) = None
    target_growth: Number("a growth rate", 0.25, ge=-0.99, le=10, note="0.25 = +25%") = 0.25
    top_fixes: Count("fixes", 1, 50, example=8) = 8
    open_deal_value: Literal["median_won", "none"] = "median_won"
