"""Step 4: quarterly quotas — the bookings target split over the quota-carrying reps.

The quota total is the target plus an over-assignment (quotas usually add up to more than the target,
because not every rep makes plan):

    quota_total = round(target × (1 + over_assignment))        whole units of currency

Each rep's **quota share** blends what the rep can sell with what the rep's territory holds. With
``w = capacity_weight`` and, for rep i,

* ramped capacity ``k_i = ramped_share_i × capacity_i``: the bookings the rep can make in the quarter at
  the rep's average productivity over it (a new hire who starts mid-quarter has a small ramped_share);
  ``capacity_i`` is the rep's own measured rate shrunk toward the segment's (``align.plan.quota_carriers``),
  so quotas follow each rep's evidence, not an even split;
* capacity part ``c_i = k_i / Σ_j k_j`` (0 for everyone when no rep has ramped capacity);
* potential part ``p_i = territory_potential_i / Σ_j territory_potential_j`` (0 for everyone when no
  territory has potential);

the rep's weight is ``b_i = w × c_i + (1 − w) × p_i`` and ``quota_share_i = b_i / Σ_j b_j``. When both
parts are present the weights already add up to 1. Only the capacity part is ramped: a new hire in a rich
territory carries the potential part in full; ``capacity_weight: 1`` ramps the whole quota.

**Rounding**: quotas are whole multiples of ``round_to``, apportioned by largest remainder (each rep gets
``floor(quota_share × units)`` units of ``round_to``, and the units left go to the largest fractional
parts, ties by row order); the part of ``quota_total`` that is not a multiple of ``round_to`` is put on the
largest quota. So the sum of the quotas equals ``quota_total`` exactly, and every quota but the largest is
a multiple of ``round_to``.

Money is in the company currency; shares are fractions (0.25 = 25 %). Inputs are never modified; outputs
have a fresh 0..n-1 index. Bad arguments raise ``ValueError`` saying what is expected.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from salesops.checks import column_numbers, unique_ids
from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import check_columns
from salesops.formats import percent
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, Number, Share

#: Columns ``allocate_quotas`` needs in ``reps``.
REP_COLUMNS: tuple[str, ...] = ("rep_id", "segment", "region", "ramped_share", "capacity", "territory_potential")
#: Columns ``allocate_quotas`` adds (an existing column of the same name is replaced).
QUOTA_COLUMNS: tuple[str, ...] = ("quota", "quota_share", "basis")
CHECK_COLUMNS: tuple[str, ...] = ("target", "over_assignment", "expected_total", "quota_sum", "difference")


class QuotaSettings(Settings):
    """How the target is turned into quotas (the ``quotas:`` block of the params)."""

    over_assignment: Share = Field(
        0.15,
        description="Quotas add up to the target times (1 + over_assignment): 0.15 = 115 % of the target. "
                    "A fraction from 0 to 1.",
    )
    capacity_weight: Share = Field(
        0.5,
        description="Weight of the rep's ramped capacity in the quota split; the territory potential weighs "
                    "1 - capacity_weight. 1: quotas by ramped capacity only; 0: by territory potential only. "
                    "A fraction from 0 to 1.",
    )
    evidence_months: Number("ramped months", 6.0, ge=0) = Field(
        6.0,
        description="How much a rep's own record counts against the segment's rate when their capacity is "
                    "measured: their rate is (their bookings + evidence_months × segment rate) ÷ (their ramped "
                    "months + evidence_months). 0: each rep's own rate alone; larger: closer to the segment.",
    )
    round_to: Count("units of currency", 1, example=1000) = Field(
        1000,
        description="Quotas are whole multiples of this many units of currency (1: whole units); the rounding "
                    "remainder goes on the largest quota, so the quotas still add up exactly. Whole number >= 1.",
    )


def _check_target(target: Any) -> float:
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or not math.isfinite(target) or target <= 0:
        raise ValueError(f"target must be a bookings amount greater than 0, e.g. 2500000; got {target!r}")
    return float(target)


def quota_total(target: float, over_assignment: float) -> float:
    """``target × (1 + over_assignment)`` rounded to whole units of currency (half up): what the quotas add up
    to. ``target`` > 0 (currency); ``over_assignment`` a fraction from 0 to 1."""
    target = _check_target(target)
    over_assignment = QuotaSettings(over_assignment=over_assignment).over_assignment
    return float(math.floor(target * (1 + over_assignment) + 0.5))


def _blend_shares(ramped_capacity: np.ndarray, potential: np.ndarray, weight: float) -> tuple[np.ndarray, ...]:
    """(capacity part c, potential part p, quota share) of every rep, as defined in the module docstring."""
    def part(values: np.ndarray) -> np.ndarray:
        total = values.sum()
        return values / total if total > 0 else np.zeros_like(values)

    capacity_part, potential_part = part(ramped_capacity), part(potential)
    blended = weight * capacity_part + (1 - weight) * potential_part
    if not blended.sum() > 0:
        raise ValueError(
            f"every rep's quota weight is 0 with capacity_weight {weight:g}: ramped capacity (ramped_share × "
            f"capacity) adds up to {ramped_capacity.sum():,.0f} and territory potential to {potential.sum():,.0f}. "
            "Give the reps ramped capacity or their territories potential, or set capacity_weight so that the "
            "part with values counts."
        )
    return capacity_part, potential_part, blended / blended.sum()


def _apportion(shares: np.ndarray, total: float, round_to: int) -> tuple[np.ndarray, int, float]:
    """Whole multiples of ``round_to`` by largest remainder, plus the rest of ``total`` on the largest one.
    Returns (quotas, position of the quota that took the rest, the rest)."""
    units = int(total // round_to)
    ideal = shares * units
    quotas = np.floor(ideal)
    left = units - int(quotas.sum())
    by_remainder = np.lexsort((np.arange(len(shares)), -(ideal - quotas)))  # largest remainder, then row order
    quotas[by_remainder[:left]] += 1
    quotas *= round_to
    largest = int(np.argmax(quotas))
    rest = total - units * round_to
    quotas[largest] += rest
    return quotas, largest, rest


def allocate_quotas(reps: pd.DataFrame, target: float, settings: QuotaSettings | None = None) -> pd.DataFrame:
    """Quota of every quota-carrying rep for the quarter.

    ``reps``: one row per rep with ``rep_id`` (unique), ``segment``, ``region``, ``ramped_share`` (0-1: the
    rep's average productivity over the quarter from a ramp curve), ``capacity`` (currency >= 0: bookings a
    fully ramped rep of that segment makes in the quarter) and ``territory_potential`` (currency >= 0).
    ``target``: the quarter's bookings target (currency > 0).

    Returns every column of ``reps`` plus ``quota`` (currency, see the module docstring for the split and
    the rounding), ``quota_share`` (fraction: the rep's blended weight before rounding; the shares add up to
    1) and ``basis`` (text: how the share was made, e.g. ``"0.5 × 25.0% ramped capacity (ramped 50%) + 0.5 ×
    10.0% territory potential = 17.5%"``, with the rounding remainder on the rep that took it). Rows keep
    the order of ``reps``. The quotas add up to ``quota_total(target, over_assignment)`` exactly.
    """
    settings = settings_or_default(settings, QuotaSettings)
    if not isinstance(settings, QuotaSettings):
        raise ValueError(f"settings must be a QuotaSettings (or None for the defaults); got {type(settings).__name__}")
    target = _check_target(target)
    if not isinstance(reps, pd.DataFrame):
        raise ValueError(f"reps must be a DataFrame with one row per quota-carrying rep; got {type(reps).__name__}")
    if reps.empty:
        raise ValueError("reps has no rows: quotas need at least one quota-carrying rep")
    check_columns(reps, REP_COLUMNS, "reps")
    unique_ids(reps, "rep_id", "reps")
    ramped = column_numbers(reps, "ramped_share", "reps", "rep_id", "fraction")
    capacity = column_numbers(reps, "capacity", "reps", "rep_id")
    potential = column_numbers(reps, "territory_potential", "reps", "rep_id")

    weight = settings.capacity_weight
    capacity_part, potential_part, shares = _blend_shares(ramped * capacity, potential, weight)
    total = quota_total(target, settings.over_assignment)
    quotas, largest, rest = _apportion(shares, total, settings.round_to)

    basis = [
        f"{weight:g} × {percent(c)} ramped capacity (ramped {percent(r, 0)}) + {1 - weight:g} × {percent(p)} "
        f"territory potential = {percent(s)}"
        for c, r, p, s in zip(capacity_part, ramped, potential_part, shares)
    ]
    if rest:
        basis[largest] += f"; + {rest:,.0f} rounding remainder (largest quota)"
    return reps.reset_index(drop=True).assign(
        quota=quotas, quota_share=shares, basis=pd.array(basis, dtype=TEXT_DTYPE),
    )


def quota_check(quotas: pd.DataFrame, target: float, over_assignment: float) -> pd.DataFrame:
    """One-row check that the quotas add up: ``target`` and ``over_assignment`` as given, ``expected_total``
    = ``quota_total(target, over_assignment)``, ``quota_sum`` (sum of ``quotas["quota"]``) and ``difference``
    = quota_sum - expected_total (0 when the quotas add up; currency)."""
    check_columns(quotas, ("quota",), "quotas")
    expected = quota_total(target, over_assignment)
    quota_sum = float(pd.to_numeric(quotas["quota"]).astype("float64").sum())
    return pd.DataFrame({
        "target": [float(target)], "over_assignment": [float(over_assignment)], "expected_total": [expected],
        "quota_sum": [quota_sum], "difference": [quota_sum - expected],
    })[list(CHECK_COLUMNS)]
