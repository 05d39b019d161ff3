"""Unit tests of salesops.collect.kpis on tiny hand-made frames; every expectation is computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from salesops.collect import kpis
from salesops.contract.schema import ACTIVITY_TYPES, OPEN_STAGES, TEXT_DTYPE

import builders
from builders import L, W, make_activities

AS_OF = pd.Timestamp("2026-03-31")


# --------------------------------------------------------------------------------------------------
# builders of canonical frames


def make_opportunities(rows, with_max_stage=True, with_forecast=True) -> pd.DataFrame:
    """rows: (opportunity_id, rep_id, created_date, close_date, stage, max_stage, amount, forecast_category)."""
    frame = builders.make_opportunities(rows, ["opportunity_id", "rep_id", "created_date", "close_date", "stage",
                                               "max_stage", "amount", "forecast_category"])
    if not with_max_stage:
        frame = frame.drop(columns="max_stage")
    if not with_forecast:
        frame = frame.drop(columns="forecast_category")
    return frame


NA = None


@pytest.fixture
def deals() -> pd.DataFrame:
    """Eight deals around AS_OF = 2026-03-31. With a 3-month window, (2025-12-31, 2026-03-31]:

    O1 won  100, R1, in window, cycle 2026-01-01 -> 01-31 = 30 days
    O2 lost  50, R1, in window, max_stage demo
    O3 won  300, R2, in window (closes exactly on as_of), cycle 01-15 -> 03-31 = 16 + 28 + 31 = 75 days
    O4 won 1000, R2, closes 2025-12-31: out of the 3-month window (left end excluded), inside 12 months
    O5 lost 70, R2, closes 2026-04-01 after as_of: was still open at as_of
    O6 open 200, R1, proposal, commit
    O7 open  80, R2, demo, best_case, created 2026-03-01
    O8 lost  40, R1, in window, no max_stage -> reached qualify only
    O9 open 500, R1, created 2026-04-10 after as_of: not open at as_of
    O10 won 250, R2, closed 2025-02-15 (for year-on-year growth)
    """
    return make_opportunities([
        ("O1", "R1", "2026-01-01", "2026-01-31", W, "negotiate", 100, "closed"),
        ("O2", "R1", "2025-12-01", "2026-02-10", L, "demo", 50, "omitted"),
        ("O3", "R2", "2026-01-15", "2026-03-31", W, NA, 300, "closed"),
        ("O4", "R2", "2025-10-01", "2025-12-31", W, "negotiate", 1000, "closed"),
        ("O5", "R2", "2026-02-01", "2026-04-01", L, "proposal", 70, "omitted"),
        ("O6", "R1", "2026-02-15", "2026-05-15", "proposal", NA, 200, "commit"),
        ("O7", "R2", "2026-03-01", "2026-04-30", "demo", "demo", 80, "best_case"),
        ("O8", "R1", "2026-01-10", "2026-03-05", L, NA, 40, "omitted"),
        ("O9", "R1", "2026-04-10", "2026-06-30", "qualify", NA, 500, "pipeline"),
        ("O10", "R2", "2024-12-01", "2025-02-15", W, "negotiate", 250, "closed"),
    ])


def rep_keys(*values) -> pd.Series:
    return pd.Series(values, dtype=TEXT_DTYPE)


# --------------------------------------------------------------------------------------------------
# 1. input_kpis


@pytest.fixture
def activities() -> pd.DataFrame:
    return make_activities([
        ("A1", "R1", "2026-01-05 09:00", "email", 5),
        ("A2", "R1", "2026-01-20 14:00", "call", 30),
        ("A3", "R1", "2026-02-03 10:00", "demo", 60),
        ("A4", "R2", "2026-01-31 23:30", "meeting", 45),
        ("A5", "R2", "2026-01-31 08:00", "email", np.nan),  # no duration: 0 hours
        ("A6", "R2", "2026-02-01 00:00", "proposal", 15),
    ])


@pytest.fixture
def created() -> pd.DataFrame:
    return make_opportunities([
        ("C1", "R1", "2026-01-10", "2026-04-30", "qualify", NA, 10, "pipeline"),
        ("C2", "R1", "2026-02-20", "2026-04-30", "qualify", NA, 10, "pipeline"),
        ("C3", "R2", "2026-03-05", "2026-04-30", "qualify", NA, 10, "pipeline"),  # a month with no activity
    ])


def kpi_frame(keys: dict, rows) -> pd.DataFrame:
    """rows: (period, emails, calls, meetings, demos, proposals, opportunities_created, selling_hours)."""
    columns = ["period", "emails", "calls", "meetings", "demos", "proposals", "opportunities_created",
               "selling_hours"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[ns]")
    frame = frame.astype({column: "int64" for column in columns[1:-1]} | {"selling_hours": "float64"})
    for position, (name, values) in enumerate(keys.items()):
        frame.insert(position, name, pd.Series(values, dtype=TEXT_DTYPE))
    return frame


def test_input_kpis_by_rep_per_month(activities, created):
    expected = kpi_frame({"rep_id": ["R1", "R1", "R2", "R2", "R2"]}, [
        ("2026-01-01", 1, 1, 0, 0, 0, 1, (5 + 30) / 60),  # A1 email, A2 call; C1
        ("2026-02-01", 0, 0, 0, 1, 0, 1, 60 / 60),        # A3 demo; C2
        ("2026-01-01", 1, 0, 1, 0, 0, 0, 45 / 60),        # A4 meeting, A5 email (no duration)
        ("2026-02-01", 0, 0, 0, 0, 1, 0, 15 / 60),        # A6 proposal at midnight of Feb 1
        ("2026-03-01", 0, 0, 0, 0, 0, 1, 0.0),            # C3 only
    ])
    assert_frame_equal(kpis.input_kpis(activities, created), expected)


def test_input_kpis_team_total(activities, created):
    expected = kpi_frame({}, [
        ("2026-01-01", 2, 1, 1, 0, 0, 1, (5 + 30 + 45) / 60),  # A1 A2 A4 A5; C1; 80 min = 1.333 h
        ("2026-02-01", 0, 0, 0, 1, 1, 1, (60 + 15) / 60),      # A3 A6; C2; 75 min = 1.25 h
        ("2026-03-01", 0, 0, 0, 0, 0, 1, 0.0),                 # C3
    ])
    assert_frame_equal(kpis.input_kpis(activities, created, by=()), expected)


def test_input_kpis_weekly_team_total(activities, created):
    # weeks start Monday: 2026-01-05 (A1, C1 on Sat 01-10), 2026-01-19 (A2), 2026-01-26 (A4, A5 on Sat 01-31),
    # 2026-01-26 also holds A6 (Sun 02-01); 2026-02-02 (A3), 2026-02-16 (C2 Fri 02-20), 2026-03-02 (C3 Thu 03-05)
    expected = kpi_frame({}, [
        ("2026-01-05", 1, 0, 0, 0, 0, 1, 5 / 60),
        ("2026-01-19", 0, 1, 0, 0, 0, 0, 30 / 60),
        ("2026-01-26", 1, 0, 1, 0, 1, 0, (45 + 15) / 60),
        ("2026-02-02", 0, 0, 0, 1, 0, 0, 60 / 60),
        ("2026-02-16", 0, 0, 0, 0, 0, 1, 0.0),
        ("2026-03-02", 0, 0, 0, 0, 0, 1, 0.0),
    ])
    assert_frame_equal(kpis.input_kpis(activities, created, freq="W", by=()), expected)


def test_input_kpis_without_duration_column_has_unknown_hours(activities, created):
    result = kpis.input_kpis(activities.drop(columns="duration_minutes"), created, by=())
    assert result["selling_hours"].isna().all()
    assert result["emails"].tolist() == [2, 0, 0]  # A1 + A5 in January


def test_input_kpis_counts_every_activity_type():
    assert set(kpis.ACTIVITY_COLUMNS) == set(ACTIVITY_TYPES)


def test_input_kpis_bad_arguments(activities, created):
    with pytest.raises(ValueError, match="freq must be one of 'D', 'W', 'M', 'Q'"):
        kpis.input_kpis(activities, created, freq="Y")
    with pytest.raises(ValueError, match=r"by: column\(s\) \['region'\] not in the activities table"):
        kpis.input_kpis(activities, created, by=("region",))
    with pytest.raises(ValueError, match="not in the opportunities table"):
        kpis.input_kpis(activities.assign(team="x"), created, by="team")


# --------------------------------------------------------------------------------------------------
# 2. bookings_by_period


def bookings_frame(rows, quarters=None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["period", "bookings", "deals_won"])
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[ns]")
    frame = frame.astype({"bookings": "float64", "deals_won": "int64"})
    if quarters is not None:
        frame.insert(1, "quarter", pd.Series(quarters, dtype="string"))
    return frame


def test_bookings_monthly_between_start_and_end(deals):
    expected = bookings_frame([
        ("2025-12-01", 1000, 1),  # O4 closes 12-31
        ("2026-01-01", 100, 1),   # O1
        ("2026-02-01", 0, 0),     # nothing won (O2 lost): filled with zeros
        ("2026-03-01", 300, 1),   # O3; O8 lost
    ])
    assert_frame_equal(kpis.bookings_by_period(deals, "M", start="2025-12-01", end="2026-03-31"), expected)


def test_bookings_default_range_runs_from_first_to_last_win():
    frame = make_opportunities([
        ("O1", "R1", "2025-11-01", "2025-11-20", W, NA, 10, NA),
        ("O2", "R1", "2025-11-01", "2025-11-25", W, NA, 5, NA),
        ("O3", "R1", "2025-11-01", "2025-12-05", L, NA, 99, NA),  # lost: never bookings
        ("O4", "R1", "2025-11-01", "2026-01-02", W, NA, 7, NA),
        ("O5", "R1", "2025-11-01", "2026-03-01", "demo", NA, 50, NA),  # open: never bookings
    ])
    expected = bookings_frame([
        ("2025-11-01", 10 + 5, 2),
        ("2025-12-01", 0, 0),
        ("2026-01-01", 7, 1),
    ])
    assert_frame_equal(kpis.bookings_by_period(frame), expected)


def test_bookings_start_and_end_cut_partial_periods(deals):
    # start 01-20 makes January a partial period that still holds O1 (01-31 >= 01-20);
    # end 03-30 cuts O3 (03-31) out of March, which stays as a zero row; O4 (2025-12-31) is before start
    expected = bookings_frame([("2026-01-01", 100, 1), ("2026-02-01", 0, 0), ("2026-03-01", 0, 0)])
    assert_frame_equal(kpis.bookings_by_period(deals, "M", start="2026-01-20", end="2026-03-30"), expected)


def test_bookings_weekly_and_daily():
    frame = make_opportunities([
        ("O1", "R1", "2026-03-01", "2026-03-04", W, NA, 10, NA),  # Wed, week of Mon 03-02
        ("O2", "R1", "2026-03-01", "2026-03-15", W, NA, 20, NA),  # Sun, still week of Mon 03-09
        ("O3", "R1", "2026-03-01", "2026-03-16", W, NA, 30, NA),  # Mon, week of 03-16
        ("O4", "R1", "2026-03-01", "2026-03-10", L, NA, 99, NA),  # lost
    ])
    weekly = bookings_frame([("2026-03-02", 10, 1), ("2026-03-09", 20, 1), ("2026-03-16", 30, 1)])
    assert_frame_equal(kpis.bookings_by_period(frame, "W"), weekly)
    daily = bookings_frame([("2026-03-14", 0, 0), ("2026-03-15", 20, 1), ("2026-03-16", 30, 1)])
    assert_frame_equal(kpis.bookings_by_period(frame, "d", start="2026-03-14", end="2026-03-16"), daily)


def test_bookings_fiscal_quarters_with_february_start(deals):
    # FY2026 = Feb 2025 – Jan 2026: Q1 Feb–Apr 2025, Q2 May–Jul, Q3 Aug–Oct, Q4 Nov 2025–Jan 2026;
    # FY2027Q1 = Feb–Apr 2026
    expected = bookings_frame(
        [
            ("2025-02-01", 250, 1),         # O10 2025-02-15
            ("2025-05-01", 0, 0),
            ("2025-08-01", 0, 0),
            ("2025-11-01", 1000 + 100, 2),  # O4 2025-12-31, O1 2026-01-31
            ("2026-02-01", 300, 1),         # O3 2026-03-31
        ],
        quarters=["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"],
    )
    assert_frame_equal(kpis.bookings_by_period(deals, "Q", fiscal_year_start_month=2), expected)


def test_bookings_nothing_won_gives_empty_frame():
    frame = make_opportunities([("O1", "R1", "2026-01-01", "2026-02-01", L, NA, 10, NA)])
    assert_frame_equal(kpis.bookings_by_period(frame), bookings_frame([]))
    assert list(kpis.bookings_by_period(frame, "Q").columns) == ["period", "quarter", "bookings", "deals_won"]


def test_bookings_bad_arguments(deals):
    with pytest.raises(ValueError, match="freq must be one of"):
        kpis.bookings_by_period(deals, "ME")
    with pytest.raises(ValueError, match="start .* must not be after end"):
        kpis.bookings_by_period(deals, start="2026-02-01", end="2026-01-01")
    with pytest.raises(ValueError, match="fiscal_year_start_month must be 1"):
        kpis.bookings_by_period(deals, "Q", fiscal_year_start_month=13)
    with pytest.raises(ValueError, match="start must be a date"):
        kpis.bookings_by_period(deals, start="not a date")


# --------------------------------------------------------------------------------------------------
# 3. growth_by_quarter


def growth_frame(rows) -> pd.DataFrame:
    """Expected growth rows; every quarter wholly in the data (the deals' history starts before the first)."""
    frame = pd.DataFrame(rows, columns=["quarter", "bookings", "qoq_growth", "yoy_growth"])
    frame.insert(2, "complete", True)
    return frame.astype({"quarter": "string", "bookings": "float64", "qoq_growth": "float64",
                         "yoy_growth": "float64"})


def test_growth_by_quarter(deals):
    nan = np.nan
    expected = growth_frame([
        ("2025Q1", 250, nan, nan),          # first quarter with a win: nothing to compare with
        ("2025Q2", 0, 0 / 250 - 1, nan),    # -1.0
        ("2025Q3", 0, nan, nan),            # previous quarter booked 0: growth undefined
        ("2025Q4", 1000, nan, nan),         # previous 0 again; 2024Q4 absent
        ("2026Q1", 400, 400 / 1000 - 1, 400 / 250 - 1),  # O1 100 + O3 300: qoq -0.6, yoy +0.6
    ])
    assert_frame_equal(kpis.growth_by_quarter(deals), expected)


def test_growth_by_quarter_keeps_only_complete_quarters(deals):
    # as_of 2026-03-30: 2026Q1 ends 03-31, not complete, so the table stops at 2025Q4
    result = kpis.growth_by_quarter(deals, as_of="2026-03-30")
    assert result["quarter"].tolist() == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    # as_of on the quarter's last day: 2026Q1 is complete
    assert kpis.growth_by_quarter(deals, as_of=AS_OF)["quarter"].iloc[-1] == "2026Q1"


def test_growth_by_quarter_as_of_ignores_later_deals_and_fills_to_as_of():
    frame = make_opportunities([
        ("O1", "R1", "2025-01-01", "2025-02-01", W, NA, 100, NA),
        ("O2", "R1", "2025-01-01", "2025-12-01", W, NA, 999, NA),  # after as_of: ignored
    ])
    expected = growth_frame([
        ("2025Q1", 100, np.nan, np.nan),
        ("2025Q2", 0, 0 / 100 - 1, np.nan),  # -1.0
        ("2025Q3", 0, np.nan, np.nan),       # complete on 09-30; 2025Q4 is not yet
    ])
    assert_frame_equal(kpis.growth_by_quarter(frame, as_of="2025-10-15"), expected)


# --------------------------------------------------------------------------------------------------
# 4. win_rates


def test_win_rates_team(deals):
    # window (2025-12-31, 2026-03-31]: O1 won 100, O3 won 300, O2 lost 50, O8 lost 40
    expected = pd.DataFrame({
        "won": pd.array([2], dtype="int64"),
        "lost": pd.array([2], dtype="int64"),
        "won_value": [400.0],
        "lost_value": [90.0],
        "win_rate_count": [2 / 4],        # 0.5
        "win_rate_value": [400 / 490],    # 0.8163
    })
    assert_frame_equal(kpis.win_rates(deals, AS_OF, window_months=3), expected)


def test_win_rates_by_rep(deals):
    expected = pd.DataFrame({
        "rep_id": rep_keys("R1", "R2"),
        "won": pd.array([1, 1], dtype="int64"),   # R1: O1; R2: O3
        "lost": pd.array([2, 0], dtype="int64"),  # R1: O2, O8
        "won_value": [100.0, 300.0],
        "lost_value": [50.0 + 40.0, 0.0],
        "win_rate_count": [1 / 3, 1 / 1],
        "win_rate_value": [100 / 190, 300 / 300],
    })
    assert_frame_equal(kpis.win_rates(deals, AS_OF, window_months=3, by=("rep_id",)), expected)


def test_win_rates_twelve_months_includes_left_of_three(deals):
    # (2025-03-31, 2026-03-31]: adds O4 won 1000 (2025-12-31); O10 (2025-02-15) stays out
    result = kpis.win_rates(deals, AS_OF)
    assert result[["won", "lost"]].iloc[0].tolist() == [3, 2]
    assert result["won_value"].iloc[0] == 1400.0
    assert result["win_rate_count"].iloc[0] == pytest.approx(3 / 5)


def test_win_rates_nothing_closed(deals):
    # as_of 2026-04-30 is a month end, so one month back is 03-31: window (03-31, 04-30] holds only O5 lost
    result = kpis.win_rates(deals, "2026-04-30", window_months=1)
    assert result[["won", "lost"]].iloc[0].tolist() == [0, 1]
    empty = kpis.win_rates(deals, "2020-01-31", window_months=1)
    assert empty[["won", "lost", "won_value", "lost_value"]].iloc[0].tolist() == [0, 0, 0.0, 0.0]
    assert math.isnan(empty["win_rate_count"].iloc[0]) and math.isnan(empty["win_rate_value"].iloc[0])
    assert kpis.win_rates(deals, "2020-01-31", window_months=1, by="rep_id").empty


def test_window_from_month_end_covers_whole_months():
    frame = make_opportunities([
        ("O1", "R1", "2026-01-01", "2026-03-31", W, NA, 1, NA),   # out of both windows below
        ("O2", "R1", "2026-01-01", "2026-04-01", W, NA, 2, NA),   # first day of (03-31, 06-30]
        ("O3", "R1", "2026-01-01", "2026-04-15", W, NA, 4, NA),   # left end of (04-15, 05-15]: out
        ("O4", "R1", "2026-01-01", "2026-04-16", W, NA, 8, NA),   # first day of (04-15, 05-15]
        ("O5", "R1", "2026-01-01", "2026-06-30", W, NA, 16, NA),  # last day of (03-31, 06-30]
    ])
    # 2026-06-30 minus 3 months -> 03-31 (month end to month end, not 03-30): O2 + O3 + O4 + O5
    assert kpis.win_rates(frame, "2026-06-30", window_months=3)["won_value"].iloc[0] == 2 + 4 + 8 + 16
    # 2026-05-15 minus 1 month -> 04-15: O4 only
    assert kpis.win_rates(frame, "2026-05-15", window_months=1)["won_value"].iloc[0] == 8


@pytest.mark.parametrize("window", [0, -3, 1.5, True, "12"])
def test_window_months_must_be_positive_whole_number(deals, window):
    for function in (kpis.win_rates, kpis.deal_size_and_cycle, kpis.stage_funnel,
                     kpis.pipeline_velocity):
        with pytest.raises(ValueError, match="window_months must be a whole number of months greater than 0"):
            function(deals, AS_OF, window_months=window)
    with pytest.raises(ValueError, match="window_months"):
        kpis.headline_kpis(deals, AS_OF, window_months=window)


def test_by_column_must_exist(deals):
    for function in (kpis.win_rates, kpis.deal_size_and_cycle):
        with pytest.raises(ValueError, match=r"by: column\(s\) \['segment'\] not in the opportunities table"):
            function(deals, AS_OF, by=("rep_id", "segment"))


def test_as_of_is_required(deals):
    with pytest.raises(ValueError, match="as_of must be a date"):
        kpis.win_rates(deals, None)


# --------------------------------------------------------------------------------------------------
# 5. deal_size_and_cycle


def test_deal_size_and_cycle_team(deals):
    expected = pd.DataFrame({
        "deals_won": pd.array([2], dtype="int64"),   # O1, O3
        "average_deal_size": [(100 + 300) / 2],     # 200
        "median_cycle_days": [(30 + 75) / 2],       # 52.5
    })
    assert_frame_equal(kpis.deal_size_and_cycle(deals, AS_OF, window_months=3), expected)


def test_deal_size_and_cycle_by_rep_includes_groups_without_wins(deals):
    extra = make_opportunities([("O11", "R3", "2026-01-01", "2026-02-01", L, NA, 10, NA)])
    frame = pd.concat([deals, extra], ignore_index=True)
    expected = pd.DataFrame({
        "rep_id": rep_keys("R1", "R2", "R3"),
        "deals_won": pd.array([1, 1, 0], dtype="int64"),
        "average_deal_size": [100.0, 300.0, np.nan],  # R3 only lost O11
        "median_cycle_days": [30.0, 75.0, np.nan],
    })
    assert_frame_equal(kpis.deal_size_and_cycle(frame, AS_OF, window_months=3, by="rep_id"), expected)


def test_deal_size_median_of_three():
    frame = make_opportunities([
        ("O1", "R1", "2026-01-01", "2026-01-11", W, NA, 10, NA),   # 10 days
        ("O2", "R1", "2026-01-01", "2026-03-02", W, NA, 20, NA),   # 31 + 28 + 1 = 60 days
        ("O3", "R1", "2026-02-01", "2026-02-05", W, NA, 60, NA),   # 4 days
    ])
    result = kpis.deal_size_and_cycle(frame, AS_OF, window_months=3)
    assert result.iloc[0].tolist() == [3, (10 + 20 + 60) / 3, 10.0]  # median of 4, 10, 60


# --------------------------------------------------------------------------------------------------
# 6. stage_funnel


def test_stage_funnel(deals):
    # closed in the 3-month window: O1 won, O3 won (all stages); O2 lost at demo; O8 lost, no max_stage: qualify
    expected = pd.DataFrame({
        "stage": pd.Series(OPEN_STAGES, dtype="string"),
        "reached": pd.array([4, 3, 3, 2, 2], dtype="int64"),
        "advanced": pd.array([3, 3, 2, 2, 2], dtype="int64"),  # negotiate -> won: O1, O3
        "conversion": [3 / 4, 3 / 3, 2 / 3, 2 / 2, 2 / 2],
    })
    result = kpis.stage_funnel(deals, AS_OF, window_months=3)
    assert_frame_equal(result, expected)
    # product of conversions = 0.75 * 1 * 2/3 * 1 * 1 = 0.5 = win rate by count
    rate = kpis.win_rates(deals, AS_OF, window_months=3)["win_rate_count"].iloc[0]
    assert np.prod(result["conversion"]) == pytest.approx(rate)


def test_stage_funnel_without_max_stage_column_and_skipped_stages():
    frame = make_opportunities([
        ("O1", "R1", "2026-01-01", "2026-02-01", W, NA, 10, NA),   # won: every stage
        ("O2", "R1", "2026-01-01", "2026-02-01", L, NA, 10, NA),   # lost, unknown: qualify only
        ("O3", "R1", "2026-01-01", "2026-02-01", L, NA, 10, NA),   # idem
    ], with_max_stage=False)
    result = kpis.stage_funnel(frame, AS_OF, window_months=3)
    assert result["reached"].tolist() == [3, 1, 1, 1, 1]
    assert result["advanced"].tolist() == [1, 1, 1, 1, 1]
    assert result["conversion"].tolist() == [1 / 3, 1.0, 1.0, 1.0, 1.0]


def test_stage_funnel_empty_window_has_nan_conversions(deals):
    result = kpis.stage_funnel(deals, "2020-01-31", window_months=1)
    assert result["reached"].tolist() == [0] * 5 and result["conversion"].isna().all()


# --------------------------------------------------------------------------------------------------
# 7. pipeline_velocity


def test_pipeline_velocity(deals):
    # open at 2026-03-31: O5 (closed later, 04-01), O6, O7 -> 3; O9 created 04-10 is not
    per_day = 3 * 0.5 * 200 / 52.5  # 5.714 per day
    expected = pd.DataFrame({
        "open_opportunities": pd.array([3], dtype="int64"),
        "win_rate_count": [0.5],
        "average_deal_size": [200.0],
        "median_cycle_days": [52.5],
        "velocity_per_day": [per_day],
        "velocity_per_month": [per_day * 30.4375],  # 173.93
    })
    assert_frame_equal(kpis.pipeline_velocity(deals, AS_OF, window_months=3), expected)


def test_pipeline_velocity_without_wins_is_nan(deals):
    # window (2026-03-31, 2026-04-30] (month end to month end): only O5 lost -> win rate 0, no won deal
    # -> size and cycle unknown
    result = kpis.pipeline_velocity(deals, "2026-04-30", window_months=1)
    assert result["open_opportunities"].iloc[0] == 3  # O6, O7 and O9 (created 04-10); O5 closed 04-01
    assert result["win_rate_count"].iloc[0] == 0.0
    unknown = ["average_deal_size", "median_cycle_days", "velocity_per_day", "velocity_per_month"]
    assert result[unknown].isna().all(axis=None)


# --------------------------------------------------------------------------------------------------
# 8. pipeline_coverage


@pytest.fixture
def quarter_deals() -> pd.DataFrame:
    """Deals around the period 2026-04-01 .. 2026-06-30, as_of 2026-04-15."""
    return make_opportunities([
        ("P1", "R1", "2026-03-01", "2026-05-10", "proposal", NA, 200, "commit"),
        ("P2", "R1", "2026-03-01", "2026-06-30", "negotiate", NA, 100, "commit"),     # last day included
        ("P3", "R1", "2026-03-01", "2026-04-20", "demo", NA, 150, "best_case"),
        ("P4", "R2", "2026-03-01", "2026-06-01", "qualify", NA, 300, "pipeline"),
        ("P5", "R2", "2026-03-01", "2026-05-01", "discover", NA, 50, NA),             # missing -> pipeline
        ("P6", "R2", "2026-03-01", "2026-05-05", "qualify", NA, 999, "omitted"),      # left out
        ("P7", "R2", "2026-03-01", "2026-07-01", "proposal", NA, 500, "commit"),      # after the period
        ("P8", "R1", "2026-03-01", "2026-04-10", W, NA, 120, "closed"),               # won to date
        ("P9", "R1", "2026-03-01", "2026-04-20", W, NA, 80, "closed"),                # won after as_of
        ("P10", "R2", "2026-03-01", "2026-04-05", L, NA, 60, "omitted"),              # lost
        ("P11", "R2", "2026-03-01", "2026-03-31", W, NA, 400, "closed"),              # before the period
        ("P12", "R2", "2026-03-01", "2026-05-20", "negotiate", NA, 10, "closed"),     # open "closed" -> commit
    ])


def coverage_frame(open_deals, open_value, won_to_date, coverage) -> pd.DataFrame:
    return pd.DataFrame({
        "forecast_category": pd.Series(["commit", "best_case", "pipeline", "total"], dtype="string"),
        "open_deals": pd.array(open_deals, dtype="int64"),
        "open_value": pd.array(open_value, dtype="float64"),
        "won_to_date": [float(won_to_date)] * 4,
        "coverage": coverage,
    })


def test_pipeline_coverage(quarter_deals):
    expected = coverage_frame(
        open_deals=[3, 1, 2, 6],                 # commit P1 P2 P12; best_case P3; pipeline P4 P5
        open_value=[310, 150, 350, 810],         # 200+100+10; 150; 300+50; total
        won_to_date=120,                         # P8 only (P9 after as_of, P11 before the period)
        coverage=[(120 + 310) / 1000,            # 0.43
                  (120 + 310 + 150) / 1000,      # 0.58
                  (120 + 310 + 150 + 350) / 1000,  # 0.93
                  (120 + 810) / 1000],           # 0.93 = the pipeline row
    )
    result = kpis.pipeline_coverage(quarter_deals, "2026-04-01", "2026-06-30", 1000, as_of="2026-04-15")
    assert_frame_equal(result, expected)


def test_pipeline_coverage_as_of_defaults_to_period_end(quarter_deals):
    result = kpis.pipeline_coverage(quarter_deals, "2026-04-01", "2026-06-30", 2000)
    assert result["won_to_date"].tolist() == [200.0] * 4  # P8 120 + P9 80
    assert result["coverage"].tolist() == pytest.approx([(200 + 310) / 2000, (200 + 460) / 2000,
                                                         (200 + 810) / 2000, (200 + 810) / 2000])


def test_pipeline_coverage_without_forecast_category_counts_all_as_pipeline(quarter_deals):
    frame = quarter_deals.drop(columns="forecast_category")
    result = kpis.pipeline_coverage(frame, "2026-04-01", "2026-06-30", 1000, as_of="2026-04-15")
    # open in the period: P1 P2 P3 P4 P5 P6 P12 = 200+100+150+300+50+999+10 = 1809, all pipeline
    expected = coverage_frame([0, 0, 7, 7], [0, 0, 1809, 1809], 120,
                              [120 / 1000, 120 / 1000, (120 + 1809) / 1000, (120 + 1809) / 1000])
    assert_frame_equal(result, expected)


@pytest.mark.parametrize("target", [0, -5, float("nan"), "1000", None])
def test_pipeline_coverage_target_must_be_positive(quarter_deals, target):
    with pytest.raises(ValueError, match="target must be a bookings amount greater than 0"):
        kpis.pipeline_coverage(quarter_deals, "2026-04-01", "2026-06-30", target)


def test_pipeline_coverage_period_order(quarter_deals):
    with pytest.raises(ValueError, match="period_start .* must not be after period_end"):
        kpis.pipeline_coverage(quarter_deals, "2026-06-30", "2026-04-01", 1000)


# --------------------------------------------------------------------------------------------------
# 9. headline_kpis


def test_headline_kpis(deals):
    expected = pd.DataFrame({
        "last_quarter": pd.Series(["2026Q1"], dtype="string"),  # ends 03-31 = as_of: complete
        "bookings_last_quarter": [100.0 + 300.0],              # O1 + O3
        "bookings_last_12_months": [1000.0 + 100 + 300],       # (2025-03-31, 2026-03-31]: O4 + O1 + O3
        "yoy_growth_last_quarter": [400 / 250 - 1],            # vs 2025Q1 (O10 250): 0.6
        "win_rate_count": [2 / 4],                             # 3-month window, as in test_win_rates_team
        "win_rate_value": [400 / 490],
        "average_deal_size": [200.0],
        "median_cycle_days": [52.5],
        "open_pipeline_value": [70.0 + 200 + 80],              # open at as_of: O5, O6, O7
    })
    assert_frame_equal(kpis.headline_kpis(deals, AS_OF, window_months=3), expected)


def test_headline_kpis_mid_quarter_and_fiscal_year(deals):
    # February fiscal start, as_of 2026-03-15: current FY2027Q1 (Feb–Apr 2026) incomplete -> last is FY2026Q4
    # (Nov 2025 – Jan 2026): O4 1000 + O1 100; a year earlier FY2025Q4 (Nov 2024 – Jan 2025) booked nothing
    result = kpis.headline_kpis(deals, "2026-03-15", fiscal_year_start_month=2)
    assert result["last_quarter"].iloc[0] == "2026Q4"
    assert result["bookings_last_quarter"].iloc[0] == 1100.0
    assert math.isnan(result["yoy_growth_last_quarter"].iloc[0])
    # 12 months (2025-03-15, 2026-03-15]: O4, O1 won; O2, O8 lost -> 2 / 4
    assert result["bookings_last_12_months"].iloc[0] == 1100.0
    assert result["win_rate_count"].iloc[0] == 0.5


def test_headline_kpis_before_any_win(deals):
    result = kpis.headline_kpis(deals, "2024-12-31")
    assert result["bookings_last_quarter"].iloc[0] == 0.0
    assert result["bookings_last_12_months"].iloc[0] == 0.0
    assert math.isnan(result["win_rate_count"].iloc[0])
    assert result["open_pipeline_value"].iloc[0] == 250.0  # O10 created 2024-12-01, closed only in 2025


# --------------------------------------------------------------------------------------------------
# purity


def test_no_function_modifies_its_inputs(deals, activities, created, quarter_deals):
    frames = {"deals": deals, "activities": activities, "created": created, "quarter_deals": quarter_deals}
    before = {name: frame.copy(deep=True) for name, frame in frames.items()}
    kpis.input_kpis(activities, created)
    kpis.input_kpis(activities, created, freq="Q", by=())
    kpis.bookings_by_period(deals, "Q", start="2025-01-01", end="2026-03-31")
    kpis.growth_by_quarter(deals, as_of=AS_OF)
    kpis.win_rates(deals, AS_OF, by="rep_id")
    kpis.deal_size_and_cycle(deals, AS_OF, by="rep_id")
    kpis.stage_funnel(deals, AS_OF)
    kpis.pipeline_velocity(deals, AS_OF)
    kpis.pipeline_coverage(quarter_deals, "2026-04-01", "2026-06-30", 1000, as_of="2026-04-15")
    kpis.headline_kpis(deals, AS_OF)
    for name, frame in frames.items():
        assert_frame_equal(frame, before[name], obj=name)
