"""Unit tests of salesops.collect.performers on tiny hand-made frames; every expectation is computed by hand."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from salesops.collect import performers
from salesops.collect.performers import PerformerSettings
from salesops.contract.schema import TEXT_DTYPE
from salesops.data.sample import generate_sample

import builders
from builders import L, W, make_activities

AS_OF = pd.Timestamp("2026-03-31")
#: 3 one-month slots (Jan, Feb, Mar 2026); ramped 2 months after hiring; one ramped month is enough.
SETTINGS = PerformerSettings(window_months=3, ramped_after_months=2, min_ramped_months=1, quartile=0.25, min_reps=2)


# --------------------------------------------------------------------------------------------------
# builders

#: rows: (rep_id, name, role, segment, hire_date, end_date).
make_reps = partial(builders.make_reps, columns=["rep_id", "name", "role", "segment", "hire_date", "end_date"])
#: rows: (opportunity_id, rep_id, created_date, close_date, stage, max_stage, amount).
make_opportunities = partial(builders.make_opportunities, columns=[
    "opportunity_id", "rep_id", "created_date", "close_date", "stage", "max_stage", "amount"])


@pytest.fixture
def reps() -> pd.DataFrame:
    """With SETTINGS and AS_OF the slots start 2026-01-01, 02-01 and 03-01:

    A1 SMB hired 2024       ramped 3 months, interval (2025-12-31, 2026-03-31] = 90 days
    A2 SMB hired 2025-12-01 ramped on 2026-02-01, exactly the first day of the Feb slot: 2 months,
                            interval (2026-01-31, 2026-03-31] = 59 days
    A3 SMB hired 2026-01-15 ramped on 2026-03-15, after the Mar slot starts: 0 months -> left out (new hire)
    A4 SMB left 2026-02-15  not employed on as_of -> left out
    M1 manager              not an AE -> left out
    B1 MM  no hire date     taken as ramped: 3 months, 90 days
    B2 MM  hired 2023       3 months, 90 days
    """
    return make_reps([
        ("A1", "Ann", "AE", "SMB", "2024-01-01", None),
        ("A2", "Ben", "AE", "SMB", "2025-12-01", None),
        ("A3", "Cat", "AE", "SMB", "2026-01-15", None),
        ("A4", "Dan", "AE", "SMB", "2022-01-01", "2026-02-15"),
        ("M1", "Mia", "MANAGER", None, "2020-01-01", None),
        ("B1", "Eve", "AE", "MM", None, None),
        ("B2", "Fay", "AE", "MM", "2023-06-01", None),
    ])


@pytest.fixture
def opportunities() -> pd.DataFrame:
    return make_opportunities([
        ("O1", "A1", "2025-12-01", "2026-01-20", W, "negotiate", 3000),  # won, cycle 50 days
        ("O2", "A1", "2026-01-05", "2026-02-10", L, "demo", 1000),  # lost at demo
        ("O3", "A1", "2026-02-01", "2026-03-02", W, "negotiate", 6000),  # won, cycle 29 days
        ("O4", "A1", "2026-03-10", "2026-05-01", "qualify", None, 500),  # open: created in window only
        ("O5", "A1", "2025-11-01", "2025-12-20", W, "negotiate", 9999),  # closed before the window
        ("O6", "A2", "2026-01-10", "2026-01-25", W, "negotiate", 2000),  # closed while A2 ramped: not counted
        ("O7", "A2", "2026-02-03", "2026-03-15", L, "qualify", 500),  # lost at qualify
        ("O8", "A2", "2026-02-05", "2026-03-20", W, "negotiate", 1000),  # won, cycle 43 days
        ("O9", "A3", "2026-02-01", "2026-03-20", W, "negotiate", 100),  # new hire: left out
        ("O10", "B1", "2025-11-01", "2026-02-28", W, "negotiate", 30000),  # won, cycle 119 days
        ("O11", "B1", "2026-01-01", "2026-03-31", L, "proposal", 20000),  # lost at proposal, on as_of
        ("O12", "B2", "2026-01-10", "2026-02-20", L, "discover", 10000),  # lost at discover
        ("O13", "B2", "2026-01-02", "2026-03-31", W, "negotiate", 12000),  # won, cycle 88 days
    ])


@pytest.fixture
def activities() -> pd.DataFrame:
    return make_activities([
        ("X1", "A1", "2026-01-02 10:00", "email", 6),
        ("X2", "A1", "2026-02-10 11:00", "demo", 60),
        ("X3", "A1", "2026-03-31 16:00", "demo", 60),  # afternoon of as_of: counted
        ("X4", "A1", "2025-12-31 23:00", "call", 30),  # before the window
        ("X5", "A1", "2026-04-01 09:00", "meeting", 30),  # after as_of
        ("X6", "A2", "2026-01-20 09:00", "call", 15),  # while ramping: not counted
        ("X7", "A2", "2026-02-01 08:00", "call", 15),  # first ramped day
        ("X8", "A2", "2026-03-01 09:00", "demo", 45),
        ("X9", "B1", "2026-03-01 09:00", "proposal", 90),
        ("X10", "A3", "2026-03-20 09:00", "demo", 60),  # new hire: left out
    ])


def expected_performance(with_activities: bool = True) -> pd.DataFrame:
    nan = np.nan
    frame = pd.DataFrame({
        "rep_id": pd.array(["A1", "A2", "B1", "B2"], dtype=TEXT_DTYPE),
        "name": pd.array(["Ann", "Ben", "Eve", "Fay"], dtype=TEXT_DTYPE),
        "segment": pd.array(["SMB", "SMB", "MM", "MM"], dtype=TEXT_DTYPE),
        "ramped_months": pd.array([3, 2, 3, 3], dtype="Int64"),
        # A1: O1, O2, O3; A2: O7, O8 (O6 closed while ramping); B1: O10, O11; B2: O12, O13
        "deals_closed": pd.array([3, 2, 2, 2], dtype="Int64"),
        # won / ramped months: A1 (3000 + 6000) / 3; A2 1000 / 2; B1 30000 / 3; B2 12000 / 3
        "bookings_per_month": [3000.0, 500.0, 10000.0, 4000.0],
        "attainment": [nan] * 4,  # no quota history given
        "win_rate": [2 / 3, 0.5, 0.5, 0.5],
        "average_deal_size": [4500.0, 1000.0, 30000.0, 12000.0],
        "median_cycle_days": [39.5, 43.0, 119.0, 88.0],  # A1 median(50, 29)
        # created in the interval: A1 O2, O3, O4 = 3 in 3 months; A2 O7, O8 = 2 in 2; B1 O11 = 1 in 3; B2 2 in 3
        "opportunities_per_month": [1.0, 1.0, 1 / 3, 2 / 3],
        # A1: 1 e-mail, 2 demos in 90 days; A2: 1 call, 1 demo in 59 days; B1: 1 proposal in 90 days
        "emails_per_week": [7 / 90, 0.0, 0.0, 0.0],
        "calls_per_week": [0.0, 7 / 59, 0.0, 0.0],
        "meetings_per_week": [0.0, 0.0, 0.0, 0.0],
        "demos_per_week": [14 / 90, 7 / 59, 0.0, 0.0],
        "proposals_per_week": [0.0, 0.0, 7 / 90, 0.0],
        # hours: A1 126 min = 2.1 h; A2 60 min = 1 h; B1 90 min = 1.5 h; B2 none
        "selling_hours_per_week": [2.1 * 7 / 90, 7 / 59, 1.5 * 7 / 90, 0.0],
        "time_share_email": [6 / 126, 0.0, 0.0, nan],
        "time_share_call": [0.0, 15 / 60, 0.0, nan],
        "time_share_meeting": [0.0, 0.0, 0.0, nan],
        "time_share_demo": [120 / 126, 45 / 60, 0.0, nan],
        "time_share_proposal": [0.0, 0.0, 1.0, nan],
        # demos / opportunities created: A1 2 / 3, A2 1 / 2, B1 0 / 1, B2 0 / 2
        "demos_per_opportunity": [2 / 3, 0.5, 0.0, 0.0],
        # furthest stage (0 qualify .. 4 negotiate, 5 won): A1 5, 2, 5; A2 0, 5; B1 5, 3; B2 1, 5
        "conversion_qualify": [3 / 3, 1 / 2, 2 / 2, 2 / 2],
        "conversion_discover": [3 / 3, 1 / 1, 2 / 2, 1 / 2],
        "conversion_demo": [2 / 3, 1 / 1, 2 / 2, 1 / 1],
        "conversion_proposal": [2 / 2, 1 / 1, 1 / 2, 1 / 1],
        "conversion_negotiate": [2 / 2, 1 / 1, 1 / 1, 1 / 1],
        # within the segment: SMB A1 3000 > A2 500; MM B1 10000 > B2 4000; k = floor(0.25 x 2 + 0.5) = 1
        "group": pd.array(["top", "bottom", "top", "bottom"], dtype=TEXT_DTYPE),
    })
    if not with_activities:
        for column in performers.ACTIVITY_METRICS:
            frame[column] = nan
    return frame


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings():
    settings = PerformerSettings()
    assert (settings.window_months, settings.ramped_after_months, settings.min_ramped_months, settings.quartile,
            settings.min_reps) == (12, 6, 3, 0.25, 8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window_months": 0}, "window_months\n  Value error, expected a whole number of months from 1 to 60"),
        ({"window_months": 1.5}, "window_months\n  Value error, expected a whole number of months"),
        ({"ramped_after_months": -1}, "ramped_after_months\n  Value error, expected a whole number of months from 0 "
                                      "to 36"),
        ({"min_reps": True}, "min_reps\n  Value error, expected a whole number of ramped account executives"),
        ({"min_reps": 1}, "min_reps\n  Value error, expected a whole number of ramped account executives from 2"),
        ({"quartile": 0}, "quartile\n  Value error, expected a share above 0 and at most 0.5"),
        ({"quartile": 0.6}, "quartile\n  Value error, expected a share above 0 and at most 0.5"),
        ({"quartile": "a quarter"}, "quartile\n  Value error, expected a share"),
        ({"window_months": 3, "min_ramped_months": 4}, r"min_ramped_months \(4\) must not exceed window_months \(3\)"),
        ({"windows_months": 12}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        PerformerSettings(**kwargs)


def test_settings_are_frozen():
    with pytest.raises(ValidationError):
        PerformerSettings().quartile = 0.3


# --------------------------------------------------------------------------------------------------
# rep_performance


def test_rep_performance_hand_computed(opportunities, activities, reps):
    out = performers.rep_performance(opportunities, activities, reps, AS_OF, SETTINGS)
    assert_frame_equal(out, expected_performance())
    assert out.attrs["comparison_note"] == ""


def test_new_hire_and_leaver_are_never_ranked(opportunities, activities, reps):
    """A3 booked least of the SMB reps but is still ramping: not in the table, so never bottom."""
    out = performers.rep_performance(opportunities, activities, reps, AS_OF, SETTINGS)
    assert not {"A3", "A4", "M1"} & set(out["rep_id"])
    # hired 2026-01-01 instead, A3 ramps on 2026-03-01, the first day of the Mar slot: one ramped month, ranked
    hired_earlier = reps.assign(hire_date=reps["hire_date"].where(reps["rep_id"] != "A3", pd.Timestamp("2026-01-01")))
    out = performers.rep_performance(opportunities, activities, hired_earlier, AS_OF, SETTINGS)
    a3 = out.loc[out["rep_id"] == "A3"].iloc[0]
    assert a3["ramped_months"] == 1 and a3["bookings_per_month"] == 100.0  # O9 closed 2026-03-20
    # SMB now A1 3000, A2 500, A3 100: k = floor(0.75 + 0.5) = 1 -> A3 bottom, A2 middle
    assert dict(zip(out["rep_id"], out["group"])) == {"A1": "top", "A2": "middle", "A3": "bottom", "B1": "top",
                                                      "B2": "bottom"}
    # with two ramped months required, A3 is left out again
    strict = SETTINGS.model_copy(update={"min_ramped_months": 2})
    out = performers.rep_performance(opportunities, activities, hired_earlier, AS_OF, strict)
    assert "A3" not in set(out["rep_id"])


def test_without_activities_the_activity_columns_are_nan(opportunities, reps):
    out = performers.rep_performance(opportunities, None, reps, AS_OF, SETTINGS)
    assert_frame_equal(out, expected_performance(with_activities=False))
    effects = performers.coaching_effects(out, SETTINGS).set_index("metric")["slope"]
    assert effects.drop(list(performers.ACTIVITY_METRICS)).notna().any()
    assert effects[list(performers.ACTIVITY_METRICS)].isna().all()
    table = performers.coaching_table(out, n=50, settings=SETTINGS)
    assert not set(table["metric"]) & set(performers.ACTIVITY_METRICS)


def test_without_durations_only_hours_and_shares_are_nan(opportunities, activities, reps):
    out = performers.rep_performance(opportunities, activities.drop(columns="duration_minutes"), reps, AS_OF,
                                     SETTINGS)
    expected = expected_performance()
    for column in ("selling_hours_per_week", *performers.TIME_SHARE_COLUMNS.values()):
        expected[column] = np.nan
    assert_frame_equal(out, expected)


def test_other_activities_count_in_selling_time_and_its_shares_only(opportunities, activities, reps):
    """A2 also logs a 30-minute note (type other): in its hours and in the denominator of its time shares, in no
    per-week count."""
    noted = pd.concat([activities, make_activities([("X11", "A2", "2026-03-02 09:00", "other", 30)])],
                      ignore_index=True)
    out = performers.rep_performance(opportunities, noted, reps, AS_OF, SETTINGS)
    expected = expected_performance()
    a2 = expected["rep_id"] == "A2"
    # A2: 90 minutes = 1.5 h in 59 days; call 15 / 90, demo 45 / 90, the other 30 / 90 in no named share
    expected.loc[a2, "selling_hours_per_week"] = 1.5 * 7 / 59
    expected.loc[a2, "time_share_call"] = 15 / 90
    expected.loc[a2, "time_share_demo"] = 45 / 90
    assert_frame_equal(out, expected)


def test_inputs_are_not_modified(opportunities, activities, reps):
    before = [frame.copy() for frame in (opportunities, activities, reps)]
    performance = performers.rep_performance(opportunities, activities, reps, AS_OF, SETTINGS)
    performance_before = performance.copy()
    comparison = performers.compare_groups(performance)
    comparison_before = comparison.copy()
    performers.coaching_findings(performers.coaching_table(performance, settings=SETTINGS))
    for frame, copy in zip((opportunities, activities, reps, performance, comparison),
                           (*before, performance_before, comparison_before)):
        assert_frame_equal(frame, copy)


def test_groups_within_segment_quartiles_and_ties():
    """Six SMB reps and one ENT rep, one won deal each (bookings per month = amount / 3)."""
    reps = make_reps([(f"S{i}", f"S{i}", "AE", "SMB", "2020-01-01", None) for i in range(1, 7)]
                     + [("E1", "E1", "AE", "ENT", "2020-01-01", None)])
    amounts = {"S1": 600, "S2": 500, "S3": 500, "S4": 300, "S5": 200, "S6": 100, "E1": 50}
    opportunities = make_opportunities([(f"O{rep}", rep, "2026-01-05", "2026-02-05", W, "negotiate", amount)
                                        for rep, amount in amounts.items()])
    out = performers.rep_performance(opportunities, None, reps, AS_OF, SETTINGS)
    # SMB: k = floor(0.25 x 6 + 0.5) = 2 -> S1, and S2 before S3 on the tie by rep_id; bottom S5, S6.
    # ENT: one rep, k = min(floor(0.75), 1 // 2) = 0 -> middle (a lone rep is not compared).
    assert list(out["rep_id"]) == ["S1", "S2", "S3", "S4", "S5", "S6", "E1"]
    assert list(out["group"]) == ["top", "top", "middle", "middle", "bottom", "bottom", "middle"]


def test_too_few_reps_no_comparison_with_a_reason(opportunities, activities, reps):
    settings = SETTINGS.model_copy(update={"min_reps": 5})
    out = performers.rep_performance(opportunities, activities, reps, AS_OF, settings)
    assert out["group"].isna().all() and len(out) == 4
    note = out.attrs["comparison_note"]
    assert "only 4 AE(s)" in note and "at least 5 (performers.min_reps)" in note
    comparison = performers.compare_groups(out)
    assert len(comparison) == 0 and list(comparison.columns) == list(performers.COMPARISON_COLUMNS)
    table = performers.coaching_table(out, settings=settings)
    assert len(table) == 0 and list(table.columns) == list(performers.COACHING_COLUMNS)
    assert performers.coaching_findings(table) == [note]


def test_rep_performance_bad_arguments(opportunities, reps):
    with pytest.raises(ValueError, match="as_of must be a date"):
        performers.rep_performance(opportunities, None, reps, "not a date", SETTINGS)
    with pytest.raises(ValueError, match=r"activities is missing required column\(s\) \['type'\]"):
        performers.rep_performance(opportunities, make_activities([]).drop(columns="type"), reps, AS_OF, SETTINGS)


# --------------------------------------------------------------------------------------------------
# compare_groups, coaching_findings, coaching_table


def test_compare_groups_hand_computed():
    performance = pd.DataFrame({
        "rep_id": pd.array(["T1", "T2", "M1", "B1", "B2"], dtype=TEXT_DTYPE),
        "bookings_per_month": [100.0, 80.0, 50.0, 20.0, 10.0],
        "median_cycle_days": [30.0, 50.0, 0.0, 60.0, 60.0],
        "emails_per_week": [np.nan, np.nan, np.nan, np.nan, np.nan],  # e.g. no activities table
        "demos_per_opportunity": [1.0, 2.0, 9.0, 0.5, np.nan],  # NaN skipped: bottom mean is 0.5
        "win_rate": [0.0, 0.0, 0.5, 0.1, 0.1],  # top mean 0: relative difference undefined
        "group": pd.array(["top", "top", "middle", "bottom", "bottom"], dtype=TEXT_DTYPE),
    })
    expected = pd.DataFrame({
        "metric": pd.array(["bookings_per_month", "win_rate", "median_cycle_days", "emails_per_week",
                            "demos_per_opportunity"], dtype=TEXT_DTYPE),
        "top": [90.0, 0.0, 40.0, np.nan, 1.5],
        "bottom": [15.0, 0.1, 60.0, np.nan, 0.5],
        "difference": [-75.0, 0.1, 20.0, np.nan, -1.0],
        # (15 - 90) / 90; 0.1 / 0 undefined; 20 / 40; NaN; -1 / 1.5
        "relative_difference": [-75 / 90, np.nan, 0.5, np.nan, -1 / 1.5],
    })
    assert_frame_equal(performers.compare_groups(performance), expected)


def effect_frame() -> pd.DataFrame:
    """Four SMB reps, top T, middle M1 and M2, bottom B, with bookings per month 10,000 / 8,000 / 6,000 / 4,000.

    Theil-Sen slopes of bookings on each metric (median of the pairwise slopes, pairs with equal values skipped)
    and effect = slope x (top - bottom), worked out by hand:

    * meetings 10 / 8 / 6 / 4: every pair 1,000 a meeting; 1,000 x 6 = 6,000; relative gap (4 - 10) / 10 = -60%
    * e-mail share 10% / 10% / 20% / 20%: pairs T-M2 -40,000, T-B -60,000, M1-M2 -20,000, M1-B -40,000: median
      -40,000; -40,000 x (0.1 - 0.2) = 4,000, relative gap +100%
    * demos 5 / 3 / 2 / 1: pairs 1,000, 1,333.3, 1,500, 2,000, 2,000, 2,000: median 1,750; 1,750 x 4 = 7,000
    * demos per opportunity 1.0 / 0.8 / 0.6 / 0.5: pairs 10,000, 10,000, 12,000, 10,000, 13,333, 20,000: median
      11,000; 11,000 x 0.5 = 5,500 (same advice as demos: merged under it)
    * proposals 1 / 2 / 3 / 0: pairs -2,000 x 3, 6,000, 2,000, 666.7: median (-2,000 + 666.7) / 2 = -666.7; the
      relative gap is the largest (-100%) but more proposals go with less bookings: effect -666.7, not a gap
    * calls 3 / 2 / 1 / NaN: three reps measured, fewer than min_reps = 4: not priced
    """
    return pd.DataFrame({
        "rep_id": pd.array(["T", "M1", "M2", "B"], dtype=TEXT_DTYPE),
        "segment": pd.array(["SMB"] * 4, dtype=TEXT_DTYPE),
        "bookings_per_month": [10_000.0, 8_000.0, 6_000.0, 4_000.0],
        "meetings_per_week": [10.0, 8.0, 6.0, 4.0],
        "time_share_email": [0.1, 0.1, 0.2, 0.2],
        "demos_per_week": [5.0, 3.0, 2.0, 1.0],
        "demos_per_opportunity": [1.0, 0.8, 0.6, 0.5],
        "proposals_per_week": [1.0, 2.0, 3.0, 0.0],
        "calls_per_week": [3.0, 2.0, 1.0, np.nan],
        "group": pd.array(["top", "middle", "middle", "bottom"], dtype=TEXT_DTYPE),
    })


EFFECT_SETTINGS = PerformerSettings(min_reps=4)


def test_bookings_slope_pairs_reps_of_one_segment_only():
    performance = pd.DataFrame({
        "segment": pd.array(["SMB", "SMB", "ENT", "ENT", None], dtype=TEXT_DTYPE),
        "bookings_per_month": [1_000.0, 2_000.0, 10_000.0, 14_000.0, 50_000.0],
        "meetings_per_week": [1.0, 2.0, 1.0, 3.0, np.nan],
    })
    # SMB pair 1,000 a meeting, ENT pair 4,000 / 2 = 2,000; no pair across segments (pooled, SMB's 2 meetings
    # against ENT's 1 would read -8,000); the rep without a value is not counted: median 1,500 from 4 reps
    assert performers.bookings_slope(performance, "meetings_per_week") == (1_500.0, 4)
    one_each = performance.assign(segment=pd.array(["SMB", "ENT", "MM", "EU", None], dtype=TEXT_DTYPE))
    slope, reps = performers.bookings_slope(one_each, "meetings_per_week")
    assert np.isnan(slope) and reps == 4


def test_coaching_effects_price_each_gap_by_its_slope():
    effects = performers.coaching_effects(effect_frame(), EFFECT_SETTINGS).set_index("metric")
    assert effects.loc[["calls_per_week", "meetings_per_week", "demos_per_week", "proposals_per_week",
                        "time_share_email", "demos_per_opportunity"], "slope"].tolist() == pytest.approx(
        [np.nan, 1_000, 1_750, -2_000 / 3, -40_000, 11_000], nan_ok=True)
    assert effects["effect_per_rep_month"].to_dict() == pytest.approx({
        "calls_per_week": np.nan, "meetings_per_week": 6_000, "demos_per_week": 7_000,
        "proposals_per_week": -2_000 / 3, "time_share_email": 4_000, "demos_per_opportunity": 5_500}, nan_ok=True)
    assert effects.loc["calls_per_week", "reps"] == 3
    assert effects.loc["time_share_email", "advice"] == "conversations"  # bottom reps spend more of it on e-mail


def test_coaching_ranks_by_effect_not_by_ratio_and_merges_one_advice():
    table = performers.coaching_table(effect_frame(), settings=EFFECT_SETTINGS, currency="EUR")
    assert list(table.columns) == list(performers.COACHING_COLUMNS)
    # the largest ratios (proposals -100%, e-mail share +100%) are not the largest effects: demo discipline
    # (demos 7,000, with demos per opportunity 5,500) leads, meetings 6,000, e-mail share 4,000; proposals go the
    # wrong way and calls have too few reps
    assert table["metric"].tolist() == ["demos_per_week", "meetings_per_week", "time_share_email"]
    assert table["metrics"].tolist() == ["demos_per_week, demos_per_opportunity", "meetings_per_week",
                                         "time_share_email"]
    assert table["suggested_training"].tolist() == [performers.TRAINING["demo discipline"],
                                                    performers.TRAINING["meeting-setting"],
                                                    performers.TRAINING["conversations"]]
    assert table["effect_per_rep_month"].tolist() == pytest.approx([7_000, 6_000, 4_000])
    assert table["gap"].tolist() == pytest.approx([-0.8, -0.6, 1.0])
    # one bottom-quartile rep x 3 months
    assert table["bottom_reps"].tolist() == [1, 1, 1]
    assert table["impact"].tolist() == pytest.approx([21_000, 18_000, 12_000])
    assert table["evidence"].iloc[0] == (
        "On demos per week, bottom-quartile reps average 1.0 against 5.0 for the top quartile; among reps of the "
        "same segment, each extra demo a week goes with €1,750 more in bookings a month: the gap is worth about "
        "€7,000 a month per rep. The same advice answers demos per opportunity 0.50 against 1.00, worth about "
        "€5,500 a month per rep.")
    assert table["evidence"].iloc[2].startswith(
        "On share of selling time on e-mail, bottom-quartile reps average 20% against 10% for the top quartile; "
        "among reps of the same segment, each 10 points more of selling time on e-mail goes with €4,000 less in "
        "bookings a month: the gap is worth about €4,000 a month per rep.")
    findings = performers.coaching_findings(table)
    assert findings[1] == table["evidence"].iloc[1] + " Coaching: " + performers.TRAINING["meeting-setting"] + "."
    assert len(performers.coaching_table(effect_frame(), n=1, settings=EFFECT_SETTINGS)) == 1


def test_no_gap_that_goes_with_bookings_gives_no_coaching_and_says_why():
    # bookings reversed: every metric's slope flips sign (proposals', negative before, now goes the right way)
    reversed_bookings = effect_frame().assign(bookings_per_month=[4_000.0, 6_000.0, 8_000.0, 10_000.0])
    table = performers.coaching_table(reversed_bookings.drop(columns="proposals_per_week"), settings=EFFECT_SETTINGS)
    assert len(table) == 0
    assert performers.coaching_findings(table) == [
        "No gap between bottom- and top-quartile reps goes with more bookings among reps of the same segment (a "
        "metric is priced when at least 4 ramped reps have a value): the data suggests no coaching."]


def test_every_metric_has_a_family_and_its_advice_a_training():
    # the outcomes are not coached: bookings per month defines the groups, attainment is bookings against quota
    assert set(performers.COMPARED_METRICS) - {"bookings_per_month", "attainment"} == set(performers.COACHING)
    advices = {spec[side] for spec in performers.COACHING.values() for side in ("lower", "higher")} - {None}
    assert advices == set(performers.TRAINING)
    assert all(spec["step"] > 0 and spec["per"] and spec["name"] for spec in performers.COACHING.values())


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_coaching_bad_n(n):
    with pytest.raises(ValueError, match="n must be a whole number of findings"):
        performers.coaching_table(effect_frame(), n=n)


# --------------------------------------------------------------------------------------------------
# the sample company: the planted signal is found


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate_sample(end_date="2026-12-31", scale=0.3)


def test_sample_top_reps_hold_more_demos_per_opportunity(sample):
    performance = performers.rep_performance(sample["opportunities"], sample["activities"], sample["reps"],
                                             "2026-12-31", PerformerSettings())
    assert performance.attrs["comparison_note"] == ""
    assert set(performance["group"]) == {"top", "middle", "bottom"}
    comparison = performers.compare_groups(performance)
    demos = comparison.loc[comparison["metric"] == "demos_per_opportunity"].iloc[0]
    assert demos["top"] > demos["bottom"] * 1.2
    findings = performers.coaching_findings(performers.coaching_table(performance))
    assert len(findings) == 5 and all(f.startswith("On ") and "a month per rep" in f for f in findings)


def test_readable_comparison_formats_each_metric_in_its_unit():
    from salesops.collect.performers import readable_comparison

    comparison = pd.DataFrame({"metric": ["bookings_per_month", "win_rate", "demos_per_week"],
                               "top": [150_000.0, 0.336, 4.8], "bottom": [54_079.0, 0.189, 1.4],
                               "difference": [-95_921.0, -0.147, -3.4], "relative_difference": [-0.64, -0.44, -0.71]})
    readable = readable_comparison(comparison, "EUR")
    assert readable["metric"].tolist() == ["bookings per ramped month", "win rate (by count)", "demos per week"]
    assert readable["top quartile"].tolist() == ["€150,000", "33.6%", "4.8"]
    assert readable["bottom quartile"].tolist() == ["€54,079", "18.9%", "1.4"]


def test_attainment_from_the_quota_history(reps, opportunities, activities):
    """Won bookings in each rep's ramped interval ÷ the rep's quota rows starting in it."""
    quotas = pd.DataFrame({
        "rep_id": pd.array(["A1", "A1", "A1", "A1", "A2", "A2", "B1"], dtype=TEXT_DTYPE),
        "start_date": pd.to_datetime(["2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01",  # Dec: before
                                      "2026-01-01", "2026-02-01", "2026-01-01"]),  # A2 Jan: while ramping
        "amount": [99999.0, 3000.0, 3000.0, 3000.0, 5000.0, 2000.0, 60000.0],  # B1: one quarterly row
    })
    out = performers.rep_performance(opportunities, activities, reps, AS_OF, SETTINGS, quotas)
    # A1 (3000 + 6000) / (3 x 3000) = 1.0; A2 1000 / 2000 = 0.5 (interval from Feb); B1 30000 / 60000 = 0.5;
    # B2 has no quota row: NaN
    assert out.set_index("rep_id")["attainment"].to_dict() == pytest.approx(
        {"A1": 1.0, "A2": 0.5, "B1": 0.5, "B2": np.nan}, nan_ok=True)
    comparison = performers.compare_groups(out).set_index("metric")
    # top A1, B1 -> mean 0.75; bottom A2 (0.5), B2 (NaN, skipped) -> 0.5
    assert comparison.loc["attainment", ["top", "bottom"]].tolist() == [0.75, 0.5]
    without = performers.compare_groups(performers.rep_performance(opportunities, activities, reps, AS_OF, SETTINGS))
    assert "attainment" not in set(without["metric"])  # no quota history: not compared
