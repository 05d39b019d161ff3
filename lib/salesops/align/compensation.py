"""Step 4 compensation: commission plans per role, a rep's payout for a quarter, how reps attained their
quotas in finished quarters, and what the plan is likely to cost in each scenario of the plan's forecast, with
bookings spread across reps as attainment spread in its history.

Definitions (money in the company currency, attainment and shares as fractions: 1.0 = 100 % of quota):

* **OTE** (on-target earnings): annual pay at 100 % attainment, base plus variable. From the plan's ``ote``
  when set, otherwise from each rep's ``ote`` column.
* **Quarterly target variable** TV = OTE × ``pay_mix`` / 4: the variable pay a rep earns at exactly 100 %
  of a quarterly quota. In the plan's simulation a ramping rep's TV is ramped like the quota (× the
  ``ramped_share`` of the quota table).
* **Attainment** a = bookings ÷ quota (the rep's quarterly quota).
* **Commission rate** r = TV ÷ quota: currency paid per unit of bookings at multiplier 1.
* **Tiers** cut attainment into contiguous bands from 0: [0, 1.0) ×1.0, [1.0, 1.5) ×1.5, [1.5, open) ×2.0 by
  default. The bookings in a band pay r × the band's ``rate_multiplier``.
* **Cap** (``cap_attainment``): attainment above the cap pays nothing more. Payable attainment is
  min(a, cap); ``capped`` is true when a > cap. null: no cap.
* **Payout** = Σ over tiers of r × multiplier × bookings in the tier's band
  = TV × Σ multiplier × (attainment in the band, up to the cap).

Worked example (default AE plan, OTE 120,000, pay mix 0.5, quota 100,000): TV = 15,000, r = 0.15. Bookings
130,000 (a = 1.3) pay 0.15 × 100,000 × 1.0 + 0.15 × 30,000 × 1.5 = 15,000 + 6,750 = 21,750.

A plan applies to the reps of one role (``plans: {AE: ...}``); a rep needs a quota above 0 to be paid on it.
Plans on team quotas (managers) are not modelled. Inputs are never modified; outputs have a fresh 0..n-1
index; bad arguments raise ``ValueError`` naming the argument and what is accepted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from salesops import deals, fiscal_calendar
from salesops.checks import as_timestamp
from salesops.contract.schema import ROLES, TEXT_DTYPE
from salesops.demand.methods import SCENARIOS
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, MappingOf, Money, Number, Seed, Share

#: ``rep_id`` of the all-reps row of ``simulate_payouts``.
TOTAL = "total"
#: Percentiles of the simulated payouts, as fractions, and their column names.
PAYOUT_PERCENTILES: dict[str, float] = {"payout_p10": 0.10, "payout_p50": 0.50, "payout_p90": 0.90}

STATEMENT_COLUMNS: tuple[str, ...] = (
    "quarter", "rep_id", "name", "role", "quota", "bookings", "attainment", "target_variable",
    "commission_rate",  # then payout_tier_1 .. payout_tier_k
)
STATEMENT_TAIL_COLUMNS: tuple[str, ...] = ("total_payout", "capped", "note")
ATTAINMENT_COLUMNS: tuple[str, ...] = ("quarter", "rep_id", "role", "segment", "quota", "bookings", "attainment")
SIMULATION_COLUMNS: tuple[str, ...] = (
    "rep_id", "scenario", "quota", "target_variable", "expected_attainment", "expected_bookings", "expected_payout",
    *PAYOUT_PERCENTILES, "cost_of_sales",
)


# --------------------------------------------------------------------------------------------------
# settings


#: An attainment: a fraction of quota (1.0 = quota).
def Attainment(example: float, *, positive: bool = False, optional: bool = False):
    return Number("an attainment", example, gt=0 if positive else None, ge=None if positive else 0,
                  note="a fraction of quota, 1.0 = quota", optional=optional)


class Tier(Settings):
    """One attainment band of a plan: bookings between ``from_attainment`` and ``to_attainment`` (fractions of
    quota) pay the commission rate × ``rate_multiplier``."""

    from_attainment: Attainment(1.0) = Field(
        description="Start of the band, fraction of quota (0 = first unit booked). >= 0.")
    to_attainment: Attainment(1.5, positive=True, optional=True) = Field(
        description="End of the band, fraction of quota (1.0 = quota), above from_attainment; null = open-ended "
                    "(only the last tier).")
    rate_multiplier: Number("a rate multiplier", 1.5, ge=0, note="1.0 = the base rate, 2.0 = double") = Field(
        description="Multiplier of the commission rate in the band (1.0 = the base rate, 2.0 = double). >= 0.")


def _default_tiers() -> list[Tier]:
    return [Tier(from_attainment=0.0, to_attainment=1.0, rate_multiplier=1.0),
            Tier(from_attainment=1.0, to_attainment=1.5, rate_multiplier=1.5),
            Tier(from_attainment=1.5, to_attainment=None, rate_multiplier=2.0)]


class CompensationPlan(Settings):
    """The commission plan of one role. Defaults are a common SaaS account-executive plan: 50/50 pay mix,
    accelerators of ×1.5 from quota and ×2 from 150 %, payouts capped at 300 % attainment."""

    ote: Money(positive=True, example=120_000, optional=True) = Field(
        None,
        description="Annual on-target earnings, company currency, the same for every rep of the role (> 0). "
                    "null (default): each rep's own ote column.")
    pay_mix: Share = Field(
        0.5,
        description="Variable share of OTE, 0-1 (0.5: half base, half variable; SDRs often 0.3, CSMs 0.2).")
    tiers: tuple[Tier, ...] = Field(
        default_factory=lambda: tuple(_default_tiers()),
        description="Attainment bands with their rate multipliers: contiguous from 0, ascending, the last one "
                    "open-ended (to_attainment null), multipliers >= 0.")
    cap_attainment: Attainment(3.0, positive=True, optional=True) = Field(
        3.0,
        description="Attainment (fraction of quota) above which payout stops growing, e.g. 3.0 = 300 %; "
                    "null = no cap. > 0.")

    @model_validator(mode="after")
    def _tiers_are_contiguous(self) -> "CompensationPlan":
        tiers = self.tiers
        if not tiers:
            raise ValueError("tiers must list at least one tier, e.g. [{from_attainment: 0, to_attainment: null, "
                             "rate_multiplier: 1.0}]")
        if tiers[0].from_attainment != 0:
            raise ValueError(f"tiers must start at attainment 0: tier 1 starts at {tiers[0].from_attainment}; set its "
                             "from_attainment to 0")
        for number, (tier, following) in enumerate(zip(tiers, (*tiers[1:], None)), start=1):
            end = tier.to_attainment
            if end is None:
                if following is not None:
                    raise ValueError(f"only the last tier may be open-ended: tier {number} has no to_attainment but "
                                     f"tier {number + 1} follows it; give tier {number} a to_attainment")
                continue
            if end <= tier.from_attainment:
                raise ValueError(f"tiers must be ascending: tier {number} ends at {end}, not above where it starts "
                                 f"({tier.from_attainment}); list the bands from low to high attainment")
            if following is None:
                raise ValueError(f"the last tier must be open-ended: tier {number} ends at {end}; set its "
                                 "to_attainment to null (use cap_attainment to stop payouts growing)")
            if following.from_attainment > end:
                raise ValueError(f"tiers must be contiguous: gap between tier {number} (ends at {end}) and tier "
                                 f"{number + 1} (starts at {following.from_attainment}); start tier {number + 1} "
                                 f"at {end}")
            if following.from_attainment < end:
                raise ValueError(f"tiers must not overlap: tier {number + 1} starts at {following.from_attainment}, "
                                 f"before tier {number} ends ({end}); start tier {number + 1} at {end}")
        return self


class CompensationSettings(Settings):
    """Commission plans per role (``compensation:`` in the params). Unknown keys are rejected."""

    plans: MappingOf(CompensationPlan, "role to its commission plan", {"AE": {"pay_mix": 0.5}}, keys=ROLES) = Field(
        default_factory=lambda: {"AE": CompensationPlan()},
        description="Plan per role (AE, SDR, SE, CSM, SUPPORT, MANAGER); roles without a plan are not paid "
                    "commission here. Default: AE only, with CompensationPlan's defaults.")
    simulation_draws: Count("simulated quarters", 100, 1_000_000, example=10_000) = Field(
        10_000,
        description="Simulated quarters per rep when the plan's cost is estimated (simulate_payouts). 100-1,000,000.")
    seed: Seed = Field(42, description="Random seed of the simulation: the same seed gives the same figures. >= 0.")


# --------------------------------------------------------------------------------------------------
# argument checks


def _check_plan(plan) -> CompensationPlan:
    if not isinstance(plan, CompensationPlan):
        raise ValueError(f"plan must be a CompensationPlan (e.g. CompensationSettings().plans['AE']); "
                         f"got {type(plan).__name__}")
    return plan


def _check_frame(frame, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    deals.check_columns(frame, columns, name)


def _with_quota(reps: pd.DataFrame) -> pd.DataFrame:
    """``reps`` with an all-missing ``quota`` column when it has none (a quota is optional in the data
    contract; a rep without one has no attainment). A new frame; ``reps`` itself is not changed."""
    return reps if "quota" in reps.columns else reps.assign(quota=np.nan)


def _as_array(values, name: str, rule: str, ok) -> np.ndarray:
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be {rule}; got {values!r}") from exc
    bad = ~np.isfinite(array) | ~ok(array)
    if bad.any():
        raise ValueError(f"{name} must be {rule}; got {array[bad][:5].tolist()}")
    return array


# --------------------------------------------------------------------------------------------------
# 1. the payout of one quarter


def target_variable(ote, plan: CompensationPlan):
    """Quarterly target variable = OTE × pay_mix / 4 (currency), with the plan's ``ote`` when it sets one,
    else ``ote`` (scalar or array of annual OTEs; NaN stays NaN)."""
    plan = _check_plan(plan)
    if plan.ote is not None:
        annual = np.full(np.shape(ote), plan.ote) if np.ndim(ote) else plan.ote
    else:
        annual = np.asarray(ote, dtype="float64") if np.ndim(ote) else float(ote)
    return annual * plan.pay_mix / 4


def tier_attainment(attainment, plan: CompensationPlan) -> np.ndarray:
    """Attainment earned in each tier's band, up to the cap: an array of shape (len(attainment), tiers).

    Row i, column k = max(0, min(payable_i, to_k) - from_k) with payable = min(attainment, cap_attainment).
    Rows add up to the payable attainment.
    """
    plan = _check_plan(plan)
    payable = np.atleast_1d(np.asarray(attainment, dtype="float64"))
    if plan.cap_attainment is not None:
        payable = np.minimum(payable, plan.cap_attainment)
    starts = np.array([tier.from_attainment for tier in plan.tiers])
    ends = np.array([np.inf if tier.to_attainment is None else tier.to_attainment for tier in plan.tiers])
    return np.clip(np.minimum(payable[:, None], ends[None, :]) - starts[None, :], 0.0, None)


def _multipliers(plan: CompensationPlan) -> np.ndarray:
    return np.array([tier.rate_multiplier for tier in plan.tiers])


def commission(bookings, quota, target_variable, plan: CompensationPlan):
    """Payout of a quarter (currency): Σ over tiers of commission rate × multiplier × bookings in the tier's
    attainment band, where rate = target_variable / quota and attainment = bookings / quota, up to the cap.

    ``bookings`` (>= 0), ``quota`` (> 0) and ``target_variable`` (>= 0, quarterly, currency) are numbers or
    arrays of one length (numpy broadcasting). Returns a float for scalar inputs, else an array.
    """
    plan = _check_plan(plan)
    bookings_ = _as_array(bookings, "bookings", "bookings amounts of 0 or more", lambda a: a >= 0)
    quota_ = _as_array(quota, "quota", "quarterly quotas above 0 (a rep without a quota earns no commission here)",
                       lambda a: a > 0)
    variable = _as_array(target_variable, "target_variable", "quarterly target variable pay of 0 or more",
                         lambda a: a >= 0)
    try:
        bookings_, quota_, variable = np.broadcast_arrays(bookings_, quota_, variable)
    except ValueError as exc:
        raise ValueError(f"bookings, quota and target_variable must be numbers or arrays of one length; got "
                         f"lengths {np.shape(bookings)}, {np.shape(quota)}, {np.shape(target_variable)}") from exc
    bands = tier_attainment((bookings_ / quota_).ravel(), plan)
    payout = variable.ravel() * (bands @ _multipliers(plan))
    if bookings_.ndim == 0:
        return float(payout[0])
    return payout.reshape(bookings_.shape)


def commission_statement(reps: pd.DataFrame, bookings_by_rep: pd.DataFrame, quarter: str,
                         settings: CompensationSettings | None = None,
                         fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """What each rep on a plan earned in a finished ``quarter`` (label ``YYYYQn``).

    Reps: those of ``reps`` (columns ``rep_id``, ``role``; optional ``quota``, ``name``, ``ote``, ``hire_date``,
    ``end_date``) whose role has a plan and who were employed at some point in the quarter (hired on or
    before its last day, no end date or one on or after its first day). ``bookings_by_rep`` (``rep_id``,
    ``bookings``: won amount of the quarter, currency) gives their bookings; a rep without a row booked 0.
    The quota is the rep's quarterly ``quota`` as recorded, not prorated for a partial quarter.

    Columns: ``quarter``, ``rep_id``, ``name``, ``role``, ``quota``, ``bookings``, ``attainment``
    (bookings / quota), ``target_variable`` (OTE × pay_mix / 4), ``commission_rate`` (target_variable / quota),
    ``payout_tier_1`` .. ``payout_tier_k`` (payout earned in each tier's band; k = the most tiers of any plan,
    NaN for tiers the rep's plan does not have), ``total_payout``, ``capped`` (attainment above the plan's
    cap) and ``note``. A rep without a quota or an OTE gets NaN payouts and a note saying what is missing.
    Sorted by role, then rep_id.
    """
    settings = settings_or_default(settings, CompensationSettings)
    _check_frame(reps, "reps", ("rep_id", "role"))
    reps = _with_quota(reps)
    _check_frame(bookings_by_rep, "bookings_by_rep", ("rep_id", "bookings"))
    start = fiscal_calendar.quarter_start(quarter, fiscal_year_start_month)
    end = fiscal_calendar.quarter_end(quarter, fiscal_year_start_month)
    duplicated = bookings_by_rep["rep_id"].astype(object)[bookings_by_rep["rep_id"].duplicated()]
    if len(duplicated):
        raise ValueError(f"bookings_by_rep must have one row per rep; {sorted(set(duplicated))[:5]} appear more "
                         "than once (sum them first)")

    roles = reps["role"].astype(object)
    on_plan = roles.isin(list(settings.plans)).to_numpy(dtype=bool) & _employed(reps, start, end, whole=False)
    roster = reps.loc[on_plan]
    booked = bookings_by_rep.assign(_id=bookings_by_rep["rep_id"].astype(object)).set_index("_id")["bookings"]
    bookings = roster["rep_id"].astype(object).map(booked).astype("float64").fillna(0.0).to_numpy()
    quota = roster["quota"].astype("float64").to_numpy()
    ote = roster["ote"].astype("float64").to_numpy() if "ote" in roster.columns else np.full(len(roster), np.nan)
    tiers = max((len(plan.tiers) for plan in settings.plans.values()), default=0)

    records = []
    for index, role in enumerate(roster["role"].astype(object)):
        plan = settings.plans[role]
        variable = float(target_variable(ote[index], plan))
        has_quota = not math.isnan(quota[index]) and quota[index] > 0
        problems = [text for text, missing in (("no quota", not has_quota),
                                               ("no OTE (set ote in the reps table or the plan)",
                                                math.isnan(variable))) if missing]
        attainment = bookings[index] / quota[index] if has_quota else math.nan
        per_tier = np.full(tiers, math.nan)
        if not problems:
            per_tier[:len(plan.tiers)] = variable * tier_attainment(attainment, plan)[0] * _multipliers(plan)
        cap = plan.cap_attainment
        records.append({
            "attainment": attainment,
            "target_variable": variable,
            "commission_rate": variable / quota[index] if has_quota else math.nan,
            **{f"payout_tier_{k + 1}": per_tier[k] for k in range(tiers)},
            "total_payout": math.nan if problems else float(np.nansum(per_tier)),
            "capped": bool(cap is not None and has_quota and attainment > cap),
            "note": "; ".join(problems),
        })
    details = pd.DataFrame.from_records(records, columns=[
        "attainment", "target_variable", "commission_rate", *(f"payout_tier_{k + 1}" for k in range(tiers)),
        "total_payout", "capped", "note"])
    name = roster["name"] if "name" in roster.columns else pd.Series(pd.NA, index=roster.index)
    out = pd.concat([pd.DataFrame({
        "quarter": pd.array([fiscal_calendar.quarter_label(fiscal_calendar.parse_quarter(quarter, fiscal_year_start_month))]
                            * len(roster), dtype=TEXT_DTYPE),
        "rep_id": pd.array(roster["rep_id"].astype(object), dtype=TEXT_DTYPE),
        "name": pd.array(name.astype(object), dtype=TEXT_DTYPE),
        "role": pd.array(roster["role"].astype(object), dtype=TEXT_DTYPE),
        "quota": quota,
        "bookings": bookings,
    }), details], axis=1)
    out["capped"] = out["capped"].astype(bool)
    out["note"] = out["note"].astype(TEXT_DTYPE)
    return out.sort_values(["role", "rep_id"], kind="stable").reset_index(drop=True)


def _employed(reps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, whole: bool) -> np.ndarray:
    """Employed for the whole of [start, end] (``whole``) or for some of it."""
    missing = pd.Series(pd.NaT, index=reps.index, dtype="datetime64[ns]")
    hire = pd.to_datetime(reps["hire_date"]) if "hire_date" in reps.columns else missing
    left = pd.to_datetime(reps["end_date"]) if "end_date" in reps.columns else missing
    first, last = (start, end) if whole else (end, start)
    return ((hire.isna() | (hire <= first)) & (left.isna() | (left >= last))).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------------
# 2. attainment in finished quarters


def finished_quarters(as_of, count: int, fiscal_year_start_month: int = 1) -> list[str]:
    """Labels of the last ``count`` quarters that ended on or before ``as_of``, oldest first."""
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise ValueError(f"count must be a whole number of quarters of at least 1, e.g. 8; got {count!r}")
    last = deals.last_complete_quarter(as_timestamp(as_of, "as_of").normalize(), fiscal_year_start_month)
    return [fiscal_calendar.quarter_label(last - shift) for shift in range(int(count) - 1, -1, -1)]


def historic_attainment(opportunities: pd.DataFrame, reps: pd.DataFrame, quarters: Sequence[str],
                        fiscal_year_start_month: int = 1) -> pd.DataFrame:
    """Quota attainment of each rep in each finished quarter of ``quarters`` (labels ``YYYYQn``, e.g. from
    :func:`finished_quarters`): won bookings closed in the quarter ÷ the rep's quarterly quota.

    Who counts in a quarter: reps with a quota above 0 who were employed for the whole quarter (hired on or
    before its first day, no end date or one on or after its last day), so ramp-up and notice quarters do not
    drag the distribution down. **A rep without a quota** (missing or 0: SDRs, SEs, managers in the sample)
    has no attainment and is left out; how many were left out is in ``attrs["note"]``. The reps table holds
    one quota per rep (today's), so it is applied to every past quarter.

    ``opportunities``: ``rep_id``, ``close_date``, ``is_won``, ``amount``; ``reps``: ``rep_id`` (optional
    ``quota``, ``role``, ``segment``, ``hire_date``, ``end_date``). Columns: ``quarter``, ``rep_id``, ``role``,
    ``segment``, ``quota``, ``bookings`` (currency), ``attainment`` (fraction); in ``quarters`` order, then
    by rep_id.
    """
    _check_frame(opportunities, "opportunities", ("rep_id", "close_date", "is_won", "amount"))
    _check_frame(reps, "reps", ("rep_id",))
    reps = _with_quota(reps)
    if isinstance(quarters, str) or not isinstance(quarters, Sequence) or not quarters:
        raise ValueError(f"quarters must be a list of quarter labels such as ['2026Q3', '2026Q4']; got {quarters!r}")
    quota = reps["quota"].astype("float64")
    has_quota = (quota > 0).to_numpy(dtype=bool)
    won = opportunities.loc[opportunities["is_won"].fillna(False).to_numpy(dtype=bool)]
    won_rep = won["rep_id"].astype(object)
    text = {column: (reps[column].astype(object) if column in reps.columns else pd.Series(pd.NA, index=reps.index))
            for column in ("role", "segment")}

    frames = []
    for quarter in quarters:
        start = fiscal_calendar.quarter_start(quarter, fiscal_year_start_month)
        end = fiscal_calendar.quarter_end(quarter, fiscal_year_start_month)
        keep = has_quota & _employed(reps, start, end, whole=True)
        in_quarter = ((won["close_date"] >= start) & (won["close_date"] <= end)).to_numpy(dtype=bool)
        booked = won["amount"].astype("float64")[in_quarter].groupby(won_rep[in_quarter].to_numpy()).sum()
        ids = reps["rep_id"].astype(object)[keep]
        bookings = ids.map(booked).astype("float64").fillna(0.0).to_numpy()
        frames.append(pd.DataFrame({
            "quarter": fiscal_calendar.quarter_label(fiscal_calendar.parse_quarter(quarter, fiscal_year_start_month)),
            "rep_id": ids.to_numpy(),
            "role": text["role"][keep].to_numpy(),
            "segment": text["segment"][keep].to_numpy(),
            "quota": quota[keep].to_numpy(),
            "bookings": bookings,
            "attainment": bookings / quota[keep].to_numpy(),
        }).sort_values("rep_id", kind="stable"))
    out = pd.concat(frames, ignore_index=True)
    for column in ("quarter", "rep_id", "role", "segment"):
        out[column] = out[column].astype(TEXT_DTYPE)
    without = int((~has_quota).sum())
    out.attrs["note"] = (f"{without} rep(s) without a quota (missing or 0) have no attainment and are left out."
                         if without else "")
    return out[list(ATTAINMENT_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# 3. what the plan will cost


def scenario_totals(comparison: pd.DataFrame, method: str = "blended") -> dict[str, float]:
    """The planned quarter's bookings per scenario of step 2's ``demand_comparison`` (``method``,
    ``scenario``, ``bookings``, currency): the ``method`` rows (the blended forecast by default), as
    ``{"downside": ..., "base": ..., "upside": ...}``. Every scenario needs one row with bookings of 0 or more."""
    _check_frame(comparison, "demand_comparison", ("method", "scenario", "bookings"))
    rows = comparison.loc[comparison["method"].astype(object).eq(method).fillna(False).to_numpy(dtype=bool)]
    found = dict(zip(rows["scenario"].astype(object), rows["bookings"].astype("float64")))
    missing = [scenario for scenario in SCENARIOS if scenario not in found]
    if missing:
        raise ValueError(f"demand_comparison has no {method} forecast for scenario(s) {missing}: step 2 writes one row "
                         f"per method and scenario ({', '.join(SCENARIOS)}); run step 2 again")
    return _checked_totals(found, "demand_comparison")


def _checked_totals(totals, name: str) -> dict[str, float]:
    """``totals`` in :data:`SCENARIOS` order, each a finite amount of 0 or more (a small company's downside may
    book nothing: then nothing is paid and the cost of sales is not defined)."""
    if not isinstance(totals, Mapping):
        raise ValueError(f"{name} must map each scenario ({', '.join(SCENARIOS)}) to its bookings, e.g. "
                         f"{{'downside': 9e6, 'base': 1e7, 'upside': 1.1e7}}; got {type(totals).__name__}")
    missing = [scenario for scenario in SCENARIOS if scenario not in totals]
    if missing:
        raise ValueError(f"{name} has no total for scenario(s) {missing}: give the bookings of every scenario "
                         f"({', '.join(SCENARIOS)})")
    out = {}
    for scenario in SCENARIOS:
        value = totals[scenario]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name}: the {scenario} scenario's bookings must be an amount of 0 or more (the "
                             f"quarter's forecast, company currency); got {value!r}")
        out[scenario] = float(value)
    return out


def simulate_payouts(attainment_sample, quotas: pd.DataFrame, plan: CompensationPlan, totals: Mapping[str, float],
                     n_draws: int = 10_000, seed: int = 42) -> pd.DataFrame:
    """Expected payouts and cost of sales of ``plan`` for the planned quarter, in each scenario of the plan's
    forecast (``totals``: downside, base and upside bookings of the quarter, currency, e.g.
    :func:`scenario_totals` of step 2's ``demand_comparison``).

    **How much is booked comes from the forecast, how it spreads across reps from history.** Relative
    attainment = attainment ÷ the mean of ``attainment_sample`` (e.g. ``historic_attainment(...)
    ["attainment"]``: fractions >= 0, not all 0). Every draw gives each rep a relative attainment picked at
    random (with replacement, independently per rep) from it, and weight = quota × relative attainment; in
    each scenario the rep's bookings = the scenario's total × the rep's weight ÷ the sum of the weights of
    the draw (a draw where every weight is 0 splits the total by quota). So the reps' bookings add up to the
    scenario's total in every draw, and the base scenario's expected bookings equal the base forecast
    exactly; the same draws serve the three scenarios. **All bookings of the quarter are booked by quota
    carriers** (the reps of ``quotas``): the quotas are allocated from the whole target, so the plan already
    has them carry all of it, and a won deal always has an owner; a share booked outside the quota carriers
    would lower every rep's bookings by that share, and is not measured here. Payout = :func:`commission`.
    The draws come from ``numpy.random.default_rng(seed)``: the same inputs and seed give the same figures.

    **Ramping reps' variable pay is ramped like their quota**: a rep's quarterly target variable is OTE ×
    pay_mix / 4 × ``ramped_share`` (optional column of ``quotas``, a fraction in (0, 1]: the share of a fully
    ramped rep's quarter the rep works at full productivity, as the quota table has it; missing column: 1).
    A new hire at a third of ramp gets a third of the variable on a quota cut the same way, so the commission
    rate (variable ÷ quota) and the cost of sales at a given attainment are those of a ramped rep.

    ``quotas``: ``rep_id``, ``quota`` (quarterly, > 0) and ``ote`` (annual; only needed when the plan has no
    ``ote``). Columns: one row per rep in the base scenario, then one ``rep_id == "total"`` row per scenario
    (all reps together, per draw): ``rep_id``, ``scenario``, ``quota``, ``target_variable`` (quarterly, ramped),
    ``expected_attainment`` (expected bookings / quota), ``expected_bookings``, ``expected_payout`` (means over
    the draws), ``payout_p10``, ``payout_p50``, ``payout_p90`` (percentiles over the draws; the totals' are
    percentiles of the per-draw sum, not sums of percentiles: within a scenario they show how the spread of
    bookings across reps moves the cost, the scenarios show how the total moves it) and ``cost_of_sales`` =
    expected_payout / expected_bookings (fraction).
    """
    plan = _check_plan(plan)
    sample = _as_array(attainment_sample, "attainment_sample", "a non-empty list of attainments of 0 or more "
                       "(fractions of quota)", lambda a: a >= 0).ravel()
    if sample.size == 0:
        raise ValueError("attainment_sample is empty: give at least one attainment (e.g. from historic_attainment)")
    if sample.mean() == 0:
        raise ValueError("attainment_sample is all 0: no rep booked anything, so how bookings spread across reps "
                         "is not measured; give attainments of quarters with bookings")
    totals = _checked_totals(totals, "totals")
    needed = ("rep_id", "quota") if plan.ote is not None else ("rep_id", "quota", "ote")
    _check_frame(quotas, "quotas", needed)
    if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral) or n_draws < 1:
        raise ValueError(f"n_draws must be a whole number of simulated quarters of at least 1, e.g. 10000; "
                         f"got {n_draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number of 0 or more, e.g. 42; got {seed!r}")
    quota = _as_array(quotas["quota"], "quotas.quota", "quarterly quotas above 0", lambda a: a > 0)
    ramped = (_as_array(quotas["ramped_share"], "quotas.ramped_share", "ramped shares above 0 and at most 1 "
                        "(1 = a fully ramped rep's quarter)", lambda a: (a > 0) & (a <= 1))
              if "ramped_share" in quotas.columns else np.ones(len(quota)))
    ote = quotas["ote"].astype("float64").to_numpy() if "ote" in quotas.columns else np.full(len(quota), np.nan)
    variable = np.asarray(target_variable(ote, plan), dtype="float64").reshape(len(quota)) * ramped
    if np.isnan(variable).any():
        missing = list(quotas["rep_id"].astype(object)[np.isnan(variable)])[:5]
        raise ValueError(f"quotas.ote is missing for {missing}: fill in each rep's annual OTE or set the plan's ote")

    rng = np.random.default_rng(int(seed))
    relative = sample / sample.mean()
    weight = relative[rng.integers(0, sample.size, size=(int(n_draws), len(quota)))] * quota[None, :]
    weight_sum = weight.sum(axis=1, keepdims=True)
    share = np.divide(weight, weight_sum, out=np.broadcast_to(quota / quota.sum(), weight.shape).copy(),
                      where=weight_sum > 0)
    rows = {}
    for scenario, total in totals.items():
        bookings = share * total
        payout = commission(bookings, np.broadcast_to(quota, bookings.shape),
                            np.broadcast_to(variable, bookings.shape), plan)
        rows[scenario] = (bookings, payout)
    bookings, payout = rows["base"]
    columns = {
        "rep_id": [*quotas["rep_id"].astype(object), *[TOTAL] * len(rows)],
        "scenario": [*["base"] * len(quota), *rows],
        "quota": [*quota, *[quota.sum()] * len(rows)],
        "target_variable": [*variable, *[variable.sum()] * len(rows)],
        "expected_bookings": [*bookings.mean(axis=0), *(b.sum(axis=1).mean() for b, _ in rows.values())],
        "expected_payout": [*payout.mean(axis=0), *(p.sum(axis=1).mean() for _, p in rows.values())],
    }
    for name, level in PAYOUT_PERCENTILES.items():
        columns[name] = [*np.quantile(payout, level, axis=0),
                         *(np.quantile(p.sum(axis=1), level) for _, p in rows.values())]
    out = pd.DataFrame(columns)
    for column in ("rep_id", "scenario"):
        out[column] = out[column].astype(TEXT_DTYPE)
    out["expected_attainment"] = out["expected_bookings"] / out["quota"]
    expected = out["expected_bookings"].to_numpy()
    out["cost_of_sales"] = np.divide(out["expected_payout"].to_numpy(), expected, out=np.full(len(out), np.nan),
                                     where=expected > 0)
    return out[list(SIMULATION_COLUMNS)]
