"""Step 4: lead routing — which rep works each open lead, and what that is expected to change.

**Pools** (:func:`route_leads`). Each lead goes to a pool of reps by the first rule of
``RoutingSettings.rules`` that matches it:

* a rule matches a lead when its ``segment`` (if set) equals the lead's segment and its ``region`` (if
  set) equals the lead's region;
* its pool is the reps listed in ``rep_ids``, or else the reps of ``pool_segment`` and ``pool_region``:
  unset means *the lead's own* segment (region), ``"any"`` means every segment (region);
* a rule whose pool has no rep for a lead (say the lead's own segment has no rep in ``pool_region``) is
  passed over for that lead;
* the **default rule**, after the listed ones: the reps of the lead's segment and region, else of its
  segment in any region, else every rep (``rule`` ``"default · <pool>"``, the pools of
  ``territories.POOLS``).

**Weighted round-robin** within the pool, deterministic: leads are taken by ``probability`` (highest
first), ties by ``lead_id``, so every rep receives a like mix of good and weak leads. Each lead adds to
every rep of its pool an *entitlement* of ``weight_r / Σ pool weights`` (weight: ``capacity_weight``, or
1 with ``weighting: equal``); the lead goes to a rep whose leads received are still below the rep's
entitlement, the one with the highest entitlement / (leads received + 1), ties by higher weight, then
rep_id. This is the quota method of apportionment (Balinski and Young, 1975): within one pool every rep's
count stays within one lead of its weight share of the pool's leads at every point.

**A-grade leads to the best converters** (``a_grade_to_best``): a lead of grade ``A`` may only go to the
pool's best converters — the ``ceil(best_share × pool size)`` reps (at least one) with the highest
``conversion_rate`` (unmeasured last, ties by rep_id) — by the same rule among them; when all of them are
at their entitlement, still to one of them. The other reps then catch up on the other leads, so the
counts stay proportional as long as the A-grade leads are no larger a share than the best converters'
weight share.

**Expected conversions** (:func:`expected_conversion`). A lead's ``probability`` (step 1's score) is its
chance to convert with an average rep. A rep converts ``m_r`` times as well, where ``m_r`` = the rep's
``conversion_rate`` / the mean conversion_rate of the reps of the same segment (peers work like leads),
clipped to ``[1 / max_conversion_multiplier, max_conversion_multiplier]``; ``m_r`` = 1 for a rep who is
not in ``reps`` (left, or no owner), or whose rate or peers' mean is unknown or 0. Expected conversions =
Σ over leads of min(1, probability × m_rep). A measured rate mixes skill with the leads a rep was given;
taking all of the difference for skill flatters routing to the best converters, which the cap limits:
read the gain as an upper estimate.

Rates and shares are fractions (0.25 = 25 %). Inputs are never modified; outputs have a fresh 0..n-1
index. Bad arguments raise ``ValueError`` saying what is expected.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from salesops.align.territories import POOLS, rep_pools
from salesops.checks import column_numbers, unique_ids
from salesops.deals import check_columns, clean_text
from salesops.contract.schema import TEXT_DTYPE
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import ListOf, Multiplier, PositiveShare, Text

#: ``pool_segment`` / ``pool_region`` value meaning every segment (region).
ANY = "any"
#: The grade routed to the best converters.
BEST_GRADE = "A"
LEAD_COLUMNS: tuple[str, ...] = ("lead_id", "segment", "region", "grade", "probability", "owner_rep_id")
REP_COLUMNS: tuple[str, ...] = ("rep_id", "segment", "region", "capacity_weight", "conversion_rate")
ROUTED_COLUMNS: tuple[str, ...] = ("lead_id", "rep_id", "rule", "previous_rep_id")
CONVERSION_COLUMNS: tuple[str, ...] = (
    "assignment", "leads", "leads_on_active_reps", "expected_conversions", "expected_conversion_rate",
)


# --------------------------------------------------------------------------------------------------
# settings


#: A segment or region name, e.g. 'ENT' or 'EMEA'; null: not set.
Label = Text("ENT", optional=True)
#: An explicit pool of reps: rep ids, each once.
RepIds = ListOf(Text("R0044"), "rep ids", ["R0044", "R0031"], min_items=1, unique=True, optional=True)


class RoutingRule(Settings):
    """One routing rule: which leads (``segment``, ``region``; unset matches any) go to which pool
    (``rep_ids``, or ``pool_segment`` and ``pool_region``: unset is the lead's own, ``any`` is every)."""

    name: Label = Field(None, description="Shown in the rule column; default 'rule <n>', n its position from 1.")
    segment: Label = Field(None, description="Leads of this segment match; null: any segment.")
    region: Label = Field(None, description="Leads of this region match; null: any region.")
    pool_segment: Label = Field(
        None, description="The pool's reps are of this segment; null: the lead's own; 'any': every segment.")
    pool_region: Label = Field(
        None, description="The pool's reps are of this region; null: the lead's own; 'any': every region.")
    rep_ids: RepIds = Field(
        None, description="An explicit pool of rep_ids, instead of pool_segment and pool_region.")

    @model_validator(mode="after")
    def _one_kind_of_pool(self) -> "RoutingRule":
        if self.rep_ids is not None and (self.pool_segment is not None or self.pool_region is not None):
            raise ValueError("a rule names its pool either by rep_ids or by pool_segment / pool_region, not both")
        return self


class RoutingSettings(Settings):
    """How open leads are routed to reps (the ``routing:`` block of the params)."""

    rules: tuple[RoutingRule, ...] = Field(
        (),
        description="Routing rules, first match wins; after them the default rule (the lead's segment and "
                    "region, else its segment, else any rep). Each: {name, segment, region, pool_segment, "
                    "pool_region} or {name, segment, region, rep_ids}.",
    )
    weighting: Literal["capacity", "equal"] = Field(
        "capacity",
        description="capacity: each rep gets leads in proportion to capacity_weight (a ramping rep fewer); "
                    "equal: the same number each.",
    )
    a_grade_to_best: bool = Field(
        True, description="true: A-grade leads go only to the best converters of their pool.")
    best_share: PositiveShare = Field(
        0.25,
        description="The best converters are this share of the pool's reps (rounded up, at least one), "
                    "by conversion_rate. More than 0, at most 1.",
    )
    max_conversion_multiplier: Multiplier(1.0, example=1.5) = Field(
        1.5,
        description="In expected conversions, a rep converts at most this many times as well as the same-segment "
                    "average (and at least 1 / this). At least 1; 1: reps make no difference.",
    )


# --------------------------------------------------------------------------------------------------
# checks


def _checked_reps(reps: pd.DataFrame) -> pd.DataFrame:
    """``reps`` sorted by rep_id with a fresh index, after checking it."""
    check_columns(reps, REP_COLUMNS, "reps")
    if reps.empty:
        raise ValueError("reps has no rows: leads need at least one active rep to be routed to")
    ids = unique_ids(reps, "rep_id", "reps")
    column_numbers(reps, "capacity_weight", "reps", "rep_id", "positive")
    column_numbers(reps, "conversion_rate", "reps", "rep_id", "fraction", missing_ok=True)
    return reps.assign(rep_id=ids).iloc[np.argsort(ids.astype(str), kind="stable")].reset_index(drop=True)


def _check_rules(rules: tuple[RoutingRule, ...], reps: pd.DataFrame) -> None:
    """Every rep a rule names is in ``reps``, and every pool_segment / pool_region is some rep's."""
    known = {column: set(clean_text(reps[column]).dropna()) for column in ("rep_id", "segment", "region")}
    for number, rule in enumerate(rules, start=1):
        label = rule.name or f"rule {number}"
        unknown = [rep for rep in rule.rep_ids or () if rep not in known["rep_id"]]
        if unknown:
            raise ValueError(f"routing {label} names rep(s) {unknown} that are not among the active reps; "
                             f"remove them from its rep_ids or add them to the reps table")
        for field, column in (("pool_segment", "segment"), ("pool_region", "region")):
            value = getattr(rule, field)
            if value not in (None, ANY) and value not in known[column]:
                raise ValueError(f"routing {label}: {field} {value!r} is no active rep's {column}; the reps' "
                                 f"{column}s are {sorted(known[column])} (or 'any')")


# --------------------------------------------------------------------------------------------------
# routing


def _rule_pool(rule: RoutingRule, leads: pd.DataFrame, reps: pd.DataFrame) -> np.ndarray:
    """eligible[lead, rep] of ``rule`` for every lead (whether the rule matches it or not)."""
    if rule.rep_ids is not None:
        return np.broadcast_to(reps["rep_id"].isin(rule.rep_ids).to_numpy(), (len(leads), len(reps)))
    pool = np.ones((len(leads), len(reps)), dtype=bool)
    for setting, column in ((rule.pool_segment, "segment"), (rule.pool_region, "region")):
        rep_values = clean_text(reps[column]).fillna("").to_numpy(dtype=object)
        if setting is None:
            own = clean_text(leads[column])
            same = own.fillna("").to_numpy(dtype=object)[:, None] == rep_values[None, :]
            pool &= same & own.notna().to_numpy()[:, None]
        elif setting != ANY:
            pool &= (rep_values == setting)[None, :]
    return pool


def _lead_pools(leads: pd.DataFrame, reps: pd.DataFrame,
                rules: tuple[RoutingRule, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(eligible[lead, rep], rule label of each lead): first matching rule with a non-empty pool, else default."""
    eligible, default_pool = rep_pools(leads, reps)
    eligible = eligible.copy()
    labels = np.array([f"default · {POOLS[pool]}" for pool in default_pool], dtype=object)
    unrouted = np.ones(len(leads), dtype=bool)
    for number, rule in enumerate(rules, start=1):
        matches = unrouted.copy()
        for setting, column in ((rule.segment, "segment"), (rule.region, "region")):
            if setting is not None:
                matches &= (clean_text(leads[column]) == setting).fillna(False).to_numpy(dtype=bool)
        pool = _rule_pool(rule, leads, reps)
        taken = matches & pool.any(axis=1)
        eligible[taken] = pool[taken]
        labels[taken] = rule.name or f"rule {number}"
        unrouted &= ~taken
    return eligible, labels


def _best_converters(pool: np.ndarray, conversion: np.ndarray, share: float) -> np.ndarray:
    """Mask of the top ``ceil(share × pool size)`` reps of ``pool`` by conversion (unknown last; reps are in
    rep_id order, so ties go to the lower rep_id)."""
    members = np.flatnonzero(pool)
    ranked = members[np.lexsort((members, -np.nan_to_num(conversion[members], nan=-np.inf)))]
    best = np.zeros_like(pool)
    # the tolerance keeps a product such as 0.1 × 30 = 3.0000000000000004 from rounding up to 4
    best[ranked[:max(1, math.ceil(share * len(members) - 1e-9))]] = True
    return best


def _lead_places(leads: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The distinct (segment, region) of ``leads`` — all a pool depends on — as a frame of one row each, and the
    row of that frame for every lead: pools are then worked out per place, never as a leads × reps matrix (at
    scale 100, some 200,000 open leads × 6,000 reps)."""
    places = pd.DataFrame({"segment": clean_text(leads["segment"]), "region": clean_text(leads["region"])})
    code = places.fillna("\x00").groupby(["segment", "region"], sort=False, dropna=False).ngroup().to_numpy()
    first = np.unique(code, return_index=True)[1]
    return code, places.iloc[first].reset_index(drop=True)


def _weighted_round_robin(pools: np.ndarray, pool_of: np.ndarray, to_best: np.ndarray, order: np.ndarray,
                          weight: np.ndarray, conversion: np.ndarray, best_share: float) -> np.ndarray:
    """Rep position of every lead, the leads taken in ``order`` (module docstring: quota method); the pool of lead
    ``i`` is ``pools[pool_of[i]]``."""
    entitlement = np.zeros(len(weight))
    received = np.zeros(len(weight))
    assigned = np.empty(len(pool_of), dtype=int)
    best_of: dict[bytes, np.ndarray] = {}
    positions = np.arange(len(weight))
    for row in order:
        pool = pools[pool_of[row]]
        entitlement[pool] += weight[pool] / weight[pool].sum()
        candidates = pool
        if to_best[row]:
            key = pool.tobytes()
            if key not in best_of:
                best_of[key] = _best_converters(pool, conversion, best_share)
            candidates = best_of[key]
        below = candidates & (received < entitlement - 1e-9)
        choice = np.flatnonzero(below if below.any() else candidates)
        # rounded so that equal priorities computed in different orders tie exactly
        priority = np.round(entitlement[choice] / (received[choice] + 1), 12)
        rep = choice[np.lexsort((positions[choice], -weight[choice], -priority))[0]]
        assigned[row] = rep
        received[rep] += 1
    return assigned


def route_leads(open_leads: pd.DataFrame, reps: pd.DataFrame, settings: RoutingSettings | None = None) -> pd.DataFrame:
    """The rep each open lead goes to (rules in the module docstring).

    ``open_leads``: ``lead_id`` (unique), ``segment``, ``region``, ``grade`` (A-D), ``probability`` (0-1,
    the lead's chance to convert from step 1's scoring) and ``owner_rep_id`` (today's owner, may be empty).
    ``reps``: the active reps who take leads: ``rep_id`` (unique), ``segment``, ``region``,
    ``capacity_weight`` (> 0) and ``conversion_rate`` (0-1, empty when not measured).

    Returns one row per lead, in the order of ``open_leads``: ``lead_id``, ``rep_id`` (one of ``reps``),
    ``rule`` (the matching rule's name, ``rule <n>``, or ``default · <pool>``) and ``previous_rep_id``
    (``owner_rep_id``; missing when empty). The result does not depend on the row order of either table.
    """
    settings = settings_or_default(settings, RoutingSettings)
    check_columns(open_leads, LEAD_COLUMNS, "open_leads")
    lead_ids = unique_ids(open_leads, "lead_id", "open_leads")
    probability = column_numbers(open_leads, "probability", "open_leads", "lead_id", "fraction")
    reps = _checked_reps(reps)
    _check_rules(settings.rules, reps)

    place, places = _lead_places(open_leads)
    pools, place_labels = _lead_pools(places, reps, settings.rules)
    labels = place_labels[place]
    weight = (reps["capacity_weight"].astype("float64").to_numpy() if settings.weighting == "capacity"
              else np.ones(len(reps)))
    conversion = reps["conversion_rate"].astype("float64").to_numpy()
    to_best = (clean_text(open_leads["grade"]).str.upper() == BEST_GRADE).fillna(False).to_numpy(dtype=bool)
    to_best &= settings.a_grade_to_best

    order = np.lexsort((lead_ids.astype(str), -probability))
    assigned = _weighted_round_robin(pools, place, to_best, order, weight, conversion, settings.best_share)
    return pd.DataFrame({
        "lead_id": pd.array(lead_ids, dtype=TEXT_DTYPE),
        "rep_id": pd.array(reps["rep_id"].to_numpy(dtype=object)[assigned], dtype=TEXT_DTYPE),
        "rule": pd.array(labels, dtype=TEXT_DTYPE),
        "previous_rep_id": pd.array(clean_text(open_leads["owner_rep_id"]).to_numpy(dtype=object), dtype=TEXT_DTYPE),
    })[list(ROUTED_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# expected conversions


def conversion_multipliers(reps: pd.DataFrame, settings: RoutingSettings | None = None) -> pd.Series:
    """How many times as well each rep converts as the same-segment average (module docstring), by rep_id."""
    settings = settings_or_default(settings, RoutingSettings)
    reps = _checked_reps(reps)
    rate = reps["conversion_rate"].astype("float64")
    peers = rate.groupby(clean_text(reps["segment"]).fillna("").to_numpy()).transform("mean")
    cap = settings.max_conversion_multiplier
    multiplier = (rate / peers.where(peers > 0)).clip(1 / cap, cap).fillna(1.0)
    return pd.Series(multiplier.to_numpy(), index=pd.Index(reps["rep_id"].to_numpy(dtype=object), name="rep_id"),
                     name="multiplier")


def expected_conversion(routed: pd.DataFrame, leads: pd.DataFrame, reps: pd.DataFrame,
                        settings: RoutingSettings | None = None) -> pd.DataFrame:
    """Expected conversions of the open leads with today's owners and with the routed reps.

    ``routed``: from :func:`route_leads`; ``leads``: ``lead_id`` and ``probability``; ``reps``: as for
    :func:`route_leads`. Two rows, ``assignment`` ``today`` (``previous_rep_id``) and ``routed``
    (``rep_id``): ``leads`` (count), ``leads_on_active_reps`` (leads whose rep is in ``reps``; the others
    count at the average rate), ``expected_conversions`` = Σ min(1, probability × m_rep) (module docstring)
    and ``expected_conversion_rate`` = expected_conversions / leads (NaN without leads).
    """
    check_columns(routed, ("lead_id", "rep_id", "previous_rep_id"), "routed")
    check_columns(leads, ("lead_id", "probability"), "leads")
    multiplier = conversion_multipliers(reps, settings)
    probability = clean_text(routed["lead_id"]).map(
        pd.Series(column_numbers(leads, "probability", "leads", "lead_id", "fraction"),
                  index=unique_ids(leads, "lead_id", "leads")))
    if probability.isna().any():
        raise ValueError(f"leads has no probability for routed lead(s) "
                         f"{routed['lead_id'][probability.isna()].tolist()[:5]}; pass the leads that were routed")
    rows = []
    for assignment, column in (("today", "previous_rep_id"), ("routed", "rep_id")):
        rep = clean_text(routed[column]).astype(object)
        factor = rep.map(multiplier)
        expected = float(np.minimum(1.0, probability.to_numpy(dtype="float64") * factor.fillna(1.0).to_numpy()).sum())
        rows.append({"assignment": assignment, "leads": len(routed), "leads_on_active_reps": int(factor.notna().sum()),
                     "expected_conversions": expected,
                     "expected_conversion_rate": expected / len(routed) if len(routed) else math.nan})
    return pd.DataFrame(rows, columns=list(CONVERSION_COLUMNS)).astype({"assignment": TEXT_DTYPE})
