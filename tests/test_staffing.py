"""Supporting roles: needs from demand drivers, hires for lasting gaps and contractors for the rest."""

import pandas as pd
import pytest

from salesops.supply import staffing

MONTHS = pd.date_range("2027-01-01", periods=6, freq="MS")
AS_OF = pd.Timestamp("2026-12-31")


def drivers(**columns):
    base = {"scenario": "base", "segment": "SMB", "ds": MONTHS, "qualified_leads": 0.0, "opportunities": 0.0,
            "new_customers": 0.0, "support_tickets": 0.0, "delivery_hours": 0.0}
    base.update(columns)
    return pd.DataFrame(base)


WORKLOADS = pd.DataFrame({"role": ["SDR", "SE", "CSM", "SUPPORT", "CONSULTANT"],
                          "workload": [100.0, 20.0, 50.0, 200.0, 100.0]})


def test_needs_per_role_by_hand():
    frame = drivers(qualified_leads=300.0, opportunities=40.0, new_customers=10.0, support_tickets=100.0,
                    delivery_hours=250.0)
    needs = staffing.support_needs(frame, WORKLOADS, {"SUPPORT": 2.0}, customers=90)
    first = needs[needs["ds"] == MONTHS[0]].set_index("role")["needed"]
    assert first["SDR"] == pytest.approx(3.0)          # 300 leads ÷ 100
    assert first["SE"] == pytest.approx(2.0)           # 40 opportunities ÷ 20
    assert first["CSM"] == pytest.approx(2.0)          # (90 + 10) customers ÷ 50
    assert first["SUPPORT"] == pytest.approx(2.5)      # today's 2 + 100 new tickets ÷ 200
    assert first["CONSULTANT"] == pytest.approx(2.5)   # 250 hours ÷ 100
    csm = needs[needs["role"] == "CSM"]["needed"].tolist()
    assert csm == pytest.approx([(90 + 10 * k) / 50 for k in range(1, 7)])  # the book grows


def cover_for(needed, today=0.0, earliest="2027-01-01", months=3):
    needs = pd.DataFrame({"scenario": "base", "role": "SE", "ds": MONTHS, "volume": 0.0, "workload": 1.0,
                          "needed": needed})
    return staffing.plan_support_hires(needs, {"SE": today}, AS_OF, earliest, 0.0, months)


def test_a_lasting_gap_is_hired_for():
    hires, cover = cover_for([4.0] * 6, today=2.0)
    assert hires[["ds", "hires"]].values.tolist() == [[MONTHS[0], 2]]
    assert cover["contractor_fte"].tolist() == [0.0] * 6


def test_a_short_gap_goes_to_contractors():
    hires, cover = cover_for([3.0, 3.0, 0.0, 0.0, 0.0, 0.0], today=2.0)
    assert hires.empty
    assert cover["contractor_fte"].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_gap_before_the_earliest_start_goes_to_contractors():
    hires, cover = cover_for([3.0] * 6, today=2.0, earliest="2027-03-01")
    assert hires[["ds", "hires"]].values.tolist() == [[MONTHS[2], 1]]
    assert cover["contractor_fte"].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_budget_caps_hires_and_the_rest_is_contractor_time():
    needs = pd.DataFrame({"scenario": "base", "role": "SE", "ds": MONTHS, "volume": 0.0, "workload": 1.0,
                          "needed": 5.0})
    hires, cover = staffing.plan_support_hires(needs, {"SE": 0.0}, AS_OF, "2027-01-01", 0.0, 3, {"base": 3})
    assert hires["hires"].sum() == 3
    assert cover["contractor_fte"].tolist() == [2.0] * 6


def test_measured_workloads_and_overrides():
    reps = pd.DataFrame({"rep_id": ["S1", "S2", "C1"], "role": ["SDR", "SDR", "CSM"],
                         "hire_date": pd.to_datetime(["2020-01-01"] * 3), "end_date": pd.NaT})
    leads = pd.DataFrame({"created_date": pd.to_datetime(["2026-12-01"] * 24)})
    opportunities = pd.DataFrame({"created_date": pd.to_datetime(["2026-06-01"]), "account_id": ["A"],
                                  "close_date": pd.to_datetime(["2026-07-01"]), "is_won": [True]})
    workloads = staffing.measured_workloads(reps, opportunities, leads, AS_OF, 12, {"SE": 30.0}).set_index("role")
    assert workloads.loc["SDR", "measured"] == pytest.approx(24 / 12 / 2)  # leads per month ÷ 2 SDRs
    assert workloads.loc["CSM", "workload"] == pytest.approx(1.0)  # one customer, one CSM
    assert workloads.loc["SE", "workload"] == 30.0 and workloads.loc["SE", "source"] == "params"
    assert workloads.loc["SUPPORT", "source"] == "default"


def test_drivers_without_their_columns_are_named():
    with pytest.raises(ValueError, match="demand drivers need the column\\(s\\) delivery_hours"):
        staffing.support_needs(drivers().drop(columns="delivery_hours"), WORKLOADS, {}, 0)
