"""Step 4's inputs, put together from the artifacts of steps 1-3: who carries a quota and how ramped, the
accounts with their potential, the open leads and the reps who take them, the onboarding programme and the
candidate actions. The rules themselves live in ``quotas.py``, ``territories.py``, ``routing.py``,
``compensation.py``, ``organisation.py``, ``tooling.py`` and ``actions.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesops.align import actions, compensation, territories
from salesops.contract.schema import ROLE_NAMES, TEXT_DTYPE
from salesops.deals import SEGMENT_BANDS, UNKNOWN, won_mask
from salesops.formats import money, percent
from salesops.supply import capacity

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params

#: Smallest capacity weight of a rep in territories and routing: a rep who starts on the quarter's last
#: days still gets a little (a weight must be above 0).
MIN_WEIGHT = 0.05


def segment_of_employees(employees: pd.Series) -> pd.Series:
    """SMB / MM / ENT from a company's employees (``collect.overview.SEGMENT_BANDS``); Unknown when missing."""
    values = pd.to_numeric(employees, errors="coerce").astype("float64")
    out = pd.Series(UNKNOWN, index=employees.index, dtype=object)
    for low, high, name in SEGMENT_BANDS:
        out[(values >= low) & (values < high)] = name
    return out


def quota_carriers(reps: pd.DataFrame, hiring_plan: pd.DataFrame | None, productivity: pd.DataFrame,
                   accounts: pd.DataFrame | None, params: Params, opportunities: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Account executives who carry a quota in the planned quarter: those employed on any of its days, and
    the planned hires (step 3) starting in it, named ``NEW-<segment>-<n>``.

    ``ramped_share`` — mean over the quarter's months of present share × ramp (a rep who leaves or starts
    mid-quarter, or is ramping, gets less than 1); ``capacity`` — bookings the rep makes in the quarter when
    fully ramped: with ``opportunities``, the rep's own bookings per ramped month over the last
    ``supply.history_months``, shrunk toward the segment's rate by ``quotas.evidence_months``
    (``capacity.rep_productivity``), else the segment's rate; × the quarter's months (NaN when not measured).
    ``recent_bookings`` — the rep's won bookings over that window; ``review`` — a rep hired before the ramp
    (``supply.ramp_curve``) who won nothing in the window: capacity 0 (the quota then rests on territory
    potential alone) and flagged for a manager to set by hand, not given a typical quota. A planned hire's
    region is the region of its segment with the most accounts per account executive today (Unknown without
    accounts); its ``ote`` the median of its segment's account executives.
    Columns: rep_id, name, role, segment, region, new_hire, hire_date, ramped_share, capacity, ote,
    recent_bookings, review.
    """
    months = capacity.month_starts(params.quarter_start, params.quarter_end)
    if "segment" not in reps:  # reps without segments are all of the Unknown one, as capacity counts them
        reps = reps.assign(segment=pd.Series(UNKNOWN, index=reps.index, dtype=TEXT_DTYPE))
    today = reps[reps["role"].astype(object).eq("AE").fillna(False).to_numpy(bool)].copy()
    planned = _planned_hires(hiring_plan, months, reps, accounts)
    people = pd.concat([today.assign(new_hire=False), planned], ignore_index=True)
    team = capacity.ramped_equivalents(capacity.rep_months(people, months), params.supply.ramp_curve, 0.0,
                                       params.data_end)
    share = team.groupby("rep_id")["ramped_equivalents"].sum() / len(months)
    rate = productivity.set_index("segment")["productivity"] if len(productivity) else pd.Series(dtype=float)
    people = people[people["rep_id"].isin(share.index)].copy()
    people["ramped_share"] = people["rep_id"].map(share).astype(float).clip(0, 1)
    people["segment"] = people["segment"].astype(object).fillna(UNKNOWN)
    people["region"] = people["region"].astype(object).fillna(UNKNOWN) if "region" in people else UNKNOWN
    monthly = people["segment"].map(rate).astype(float)
    people["recent_bookings"] = np.nan
    people["review"] = False
    if opportunities is not None and len(today):
        own = capacity.rep_productivity(opportunities, today, params.data_end, params.supply.history_months,
                                        params.supply.ramp_curve, rate, params.quotas.evidence_months)
        own = own.set_index(own["rep_id"].astype(object))
        known = people["rep_id"].isin(own.index) & ~people["new_hire"].astype(bool)
        ramp_start = params.quarter_start - pd.DateOffset(months=len(params.supply.ramp_curve))
        hired_before_ramp = pd.to_datetime(people["hire_date"]).fillna(pd.Timestamp.min) < ramp_start
        people.loc[known, "recent_bookings"] = people.loc[known, "rep_id"].map(own["bookings"]).astype(float)
        people["review"] = (known & hired_before_ramp & people["recent_bookings"].eq(0)).to_numpy(dtype=bool)
        monthly = monthly.where(~known, people["rep_id"].map(own["rate"]).astype(float)).where(~people["review"], 0.0)
    people["capacity"] = monthly * len(months)
    for column in ("name", "ote", "hire_date"):
        if column not in people:
            people[column] = np.nan
    # a planned hire is paid like the segment's account executives today
    segment_ote = today.groupby(today["segment"].astype(object))["ote"].median() if "ote" in today else {}
    people["ote"] = people["ote"].astype(float).fillna(people["segment"].map(segment_ote).astype(float))
    columns = ["rep_id", "name", "role", "segment", "region", "new_hire", "hire_date", "ramped_share", "capacity",
               "ote", "recent_bookings", "review"]
    return people[columns].reset_index(drop=True).astype(
        {"rep_id": TEXT_DTYPE, "name": TEXT_DTYPE, "role": TEXT_DTYPE, "segment": TEXT_DTYPE, "region": TEXT_DTYPE,
         "new_hire": bool, "review": bool})


def _planned_hires(hiring_plan: pd.DataFrame | None, months: pd.DatetimeIndex, reps: pd.DataFrame,
                   accounts: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["rep_id", "name", "role", "segment", "region", "hire_date", "new_hire"]
    if hiring_plan is None or hiring_plan.empty:
        return pd.DataFrame(columns=columns)
    ae = hiring_plan[(hiring_plan["role"] == "AE") & hiring_plan["ds"].between(months[0], months[-1])]
    rows = []
    for segment, start, count in zip(ae["segment"].astype(object), ae["ds"], ae["hires"]):
        region = _busiest_region(segment, reps, accounts)
        for _ in range(int(count)):
            number = sum(1 for row in rows if row[3] == segment) + 1
            rows.append((f"NEW-{segment}-{number}", f"New hire {number} ({segment})", "AE", segment, region,
                         pd.Timestamp(start), True))
    return pd.DataFrame(rows, columns=columns)


def _busiest_region(segment: str, reps: pd.DataFrame, accounts: pd.DataFrame | None) -> str:
    """The region of ``segment`` with the most accounts per account executive today."""
    if accounts is None or not {"employees", "region"} <= set(accounts.columns) or "region" not in reps:
        return UNKNOWN
    in_segment = accounts[segment_of_employees(accounts["employees"]).to_numpy() == segment]
    per_region = in_segment["region"].astype(object).value_counts()
    ae = reps[reps["role"].astype(object).eq("AE").fillna(False).to_numpy(bool)
              & reps["segment"].astype(object).eq(segment).fillna(False).to_numpy(bool)]
    if "end_date" in ae:
        ae = ae[ae["end_date"].isna()]
    team = ae["region"].astype(object).value_counts()
    load = per_region / team.reindex(per_region.index).fillna(0).add(1)
    return str(load.idxmax()) if len(load) else UNKNOWN


def territory_accounts(accounts: pd.DataFrame, potential: pd.DataFrame) -> pd.DataFrame:
    """Accounts for ``territories.assign_territories``: account_id, name, segment (by employees), region,
    owner_rep_id and potential (``territories.account_potential``)."""
    out = accounts[["account_id"]].copy()
    out["name"] = accounts["name"] if "name" in accounts else pd.NA
    out["segment"] = segment_of_employees(accounts["employees"]) if "employees" in accounts else UNKNOWN
    out["region"] = accounts["region"].astype(object).fillna(UNKNOWN) if "region" in accounts else UNKNOWN
    out["owner_rep_id"] = accounts["owner_rep_id"] if "owner_rep_id" in accounts else pd.NA
    by_account = potential.set_index("account_id")["potential"]
    out["potential"] = out["account_id"].map(by_account).astype(float).fillna(0.0)
    return out.reset_index(drop=True)


def with_weights(people: pd.DataFrame) -> pd.DataFrame:
    """Reps with ``capacity_weight`` = their ramped share (at least MIN_WEIGHT), for territories and routing."""
    return people.assign(capacity_weight=people["ramped_share"].clip(lower=MIN_WEIGHT))


def lead_takers(reps: pd.DataFrame, leads: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The reps who work leads: the SDRs employed on the quarter's first day, or the account executives when
    there are none. ``conversion_rate``: share of the rep's leads created in the last 12 months before
    ``as_of`` − scoring.outcome_days (so outcomes are known) that converted (NaN with no such leads).
    SDRs cover every segment, so their segment is ``All``. Columns: rep_id, name, role, segment, region,
    ramped_share, capacity_weight, conversion_rate."""
    start = params.quarter_start
    employed = ~(pd.to_datetime(reps["end_date"]) < start).to_numpy(bool) if "end_date" in reps else True
    sdr = reps[reps["role"].astype(object).eq("SDR").fillna(False).to_numpy(bool) & employed]
    takers = sdr if len(sdr) else reps[reps["role"].astype(object).eq("AE").fillna(False).to_numpy(bool) & employed]
    months = capacity.month_starts(params.quarter_start, params.quarter_end)
    team = capacity.ramped_equivalents(capacity.rep_months(takers, months, role=None), params.supply.ramp_curve,
                                       0.0, params.data_end)
    share = team.groupby("rep_id")["ramped_equivalents"].sum() / len(months)
    out = takers[["rep_id"]].copy()
    out["name"] = takers["name"] if "name" in takers else pd.NA
    out["role"] = takers["role"]
    out["segment"] = "All" if len(sdr) else takers["segment"].astype(object).fillna(UNKNOWN)
    out["region"] = takers["region"].astype(object).fillna(UNKNOWN) if "region" in takers else UNKNOWN
    out["ramped_share"] = out["rep_id"].map(share).astype(float).fillna(0.0)
    out["conversion_rate"] = out["rep_id"].map(_lead_conversion(leads, params)).astype(float)
    return with_weights(out).reset_index(drop=True)


def _lead_conversion(leads: pd.DataFrame, params: Params) -> pd.Series:
    if not {"owner_rep_id", "converted"} <= set(leads.columns):
        return pd.Series(dtype=float)
    known_by = params.data_end - pd.Timedelta(days=params.scoring.outcome_days)
    created = pd.to_datetime(leads["created_date"])
    window = (created <= known_by) & (created > known_by - pd.DateOffset(months=12))
    known = leads[window.to_numpy(bool)]
    return known["converted"].astype("boolean").astype(float).groupby(known["owner_rep_id"].astype(object)).mean()


def open_leads(leads: pd.DataFrame, lead_scores: pd.DataFrame, takers: pd.DataFrame) -> pd.DataFrame:
    """Scored open leads for ``routing.route_leads``: lead_id, segment (All when the takers are SDRs, else
    by employees), region, grade, probability, owner_rep_id."""
    scored = lead_scores[["lead_id", "grade", "probability"]].merge(leads, on="lead_id", how="left")
    out = scored[["lead_id", "grade", "probability"]].copy()
    all_segments = bool(len(takers)) and (takers["segment"] == "All").all()
    out["segment"] = ("All" if all_segments else
                      segment_of_employees(scored["employees"]) if "employees" in scored else UNKNOWN)
    out["region"] = scored["region"].astype(object).fillna(UNKNOWN) if "region" in scored else UNKNOWN
    out["owner_rep_id"] = scored["owner_rep_id"] if "owner_rep_id" in scored else pd.NA
    return out.reset_index(drop=True)


def onboarding_programme(hiring_plan: pd.DataFrame | None, coaching: pd.DataFrame | None,
                         ramp_curve: list[float]) -> pd.DataFrame:
    """The onboarding and training programme: the basics every new hire needs in the first month, then one
    module per coaching advice of step 1 (in its order: the bookings the gap goes with, largest first), each in
    the month of tenure it fits, for the new hires and the bottom-quartile reps.

    Columns: month_of_tenure, module, why, for_whom, sessions (start months of the planned account
    executive and SDR cohorts).
    """
    cohorts = ""
    sellers = (hiring_plan[hiring_plan["role"].isin(["AE", "SDR"])] if hiring_plan is not None and len(hiring_plan)
               else None)
    if sellers is not None and len(sellers):
        starts = sorted(pd.to_datetime(sellers["ds"]).unique())
        cohorts = ", ".join(f"{pd.Timestamp(s):%b %Y}" for s in starts)
    rows = [(1, "Product, ideal customer profile and sales process", "every new hire starts here", "new hires",
             cohorts),
            (1, "CRM hygiene: stages, close dates, amounts and next steps",
             "step 1's data-quality audit depends on it", "new hires", cohorts)]
    ramp_months = max(len(ramp_curve), 2)
    if coaching is not None and len(coaching):
        for index, row in enumerate(coaching.itertuples()):
            month = min(2 + index, ramp_months)
            training = getattr(row, "suggested_training", "") or f"coaching on {row.metric}"
            rows.append((month, str(training), f"bottom performers differ from the top on "
                         f"{str(row.metric).replace('_', ' ')} by {abs(float(row.gap)):.0%}",
                         "new hires and bottom-quartile reps", cohorts))
    out = pd.DataFrame(rows, columns=["month_of_tenure", "module", "why", "for_whom", "sessions"])
    return out.astype({c: TEXT_DTYPE for c in ("module", "why", "for_whom", "sessions")})




def hiring_actions_input(hiring_plan: pd.DataFrame) -> pd.DataFrame:
    """The hiring plan as ``actions.actions_from_hiring`` takes it: account executives per segment and start
    month; each supporting role in one line (hires summed, from the first start month to the last), without a
    segment."""
    plan = hiring_plan.rename(columns={"ds": "month", "cost_in_horizon": "cost"})
    columns = ["role", "segment", "month", "last_month", "hires", "cost"]
    sellers = plan[plan["role"] == "AE"]
    sellers = sellers.assign(last_month=sellers["month"])[columns]  # (plan's column would add rows to an empty frame)
    sellers = sellers.assign(segment=sellers["segment"].astype(object).where(sellers["segment"] != UNKNOWN, None))
    support = (plan[plan["role"] != "AE"].groupby("role", sort=False, as_index=False)
               .agg(month=("month", "min"), last_month=("month", "max"), hires=("hires", "sum"),
                    cost=("cost", lambda cost: cost.sum(min_count=1))))  # unknown stays unknown, not 0
    support["role"] = support["role"].map(lambda role: ROLE_NAMES.get(role, role))
    support["segment"] = None
    return pd.concat([frame for frame in (sellers.astype({"segment": object}), support[columns]) if len(frame)],
                     ignore_index=True) if len(plan) else sellers


def action_candidates(quality_checks: pd.DataFrame | None, coaching: pd.DataFrame | None,
                      hiring_plan: pd.DataFrame | None, recommendation: pd.DataFrame | None,
                      tooling_tools: pd.DataFrame | None, tooling_gaps: pd.DataFrame | None,
                      currency: str, supply_actions: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Candidate actions from the findings of steps 1-4 (``actions`` constructors), stacked; None for none."""
    frames = [supply_actions] if supply_actions is not None else []
    if quality_checks is not None and len(quality_checks):
        frames.append(actions.actions_from_quality(quality_checks))
    if coaching is not None and len(coaching):
        frames.append(actions.actions_from_coaching(coaching, currency))
    if hiring_plan is not None and len(hiring_plan):
        frames.append(actions.actions_from_hiring(hiring_actions_input(hiring_plan), currency))
    if recommendation is not None and len(recommendation):
        frames.append(actions.actions_from_organisation(recommendation))
    if tooling_tools is not None and tooling_gaps is not None and (len(tooling_tools) or len(tooling_gaps)):
        frames.append(actions.actions_from_tooling(tooling_tools, tooling_gaps))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


def quota_vs_capacity(quota_table: pd.DataFrame) -> pd.DataFrame:
    """The plan's quotas per segment against what their carriers can book in the quarter (ramped share ×
    capacity, company currency): columns segment, quota, capacity, quota_to_capacity (NaN where no capacity is
    measured)."""
    ramped = quota_table.assign(ramped_capacity=quota_table["ramped_share"] * quota_table["capacity"],
                                segment=quota_table["segment"].astype(object))
    out = ramped.groupby("segment", as_index=False).agg(
        quota=("quota", "sum"), capacity=("ramped_capacity", lambda values: values.sum(min_count=1)))
    return out.assign(quota_to_capacity=out["quota"] / out["capacity"].where(out["capacity"] > 0))


def actions_from_supply(gaps: pd.DataFrame, quota_check: pd.DataFrame, inventory: pd.DataFrame | None,
                        params: Params) -> pd.DataFrame:
    """Candidate actions from steps 3 and 4: a gap of the planned quarter that hiring cannot close (impact:
    the bookings at stake), the plan's quotas above what their carriers can book (``quota_check``:
    :func:`quota_vs_capacity`; no bookings impact: a review makes quotas reachable, it books nothing), and hardware to order before stock runs out (due on
    the quarter's first day)."""
    currency, quarter = params.currency, params.quarter
    rows = []
    base = gaps[(gaps["scenario"] == params.supply.plan_scenario) & (gaps["quarter"] == quarter)]
    spare = base[base["gap_before"] < 0]
    for row in base[base["gap_after"] > 0].itertuples():
        donors = ", ".join(spare["segment"].astype(str))
        rows.append({
            "title": f"Close the {quarter} gap of {money(row.gap_after, currency, compact=True)} in {row.segment} "
                     f"without new hires", "kind": "quota", "metric": f"{row.segment} bookings",
            "expected_effect": f"up to {money(row.gap_after, currency, compact=True)} of bookings",
            "source": "step 3: capacity", "impact": float(row.gap_after),
            "detail": ("Move accounts and leads from segments with spare capacity (" + donors + "), run an "
                       "incentive on ramped reps, or lean on partners." if donors else
                       "Run an incentive on ramped reps or lean on partners; hires arrive too late.")})
    over = quota_check.dropna(subset=["quota_to_capacity"])
    for row in over[over["quota_to_capacity"] > 1.1].itertuples():
        rows.append({
            "title": f"Review {row.segment} quotas: the plan's ask {row.quota_to_capacity - 1:.0%} more than the "
                     f"team's measured capacity", "kind": "quota", "metric": "quota attainment",
            "expected_effect": f"quotas reps can reach ({money(row.quota - row.capacity, currency, compact=True)} of "
                               "quota above what the team is measured to book), and a forecast the team believes",
            "source": "step 4: quotas"})
    if inventory is not None and len(inventory):
        for row in inventory[inventory["units_to_order"] > 0].itertuples():
            rows.append({
                "title": f"Order {row.units_to_order:,.0f} units of {row.product}", "kind": "other",
                "metric": "stock-out risk", "expected_effect":
                f"stock-out risk {percent(row.stockout_risk_quarter, 0)} over the quarter with the order; "
                f"{percent(row.stockout_risk_before_delivery, 0)} before it arrives "
                f"({row.lead_time_days:,.0f}-day lead time)", "source": "step 3: inventory",
                "due_date": params.quarter_start,
                "owner": "Operations",
                "cost": float(row.order_cost)})
    return pd.DataFrame(rows)


def interleave_kinds(ranked: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The ranked actions re-ordered so the first ones cover different kinds: round by round, each kind's next
    action, kinds in the order of their best action; ``priority`` and ``on_summary`` (the first ``top_n``)
    recomputed. A summary of five data fixes would hide the hiring and quota decisions."""
    if ranked.empty:
        return ranked
    order = ranked.sort_values("priority", kind="stable")
    round_of = order.groupby("kind", sort=False).cumcount()
    kind_rank = order["kind"].map({k: i for i, k in enumerate(dict.fromkeys(order["kind"]))})
    out = order.assign(_round=round_of, _kind=kind_rank).sort_values(["_round", "_kind"], kind="stable")
    out = out.drop(columns=["_round", "_kind"]).reset_index(drop=True)
    out["priority"] = range(1, len(out) + 1)
    out["on_summary"] = out["priority"] <= top_n
    return out


def compensation_table(settings) -> pd.DataFrame:
    """The commission plans of the params, one row per role and tier: role, ote (annual; NaN = each rep's own),
    pay_mix, tier (1..k), from_attainment, to_attainment (NaN = open), rate_multiplier, cap_attainment."""
    rows = []
    for role, plan in settings.plans.items():
        for index, tier in enumerate(plan.tiers, start=1):
            rows.append((role, plan.ote, plan.pay_mix, index, tier.from_attainment, tier.to_attainment,
                         tier.rate_multiplier, plan.cap_attainment))
    out = pd.DataFrame(rows, columns=["role", "ote", "pay_mix", "tier", "from_attainment", "to_attainment",
                                      "rate_multiplier", "cap_attainment"])
    return out.astype({"role": TEXT_DTYPE, "ote": float, "to_attainment": float, "cap_attainment": float})


def won_bookings(opportunities: pd.DataFrame, start, end, by: str = "rep_id") -> pd.DataFrame:
    """Won bookings per ``by`` (rep_id, account_id, ...) with close_date in [start, end]: ``by``, bookings
    (company currency)."""
    won = won_mask(opportunities)
    close = pd.to_datetime(opportunities["close_date"])
    in_period = won & (close >= pd.Timestamp(start)).to_numpy(bool) & (close <= pd.Timestamp(end)).to_numpy(bool)
    deals = opportunities.loc[in_period]
    return deals.groupby(deals[by].astype(object))["amount"].sum().rename("bookings").rename_axis(by).reset_index()


def payout_curve(plan, top_attainment: float = 3.5, points: int = 141) -> pd.DataFrame:
    """Payout as a share of target variable pay at each attainment from 0 to ``top_attainment`` under
    ``plan`` (``compensation.commission`` with quota 1 and target variable 1): attainment, payout_share."""
    attainment = np.linspace(0, top_attainment, points)
    share = compensation.commission(attainment, np.ones(points), np.ones(points), plan)
    return pd.DataFrame({"attainment": attainment, "payout_share": np.asarray(share, dtype=float)})


def segment_potential(accounts: pd.DataFrame, opportunities: pd.DataFrame, as_of, months: int = 24) -> pd.DataFrame:
    """Account potential when step 1 has no ideal-customer-profile table (no leads): every account of a
    segment (by employees) gets the segment's won bookings of the ``months`` months to ``as_of`` ÷ its number
    of accounts — expected bookings per account, company currency. Columns: account_id, potential,
    potential_basis ("segment average")."""
    segment = segment_of_employees(accounts["employees"]) if "employees" in accounts else \
        pd.Series(UNKNOWN, index=accounts.index)
    start = pd.Timestamp(as_of) - pd.DateOffset(months=months)
    booked = (won_bookings(opportunities, start + pd.Timedelta(days=1), as_of, by="account_id")
              if "account_id" in opportunities else pd.DataFrame(columns=["account_id", "bookings"]))
    per_account = booked.set_index("account_id")["bookings"]
    account_segment = pd.Series(segment.to_numpy(), index=accounts["account_id"].astype(object).to_numpy())
    by_segment = per_account.groupby(account_segment.reindex(per_account.index)).sum() / account_segment.value_counts()
    return pd.DataFrame({"account_id": accounts["account_id"].to_numpy(),
                         "potential": segment.map(by_segment).astype(float).fillna(0.0).to_numpy(),
                         "potential_basis": "segment average"})


def account_potential(accounts: pd.DataFrame, icp_segments: pd.DataFrame | None, opportunities: pd.DataFrame,
                      params: Params) -> pd.DataFrame:
    """Potential of every account: step 1's expected value per lead of its industry × size band × region
    (``territories.account_potential``) when step 1 could value segments and accounts have an industry, else
    the segment average of :func:`segment_potential`."""
    valued = (icp_segments is not None and "expected_value_per_lead" in icp_segments
              and icp_segments["expected_value_per_lead"].notna().any() and "industry" in accounts)
    if valued:
        return territories.account_potential(accounts, icp_segments, params.icp.size_bands)
    return segment_potential(accounts, opportunities, params.data_end)
