"""Step 3 put together: earliest start, costs per role, and the whole plan on a small team."""

from types import SimpleNamespace

import pandas as pd
import pytest

from salesops.plan_params import load_params
from salesops.supply import plan as supply_plan
from salesops.supply.settings import SupplySettings

from builders import ROOT


def test_earliest_start_counts_whole_months_after_the_last_known_month():
    assert supply_plan.earliest_start("2026-12-31", 0) == pd.Timestamp("2027-01-01")
    assert supply_plan.earliest_start("2026-12-15", 2) == pd.Timestamp("2027-03-01")


def test_annual_costs_from_params_or_loaded_ote():
    reps = pd.DataFrame({"role": ["AE", "AE", "SE"], "ote": [100_000.0, 140_000.0, 150_000.0]})
    costs = supply_plan.annual_costs(reps, SupplySettings(annual_cost={"SE": 99_000.0}, loaded_cost_factor=1.2))
    assert costs["AE"] == pytest.approx(120_000 * 1.2)  # median OTE × factor
    assert costs["SE"] == 99_000.0  # from the params
    assert pd.isna(costs["SDR"]) and pd.isna(costs["CONSULTANT"])  # nobody to measure, nothing given
    assert supply_plan.annual_costs(reps, SupplySettings())["CONSULTANT"] == 130_000.0  # the default


def test_plan_on_a_small_team_needs_hires_of_unknown_cost_when_there_is_no_ote():
    params = load_params("2027Q1", None, ROOT)
    reps = pd.DataFrame({"rep_id": ["A1"], "role": ["AE"], "segment": ["SMB"], "region": ["NA"],
                         "hire_date": pd.to_datetime(["2020-01-01"]), "end_date": pd.NaT, "quota": [30_000.0]})
    opportunities = pd.DataFrame({"opportunity_id": ["O1"], "rep_id": ["A1"], "account_id": ["X"],
                                  "created_date": pd.to_datetime(["2025-12-15"]),
                                  "close_date": pd.to_datetime(["2026-06-01"]), "is_won": [True],
                                  "amount": [120_000.0]})  # 10k a ramped month over 12 months in the data
    months = pd.date_range("2027-01-01", periods=12, freq="MS")
    demand = pd.DataFrame({"segment": "SMB", "ds": months, "downside": 10_000.0, "base": 20_000.0,
                           "upside": 30_000.0})
    drivers = pd.DataFrame({"scenario": "base", "segment": "SMB", "ds": months, "qualified_leads": 0.0,
                            "opportunities": 0.0, "new_customers": 0.0, "support_tickets": 0.0,
                            "delivery_hours": 0.0})
    tables = {"reps": reps, "opportunities": opportunities}
    unlimited = params.model_copy(update={"supply": params.supply.model_copy(update={"max_team_growth": None})})
    plan = supply_plan.plan_supply(tables, demand, drivers, None, unlimited)
    assert plan.productivity["productivity"].tolist() == pytest.approx([10_000.0])
    costs = plan.costs.set_index("scenario")
    assert costs.loc["downside", "ae_hires"] == 0 and costs.loc["base", "ae_hires"] >= 1
    assert costs.loc["upside", "ae_hires"] > costs.loc["base", "ae_hires"]
    assert pd.isna(costs.loc["base", "added_payroll"])  # no OTE: cost unknown, not zero
    assert plan.inventory.empty
    # by default the team at most doubles over the horizon: one AE today, one hire at most in any scenario
    capped = supply_plan.plan_supply(tables, demand, drivers, None, params)
    assert capped.ae_hire_limit == 1 and capped.costs["ae_hires"].max() == 1


def test_hires_by_month_pivots_every_scenario():
    months = pd.date_range("2027-01-01", periods=3, freq="MS")
    hires = pd.DataFrame({"scenario": ["upside", "base", "base"], "role": ["SE", "AE", "AE"],
                          "segment": ["All", "SMB", "SMB"], "ds": [months[0], months[1], months[2]], "hires": [1, 2, 1]})
    frame = supply_plan.hires_by_month(hires, months)
    assert frame.columns.tolist() == ["scenario", "role", "Jan 2027", "Feb 2027", "Mar 2027"]
    assert frame.values.tolist() == [["base", "AE SMB", 0, 2, 1], ["upside", "SE", 1, 0, 0]]


def test_every_figure_of_the_supply_plan_says_whether_it_was_measured_or_assumed():
    from salesops.supply import overview as supply_overview

    params = load_params("2027Q1", None, ROOT)
    plan = SimpleNamespace(
        attrition=pd.DataFrame({"role": ["AE"], "annual_rate": [float("nan")]}),
        productivity=pd.DataFrame({"segment": ["SMB", "ENT"], "bookings": [120_000.0, 0.0],
                                   "ramped_rep_months": [12.0, 0.0], "productivity": [10_000.0, float("nan")],
                                   "source": ["measured", "measured"]}),
        workloads=pd.DataFrame({"role": ["SE", "CSM"], "workload": [25.0, float("nan")], "source": ["default"] * 2,
                                "unit": ["opportunities per month", "customers"]}))
    table = supply_overview.assumptions(plan, params).set_index("figure")
    assert table.loc["Account executive attrition, per year", "basis"] == (
        "assumed (supply.attrition_annual); not measurable: the reps table records no end dates")
    assert table.loc["Bookings per ramped rep-month, SMB", "basis"] == (
        "measured: $120k won over 12 ramped rep-months in the last 12 months")
    assert table.loc["Bookings per ramped rep-month, ENT", "basis"] == "not measurable: no ramped rep-month in the window"
    assert table.loc["Workload of one sales engineer", "value"] == "25.0 opportunities per month"
    assert table.loc["Ramp to full productivity", "basis"].startswith("assumed (supply.ramp_curve)")
    assert table.loc["Workload of one customer success manager", "value"] == "not set"
    assert not table.isna().any().any() and not table["value"].str.contains("nan").any()
