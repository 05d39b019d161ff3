"""Unit tests of salesops.align.compensation on tiny hand-made frames; every expectation is computed by hand.

The default AE plan throughout: pay mix 0.5, tiers [0, 1.0) x1.0, [1.0, 1.5) x1.5, [1.5, open) x2.0, cap 3.0.
With OTE 120,000 and quota 100,000: target variable TV = 120,000 x 0.5 / 4 = 15,000, commission rate r = 0.15.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from salesops.align import compensation
from salesops.align.compensation import CompensationPlan, CompensationSettings

import builders
from builders import assert_rejected

PLAN = CompensationPlan()
QUOTA, TV = 100_000.0, 15_000.0


def tiers(*bands):
    return [{"from_attainment": start, "to_attainment": end, "rate_multiplier": rate} for start, end, rate in bands]


#: rows: (rep_id, name, role, segment, hire_date, end_date, quota, ote).
make_reps = partial(builders.make_reps, columns=["rep_id", "name", "role", "segment", "hire_date", "end_date", "quota",
                                                 "ote"])
#: rows: (rep_id, close_date, is_won, amount).
make_opportunities = partial(builders.make_opportunities, columns=["rep_id", "close_date", "is_won", "amount"])


# --------------------------------------------------------------------------------------------------
# settings


def test_default_plan_is_a_saas_ae_plan():
    settings = CompensationSettings()
    assert list(settings.plans) == ["AE"]
    plan = settings.plans["AE"]
    assert plan.ote is None and plan.pay_mix == 0.5 and plan.cap_attainment == 3.0
    assert [(t.from_attainment, t.to_attainment, t.rate_multiplier) for t in plan.tiers] == [
        (0.0, 1.0, 1.0), (1.0, 1.5, 1.5), (1.5, None, 2.0)]
    with pytest.raises(ValidationError):
        plan.pay_mix = 0.6


@pytest.mark.parametrize("bad_tiers, words", [
    (tiers((0, 1.0, 1.0), (1.2, None, 1.5)), ["gap between tier 1 (ends at 1.0) and tier 2 (starts at 1.2)",
                                             "start tier 2 at 1.0"]),
    (tiers((0, 1.0, 1.0), (0.8, None, 1.5)), ["must not overlap", "tier 2 starts at 0.8", "start tier 2 at 1.0"]),
    (tiers((0, 1.0, 1.0), (1.0, 0.5, 1.5), (0.5, None, 2.0)), ["ascending", "tier 2 ends at 0.5"]),
    (tiers((0, 1.0, 1.0), (1.0, None, -0.5)), ["tiers.1.rate_multiplier", "expected a rate multiplier of 0 or more", "-0.5"]),
    (tiers((0.5, None, 1.0)), ["start at attainment 0", "tier 1 starts at 0.5"]),
    (tiers((0, None, 1.0), (1.0, None, 2.0)), ["only the last tier may be open-ended", "tier 1"]),
    (tiers((0, 1.0, 1.0), (1.0, 2.0, 1.5)), ["last tier must be open-ended", "tier 2 ends at 2.0"]),
    ([], ["at least one tier"]),
])
def test_bad_tiers_say_what_is_wrong(bad_tiers, words):
    with pytest.raises(ValidationError) as error:
        CompensationPlan(tiers=bad_tiers)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("bad, words", [
    ({"pay_mix": 1.5}, ["pay_mix", "expected a share from 0 to 1"]),
    ({"ote": 0}, ["ote", "expected an amount above 0 (company currency)"]),
    ({"cap_attainment": -1}, ["cap_attainment"]),
    ({"pay_mixx": 0.5}, ["pay_mixx", "Extra inputs are not permitted"]),
])
def test_bad_plan_values(bad, words):
    assert_rejected(CompensationPlan, bad, words)


def test_bad_settings():
    with pytest.raises(ValidationError, match=r"role to its commission plan \(names: AE, SDR"):
        CompensationSettings(plans={"Hunter": {}})
    with pytest.raises(ValidationError, match="simulation_draws\n  Value error, expected a whole number of simulated quarters from 100"):
        CompensationSettings(simulation_draws=5)


# --------------------------------------------------------------------------------------------------
# commission


@pytest.mark.parametrize("bookings, expected", [
    (0.0, 0.0),
    (80_000.0, 0.15 * 80_000),                                      # below quota: 12,000
    (100_000.0, 15_000.0),                                          # at quota: TV
    (130_000.0, 15_000 + 0.15 * 1.5 * 30_000),                      # 21,750
    (200_000.0, 15_000 + 0.15 * 1.5 * 50_000 + 0.15 * 2 * 50_000),  # 41,250
    (300_000.0, 15_000 + 11_250 + 0.15 * 2 * 150_000),              # at the cap: 71,250
    (400_000.0, 71_250.0),                                          # above the cap: no more
])
def test_commission_against_hand_computation(bookings, expected):
    assert compensation.commission(bookings, QUOTA, TV, PLAN) == pytest.approx(expected)


def test_commission_is_vectorised_and_uncapped_plans_keep_growing():
    payouts = compensation.commission(np.array([80_000.0, 130_000.0]), QUOTA, TV, PLAN)
    np.testing.assert_allclose(payouts, [12_000.0, 21_750.0])
    uncapped = PLAN.model_copy(update={"cap_attainment": None})
    assert compensation.commission(400_000.0, QUOTA, TV, uncapped) == pytest.approx(
        15_000 + 11_250 + 0.15 * 2 * 250_000)  # 101,250


def test_plan_ote_overrides_the_reps_ote():
    plan = CompensationPlan(ote=200_000, pay_mix=0.4)
    assert compensation.target_variable(120_000.0, plan) == pytest.approx(20_000.0)  # 200,000 x 0.4 / 4
    np.testing.assert_allclose(compensation.target_variable(np.array([120_000.0]), PLAN), [15_000.0])


@pytest.mark.parametrize("args, message", [
    ((-1.0, QUOTA, TV), "bookings must be bookings amounts of 0 or more"),
    ((1.0, 0.0, TV), "quota must be quarterly quotas above 0"),
    ((1.0, QUOTA, float("nan")), "target_variable"),
    (([1.0, 2.0], [QUOTA, QUOTA, QUOTA], TV), "arrays of one length"),
])
def test_commission_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        compensation.commission(*args, PLAN)
    with pytest.raises(ValueError, match="plan must be a CompensationPlan"):
        compensation.commission(1.0, QUOTA, TV, {"pay_mix": 0.5})


# --------------------------------------------------------------------------------------------------
# statement


@pytest.fixture
def reps() -> pd.DataFrame:
    return make_reps([
        ("R1", "Ann", "AE", "SMB", "2024-01-01", None, 100_000, 120_000),   # 130,000 booked
        ("R2", "Bo", "AE", "MM", "2024-01-01", None, 200_000, 160_000),     # nothing booked
        ("R3", "Cy", "AE", "SMB", "2024-01-01", None, 100_000, 120_000),    # 400,000: above the cap
        ("R4", "Di", "AE", "SMB", "2024-01-01", None, None, 120_000),       # no quota
        ("S1", "Ed", "SDR", None, "2024-01-01", None, None, 80_000),        # no plan for SDRs
        ("R5", "Fa", "AE", "SMB", "2024-01-01", "2026-09-30", 100_000, 120_000),  # left before 2026Q4
    ])


def test_statement_per_rep_and_totals(reps):
    bookings = pd.DataFrame({"rep_id": ["R1", "R3", "R5"], "bookings": [130_000.0, 400_000.0, 50_000.0]})
    statement = compensation.commission_statement(reps, bookings, "2026Q4")
    assert list(statement.columns) == [*compensation.STATEMENT_COLUMNS, "payout_tier_1", "payout_tier_2",
                                       "payout_tier_3", *compensation.STATEMENT_TAIL_COLUMNS]
    assert list(statement["rep_id"]) == ["R1", "R2", "R3", "R4"]
    rows = statement.set_index("rep_id")
    # R1: TV 15,000, r 0.15; tier 1 15,000, tier 2 0.15 x 1.5 x 30,000 = 6,750
    assert rows.loc["R1", "attainment"] == pytest.approx(1.3)
    assert rows.loc["R1", "commission_rate"] == pytest.approx(0.15)
    assert rows.loc["R1", ["payout_tier_1", "payout_tier_2", "payout_tier_3"]].tolist() == pytest.approx(
        [15_000, 6_750, 0])
    assert rows.loc["R1", "total_payout"] == pytest.approx(21_750)
    # R2: TV 160,000 x 0.5 / 4 = 20,000 on quota 200,000: rate 0.1, booked 0
    assert rows.loc["R2", "commission_rate"] == pytest.approx(0.1)
    assert rows.loc["R2", "total_payout"] == 0 and not rows.loc["R2", "capped"]
    # R3: attainment 4.0, capped at 3.0: 15,000 + 11,250 + 45,000
    assert rows.loc["R3", ["payout_tier_1", "payout_tier_2", "payout_tier_3"]].tolist() == pytest.approx(
        [15_000, 11_250, 45_000])
    assert rows.loc["R3", "capped"]
    # R4: no quota -> NaN payout and a note
    assert np.isnan(rows.loc["R4", "total_payout"]) and "no quota" in rows.loc["R4", "note"]
    assert statement["total_payout"].sum() == pytest.approx(21_750 + 0 + 71_250)
    assert statement["bookings"].sum() == pytest.approx(530_000)


def test_statement_counts_a_leaver_in_the_quarter_they_left(reps):
    bookings = pd.DataFrame({"rep_id": ["R5"], "bookings": [50_000.0]})
    statement = compensation.commission_statement(reps, bookings, "2026Q3")
    assert statement.set_index("rep_id").loc["R5", "total_payout"] == pytest.approx(7_500)  # 0.15 x 50,000


def test_statement_rejects_duplicate_bookings_rows(reps):
    bookings = pd.DataFrame({"rep_id": ["R1", "R1"], "bookings": [1.0, 2.0]})
    with pytest.raises(ValueError, match="one row per rep"):
        compensation.commission_statement(reps, bookings, "2026Q4")
    with pytest.raises(ValueError, match="bookings_by_rep is missing required column"):
        compensation.commission_statement(reps, bookings.drop(columns="bookings"), "2026Q4")


# --------------------------------------------------------------------------------------------------
# historic attainment


def test_finished_quarters():
    assert compensation.finished_quarters("2026-12-31", 3) == ["2026Q2", "2026Q3", "2026Q4"]
    assert compensation.finished_quarters("2026-12-30", 2) == ["2026Q2", "2026Q3"]  # 2026Q4 not finished
    with pytest.raises(ValueError, match="count must be a whole number"):
        compensation.finished_quarters("2026-12-31", 0)


def test_historic_attainment(reps):
    opportunities = make_opportunities([
        ("R1", "2026-10-05", True, 60_000),
        ("R1", "2026-12-31", True, 40_000),   # last day of 2026Q4 counts
        ("R1", "2026-11-01", False, 99_000),  # lost: not a booking
        ("R1", "2027-01-01", True, 50_000),   # next quarter
        ("R2", "2026-08-01", True, 100_000),  # 2026Q3
        ("R4", "2026-10-10", True, 10_000),   # no quota: left out
    ])
    table = compensation.historic_attainment(opportunities, reps, ["2026Q3", "2026Q4"])
    assert list(table.columns) == list(compensation.ATTAINMENT_COLUMNS)
    # 2026Q3: R1, R2, R3, R5 (R5 left on 2026-09-30, the last day: whole quarter); 2026Q4: R5 is gone
    assert list(zip(table["quarter"], table["rep_id"])) == [
        ("2026Q3", "R1"), ("2026Q3", "R2"), ("2026Q3", "R3"), ("2026Q3", "R5"),
        ("2026Q4", "R1"), ("2026Q4", "R2"), ("2026Q4", "R3")]
    got = table.set_index(["quarter", "rep_id"])["attainment"]
    assert got[("2026Q4", "R1")] == pytest.approx(1.0)    # 100,000 / 100,000
    assert got[("2026Q3", "R2")] == pytest.approx(0.5)    # 100,000 / 200,000
    assert got[("2026Q4", "R3")] == 0
    assert "2 rep(s) without a quota" in table.attrs["note"]  # R4 and S1


def test_historic_attainment_leaves_out_partial_quarters(reps):
    hired_mid_quarter = make_reps([("R9", "Gi", "AE", "SMB", "2026-11-15", None, 100_000, 120_000)])
    opportunities = make_opportunities([("R9", "2026-12-01", True, 10_000)])
    table = compensation.historic_attainment(opportunities, hired_mid_quarter, ["2026Q4", "2027Q1"])
    assert list(table["quarter"]) == ["2027Q1"]
    with pytest.raises(ValueError, match="quarters must be a list of quarter labels"):
        compensation.historic_attainment(opportunities, reps, "2026Q4")


# --------------------------------------------------------------------------------------------------
# simulation


#: The plan's forecast of the quarter per scenario (bookings, currency).
TOTALS = {"downside": 300_000.0, "base": 390_000.0, "upside": 450_000.0}


def test_simulation_with_one_attainment_equals_hand_arithmetic():
    quotas = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [100_000.0, 200_000.0], "ote": [120_000.0, 160_000.0]})
    result = compensation.simulate_payouts([1.3], quotas, PLAN, TOTALS, n_draws=50, seed=1)
    assert list(result.columns) == list(compensation.SIMULATION_COLUMNS)
    assert list(result["rep_id"]) == ["R1", "R2", "total", "total", "total"]
    assert list(result["scenario"]) == ["base", "base", "downside", "base", "upside"]
    rows = result[result["scenario"] == "base"].set_index("rep_id")
    # one relative attainment (1.3 / 1.3 = 1): bookings split by quota, 390,000 x 1/3 and x 2/3: attainment 1.3.
    # R1: 130,000 booked, payout 21,750; R2: TV 20,000, 260,000 booked, payout 20,000 + 0.1 x 1.5 x 60,000 = 29,000
    assert rows.loc["R1", ["expected_bookings", "expected_payout", "payout_p10", "payout_p90"]].tolist() == \
        pytest.approx([130_000, 21_750, 21_750, 21_750])
    assert rows.loc["R2", "expected_payout"] == pytest.approx(29_000)
    assert rows.loc["total", "expected_bookings"] == pytest.approx(390_000)
    assert rows.loc["total", "payout_p50"] == pytest.approx(50_750)
    assert rows.loc["total", "cost_of_sales"] == pytest.approx(50_750 / 390_000)
    assert rows.loc["R1", "cost_of_sales"] == pytest.approx(21_750 / 130_000)
    assert rows.loc["total", "expected_attainment"] == pytest.approx(1.3)
    totals = result[result["rep_id"] == "total"].set_index("scenario")
    # downside 300,000: attainment 1.0, payout exactly TV: 15,000 + 20,000; upside 450,000: attainment 1.5,
    # payout TV x (1 + 0.5 x 1.5) = 1.75 x 35,000
    assert totals["expected_bookings"].to_dict() == pytest.approx(TOTALS)
    assert totals.loc["downside", "expected_payout"] == pytest.approx(35_000)
    assert totals.loc["upside", "expected_payout"] == pytest.approx(61_250)


def test_simulation_books_each_scenarios_total_and_spreads_it_as_history_did():
    quotas = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "quota": [100_000.0] * 3, "ote": [120_000.0] * 3})
    sample = [0.2, 0.9, 1.4, 2.5]
    first = compensation.simulate_payouts(sample, quotas, PLAN, TOTALS, n_draws=500, seed=7)
    again = compensation.simulate_payouts(sample, quotas, PLAN, TOTALS, n_draws=500, seed=7)
    other = compensation.simulate_payouts(sample, quotas, PLAN, TOTALS, n_draws=500, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first["expected_payout"].equals(other["expected_payout"])
    # the reps' bookings add up to the scenario's total in every draw: expected bookings equal it exactly
    totals = first[first["rep_id"] == "total"].set_index("scenario")
    assert totals["expected_bookings"].to_dict() == pytest.approx(TOTALS, rel=1e-12)
    assert first.loc[:2, "expected_bookings"].sum() == pytest.approx(TOTALS["base"], rel=1e-12)
    # equal quotas: each rep's expected share is a third, with a spread between reps (p10 < p90)
    assert first.loc[:2, "expected_attainment"].mean() == pytest.approx(1.3)
    assert (first.loc[:2, "payout_p10"] < first.loc[:2, "payout_p90"]).all()
    assert totals["expected_payout"].is_monotonic_increasing  # more bookings, more commission
    assert (totals["payout_p10"] <= totals["payout_p50"]).all() and (totals["payout_p50"] <= totals["payout_p90"]).all()


def test_a_new_hire_at_a_third_of_ramp_earns_a_third_of_the_variable_at_a_ramped_reps_cost_of_sales():
    quotas = pd.DataFrame({"rep_id": ["R1", "N1"], "quota": [QUOTA, QUOTA / 3], "ote": [120_000.0] * 2,
                           "ramped_share": [1.0, 1 / 3]})
    totals = {"downside": 100_000.0, "base": 160_000.0, "upside": 200_000.0}
    result = compensation.simulate_payouts([1.0], quotas, PLAN, totals, n_draws=20, seed=3)
    reps = result[result["rep_id"] != "total"].set_index("rep_id")
    # TV 15,000 and 15,000 / 3 = 5,000: the same commission rate 0.15 on quota 100,000 and 33,333
    assert reps["target_variable"].tolist() == pytest.approx([TV, TV / 3])
    # base 160,000 over quotas 133,333: attainment 1.2 for both. R1 payout 15,000 x (1 + 0.2 x 1.5) = 19,500 on
    # 120,000; N1 5,000 x 1.3 = 6,500 on 40,000: cost of sales 0.1625 each
    assert reps["expected_bookings"].tolist() == pytest.approx([120_000, 40_000])
    assert reps["expected_payout"].tolist() == pytest.approx([19_500, 6_500])
    assert reps["cost_of_sales"].tolist() == pytest.approx([0.1625, 0.1625])
    assert result.loc[result["rep_id"] == "total", "target_variable"].tolist() == pytest.approx([20_000] * 3)


def test_scenario_totals_are_step_2s_blended_forecast():
    comparison = pd.DataFrame({"method": ["statistical", "blended", "blended", "blended"],
                               "scenario": ["base", "downside", "base", "upside"],
                               "bookings": [9.0, 1.0, 2.0, 3.0]})
    assert compensation.scenario_totals(comparison) == {"downside": 1.0, "base": 2.0, "upside": 3.0}
    with pytest.raises(ValueError, match=r"demand_comparison has no blended forecast for scenario\(s\) \['upside'\]"
                                         ".*run step 2 again"):
        compensation.scenario_totals(comparison.iloc[:3])
    with pytest.raises(ValueError, match="the downside scenario's bookings must be an amount of 0 or more.*got -1.0"):
        compensation.scenario_totals(comparison.assign(bookings=[9.0, -1.0, 2.0, 3.0]))
    # a small company's downside may book nothing: nothing is paid, the cost of sales is not defined
    assert compensation.scenario_totals(comparison.assign(bookings=[9.0, 0.0, 2.0, 3.0]))["downside"] == 0.0
    nothing = compensation.simulate_payouts([1.0], pd.DataFrame({"rep_id": ["R1"], "quota": [100.0]}),
                                            CompensationPlan(ote=100_000), {"downside": 0.0, "base": 1.0, "upside": 2.0},
                                            n_draws=10)
    downside = nothing[nothing["scenario"] == "downside"].iloc[-1]
    assert downside["expected_payout"] == 0.0 and np.isnan(downside["cost_of_sales"])


def test_simulation_bad_arguments():
    quotas = pd.DataFrame({"rep_id": ["R1"], "quota": [100_000.0]})
    flat = CompensationPlan(ote=100_000)
    with pytest.raises(ValueError, match="quotas is missing required column.*ote"):
        compensation.simulate_payouts([1.0], quotas, PLAN, TOTALS)
    with pytest.raises(ValueError, match="attainment_sample is empty"):
        compensation.simulate_payouts([], quotas, flat, TOTALS)
    with pytest.raises(ValueError, match="attainment_sample must be"):
        compensation.simulate_payouts([-0.5], quotas, flat, TOTALS)
    with pytest.raises(ValueError, match="attainment_sample is all 0: no rep booked anything"):
        compensation.simulate_payouts([0.0, 0.0], quotas, flat, TOTALS)
    with pytest.raises(ValueError, match="quotas.ote is missing for \\['R1'\\]"):
        compensation.simulate_payouts([1.0], quotas.assign(ote=np.nan), PLAN, TOTALS)
    with pytest.raises(ValueError, match="quotas.ramped_share must be ramped shares above 0 and at most 1.*1.5"):
        compensation.simulate_payouts([1.0], quotas.assign(ramped_share=1.5), flat, TOTALS)
    with pytest.raises(ValueError, match="n_draws must be a whole number"):
        compensation.simulate_payouts([1.0], quotas, flat, TOTALS, n_draws=0)
    with pytest.raises(ValueError, match=r"totals has no total for scenario\(s\) \['upside'\]"):
        compensation.simulate_payouts([1.0], quotas, flat, {"downside": 1.0, "base": 2.0})
    with pytest.raises(ValueError, match="totals: the base scenario's bookings must be an amount of 0 or more.*-5"):
        compensation.simulate_payouts([1.0], quotas, flat, {**TOTALS, "base": -5.0})
    with pytest.raises(ValueError, match="totals must map each scenario"):
        compensation.simulate_payouts([1.0], quotas, flat, 390_000.0)


def test_reps_without_a_quota_column_have_no_attainment_and_a_statement_note(reps):
    # quota is optional in the data contract (a CRM user table rarely has one): no crash, nobody attains
    without_quota = reps.drop(columns="quota")
    opportunities = make_opportunities([("R1", "2026-10-05", True, 60_000)])
    table = compensation.historic_attainment(opportunities, without_quota, ["2026Q4"])
    assert table.empty and table.attrs["note"].startswith("6 rep(s) without a quota")
    statement = compensation.commission_statement(without_quota, pd.DataFrame({"rep_id": ["R1"], "bookings": [60_000.0]}),
                                                  "2026Q4")
    assert list(statement["rep_id"]) == ["R1", "R2", "R3", "R4"]
    assert statement["total_payout"].isna().all() and (statement["note"] == "no quota").all()
    assert "quota" not in without_quota.columns  # the input is not changed
