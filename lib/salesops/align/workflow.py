"""Step 4 in one call: ``run(step)`` reads what steps 1 to 3 wrote, puts quotas, territories, lead routing,
onboarding, compensation, the organisation, tools and actions together, and returns an ``AlignResult`` with
everything the page shows; ``write(step, result)`` writes the step's artifacts, ``plan.xlsx`` and its summary.

A section the data cannot support carries the sentence saying why (``*_reason``: empty when the section has
its table), so the notebook shows either the table or that sentence and decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from salesops import fiscal_calendar, sanity
from salesops.align import (actions, compensation, organisation, plan_facts, plan_workbook, quotas, routing,
                            territories, tooling)
from salesops.align import overview as align_overview
from salesops.align import plan as align_plan
from salesops.contract import analyses
from salesops.report import present, workbook
from salesops.report.present import Metric

if TYPE_CHECKING:
    from salesops.runner.step import Step

ROUTING_NEEDS_SCORES = "Lead routing needs step 1's lead scores, which need enough leads with known outcomes."
PAYOUTS_NEED_HISTORY = ("The payout simulation needs reps with quotas who were employed for whole finished "
                        "quarters and booked something in them.")
NO_HIRES = "No hires are needed in the planned scenario."
NO_RAMPING = ("No account executive starts in the quarter or is still ramping (a rep without a hire date counts as "
              "ramped): every quota is a fully ramped rep's, in the tables above and in plan.xlsx.")


@dataclass
class AlignResult:
    """What step 4's page shows. Money is in the company currency; shares are fractions. A frame is None when
    its section could not run, and the section's ``*_reason`` says why."""

    target: float
    comparison: pd.DataFrame  # step 2's forecast per method and scenario
    gaps: pd.DataFrame  # step 3's capacity gaps
    costs: pd.DataFrame  # step 3's supply scenarios
    hiring_plan: pd.DataFrame  # step 3's hiring plan, planned scenario
    quota_table: pd.DataFrame  # every quota carrier's quota
    territories_reason: str
    assignment: pd.DataFrame | None  # each account's owner before and after
    balance: pd.DataFrame | None  # potential per rep before and after
    routing_reason: str
    routed: pd.DataFrame | None
    expected: pd.DataFrame | None  # expected conversions, today's owners against the rules
    onboarding: pd.DataFrame
    comp_plan: pd.DataFrame
    rep_quarters: int  # rep-quarters of attainment history the payout simulation drew from
    payouts: pd.DataFrame | None
    payouts_reason: str
    statements_quarter: str
    statements: pd.DataFrame
    compensation_reason: str  # the compensation analysis is not supported at all
    arr: organisation.MeasuredArr
    recommendation: pd.DataFrame
    org_sentence: str
    review: tooling.ToolingReview
    action_list: pd.DataFrame
    metrics: list[Metric]
    findings: list[str]
    warnings: list[str]  # sanity invariants violated (``salesops.sanity``): shown first, never hidden
    target_basis: str  # how step 1 set the target
    facts: pd.DataFrame  # the plan's headline figures (``plan_facts``): the index and plan.xlsx show them
    bridge: pd.DataFrame  # from the forecast to the target and what the team can book (``plan_facts.gap_bridge``)

    def artifacts(self) -> dict[str, pd.DataFrame | None]:
        """The step's artifacts by name; None for a section that could not run (nothing is written)."""
        return {"quotas": self.quota_table, "territory_assignment": self.assignment,
                "territory_balance": self.balance, "lead_routing": self.routed,
                "routing_expectation": self.expected, "onboarding": self.onboarding,
                "compensation_plan": self.comp_plan, "payout_simulation": self.payouts,
                "commission_statements": self.statements, "organisation": self.recommendation,
                "actions": self.action_list, "plan_facts": self.facts, "gap_bridge": self.bridge}


def run(step: Step) -> AlignResult:
    """Step 4 from the artifacts of steps 1 to 3 and the params of ``step``."""
    params, currency = step.params, step.currency
    tables = step.read_tables(("reps", "opportunities", "accounts", "leads", "products"))
    supported = step.read("analyses")
    planning_target = step.read("planning_target")
    target, target_basis = float(planning_target["target"].iloc[0]), str(planning_target["basis"].iloc[0])
    comparison, gaps, costs = step.read("demand_comparison"), step.read("capacity_gaps"), step.read("supply_scenarios")
    hiring_plan = step.read("hiring_plan")

    carriers = align_plan.quota_carriers(tables["reps"], hiring_plan, step.read("productivity"),
                                         tables.get("accounts"), params, tables["opportunities"])
    missing_territories = analyses.missing_sentence(supported, "Territories")
    account_potential = (None if missing_territories else
                         align_plan.account_potential(tables["accounts"], step.read_optional("icp_segments"),
                                                      tables["opportunities"], params))
    accounts = (align_plan.territory_accounts(tables["accounts"], account_potential)
                if account_potential is not None else None)
    account_reps = align_plan.with_weights(carriers)
    assignment = (territories.assign_territories(accounts, account_reps, params.territories)
                  if accounts is not None else None)
    balance = territories.territory_balance(assignment, account_reps) if assignment is not None else None
    potential = balance.set_index("rep_id")["potential_after"] if balance is not None else {}
    quota_table = quotas.allocate_quotas(
        carriers.assign(territory_potential=carriers["rep_id"].map(potential).astype(float).fillna(0.0)),
        target, params.quotas)

    missing_routing = analyses.missing_sentence(supported, "Lead routing")
    takers = None if missing_routing else align_plan.lead_takers(tables["reps"], tables["leads"], params)
    lead_scores = step.read_optional("lead_scores")
    leads_to_route = (align_plan.open_leads(tables["leads"], lead_scores, takers)
                      if takers is not None and lead_scores is not None and len(takers) else None)
    routed = routing.route_leads(leads_to_route, takers, params.routing) if leads_to_route is not None else None
    expected = (routing.expected_conversion(routed, leads_to_route, takers, params.routing)
                if routed is not None else None)

    coaching = step.read_optional("coaching")
    onboarding = align_plan.onboarding_programme(hiring_plan, coaching, params.supply.ramp_curve)

    comp_plan = align_plan.compensation_table(params.compensation)
    history_quarters = compensation.finished_quarters(params.data_end, 8, params.fiscal_year_start_month)
    attainment = compensation.historic_attainment(tables["opportunities"], tables["reps"], history_quarters,
                                                  params.fiscal_year_start_month)
    ae_plan = params.compensation.plans.get("AE")
    missing_comp = analyses.missing_sentence(supported, "Compensation")
    payouts = (compensation.simulate_payouts(attainment["attainment"], quota_table[quota_table["quota"] > 0],
                                             ae_plan, compensation.scenario_totals(comparison),
                                             params.compensation.simulation_draws, params.compensation.seed)
               if ae_plan is not None and attainment["attainment"].sum() > 0 and not missing_comp else None)
    last_quarter = history_quarters[-1]
    statements = compensation.commission_statement(
        tables["reps"], align_plan.won_bookings(tables["opportunities"],
                                                fiscal_calendar.quarter_start(last_quarter, params.fiscal_year_start_month),
                                                fiscal_calendar.quarter_end(last_quarter, params.fiscal_year_start_month)),
        last_quarter, params.compensation, params.fiscal_year_start_month)

    arr = (organisation.MeasuredArr(params.organisation.arr, "as given in the params")
           if params.organisation.arr is not None else
           organisation.measured_arr(tables["opportunities"], tables.get("products"), params.data_end, currency))
    recommendation = organisation.recommend_organisation(arr.arr, None, params.organisation, currency)
    org_sentence = align_overview.organisation_sentence(recommendation, arr.arr, params)
    review = tooling.tooling_review(params.tooling, recommendation.attrs["stage"])

    need, to_create = step.read("pipeline_need"), step.read("pipeline_to_create")
    inventory = step.read_optional("inventory_plan")
    facts = plan_facts.plan_facts(plan_facts.PlanInputs(
        comparison=comparison, target=target, target_basis=target_basis, pipeline_need=need,
        pipeline_to_create=to_create, gaps=gaps, costs=costs, inventory=inventory, quotas=quota_table,
        payouts=payouts, commission_reason="" if payouts is not None else (
            "the reps table lacks what the payout simulation needs: step 4 says what to add" if missing_comp else
            "no rep with a quota was employed for whole finished quarters")),
        params)
    candidates = align_plan.action_candidates(
        step.read_optional("quality_checks"), coaching, hiring_plan, recommendation, review.tools,
        review.gaps, currency,
        pd.concat([actions.actions_from_pipeline(need, to_create, currency),
                   align_plan.actions_from_supply(gaps, align_plan.quota_vs_capacity(quota_table), inventory,
                                                  params)], ignore_index=True))
    action_list = align_plan.interleave_kinds(actions.build_actions(candidates, params.actions, params.quarter_start),
                                              params.actions.top_n)

    review_frame = step.read_optional("last_quarter_review")  # step 1: last quarter's plan against what happened
    review_sentences = review_frame["sentence"].tolist() if review_frame is not None else []
    metrics = align_overview.summary_metrics(facts)
    findings = align_overview.summary_findings(review_sentences, facts, hiring_plan, quota_table, org_sentence,
                                               params)
    warnings = (sanity.unmeasured_sentences(findings)
              + sanity.quotas_add_up(float(quota_table["quota"].sum()),
                                     quotas.quota_total(target, params.quotas.over_assignment), currency))
    return AlignResult(
        warnings=warnings, target=target, target_basis=target_basis, comparison=comparison, gaps=gaps, costs=costs,
        hiring_plan=hiring_plan,
        quota_table=quota_table, territories_reason=missing_territories or "", assignment=assignment,
        balance=balance,
        routing_reason="" if expected is not None else (missing_routing or ROUTING_NEEDS_SCORES),
        routed=routed, expected=expected, onboarding=onboarding, comp_plan=comp_plan,
        rep_quarters=len(attainment), payouts=payouts,
        payouts_reason="" if payouts is not None else (missing_comp or PAYOUTS_NEED_HISTORY),
        statements_quarter=last_quarter, statements=statements, compensation_reason=missing_comp or "",
        arr=arr, recommendation=recommendation, org_sentence=org_sentence, review=review, action_list=action_list,
        metrics=metrics, findings=findings, facts=facts, bridge=plan_facts.gap_bridge(facts, params))


def write(step: Step, result: AlignResult) -> None:
    """Write step 4's artifacts, the plan workbook (``plan.xlsx`` beside the pages) and the step's summary."""
    params, currency = step.params, step.currency
    step.write_all(result.artifacts())
    workbook.write_workbook(step.out_dir.parent / "plan.xlsx",
                            plan_workbook.plan_sheets(result.quota_table, result.balance, result.assignment,
                                                      result.hiring_plan, result.comp_plan, result.payouts,
                                                      result.action_list, currency, result.facts, result.bridge),
                            currency, {"Company": params.company, "Quarter": params.quarter,
                                       "Data up to": f"{params.data_end:%Y-%m-%d}", "Currency": currency},
                            max_rows=params.territories.workbook_max_rows)
    step.write_summary(result.metrics, result.warnings + result.findings)


# ------------------------------------------------------------------------------------------------------------------
# what the page shows, each section's table or the sentence saying why it has none


def ramped_quotas(result: AlignResult) -> pd.DataFrame | None:
    """Quota carriers not fully ramped in the quarter (new hires, reps still ramping); None when there is none
    (``NO_RAMPING`` says so)."""
    ramping = result.quota_table.loc[result.quota_table["ramped_share"] < 1,
                                     ["rep_id", "name", "segment", "region", "new_hire", "ramped_share",
                                      "territory_potential", "quota"]]
    return ramping if len(ramping) else None


def balance_summary(result: AlignResult) -> pd.DataFrame | None:
    """Territory balance before and after (None without territories)."""
    return territories.balance_summary(result.balance) if result.balance is not None else None


def assignment_rules(result: AlignResult) -> pd.DataFrame | None:
    """Accounts and potential by the rule that placed them (None without territories)."""
    if result.assignment is None:
        return None
    return result.assignment.groupby("rule", as_index=False).agg(accounts=("account_id", "size"),
                                                                 potential=("potential", "sum"))


def routing_sentences(result: AlignResult) -> list[str] | None:
    """The sentence on routing's expected effect (None when leads were not routed)."""
    return [align_overview.routing_sentence(result.expected)] if result.expected is not None else None


def planned_hires(result: AlignResult) -> pd.DataFrame | None:
    """The hiring plan, or None when it has no hires (``NO_HIRES`` says so)."""
    return result.hiring_plan if len(result.hiring_plan) else None


def ae_payout_curve(params) -> pd.DataFrame | None:
    """Payout by attainment of the account executives' plan (None when the params have no AE plan)."""
    plans = params.compensation.plans
    return align_plan.payout_curve(plans["AE"]) if "AE" in plans else None


def payout_total(result: AlignResult) -> pd.DataFrame | None:
    """The simulated commission cost of the whole team, one row per scenario of the plan's forecast (None when
    payouts were not simulated)."""
    if result.payouts is None:
        return None
    return result.payouts[result.payouts["rep_id"] == "total"].drop(columns=["rep_id", "target_variable"])


def statements_reason(result: AlignResult) -> str:
    """Why the commission statements are not shown, unless the payout section above already said the same."""
    return "" if result.compensation_reason == result.payouts_reason else result.compensation_reason


def statements_table(result: AlignResult) -> pd.DataFrame | None:
    """Commission statements as shown: blank columns dropped, highest attainment first (None when the
    compensation analysis is not supported)."""
    if result.compensation_reason:
        return None
    shown = present.drop_blank(result.statements.drop(columns=["quarter", "role", "target_variable"]),
                               ["capped", "note"])
    return shown.sort_values("attainment", ascending=False)


def statement_money_columns(result: AlignResult) -> list[str]:
    """The money columns of the commission statements: quota, bookings, one payout per tier, the total."""
    return ["quota", "bookings"] + [c for c in result.statements if c.startswith("payout_")] + ["total_payout"]


def tools_table(result: AlignResult) -> pd.DataFrame | None:
    """The tooling review, or None when the params list no tools (``result.review.note`` says what to add)."""
    return result.review.tools if len(result.review.tools) else None


def facts_table(result: AlignResult) -> pd.DataFrame:
    """The plan's headline figures as shown (``plan_facts``): figure, value, what it means, how it is known."""
    return result.facts[["label", "display", "note", "basis"]].rename(
        columns={"label": "figure", "display": "value", "note": "what it means", "basis": "how it is known"})
