"""One-call step entry points: ``present.section`` (a section's table, chart or sentences, or the sentence
saying why it is empty), the helpers of each step's ``workflow`` that decide what its page shows, and the four
notebooks, which only call, show and explain."""

from __future__ import annotations

import ast
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

from salesops.align import workflow as align_workflow
from salesops.collect import workflow as collect_workflow
from salesops.demand import workflow as demand_workflow
from salesops.report import present
from salesops.report.present import Metric
from salesops.supply import workflow as supply_workflow

from conftest import ROOT


def test_section_shows_the_reason_when_there_is_nothing_to_show_and_nothing_without_a_reason():
    assert present.section(None, "There is no leads table.").data == present.callout("There is no leads table.").data
    assert present.section(None) is None
    assert present.section(None, "") is None


def test_section_shows_a_frame_as_a_table_a_chart_or_sentences_as_bullets():
    frame = pd.DataFrame({"segment": ["SMB"], "quota": [1200.0]})
    shown = present.section(frame, "unused", "EUR", money_columns=["quota"], caption="Quotas")
    assert shown.to_html() == present.table(frame, "EUR", money_columns=["quota"], caption="Quotas").to_html()
    assert present.section(frame, "", "a title", chart=lambda data, title: (len(data), title)) == (1, "a title")
    assert present.section(["One.", "Two."]).data == present.bullets(["One.", "Two."]).data


def _result(**fields) -> SimpleNamespace:
    return SimpleNamespace(**{"hiring_plan": pd.DataFrame({"hires": []}), "payouts": None, "expected": None,
                              "assignment": None, "balance": None, "compensation_reason": "",
                              "review": SimpleNamespace(tools=pd.DataFrame(), note="List your tools."),
                              **fields})


def test_align_sections_without_data_give_none_so_the_page_shows_their_reason():
    empty = _result()
    assert align_workflow.planned_hires(empty) is None
    assert align_workflow.payout_total(empty) is None
    assert align_workflow.routing_sentences(empty) is None
    assert align_workflow.assignment_rules(empty) is None and align_workflow.balance_summary(empty) is None
    assert align_workflow.tools_table(empty) is None
    assert align_workflow.statements_table(_result(compensation_reason="Compensation needs reps.")) is None


def test_ramped_quotas_only_when_someone_is_new_or_still_ramping_else_the_page_says_so():
    columns = {"name": ["Ann", "Bo"], "segment": ["SMB"] * 2, "region": ["NA"] * 2, "new_hire": [False, True],
               "territory_potential": [1.0, 2.0], "quota": [10.0, 5.0]}
    ramped = pd.DataFrame({"rep_id": ["R1", "R2"], "ramped_share": [1.0, 1.0], **columns})
    assert align_workflow.ramped_quotas(_result(quota_table=ramped)) is None
    assert "still ramping" in align_workflow.NO_RAMPING
    ramping = ramped.assign(ramped_share=[1.0, 0.3])
    assert align_workflow.ramped_quotas(_result(quota_table=ramping))["rep_id"].tolist() == ["R2"]


def test_align_sections_with_data():
    payouts = pd.DataFrame({"rep_id": ["R1", "total"], "target_variable": [10.0, 10.0], "expected_payout": [4.0, 9.0]})
    assignment = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "rule": ["kept", "kept", "moved"],
                               "potential": [1.0, 2.0, 5.0]})
    statements = pd.DataFrame({"quarter": ["2026Q4"] * 2, "role": ["AE"] * 2, "target_variable": [1.0, 1.0],
                               "rep_id": ["R1", "R2"], "quota": [10.0, 10.0], "bookings": [5.0, 12.0],
                               "attainment": [0.5, 1.2], "payout_tier_1": [1.0, 2.0], "total_payout": [1.0, 2.0],
                               "capped": [False, False], "note": ["", ""]})
    result = _result(hiring_plan=pd.DataFrame({"hires": [2]}), payouts=payouts, assignment=assignment,
                     statements=statements)
    assert len(align_workflow.planned_hires(result)) == 1
    pd.testing.assert_frame_equal(align_workflow.payout_total(result),
                                  pd.DataFrame({"expected_payout": [9.0]}, index=[1]))
    pd.testing.assert_frame_equal(align_workflow.assignment_rules(result),
                                  pd.DataFrame({"rule": ["kept", "moved"], "accounts": [2, 1], "potential": [3.0, 5.0]}))
    assert align_workflow.statement_money_columns(result) == ["quota", "bookings", "payout_tier_1", "total_payout"]
    shown = align_workflow.statements_table(result)
    assert shown["rep_id"].tolist() == ["R2", "R1"]  # highest attainment first
    assert "capped" not in shown and "note" not in shown  # blank columns dropped
    assert "quarter" in statements  # the input frame is untouched


def test_section_with_a_display_function_shows_any_content_with_it_even_a_list():
    metrics = [Metric("Bookings", 1200.0, "1.2k", "last quarter")]
    assert present.section(metrics, "unused", chart=present.cards).data == present.cards(metrics).data
    assert present.section(None, "No lead could be scored.", chart=present.cards).data == \
        present.callout("No lead could be scored.").data


# ------------------------------------------------------------------------------------------------------------------
# step 1


def _collected(**fields) -> SimpleNamespace:
    return SimpleNamespace(**{"scoring": None, "performers_reason": "", "team_activity": None,
                              "ranked": pd.DataFrame({"segment": []}),
                              "plan_review": SimpleNamespace(found=False, forecast=None, attainment=None, team=None),
                              "review_sentences": [], **fields})


def test_collect_sections_without_data_give_none_so_the_page_shows_their_reason():
    empty = _collected()
    for helper in (collect_workflow.review_bullets, collect_workflow.review_forecast,
                   collect_workflow.review_attainment, collect_workflow.last_year_activity,
                   collect_workflow.ranked_segments, collect_workflow.scoring_cards,
                   collect_workflow.scoring_sentences, collect_workflow.scoring_accuracy,
                   collect_workflow.scoring_split, collect_workflow.scoring_calibration,
                   collect_workflow.grade_table, collect_workflow.leakage_table,
                   collect_workflow.feature_importance):
        assert helper(empty) is None, helper.__name__
    not_supported = _collected(performers_reason="Top vs bottom performers needs reps.")
    assert collect_workflow.performer_table(not_supported, "EUR") is None


def test_collect_review_shows_its_sentences_once_found_even_none_and_spells_the_range_check():
    forecast = pd.DataFrame({"method": ["blended", "blended"], "scenario": ["base", "upside"],
                             "forecast": [100.0, 120.0], "actual": [110.0, 110.0], "error": [10.0, -10.0],
                             "error_pct": [0.1, -1 / 12], "within_range": [True, False], "extra": [1, 2]})
    review = SimpleNamespace(found=True, forecast=forecast, attainment=None, team=None)
    result = _collected(plan_review=review, review_sentences=[])
    assert collect_workflow.review_bullets(result) == []  # found: bullets, no "first quarter" callout
    shown = collect_workflow.review_forecast(result)
    assert shown["within_range"].tolist() == ["yes", "no"] and "extra" not in shown
    assert forecast["within_range"].tolist() == [True, False]  # the input frame is untouched


def test_collect_scoring_sections_follow_what_the_scoring_produced():
    rule_only = SimpleNamespace(metrics=pd.DataFrame(), windows=None, model=None, leakage=pd.DataFrame(),
                                split_summary=pd.DataFrame({"leads": [3]}))
    result = _collected(scoring=rule_only)
    assert collect_workflow.scoring_accuracy(result) is None  # no lead with a known outcome
    assert collect_workflow.scoring_split(result) is None and collect_workflow.scoring_calibration(result) is None
    assert collect_workflow.leakage_table(result) is None and collect_workflow.feature_importance(result) is None
    metrics = pd.DataFrame({"score": ["model"], "roc_auc": [0.8]})
    model = SimpleNamespace(metrics=metrics, windows=object(), model=object(), leakage=pd.DataFrame({"feature": ["x"]}),
                            split_summary=pd.DataFrame({"leads": [3]}), calibration=pd.DataFrame({"bin": [1]}),
                            feature_importance=pd.DataFrame({"feature": ["x"]}))
    result = _collected(scoring=model)
    assert collect_workflow.scoring_accuracy(result) is metrics
    assert collect_workflow.scoring_split(result) is model.split_summary
    assert collect_workflow.scoring_calibration(result) is model.calibration
    assert collect_workflow.leakage_table(result) is model.leakage
    assert collect_workflow.feature_importance(result) is model.feature_importance


def test_flagged_reps_keep_only_flags_and_take_names_when_there_is_a_reps_table():
    flags = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "flag": ["", "optimistic", "pessimistic"],
                          "bias": [0.0, 0.3, -0.2]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["Ann", "Bo", "Cy"], "segment": ["SMB"] * 3})
    named = collect_workflow.flagged_reps(flags, reps)
    assert named.columns.tolist() == ["rep_id", "name", "flag", "bias"]
    assert named["name"].tolist() == ["Bo", "Cy"]
    assert collect_workflow.flagged_reps(flags, None)["rep_id"].tolist() == ["R2", "R3"]


def test_strongest_rep_industries_leave_out_unknown_industries_and_rank_by_the_lead_over_the_team():
    wins = pd.DataFrame({"name": ["Ann", "Bo", "Cy", "Di"], "industry": ["Retail", "Unknown", "Health", "Retail"],
                         "closed": [6, 9, 7, 5], "win_rate": [0.5, 0.9, 0.6, 0.2],
                         "team_win_rate": [0.3, 0.3, 0.4, 0.3],
                         "vs_team_pp": [20.0, 60.0, 20.5, -10.0], "rep_id": ["R1", "R2", "R3", "R4"]})
    shown = collect_workflow.strongest_rep_industries(SimpleNamespace(rep_wins=wins))
    assert shown["name"].tolist() == ["Cy", "Ann", "Di"]
    assert shown.columns.tolist() == ["name", "industry", "closed", "win_rate", "team_win_rate", "vs_team_pp"]


def test_collect_artifacts_hold_the_target_and_the_review_sentences_as_declared():
    assert collect_workflow.target_frame("2027Q1", 1_000.0, "params").to_dict("list") == {
        "quarter": ["2027Q1"], "target": [1_000.0], "basis": ["params"]}
    empty = collect_workflow.review_frame([])
    assert list(empty) == ["sentence"] and len(empty) == 0 and empty["sentence"].dtype == "string"


# ------------------------------------------------------------------------------------------------------------------
# steps 2 and 3


def test_demand_sections():
    comparison = pd.DataFrame({"method": ["statistical", "statistical", "pipeline"],
                               "scenario": ["base", "upside", "base"], "bookings": [100.0, 130.0, 90.0],
                               "weight": [0.5, 0.5, 0.5], "vs_reference": [0.0, 0.0, -0.1], "reason": ["", "", "x"],
                               "downside": [80.0, 80.0, 70.0]})
    shown = demand_workflow.base_by_method(SimpleNamespace(comparison=comparison))
    assert shown["method"].tolist() == ["statistical", "pipeline"]
    assert shown.columns.tolist() == ["method", "bookings", "weight", "vs_reference", "reason"]
    assert demand_workflow.lead_forecast_table(SimpleNamespace(lead_forecast=None)) is None


def _supplied(**fields) -> SimpleNamespace:
    gaps = pd.DataFrame({"scenario": ["base", "upside"], "segment": ["SMB", "SMB"], "gap_before": [10.0, 30.0]})
    plan = SimpleNamespace(gaps=gaps, workloads=pd.DataFrame({"role": ["SDR"]}),
                           inventory=pd.DataFrame({c: [1] for c in supply_workflow.INVENTORY_COLUMNS + ["x"]}))
    return SimpleNamespace(**{"scenario": "upside", "plan": plan, "hiring_plan": pd.DataFrame({"hires": []}),
                              "roles_reason": "", "inventory_reason": "", **fields})


def test_supply_sections():
    result = _supplied()
    pd.testing.assert_frame_equal(supply_workflow.planned_gaps(result),
                                  pd.DataFrame({"segment": ["SMB"], "gap_before": [30.0]}, index=[1]))
    assert supply_workflow.planned_hires(result) is None  # NO_HIRES says so
    assert len(supply_workflow.planned_hires(_supplied(hiring_plan=pd.DataFrame({"hires": [2]})))) == 1
    assert supply_workflow.workloads(result) is result.plan.workloads
    assert supply_workflow.inventory_table(result).columns.tolist() == supply_workflow.INVENTORY_COLUMNS
    no_roles = _supplied(roles_reason="Supporting roles need reps with roles.", inventory_reason="No hardware.")
    assert supply_workflow.workloads(no_roles) is None and supply_workflow.role_summary(no_roles) is None
    assert supply_workflow.inventory_table(no_roles) is None


#: What a notebook must not hold: a decision, a loop, a function of its own.
DECISIONS = (ast.If, ast.IfExp, ast.Match, ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp,
             ast.GeneratorExp, ast.FunctionDef, ast.Lambda, ast.BoolOp)
#: What a notebook may take from the step it starts: the params and the currency; reading and writing
#: artifacts is the step's ``workflow``'s.
STEP_ATTRIBUTES = {"params", "currency"}


def notebook_violations(code: str) -> list[str]:
    """What in a notebook's code goes beyond calling, showing and explaining: conditionals, loops,
    comprehensions, functions, ``and``/``or``, and any use of the step but its params and currency."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, DECISIONS):
            found.append(f"line {node.lineno}: {type(node).__name__}")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "step" \
                and node.attr not in STEP_ATTRIBUTES:
            found.append(f"line {node.lineno}: step.{node.attr}")
    return found


def test_the_violation_finder_sees_conditions_loops_functions_and_direct_artifact_io():
    code = ('x = a if b else c\nif x:\n    y = 1\nfor n in y:\n    step.write(n, "quotas")\n'
            'z = [v for v in w]\nf = lambda v: v\nok = present.table(step.read("quotas"), step.currency)\n')
    assert sorted(v.split(": ")[1] for v in notebook_violations(code)) == [
        "For", "If", "IfExp", "Lambda", "ListComp", "step.read", "step.write"]
    allowed = 'params, currency = step.params, step.currency\nshown = present.section(x, "why")\n'
    assert notebook_violations(allowed) == []


@pytest.mark.parametrize("name", ["01_collect", "02_demand", "03_supply", "04_align"])
def test_each_notebook_only_calls_and_shows(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert notebook_violations(code) == []
    assert f"{name.split('_')[1]}_workflow.write(step, " in code  # the step's artifacts are written by its workflow


def test_the_backtest_table_leads_with_the_company_total_then_the_series_that_were_backtested():
    backtest = pd.DataFrame({"unique_id": ["region=AK", "region=AL/segment=SMB", "region=AL", "total"],
                             "windows": [0, 3, 3, 3]})
    result = SimpleNamespace(bookings=SimpleNamespace(backtest=backtest))
    shown = demand_workflow.backtest_table(result)["unique_id"].tolist()
    assert shown == ["total", "region=AL", "region=AL/segment=SMB", "region=AK"]


def test_the_compensation_reason_is_said_once():
    said = SimpleNamespace(compensation_reason="Compensation needs reps.", payouts_reason="Compensation needs reps.")
    assert align_workflow.statements_reason(said) == ""
    assert align_workflow.statements_reason(SimpleNamespace(compensation_reason="Compensation needs reps.",
                                                            payouts_reason="Too little history.")) != ""


def test_forecast_accuracy_draws_no_empty_chart_and_no_empty_table():
    empty = SimpleNamespace(forecast_trend=pd.DataFrame({"quarter": []}), forecast_accuracy=pd.DataFrame(),
                            flagged=pd.DataFrame({"rep_id": []}))
    assert collect_workflow.accuracy_trend(empty, 4) is None and collect_workflow.flagged_table(empty) is None
    trend = pd.DataFrame({"quarter": ["Q1", "Q2", "Q3"]})
    some = SimpleNamespace(forecast_trend=trend, forecast_accuracy=pd.DataFrame({"rep_id": ["R1"]}),
                           flagged=pd.DataFrame({"rep_id": []}))
    assert collect_workflow.accuracy_trend(some, 2)["quarter"].tolist() == ["Q2", "Q3"]
    assert collect_workflow.flagged_table(some).empty  # judged, nobody flagged: the empty table is the answer
