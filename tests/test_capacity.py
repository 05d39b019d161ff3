"""Sales capacity: a three-rep team worked out by hand, and invariants as property tests."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops.supply import capacity

AS_OF = pd.Timestamp("2026-12-31")


def reps_frame(rows):
    return pd.DataFrame(rows, columns=["rep_id", "role", "segment", "hire_date", "end_date", "quota"]).astype(
        {"hire_date": "datetime64[ns]", "end_date": "datetime64[ns]"})


THREE = reps_frame([
    ("R1", "AE", "SMB", "2020-01-01", None, 100_000.0),   # ramped long ago
    ("R2", "AE", "SMB", "2026-12-16", None, 100_000.0),   # starts mid-December: 16 of 31 days
    ("R3", "AE", "SMB", "2026-11-01", "2027-01-15", 100_000.0),  # leaves mid-January: 15 of 31 days
    ("S1", "SDR", None, "2020-01-01", None, None),        # not an account executive
])
CURVE = [0.5, 1.0]


def test_three_rep_team_by_hand():
    months = capacity.month_starts("2026-12-01", "2027-01-31")
    team = capacity.ramped_equivalents(capacity.rep_months(THREE, months), CURVE, 0.0, AS_OF)
    by_month = capacity.team_by_month(team)
    december, january = by_month.iloc[0], by_month.iloc[1]
    # December: R1 1 × 1; R2 16/31 present in tenure month 1 (0.5); R3 in tenure month 2 (1.0)
    assert december["headcount"] == pytest.approx(1 + 16 / 31 + 1)
    assert december["ramped_equivalents"] == pytest.approx(1 + 16 / 31 * 0.5 + 1)
    # January: R1 1; R2 whole month in tenure month 2; R3 15/31 of the month
    assert january["headcount"] == pytest.approx(1 + 1 + 15 / 31)
    assert january["ramped_equivalents"] == pytest.approx(1 + 1 + 15 / 31)
    assert set(team["rep_id"]) == {"R1", "R2", "R3"}


def test_attrition_is_an_expected_value_from_the_last_known_day():
    months = capacity.month_starts("2026-12-01", "2027-01-31")
    team = capacity.ramped_equivalents(capacity.rep_months(THREE.iloc[:1], months), CURVE, 0.12, AS_OF)
    # history keeps everyone; mid-January (the 16th) is 16 days after 31 December
    assert team["survival"].tolist() == pytest.approx([1.0, 0.88 ** (16 / 30.4375 / 12)])


def test_measured_productivity_and_capacity_by_hand():
    opportunities = pd.DataFrame({
        "rep_id": ["R1", "R3", "R1", "R1", "S1"],
        "close_date": pd.to_datetime(["2026-12-10", "2026-11-20", "2026-12-11", "2026-09-01", "2026-12-01"]),
        "amount": [30_000.0, 5_000.0, 99_000.0, 70_000.0, 1_000.0],
        "is_won": [True, True, False, True, True],  # lost, out of the window, and an SDR's deal do not count
    })
    productivity = capacity.measured_productivity(opportunities, THREE, AS_OF, 2, CURVE)
    # ramped rep-months: November R1 1 + R3 0.5 (tenure 1); December R1 1 + R2 8/31 + R3 1
    rep_months = 1 + 0.5 + 1 + 16 / 31 * 0.5 + 1
    row = productivity.set_index("segment").loc["SMB"]
    assert row["bookings"] == 35_000
    assert row["ramped_rep_months"] == pytest.approx(rep_months)
    assert row["productivity"] == pytest.approx(35_000 / rep_months)

    overridden = capacity.measured_productivity(opportunities, THREE, AS_OF, 2, CURVE, {"SMB": 10_000})
    assert overridden["productivity"].tolist() == [10_000] and overridden["source"].tolist() == ["params"]
    months = capacity.month_starts("2027-01-01", "2027-03-31")
    sales = capacity.sales_capacity(THREE, months, AS_OF, overridden, CURVE, 0.0)
    assert sales["capacity"].tolist() == pytest.approx([(2 + 15 / 31) * 10_000, 20_000, 20_000])
    check = capacity.quota_capacity_check(THREE, sales, "2027-01-01", "2027-03-31")
    # R2 and R1 are employed on 1 January, and so is R3 (leaves on the 15th)
    assert check["quota"].tolist() == [300_000]
    assert check["quota_to_capacity"].iloc[0] == pytest.approx(300_000 / sales["capacity"].sum())


def test_observed_attrition_counts_leavers_over_average_headcount():
    reps = reps_frame([("A", "AE", "SMB", "2020-01-01", None, None), ("B", "AE", "SMB", "2020-01-01", "2026-06-30", None)])
    seen = capacity.observed_attrition(reps, AS_OF, 12).set_index("role").loc["AE"]
    assert seen["leavers"] == 1
    assert seen["average_headcount"] == pytest.approx(1.5)
    assert seen["annual_rate"] == pytest.approx(1 / 1.5)


def test_productivity_counts_only_the_months_each_rep_is_known_to_sell():
    # the data starts on 16 Oct 2026; window Sep..Dec 2026. No hire dates: A sold from the data's start, B from
    # his first deal on 1 Dec, C (listed, no deal) never counts.
    reps = reps_frame([("A", "AE", "SMB", None, None, None), ("B", "AE", "SMB", None, None, None),
                       ("C", "AE", "SMB", None, None, None)])
    opportunities = pd.DataFrame({
        "rep_id": ["A", "B"], "created_date": pd.to_datetime(["2026-10-16", "2026-12-01"]),
        "close_date": pd.to_datetime(["2026-11-10", "2026-12-20"]), "amount": [30_000.0, 10_000.0],
        "is_won": [True, True]})
    row = capacity.measured_productivity(opportunities, reps, AS_OF, 4, CURVE).set_index("segment").loc["SMB"]
    # A: October 16/31 + November + December = 2 + 16/31; B: December 1; C: 0 (September: nobody, before the data)
    assert row["ramped_rep_months"] == pytest.approx(2 + 16 / 31 + 1)
    assert row["productivity"] == pytest.approx(40_000 / (3 + 16 / 31))


def test_each_reps_rate_is_their_own_record_shrunk_toward_the_segment():
    # window Jan..Dec 2026, data from 2025; everyone fully ramped (hired 2020)
    reps = reps_frame([("A", "AE", "SMB", "2020-01-01", None, None), ("B", "AE", "SMB", "2020-01-01", None, None),
                       ("N", "AE", "SMB", "2026-12-01", None, None), ("S", "SDR", None, "2020-01-01", None, None)])
    opportunities = pd.DataFrame({
        "rep_id": ["A", "A", "B", "X"], "created_date": pd.to_datetime(["2025-01-01"] * 4),
        "close_date": pd.to_datetime(["2026-03-01", "2026-06-01", "2026-05-01", "2026-05-01"]),
        "amount": [60_000.0, 60_000.0, 12_000.0, 1.0], "is_won": [True, True, True, True]})
    rates = pd.Series({"SMB": 5_000.0})
    own = capacity.rep_productivity(opportunities, reps, AS_OF, 12, CURVE, rates, 6.0).set_index("rep_id")
    assert own.index.tolist() == ["A", "B", "N"]  # account executives only
    # A: 120,000 over 12 months -> (120,000 + 6 × 5,000) / 18 = 8,333.33; B: (12,000 + 30,000) / 18 = 2,333.33
    # N: hired 1 Dec, ramp 0.5 -> 0.5 ramped month, no bookings: 30,000 / 6.5
    assert own["rate"].tolist() == pytest.approx([150_000 / 18, 42_000 / 18, 30_000 / 6.5])
    assert own["own_rate"].tolist()[:2] == pytest.approx([10_000, 1_000])
    assert own["evidence_share"].tolist() == pytest.approx([12 / 18, 12 / 18, 0.5 / 6.5])
    # no shrinkage: the own rate, and the segment's for a rep without measured months
    alone = capacity.rep_productivity(opportunities, reps.iloc[[0]], AS_OF, 12, CURVE, rates, 0.0)
    assert alone["rate"].tolist() == pytest.approx([10_000])


def test_attrition_is_not_measured_when_no_end_date_is_recorded():
    reps = reps_frame([("A", "AE", "SMB", "2020-01-01", None, None), ("B", "AE", "SMB", "2020-01-01", None, None)])
    seen = capacity.observed_attrition(reps, AS_OF, 12).set_index("role").loc["AE"]
    assert seen["leavers"] == 0 and np.isnan(seen["annual_rate"])  # not 0%: the export may list current users only
    assert np.isnan(capacity.observed_attrition(reps.drop(columns="end_date"), AS_OF, 12)["annual_rate"].iloc[0])


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="opportunities needs the column\\(s\\) amount"):
        capacity.measured_productivity(pd.DataFrame({"rep_id": [], "close_date": []}), THREE, AS_OF, 12, CURVE)


dates = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
curves = st.lists(st.floats(0, 1), min_size=1, max_size=8)


@st.composite
def teams(draw):
    rows = []
    for index in range(draw(st.integers(1, 6))):
        hire = draw(dates)
        end = draw(st.one_of(st.none(), dates.filter(lambda d, h=hire: d >= h)))
        rows.append((f"R{index}", "AE", draw(st.sampled_from(["SMB", "ENT"])), hire, end, 1.0))
    return reps_frame(rows)


MONTHS = capacity.month_starts("2026-10-01", "2027-12-31")


@settings(max_examples=60, deadline=None)
@given(team=teams(), curve=curves, attrition=st.floats(0, 0.95))
def test_headcount_never_negative_and_ramped_never_above_headcount(team, curve, attrition):
    people = capacity.ramped_equivalents(capacity.rep_months(team, MONTHS), curve, attrition, AS_OF)
    assert (people["headcount"] >= 0).all()
    assert (people["ramped_equivalents"] <= people["headcount"] + 1e-12).all()
    assert (people["present_share"] <= 1).all()


@settings(max_examples=60, deadline=None)
@given(team=teams(), curve=curves, attrition=st.floats(0, 0.95), start=dates)
def test_capacity_is_monotone_in_hires(team, curve, attrition, start):
    productivity = pd.DataFrame({"segment": ["SMB", "ENT"], "productivity": [10_000.0, 30_000.0]})
    before = capacity.sales_capacity(team, MONTHS, AS_OF, productivity, curve, attrition)
    hired = pd.concat([team, reps_frame([("NEW", "AE", "SMB", start, None, 1.0)])], ignore_index=True)
    after = capacity.sales_capacity(hired, MONTHS, AS_OF, productivity, curve, attrition)
    merged = after.merge(before, on=["segment", "ds"], how="left", suffixes=("", "_before")).fillna(0.0)
    assert (merged["capacity"] >= merged["capacity_before"] - 1e-9).all()
    assert (merged["headcount"] >= merged["headcount_before"] - 1e-12).all()


@given(day=st.integers(1, 28))
def test_a_rep_starting_mid_month_counts_pro_rata(day):
    team = reps_frame([("R", "AE", "SMB", f"2027-02-{day:02d}", None, 1.0)])
    share = capacity.rep_months(team, capacity.month_starts("2027-02-01", "2027-02-28"))["present_share"]
    assert share.tolist() == pytest.approx([(28 - day + 1) / 28])


def test_ramp_factor_before_during_and_after_the_curve():
    assert capacity.ramp_factor(np.array([0, 1, 2, 3, 40]), [0.25, 0.5]).tolist() == [0, 0.25, 0.5, 1, 1]
