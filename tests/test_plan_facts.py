"""One plan, one set of numbers: the pipeline the target needs (step 2), the plan's headline figures computed once
and the bridge from the forecast to the target (step 4), each on tiny hand-made frames with hand-computed numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salesops.align import actions, plan_facts
from salesops.align import overview as align_overview
from salesops.demand.plan import pipeline_gap
from salesops.plan_params import Params

PARAMS = Params(company="Acme", quarter="2027Q1")


# --------------------------------------------------------------------------------------------------
# step 2: the coverage needed and the pipeline to create


def opportunities() -> pd.DataFrame:
    """Q4 2026 measured (Oct-Dec): A and B created in October (A won 1,000 in November, B lost at 2,000), C created
    in November and won 500 in December, D created in December and open (300); E is of Q3 and not measured."""
    return pd.DataFrame({
        "opportunity_id": list("ABCDE"),
        "created_date": pd.to_datetime(["2026-10-05", "2026-10-10", "2026-11-03", "2026-12-01", "2026-07-01"]),
        "close_date": pd.to_datetime(["2026-11-20", "2026-11-30", "2026-12-15", "2027-02-01", "2026-10-15"]),
        "amount": [1_000.0, 2_000.0, 500.0, 300.0, 9_000.0],
        "is_closed": [True, True, True, False, True],
        "is_won": [True, False, True, False, True],
        "stage": ["won", "lost", "won", "qualify", "won"],
    })


def test_creation_yield_is_bookings_won_in_the_quarter_per_opportunity_created_in_each_of_its_months():
    yields = pipeline_gap.creation_yield(opportunities(), "2026-12-31", quarters=1)
    assert yields["created"].tolist() == [2, 1, 1]
    assert yields["won_in_quarter"].tolist() == [1, 1, 0]
    assert yields["bookings_in_quarter"].tolist() == [1_000.0, 500.0, 0.0]
    assert yields["yield_per_opportunity"].tolist() == [500.0, 500.0, 0.0]
    assert yields["mean_created_amount"].tolist() == [1_500.0, 500.0, 300.0]
    # with two quarters, Q3's E (created in July, won in October: another quarter) adds a creation but no booking
    two = pipeline_gap.creation_yield(opportunities(), "2026-12-31", quarters=2)
    assert two["created"].tolist() == [3, 1, 1] and two["bookings_in_quarter"].tolist() == [1_000.0, 500.0, 0.0]
    assert two["quarters"].iloc[0] == 2


def test_coverage_needed_at_the_measured_close_rates():
    total = {"open_value": 1_000.0, "expected_pipeline": 400.0, "expected_new_deals": 100.0, "won_to_date": 50.0}
    need = pipeline_gap.coverage_needed(total, 1_000.0)
    assert need["coverage"] == pytest.approx(1.05)  # (50 + 1,000) / 1,000
    assert need["pipeline_yield"] == pytest.approx(0.4)
    assert need["coverage_needed"] == pytest.approx(2.175)  # (50 + (1,000 - 50 - 100) / 0.4) / 1,000
    assert need["pipeline_short"] == pytest.approx(1_125.0)
    enough = pipeline_gap.coverage_needed({**total, "open_value": 3_000.0, "expected_pipeline": 1_200.0}, 1_000.0)
    assert enough["coverage_needed"] == pytest.approx(2.175) and enough["pipeline_short"] == 0.0
    empty = pipeline_gap.coverage_needed({**total, "open_value": 0.0, "expected_pipeline": 0.0}, 1_000.0)
    assert math.isnan(empty["coverage_needed"])
    with pytest.raises(ValueError, match="target must be a bookings amount greater than 0"):
        pipeline_gap.coverage_needed(total, 0)


def test_pipeline_to_create_spreads_an_even_count_over_the_quarter():
    yields = pipeline_gap.creation_yield(opportunities(), "2026-12-31", quarters=1)
    plan = pipeline_gap.pipeline_to_create(yields, 2_000.0, "2027-01-01", 0.25)
    assert plan["ds"].dt.strftime("%Y-%m").tolist() == ["2027-01", "2027-02", "2027-03"]
    assert plan["opportunities"].tolist() == [2, 2, 2]  # 2,000 / (500 + 500 + 0)
    assert plan["usual_opportunities"].tolist() == [4 / 3] * 3  # 4 created in the 3 months of Q4
    assert plan["leads"].tolist() == [8, 8, 8]  # 2 / 25 %
    assert plan["expected_bookings"].tolist() == [1_000.0, 1_000.0, 0.0]
    assert plan["pipeline_value"].iloc[0] == pytest.approx(2 * (1_500 + 500 + 300) / 3)
    without_leads = pipeline_gap.pipeline_to_create(yields, 2_000.0, "2027-01-01", None)
    assert without_leads["leads"].isna().all()
    assert pipeline_gap.pipeline_to_create(yields, 0.0, "2027-01-01", 0.25).empty
    assert pipeline_gap.pipeline_to_create(yields.assign(yield_per_opportunity=0.0), 9.0, "2027-01-01", 0.2).empty


def pipeline_total(open_value: float, base: float = 900.0) -> dict:
    return {"open_value": open_value, "expected_pipeline": 0.4 * open_value, "expected_new_deals": 100.0,
            "won_to_date": 50.0, "base": base}


def test_pipeline_need_adds_the_gap_only_when_coverage_is_below_the_need():
    short = pipeline_gap.pipeline_need(pipeline_total(1_000.0), 1_000.0, 800.0, 0.2).iloc[0]
    assert short["gap"] == 200.0 and short["bookings_to_add"] == 200.0
    assert short["basis"] == "the blended forecast's gap to the target"
    # the blend reaches the target, the open pipeline alone does not: the pipeline forecast's own gap
    above = pipeline_gap.pipeline_need(pipeline_total(1_000.0, base=700.0), 1_000.0, 1_050.0).iloc[0]
    assert above["bookings_to_add"] == 300.0 and "the open pipeline alone does not" in above["basis"]
    assert math.isnan(above["lead_conversion"])
    enough = pipeline_gap.pipeline_need(pipeline_total(3_000.0), 1_000.0, 800.0).iloc[0]
    assert enough["gap"] == 200.0 and enough["bookings_to_add"] == 0.0


def test_a_pipeline_action_only_when_the_pipeline_falls_short():
    yields = pipeline_gap.creation_yield(opportunities(), "2026-12-31", quarters=1)
    need = pipeline_gap.pipeline_need(pipeline_total(1_000.0), 1_000.0, 800.0, 0.25)
    to_create = pipeline_gap.pipeline_to_create(yields, 200.0, "2027-01-01", 0.25)
    action = actions.actions_from_pipeline(need, to_create).iloc[0]
    assert action["title"] == "Create 1 new opportunity a month from January to March 2027"
    assert action["kind"] == "pipeline" and action["impact"] == 200.0
    assert action["due_date"] == pd.Timestamp("2027-01-31") and action["source"] == "step 2: pipeline to create"
    assert "1.05× toward the 2.17× needed" in action["expected_effect"]
    assert "About 4 new leads a month" in action["detail"]
    built = actions.build_actions(actions.actions_from_pipeline(need, to_create), None, "2027-01-01")
    assert built["owner"].iloc[0] == "Marketing and sales development"
    enough = pipeline_gap.pipeline_need(pipeline_total(3_000.0), 1_000.0, 800.0)
    assert actions.actions_from_pipeline(enough, to_create.iloc[0:0]).empty


# --------------------------------------------------------------------------------------------------
# step 4: the plan's figures, once


def plan_inputs(open_value: float = 1_000.0, inventory: bool = True) -> plan_facts.PlanInputs:
    """A quarter planned at a target of 1,000: base forecast 800 (700-900), today's team books 850 and the
    quarter's hires 50 more; quotas 1,150; 3 hires costing 300 payroll and 40 contractors; 20 of hardware; 90 of
    commission in the base scenario."""
    comparison = pd.DataFrame({"method": "blended", "scenario": ["downside", "base", "upside"],
                               "bookings": [700.0, 800.0, 900.0]})
    yields = pipeline_gap.creation_yield(opportunities(), "2026-12-31", quarters=1)
    need = pipeline_gap.pipeline_need(pipeline_total(open_value), 1_000.0, 800.0, 0.25)
    to_create = pipeline_gap.pipeline_to_create(yields, float(need["bookings_to_add"].iloc[0]), "2027-01-01", 0.25)
    gaps = pd.DataFrame({"scenario": "base", "quarter": ["2027Q1", "2027Q1", "2027Q2"], "segment": ["SMB", "MM", "SMB"],
                         "capacity": [500.0, 350.0, 999.0], "added_capacity": [50.0, 0.0, 99.0]})
    costs = pd.DataFrame({"scenario": ["base"], "ae_hires": [1], "support_hires": [2],
                          "hires_by_role": ["1 AE, 2 CSM"], "added_payroll": [300.0], "contractor_hours": [4.0],
                          "contractor_cost": [40.0], "inventory_units": [2.0], "inventory_cost": [20.0]})
    stock = pd.DataFrame({"product": ["Box", "Gate"], "stockout_risk_before_delivery": [0.2, 0.99],
                          "stockout_risk_quarter": [0.01, 0.12], "lead_time_days": [30.0, 45.0]})
    quotas = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [600.0, 550.0]})
    payouts = pd.DataFrame({"rep_id": ["R1", "total", "total"], "scenario": ["base", "base", "upside"],
                            "expected_payout": [50.0, 90.0, 120.0]})
    return plan_facts.PlanInputs(comparison=comparison, target=1_000.0, target_basis="2026Q1 bookings +25%",
                                 pipeline_need=need, pipeline_to_create=to_create, gaps=gaps, costs=costs,
                                 inventory=stock if inventory else None, quotas=quotas, payouts=payouts)


def test_plan_facts_read_each_figure_once_from_the_step_that_measured_it():
    facts = plan_facts.fact_values(plan_facts.plan_facts(plan_inputs(), PARAMS))
    assert facts["forecast_base"]["value"] == 800.0 and facts["forecast_base"]["display"] == "$800"
    assert facts["forecast_base"]["note"] == "$700 – $900 · -20.0% vs target"
    assert facts["gap_to_target"]["value"] == 200.0
    assert facts["pipeline_coverage"]["display"] == "1.05×" and facts["coverage_needed"]["display"] == "2.17×"
    assert facts["bookings_from_new_pipeline"]["value"] == 200.0
    assert facts["opportunities_to_create"]["value"] == 1  # 200 / (500 + 500 + 0), rounded up
    assert facts["capacity"]["value"] == 850.0  # 2027Q1 only, the planned scenario
    assert facts["capacity_vs_target"]["value"] == -100.0  # 850 + 50 - 1,000
    assert facts["hires"]["value"] == 3
    assert facts["hires"]["note"] == "1 account executive, 2 customer success managers, over 4 quarters"
    assert facts["cost_commission"]["value"] == 90.0  # the base scenario's total, not the upside's
    assert facts["cost_total"]["value"] == 300.0 + 40.0 + 20.0 + 90.0
    assert facts["quotas_total"]["value"] == 1_150.0 and "+27.8% vs capacity" in facts["quotas_total"]["note"]
    assert facts["stockout_before_delivery"]["display"] == "99%"  # the riskiest product
    assert facts["stockout_quarter"]["display"] == "12%"
    assert facts["target"]["basis"] == "2026Q1 bookings +25%: the bookings measured, the growth assumed"
    assert "stockout_quarter" not in plan_facts.fact_values(plan_facts.plan_facts(plan_inputs(inventory=False),
                                                                                   PARAMS))


def test_the_bridge_goes_from_the_forecast_to_the_target_and_what_the_team_can_book():
    facts = plan_facts.plan_facts(plan_inputs(), PARAMS)
    bridge = plan_facts.gap_bridge(facts, PARAMS)
    assert bridge["step"].tolist() == ["Base forecast", "+ Bookings from new pipeline", "= Target 2027Q1",
                                       "Team capacity 2027Q1", "Capacity short of the target", "Quotas 2027Q1"]
    assert bridge["amount"].tolist() == [800.0, 200.0, 1_000.0, 900.0, -100.0, 1_150.0]
    assert bridge["how"].iloc[1].startswith("Create 1 new opportunity a month (Jan – Mar 2027")


def test_with_enough_pipeline_the_summary_shows_the_gap_and_no_pipeline_to_create():
    facts = plan_facts.plan_facts(plan_inputs(open_value=3_000.0), PARAMS)
    values = plan_facts.fact_values(facts)
    assert values["bookings_from_new_pipeline"]["value"] == 0.0 and "opportunities_to_create" not in values
    bridge = plan_facts.gap_bridge(facts, PARAMS)
    assert "+ Bookings from new pipeline" not in bridge["step"].tolist()
    assert bridge["step"].iloc[1] == "+ Still open" and bridge["amount"].iloc[1] == 200.0
    cards = align_overview.summary_metrics(facts)
    assert [card.label for card in cards][:3] == ["Forecast 2027Q1, base", "Target 2027Q1", "Gap to target"]
    hiring = pd.DataFrame({"role": ["AE"], "ds": pd.to_datetime(["2027-03-01"]), "hires": [1]})
    findings = align_overview.summary_findings([], facts, hiring, pd.DataFrame({"quota": [600.0, 550.0]}), "", PARAMS)
    assert findings[0] == "2027Q1: $800 expected ($700 to $900), 20.0% below the target of $1k."
    assert findings[1].startswith("Pipeline is not what limits the plan: the open pipeline covers the target 3.05×")
    short = align_overview.summary_findings([], plan_facts.plan_facts(plan_inputs(), PARAMS), hiring,
                                            pd.DataFrame({"quota": [600.0, 550.0]}), "", PARAMS)
    assert short[1].startswith("To close the gap, create 1 new opportunity a month")


def test_a_plan_whose_hires_cannot_be_costed_says_so_instead_of_a_dash():
    inputs = plan_inputs()
    uncosted = plan_facts.PlanInputs(**{**vars(inputs), "costs": inputs.costs.assign(added_payroll=float("nan")),
                                        "payouts": None, "commission_reason": "no attainment history"})
    facts = plan_facts.plan_facts(uncosted, PARAMS)
    values = plan_facts.fact_values(facts)
    assert values["cost_payroll"]["display"] == "not known" and values["cost_commission"]["display"] == "not simulated"
    assert values["cost_total"]["label"] == "Known cost of the plan" and values["cost_total"]["value"] == 60.0
    assert values["cost_total"]["note"].endswith("not included: payroll and commission")
    assert align_overview.cost_sentence(values, "2027Q1") == (
        "The plan costs $60 as far as it can be costed: $40 contractors over the horizon, $20 hardware in 2027Q1; "
        "not costed: payroll (no on-target earnings in the reps table nor supply.annual_cost to cost the hires); "
        "commission (no attainment history).")
    assert align_overview.cost_sentence(plan_facts.fact_values(plan_facts.plan_facts(inputs, PARAMS)), "2027Q1") == (
        "The plan costs $450: $300 payroll over the horizon, $40 contractors over the horizon, $20 hardware in 2027Q1, "
        "$90 commission in 2027Q1.")


def test_step_2_says_how_much_coverage_the_target_needs_and_what_to_create():
    from salesops.demand import overview as demand_overview

    yields = pipeline_gap.creation_yield(opportunities(), "2026-12-31", quarters=1)
    need = pipeline_gap.pipeline_need(pipeline_total(1_000.0), 1_000.0, 800.0, 0.25)
    to_create = pipeline_gap.pipeline_to_create(yields, 200.0, "2027-01-01", 0.25)
    covers, create = demand_overview.pipeline_sentences(need, to_create, PARAMS)
    assert covers == ("The open pipeline expected to close in 2027Q1 covers the target 1.05×; at the stage close rates "
                      "and slippage measured over the last 12 months it needs 2.17× (measured, not a rule of thumb), "
                      "$1k of open pipeline short.")
    assert create == ("To add the $200 (the blended forecast's gap to the target), create about 1 new opportunity a "
                      "month from January to March 2027 (1 in a usual month; about 4 new leads a month): at the "
                      "measured win rate, deal size and cycle, those of January alone bring it within the quarter.")
    enough = pipeline_gap.pipeline_need(pipeline_total(3_000.0), 1_000.0, 800.0)
    assert demand_overview.pipeline_sentences(enough, to_create.iloc[0:0], PARAMS)[0].endswith(
        "it needs 2.17× (measured, not a rule of thumb): the pipeline is enough.")


def test_the_index_chart_shows_history_forecast_range_target_and_last_quarters_forecast():
    facts = plan_facts.plan_facts(plan_inputs(), PARAMS)
    growth = pd.DataFrame({"quarter": [f"2024Q{q}" for q in (1, 2, 3, 4)] + [f"2025Q{q}" for q in (1, 2, 3, 4)]
                           + [f"2026Q{q}" for q in (1, 2, 3, 4)], "bookings": [float(q) for q in range(1, 13)],
                           "complete": [True] * 11 + [False]})
    review = pd.DataFrame({"quarter": ["2026Q3"], "method": ["blended"], "scenario": ["base"], "forecast": [9.0]})
    figure = align_overview.index_chart(facts, growth, review, PARAMS)
    labels = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    assert labels == ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3", "2027Q1"]
    assert figure.alt_text.startswith("2027Q1: forecast $800 ($700 to $900) against a target of $1k; 2026Q3 "
                                      "booked $11 against the $9 forecast for it; the last 8 quarters booked $4 to $11.")
    assert align_overview.index_chart(facts, None, None, PARAMS) is None


def test_bad_arguments_of_the_pipeline_gap_are_named():
    with pytest.raises(ValueError, match="quarters must be a whole number of quarters of at least 1, e.g. 4; got 0"):
        pipeline_gap.creation_yield(opportunities(), "2026-12-31", quarters=0)
    with pytest.raises(ValueError, match="opportunities is missing"):
        pipeline_gap.creation_yield(opportunities().drop(columns="amount"), "2026-12-31")
