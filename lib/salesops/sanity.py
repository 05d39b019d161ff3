"""Sanity invariants each step checks on its own result before its page is written. A violation is a sentence
shown at the top of the step's page and among the step's findings on the quarter's index: never hidden, never a
crash (the plan may still be useful; the reader must know where not to trust it).

* **No unmeasured number in a sentence**: no ``nan``, ``inf`` or ``NaT`` in any sentence of a page.
* **In proportion to what happened**: a forecast or a capacity for the planned quarter within ``MAX_MULTIPLE``
  times, and above 1 / ``MAX_MULTIPLE`` of, the mean bookings of the last complete quarters.
* **Quotas add up to the plan**: their sum equals the target × (1 + over-assignment).
* **A measured figure has a measurement window**: no figure labelled measured rests on zero observations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import pandas as pd

from salesops.formats import money

#: How far from recent bookings a forecast or capacity may be before the page says so (both directions).
MAX_MULTIPLE = 3.0
_UNMEASURED = re.compile(r"(?<![\w.])(?:nan|NaN|-?inf|NaT)(?![\w])")


def unmeasured_sentences(sentences: Iterable[str]) -> list[str]:
    """One violation per sentence that prints a number that was not measured (nan, inf, NaT)."""
    return [f"A sentence below prints a number that could not be measured, so it should not be read as one: "
            f"“{text}”" for text in sentences if _UNMEASURED.search(str(text))]


def in_proportion(label: str, value: float, recent: float, recent_label: str, currency: str) -> list[str]:
    """A violation when ``value`` (``label``: what it is) is more than ``MAX_MULTIPLE`` times ``recent``
    (``recent_label``: what that is) or less than its ``1 / MAX_MULTIPLE``; none when either is not a positive
    finite number (nothing to compare)."""
    if not (isinstance(value, (int, float)) and isinstance(recent, (int, float))) or not (
            math.isfinite(value) and math.isfinite(recent)) or recent <= 0 or value < 0:
        return []
    ratio = value / recent
    if 1 / MAX_MULTIPLE <= ratio <= MAX_MULTIPLE:
        return []
    return [f"{label} ({money(value, currency, compact=True)}) is {ratio:.1f}× {recent_label} "
            f"({money(recent, currency, compact=True)}): more than {MAX_MULTIPLE:g} times away from what the team "
            "has booked, so check the data and the params it rests on before using it."]


def quotas_add_up(quota_sum: float, expected: float, currency: str) -> list[str]:
    """A violation when the quotas do not add up to the plan (a difference above one unit of currency)."""
    if abs(quota_sum - expected) <= 1:
        return []
    return [f"The quotas add up to {money(quota_sum, currency)}, not the {money(expected, currency)} the plan "
            "asks for (target × (1 + over-assignment))."]


def measured_without_window(frame: pd.DataFrame, figure: str, source: str = "source",
                            observations: str = "ramped_rep_months", label: str = "segment") -> list[str]:
    """Violations for the rows of ``frame`` whose ``source`` says measured but whose ``observations`` are zero
    (e.g. a segment's productivity measured over no ramped rep-month)."""
    if frame is None or frame.empty or not {source, observations, label} <= set(frame.columns):
        return []
    empty = frame[(frame[source] == "measured") & ~(frame[observations].astype(float) > 0)]
    return [f"{figure} of {row} is labelled measured but rests on no observation in the window."
            for row in empty[label].astype(str)]


def recent_bookings(growth: pd.DataFrame, quarters: int = 4) -> float:
    """Mean bookings of the last ``quarters`` complete quarters of step 1's ``growth_quarterly`` artifact (only
    quarters wholly in the data); NaN without any."""
    complete = growth[growth["complete"].astype(bool)] if "complete" in growth.columns else growth
    tail = complete["bookings"].tail(quarters)
    return float(tail.mean()) if len(tail) else math.nan
