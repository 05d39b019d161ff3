"""Step 2's composed views, on tiny hand-made frames."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd

from salesops.demand import overview as demand_overview
from salesops.plan_params import load_params

from builders import ROOT


def test_history_end_drops_a_partial_month():
    assert demand_overview.history_end("2026-12-31") == pd.Timestamp("2026-12-31")
    assert demand_overview.history_end("2027-02-15") == pd.Timestamp("2027-01-31")


def test_blended_by_segment_splits_each_scenarios_total_by_the_base_shares():
    params = load_params("2027Q1", root=ROOT)
    months = pd.to_datetime(["2027-01-01", "2027-02-01"])
    scenarios = pd.DataFrame({
        "unique_id": ["total"] * 2 + ["region=NA/segment=SMB"] * 2 + ["region=EMEA/segment=SMB"] * 2
                     + ["region=NA/segment=ENT"] * 2,
        "ds": list(months) * 4,
        "downside": [80.0, 80.0, 20.0, 20.0, 10.0, 10.0, 50.0, 50.0],
        "base": [100.0, 100.0, 30.0, 30.0, 10.0, 10.0, 60.0, 60.0],
        "upside": [120.0, 120.0, 40.0, 40.0, 10.0, 10.0, 70.0, 70.0],
    })
    comparison = pd.DataFrame({"method": ["statistical"] * 3 + ["blended"] * 3,
                               "scenario": ["downside", "base", "upside"] * 2,
                               "bookings": [160.0, 200.0, 240.0, 160.0, 150.0, 240.0]})
    result = demand_overview.blended_by_segment(scenarios, comparison, params)
    # each scenario's total (base 100 × 150 / 200 = 75, downside 80 × 1, upside 120 × 1) split by the base shares:
    # SMB = NA + EMEA = 40 of 100, ENT 60 of 100
    smb, ent = result[result["segment"] == "SMB"], result[result["segment"] == "ENT"]
    assert smb[["downside", "base", "upside"]].values.tolist() == [[32.0, 30.0, 48.0]] * 2
    assert ent[["downside", "base", "upside"]].values.tolist() == [[48.0, 45.0, 72.0]] * 2
    # the segments of every scenario add up to its total (summing segments' own bounds would give 80 and 120 only
    # by chance: here SMB's upside alone would be 50, ENT's 70)
    assert result.groupby("ds")[["downside", "base", "upside"]].sum().values.tolist() == [[80.0, 75.0, 120.0]] * 2


def test_backtest_errors_only_when_the_total_was_backtested():
    table = pd.DataFrame({"unique_id": ["total", "region=NA"], "smape": [0.25, 0.4]})
    assert demand_overview.backtest_errors(table) == {"statistical": 0.25}
    assert demand_overview.backtest_errors(table.assign(smape=[math.nan, 0.4])) is None


def test_the_forecast_history_starts_with_a_whole_period():
    start = demand_overview.whole_history_start
    day = pd.Timestamp
    # deals from 15 Mar: March is half in the data, so a series with a March booking starts in April
    assert start(day("2026-03-15"), day("2026-03-20")) == day("2026-04-01")
    # from 2 Mar, 30 of 31 days (at least deals.COMPLETE_SHARE): March is whole
    assert start(day("2026-03-02"), day("2026-03-20")) is None
    # the first booking comes after the partial month anyway
    assert start(day("2026-03-15"), day("2026-05-01")) is None
    # weeks run Monday to Sunday: from Wednesday 4 Mar, the first whole week starts Monday 9 Mar
    assert start(day("2026-03-04"), day("2026-03-05"), "W") == day("2026-03-09")
    assert start(pd.NaT, day("2026-03-05")) is None


def test_findings_never_print_an_error_that_could_not_be_measured():
    params = load_params("2027Q1", root=ROOT)
    comparison = pd.DataFrame({"method": ["blended"] * 3, "scenario": ["downside", "base", "upside"],
                               "bookings": [80.0, 100.0, 120.0]})
    backtest = pd.DataFrame({"unique_id": ["total"], "model": ["AutoETS"], "mase": [math.nan],
                             "smape": [math.nan]})
    sentences = demand_overview.demand_findings(comparison, 100.0, backtest, params)
    assert sentences[-1] == ("The company-level forecast uses AutoETS; the history is too short to backtest it, so "
                             "its accuracy is not measured.")
    assert not any("nan" in sentence.lower() for sentence in sentences)


def test_the_page_says_when_the_pipeline_is_valued_at_the_win_rate():
    from builders import make_opportunities

    params = load_params("2027Q1", root=ROOT)
    deals = make_opportunities([
        ("W1", "R1", "2026-01-01", "2026-03-01", "closed_won", 10.0, None),
        ("L1", "R1", "2026-01-01", "2026-04-01", "closed_lost", 10.0, None),
        ("L2", "R1", "2026-01-01", "2026-04-01", "closed_lost", 10.0, None),
        ("L3", "R1", "2026-01-01", "2026-04-01", "closed_lost", 10.0, "demo"),
    ], ["opportunity_id", "rep_id", "created_date", "close_date", "stage", "amount", "max_stage"])
    assert demand_overview.close_rate_basis(deals, params) == [
        "Only 33% of the deals lost in the last 12 months record the stage they reached, so the pipeline forecast "
        "values every open deal at the win rate by count (25%), not at its stage's close rate: a stage history, or "
        "the stage each lost deal reached, would sharpen it."]
    recorded = deals.assign(max_stage=deals["max_stage"].fillna("qualify"))
    assert demand_overview.close_rate_basis(recorded, params) == []


def test_every_figure_the_demand_rests_on_says_whether_it_was_measured_or_assumed():
    params = load_params("2027Q1", root=ROOT)
    drivers = pd.DataFrame({"segment": ["SMB", "SMB"], "average_deal_size": [10_000.0, 10_000.0],
                            "win_rate": [0.25, 0.25], "lead_conversion": [math.nan, math.nan],
                            "hours_unknown_share": [1.0, 1.0]})
    comparison = pd.DataFrame({"method": ["statistical", "pipeline", "blended"], "weight": [0.5, 0.5, 1.0],
                               "weight_basis": ["equal weights: only statistical was backtested"] * 3})
    table = demand_overview.assumptions(drivers, comparison, params).set_index("figure")
    assert table.loc["Average won deal, SMB", "basis"] == "measured: won deals of the last 12 months"
    assert table.loc["Lead to opportunity, SMB", "basis"] == "not measurable: no leads saying which converted"
    assert table.loc["Delivery hours per deal", "value"] == "none set for this company's products"
    assert table.loc["Support tickets per new customer a month", "basis"] == (
        "assumed (demand.support_tickets_per_customer_month)")
    assert table.loc["Weight of each method in the blend", "value"] == "statistical 50%, pipeline 50%"


def test_the_range_check_says_how_the_total_s_band_held_up_and_how_it_was_rescaled():
    params = load_params("2027Q1", root=ROOT)
    selection = pd.DataFrame({"unique_id": ["total", "region=NA"], "model": ["combo", "AutoETS"]})
    table = pd.DataFrame({"model": ["combo"] * 4 + ["AutoETS"], "level": [80, 80, 80, 95, 80],
                          "step": [1, 2, 3, 1, 1], "points": [40, 40, 20, 40, 40],
                          "covered": [0.7, 0.8, 0.7, 0.9, 0.1], "factor": [1.1, 1.2, 1.2, 1.4, 5.0]})

    def result(intervals, chosen=selection):
        return SimpleNamespace(selection=chosen, intervals=intervals)

    [(figure, value, basis)] = demand_overview.range_check(result(table), params)
    assert figure == "Statistical forecast's 80% range, checked on past quarters"
    # months 1-3 of the total's model, weighted by points: (28 + 32 + 14) / 100 held; factor (44 + 48 + 24) / 100
    assert value == "the models' own 80% range held 74% of 100 past outcomes a quarter ahead; widened 1.16× to hold 80%"
    assert basis.startswith("measured")
    narrow = demand_overview.range_check(result(table.assign(factor=0.9)), params)
    assert narrow[0][1].endswith("narrowed 0.90× to hold 80%")
    few = demand_overview.range_check(result(table.assign(factor=float("nan"))), params)
    assert few[0][1].endswith("too few to rescale it")
    # bands never checked, or no total: no row rather than a made-up figure
    assert demand_overview.range_check(result(table.iloc[0:0]), params) == []
    assert demand_overview.range_check(result(table, selection.iloc[1:]), params) == []
    assert demand_overview.range_check(None, params) == []
