"""Step 3's page in numbers and words: headline cards, findings and the closing supply plan per scenario,
from a ``supply.plan.SupplyPlan``. Nothing here defines a measure: definitions live in ``capacity.py``,
``hiring.py``, ``staffing.py`` and ``inventory.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from salesops.contract.analyses import has_product_kind, missing_sentence, no_product_kind
from salesops.contract.schema import ROLE_NAMES, roles_in_words
from salesops.formats import money, number, percent
from salesops.report.present import Metric
from salesops.supply.hiring import hire_contribution
from salesops.supply.plan import SupplyPlan

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params


#: Columns of :func:`assumptions`.
ASSUMPTION_COLUMNS = ("figure", "value", "basis")


def assumptions(plan: SupplyPlan, params: Params) -> pd.DataFrame:
    """Every figure the supply plan rests on, its value and whether it was measured from the data or assumed from
    a param (``assumed (supply.<key>)``), one row each: the ramp, attrition, each segment's productivity, each
    supporting role's workload, hiring lead time, contractors' rate and hours. A figure that could not be measured
    says so instead of showing a measurement of zero."""
    settings, currency, months = params.supply, params.currency, params.supply.history_months
    rows = [("Ramp to full productivity", " → ".join(percent(share, 0) for share in settings.ramp_curve)
             + " by month of tenure", "assumed (supply.ramp_curve): the data does not show ramp")]
    seen = plan.attrition.set_index("role")["annual_rate"].get("AE") if len(plan.attrition) else None
    rows.append(("Account executive attrition, per year", percent(settings.attrition_annual),
                 f"assumed (supply.attrition_annual); seen in the data: {percent(seen)} over {months} months"
                 if seen is not None and pd.notna(seen) else
                 "assumed (supply.attrition_annual); not measurable: the reps table records no end dates"))
    for row in plan.productivity.itertuples():
        basis = (f"measured: {money(row.bookings, currency, compact=True)} won over {number(row.ramped_rep_months)} "
                 f"ramped rep-months in the last {months} months" if row.source == "measured" and pd.notna(
                     row.productivity) else "assumed (supply.productivity)" if row.source == "params" else
                 "not measurable: no ramped rep-month in the window")
        rows.append((f"Bookings per ramped rep-month, {row.segment}", money(row.productivity, currency), basis))
    for row in plan.workloads.itertuples():
        basis = {"measured": f"measured from today's team over {months} months",
                 "params": "assumed (supply.workload)", "default": "assumed (the workbook's default; supply.workload)"}
        if pd.isna(row.workload):
            rows.append((f"Workload of one {ROLE_NAMES.get(row.role, row.role)}", "not set",
                         "not measurable (no such person on the team today) and no default: supply.workload"))
            continue
        rows.append((f"Workload of one {ROLE_NAMES.get(row.role, row.role)}", f"{number(row.workload, 1)} {row.unit}",
                     basis.get(row.source, row.source)))
    rows += [("Hiring lead time", f"{settings.hiring_lead_time_months} months",
              "assumed (supply.hiring_lead_time_months)"),
             ("Contractor rate", f"{money(settings.contractor_hourly_rate, currency)} an hour, "
              f"{number(settings.hours_per_fte_month)} hours a month",
              "assumed (supply.contractor_hourly_rate, supply.hours_per_fte_month)")]
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS)).astype("string")


def team_plan(plan: SupplyPlan, params: Params, scenario: str) -> pd.DataFrame:
    """Account executives per month with the scenario's planned hires: ds, headcount, ramped_equivalents."""
    settings = params.supply
    team = plan.capacity.groupby("ds")[["headcount", "ramped_equivalents"]].sum()
    months = pd.DatetimeIndex(team.index)
    hires = plan.hires[(plan.hires["scenario"] == scenario) & (plan.hires["role"] == "AE")]
    for start, count in zip(hires["ds"], hires["hires"]):
        team["headcount"] += count * hire_contribution(start, months, [1.0], settings.attrition_annual)
        team["ramped_equivalents"] += count * hire_contribution(start, months, settings.ramp_curve,
                                                                settings.attrition_annual)
    return team.reset_index()


def quarter_capacity(gaps: pd.DataFrame, scenario: str, quarter: str) -> tuple[float, float]:
    """Today's team's capacity in ``quarter`` and what the hires of ``scenario`` starting in it add (step 3's
    capacity gaps summed over segments), company currency."""
    rows = gaps[(gaps["scenario"] == scenario) & (gaps["quarter"] == quarter)]
    return float(rows["capacity"].sum()), float(rows["added_capacity"].sum())


def capacity_vs_target(gaps: pd.DataFrame, scenario: str, quarter: str, target: float) -> float:
    """What the team can book in ``quarter`` with the hires of ``scenario`` starting in it, less the target
    (company currency; negative: short of the target even if demand reaches it)."""
    capacity, added = quarter_capacity(gaps, scenario, quarter)
    return capacity + added - target


def capacity_vs_target_metric(gaps: pd.DataFrame, target: float, params: Params) -> Metric:
    """The card on capacity against the target (the same figure as the plan's summary shows)."""
    difference = capacity_vs_target(gaps, params.supply.plan_scenario, params.quarter, target)
    currency = params.currency
    return Metric("Capacity vs target", difference, money(difference, currency, compact=True),
                  "the team can book the target" if difference >= 0 else
                  "short of the target even if demand reaches it: hires cannot ramp in time")


def _quarter_rows(plan: SupplyPlan, params: Params, scenario: str) -> pd.DataFrame:
    gaps = plan.gaps
    return gaps[(gaps["scenario"] == scenario) & (gaps["quarter"] == params.quarter)]


def supply_metrics(plan: SupplyPlan, params: Params, target: float) -> list[Metric]:
    """The cards at the top of the supply page (and of the quarter's index when step 4 did not run)."""
    currency, quarter = params.currency, params.quarter
    rows = _quarter_rows(plan, params, "base")
    capacity, demand = float(rows["capacity"].sum()), float(rows["demand"].sum())
    cost = plan.costs.set_index("scenario").loc[params.supply.plan_scenario]
    metrics = [
        Metric(f"Sales capacity {quarter}", capacity, money(capacity, currency, compact=True),
               f"{percent(capacity / demand - 1, signed=True)} vs base demand" if demand else "today's team"),
        Metric("Short in the quarter (base)", float(rows["gap_after"].clip(lower=0).sum()),
               money(float(rows["gap_after"].clip(lower=0).sum()), currency, compact=True),
               "bookings demand above capacity, after hires"),
        Metric(f"Hires ({params.supply.plan_scenario})", float(cost["ae_hires"] + cost["support_hires"]),
               number(cost["ae_hires"] + cost["support_hires"]),
               f"{number(cost['ae_hires'])} account executives"),
        Metric("Added cost in the horizon", float(cost["added_payroll"] + cost["contractor_cost"]),
               money(float(cost["added_payroll"] + cost["contractor_cost"]), currency, compact=True)
               if pd.notna(cost["added_payroll"]) else "unknown",
               "payroll of hires + contractors" if pd.notna(cost["added_payroll"]) else
               "no on-target earnings to cost the hires"),
        capacity_vs_target_metric(plan.gaps, target, params),
    ]
    return metrics


def supply_findings(plan: SupplyPlan, params: Params) -> list[str]:
    """What the supply plan says, most important first."""
    currency, quarter, settings = params.currency, params.quarter, params.supply
    sentences = []
    base = _quarter_rows(plan, params, "base")
    short = base[base["gap_after"] > 0]
    spare = base[base["gap_before"] < 0]
    if short.empty:
        sentences.append(f"Today's team can deliver the base demand of {quarter} in every segment.")
    else:
        parts = ", ".join(f"{s} {money(g, currency, compact=True)}" for s, g in zip(short["segment"], short["gap_after"]))
        sentences.append(
            f"Base demand of {quarter} exceeds what the team can deliver by {parts}. Hires decided now start on "
            f"{plan.earliest_start:%d %b %Y} at the earliest and need {len(settings.ramp_curve)} months to ramp, so "
            f"this quarter's gap is closed, if at all, by re-prioritising, overtime and incentives on ramped reps, "
            f"or partners — not by hiring.")
        if not spare.empty:
            spare_text = ", ".join(f"{s} {money(-g, currency, compact=True)}"
                                   for s, g in zip(spare["segment"], spare["gap_before"]))
            sentences.append(f"Spare capacity in the same quarter: {spare_text}; moving accounts or leads there "
                             f"is the quickest lever.")
    cost = plan.costs.set_index("scenario")
    plan_row = cost.loc[settings.plan_scenario]
    hires = plan.hiring_plan(settings.plan_scenario)
    ae = hires[hires["role"] == "AE"]
    limit = plan.ae_hire_limit
    if len(ae) and limit is not None and ae["hires"].sum() >= limit and (plan.gaps["gap_after"] > 0).any():
        sentences.append(
            f"Hiring stops at {number(limit)} account executives over the horizon — "
            + (f"at most {percent(settings.max_team_growth, 0)} of today's team (supply.max_team_growth)"
               if settings.headcount_budget is None or limit < settings.headcount_budget else
               "the headcount budget (supply.headcount_budget)")
            + ": the gaps left open are for other levers, or for a larger limit once the demand behind them is "
              "confirmed.")
    if len(ae):
        first = ae.sort_values("ds").iloc[0]
        sentences.append(
            f"The {settings.plan_scenario} plan hires {number(ae['hires'].sum())} account executives "
            f"({', '.join(f'{n} {s}' for s, n in ae.groupby('segment')['hires'].sum().items())}); the first "
            f"start on {first['ds']:%b %Y} and are fully productive from {first['fully_ramped']:%b %Y}.")
    else:
        sentences.append(f"The {settings.plan_scenario} demand needs no new account executives over the horizon.")
    if plan_row["support_hires"]:
        sentences.append(f"Hires by role: {roles_in_words(str(plan_row['hires_by_role']))}; contractors cover "
                         f"{number(plan_row['contractor_hours'])} hours of short or early gaps "
                         f"({money(plan_row['contractor_cost'], currency, compact=True)}).")
    check = plan.quota_check.dropna(subset=["quota_to_capacity"])
    over = check[check["quota_to_capacity"] > 1.1]
    if len(over):
        sentences.append("Today's quotas (as the reps table records them) ask more than the team is measured to "
                         "deliver in " + ", ".join(
            f"{s} ({percent(r - 1)} more)" for s, r in zip(over["segment"], over["quota_to_capacity"])) +
            ": expect attainment below 100% there unless productivity rises; step 4 sets the plan's quotas and "
            "compares them the same way.")
    ae_attrition = plan.attrition.set_index("role")["annual_rate"].get("AE")
    if ae_attrition is not None and pd.notna(ae_attrition):
        sentences.append(f"Account executives left at {percent(ae_attrition)} a year over the last "
                         f"{settings.history_months} months; the plan assumes {percent(settings.attrition_annual)}.")
    elif ae_attrition is not None:
        sentences.append(f"Attrition could not be measured (the reps table records no end dates); the plan assumes "
                         f"{percent(settings.attrition_annual)} a year (assumed, supply.attrition_annual).")
    if len(plan.inventory):
        risky = plan.inventory[plan.inventory["stockout_risk_before_delivery"] > 1 - params.inventory.service_level]
        for row in risky.itertuples():
            sentences.append(
                f"{row.product}: {number(row.on_hand)} units in stock cover less than the "
                f"{number(row.monthly_demand * row.lead_time_months)} expected to be ordered during the supplier's "
                f"{number(row.lead_time_days)}-day lead time ({percent(row.stockout_risk_before_delivery, 0)} chance of "
                f"running out before a new order arrives; {percent(row.stockout_risk_quarter, 0)} over the quarter "
                "with the order): order now, and expedite.")
    return sentences


#: The data-quality check the loader records when it gave account executives a segment
#: (``contract.derive.derive_rep_segments``); its ``example_ids`` hold the rule's detail.
SEGMENTS_DERIVED = "rep_segments_derived"


def segment_sentences(plan: SupplyPlan, params: Params, checks: pd.DataFrame | None) -> list[str]:
    """How capacity and demand were matched segment by segment: the segments derived for account executives
    who had none (``checks``: step 1's quality checks), and the demand segments of the planned quarter that no
    account executive covers (no measured productivity, so no hire is planned for them)."""
    sentences = []
    derived = (checks[(checks["check"] == SEGMENTS_DERIVED).to_numpy(bool)] if checks is not None
               else pd.DataFrame())
    if len(derived) and int(derived["rows_affected"].iloc[0]) > 0:
        sentences.append(
            "Capacity is split by segment the way demand is (a deal's segment is its owner's, else its account's "
            f"size band): {derived['example_ids'].iloc[0]}.")
    measured = plan.productivity.set_index("segment")["productivity"].dropna()
    base = _quarter_rows(plan, params, "base")
    uncovered = base[(base["demand"] > 0).to_numpy(bool) & ~base["segment"].isin(measured.index).to_numpy(bool)]
    if len(uncovered):
        parts = ", ".join(f"{s} {money(d, params.currency, compact=True)}"
                          for s, d in zip(uncovered["segment"], uncovered["demand"]))
        sentences.append(
            f"No account executive covers the base demand of {params.quarter} in {parts}: it counts as a gap and no "
            "hire is planned for it; give the reps who own those deals a segment (reps.segment), or set "
            "supply.productivity for it.")
    return sentences


def scenario_sentences(plan: SupplyPlan, params: Params) -> list[str]:
    """How the page ends: what supply plan the base scenario needs, and what changes if downside or upside
    comes."""
    currency = params.currency
    cost = plan.costs.set_index("scenario")

    def describe(row) -> str:
        payroll = ("payroll unknown: add on-target earnings to the reps table or supply.annual_cost"
                   if pd.isna(row["added_payroll"]) else
                   f"payroll {money(row['added_payroll'], currency, compact=True)} in the horizon")
        text = f"hires {row['hires_by_role']} ({payroll}), {number(row['contractor_hours'])} contractor hours"
        if row["inventory_units"]:
            text += f", {number(row['inventory_units'])} hardware units to order"
        if row["horizon_gap"] > 0:
            text += (f"; {money(row['horizon_gap'], currency, compact=True)} of demand stays beyond capacity "
                     f"within the hiring limits")
        return text

    base = cost.loc["base"]
    sentences = [f"The base scenario needs: {describe(base)}."]
    for scenario in ("downside", "upside"):
        row = cost.loc[scenario]
        delta = (row["ae_hires"] + row["support_hires"]) - (base["ae_hires"] + base["support_hires"])
        change = "no change in hires" if delta == 0 else f"{number(abs(delta))} {'more' if delta > 0 else 'fewer'} hires"
        sentences.append(f"If the {scenario} comes: {change} — {describe(row)}.")
    return sentences


def inventory_note(plan: SupplyPlan, supported: pd.DataFrame, products: pd.DataFrame | None = None) -> str:
    """The sentence the inventory section shows instead of its table ("" when there is a table): products that
    carry no kind say so first."""
    if products is not None and not has_product_kind(products):
        return no_product_kind("hardware products, and the stock they need, cannot be told apart")
    missing = missing_sentence(supported, "Hardware inventory")
    if missing:
        return missing
    return "" if len(plan.inventory) else "No hardware product was ordered in the history window: no stock to plan."
