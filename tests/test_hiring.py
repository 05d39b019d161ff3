"""Account-executive hires: sized to the steady state, honest about lead time, ramp and limits."""

import pandas as pd
import pytest

from salesops.supply import hiring

MONTHS = pd.date_range("2027-01-01", periods=12, freq="MS")


def frames(demand_per_month=30_000.0, capacity_per_month=0.0, productivity=10_000.0):
    demand = pd.DataFrame({"segment": "SMB", "ds": MONTHS, "base": demand_per_month})
    capacity = pd.DataFrame({"segment": "SMB", "ds": MONTHS, "capacity": capacity_per_month,
                             "productivity": productivity})
    return capacity, demand


def plan(curve=(1.0,), earliest="2027-01-01", max_per_month=10, budget=None, **kw):
    capacity, demand = frames(**kw)
    return hiring.plan_sales_hires(capacity, demand, "base", earliest, list(curve), 0.0, max_per_month, budget)


def test_three_instant_hires_close_every_quarter():
    hires, gaps = plan()
    # 30k a month of demand, 10k per ramped rep: three reps from January
    assert hires[["segment", "ds", "hires"]].values.tolist() == [["SMB", pd.Timestamp("2027-01-01"), 3]]
    assert gaps["quarter"].tolist() == ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    assert gaps["added_capacity"].tolist() == pytest.approx([90_000] * 4)
    assert gaps["status"].tolist() == ["closed by hires"] * 4


def test_no_hires_when_capacity_covers_demand():
    hires, gaps = plan(capacity_per_month=30_000.0)
    assert hires.empty and set(gaps["status"]) == {"covered"}


def test_lead_time_leaves_the_first_quarter_open():
    hires, gaps = plan(earliest="2027-04-01")
    assert hires["ds"].tolist() == [pd.Timestamp("2027-04-01")] and hires["hires"].tolist() == [3]
    assert gaps["status"].tolist() == ["open: no hire can start before it ends"] + ["closed by hires"] * 3
    assert gaps["gap_after"].iloc[0] == pytest.approx(90_000)


def test_ramp_means_a_hire_made_now_adds_part_of_a_rep():
    hires, gaps = plan(curve=(0.5, 1.0))
    assert hires["hires"].sum() == 3
    # January at half productivity: 3 × (0.5 + 1 + 1) × 10k in the first quarter
    assert gaps["added_capacity"].iloc[0] == pytest.approx(75_000)
    assert gaps["status"].iloc[0] == "open: hires are still ramping"
    assert gaps["status"].iloc[1:].tolist() == ["closed by hires"] * 3


def test_max_hires_per_month_spreads_hires():
    hires, gaps = plan(max_per_month=1)
    assert hires["hires"].tolist() == [1, 1, 1]
    assert hires["ds"].tolist() == list(MONTHS[:3])
    # January 3 months + February 2 + March 1 of one rep's 10k
    assert gaps["added_capacity"].iloc[0] == pytest.approx(60_000)


def test_headcount_budget_is_respected_and_named():
    hires, gaps = plan(budget=2)
    assert hires["hires"].sum() == 2
    assert gaps["status"].iloc[1:].tolist() == ["open: hiring limits"] * 3


def test_a_rounding_remainder_is_less_than_half_a_hire():
    hires, gaps = plan(demand_per_month=31_000.0)
    assert hires["hires"].sum() == 3
    assert gaps["status"].iloc[1:].tolist() == ["open: less than half a hire short"] * 3


def test_late_starters_are_sized_on_a_full_quarter_not_one_month():
    # a remaining gap of 9k in the last quarter is under half a ramped rep's 30k: no December hire
    hires, _ = plan(demand_per_month=30_000.0, capacity_per_month=27_000.0)
    assert hires.empty


def test_unknown_scenario_is_named():
    capacity, demand = frames()
    with pytest.raises(ValueError, match="demand has no 'upside' column"):
        hiring.plan_sales_hires(capacity, demand, "upside", "2027-01-01", [1.0], 0.0, 3)


def test_hire_contribution_follows_ramp_and_attrition():
    values = hiring.hire_contribution(pd.Timestamp("2027-02-01"), MONTHS[:4], [0.5, 1.0], 0.0)
    assert values.tolist() == [0.0, 0.5, 1.0, 1.0]


def test_demand_segments_absent_from_capacity_get_no_hires_instead_of_a_crash():
    # demand split by account size (SMB, ENT), capacity measured for reps without a segment ("All"):
    # no demand segment has a productivity, so none can be staffed, and the gap stays open
    capacity, demand = frames()
    capacity = capacity.assign(segment="All")
    demand = pd.concat([demand, demand.assign(segment="ENT")], ignore_index=True)
    hires, gaps = hiring.plan_sales_hires(capacity, demand, "base", "2027-01-01", [1.0], 0.0, 10)
    assert hires.empty
    assert sorted(gaps["segment"].unique()) == ["ENT", "SMB"]
    assert gaps["gap_after"].tolist() == pytest.approx([90_000] * 8)


def test_capacity_segments_absent_from_demand_cover_no_other_segment():
    # the reverse: enterprise reps with spare capacity, demand only in SMB. Segments are those of the demand, so
    # the enterprise capacity is not moved to SMB: SMB still needs its three hires, and no ENT row is reported
    capacity, demand = frames()
    spare = capacity.assign(segment="ENT", capacity=50_000.0, productivity=20_000.0)
    hires, gaps = hiring.plan_sales_hires(pd.concat([capacity, spare], ignore_index=True), demand, "base",
                                          "2027-01-01", [1.0], 0.0, 10)
    assert hires[["segment", "hires"]].values.tolist() == [["SMB", 3]]
    assert gaps["segment"].unique().tolist() == ["SMB"] and gaps["capacity"].tolist() == [0.0] * 4
