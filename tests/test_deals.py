"""What every step shares about deals (salesops.deals), on tiny hand-made frames; every number by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from salesops import deals

W, L = "closed_won", "closed_lost"


def opportunities(rows) -> pd.DataFrame:
    """rows: (created_date, close_date, stage, max_stage, amount); is_closed / is_won from the stage."""
    frame = pd.DataFrame(rows, columns=["created_date", "close_date", "stage", "max_stage", "amount"])
    for column in ("created_date", "close_date"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    frame["stage"] = frame["stage"].astype("string")
    frame["max_stage"] = frame["max_stage"].astype("string")
    frame["is_closed"] = frame["stage"].isin([W, L]).astype("boolean")
    frame["is_won"] = (frame["stage"] == W).astype("boolean")
    return frame


def test_won_and_closed_masks_count_a_missing_flag_as_false():
    frame = pd.DataFrame({"is_won": pd.array([True, False, None, True], dtype="boolean"),
                          "is_closed": pd.array([True, True, None, None], dtype="boolean")})
    assert deals.won_mask(frame).tolist() == [True, False, False, True]
    # the fourth is won with is_closed missing: closed all the same
    assert deals.closed_mask(frame).tolist() == [True, True, False, True]


@pytest.mark.parametrize(("as_of", "months", "start"), [
    ("2026-06-30", 3, "2026-03-31"),  # from a month's last day: whole months, April to June
    ("2026-05-31", 3, "2026-02-28"),  # ... also when the earlier month is shorter
    ("2026-05-15", 1, "2026-04-15"),  # otherwise the same day number, excluded
])
def test_window_start_is_the_excluded_left_end(as_of, months, start):
    assert deals.window_start(pd.Timestamp(as_of), months) == pd.Timestamp(start)


def test_in_window_excludes_the_start_includes_as_of_and_drops_missing_dates():
    dates = pd.Series(pd.to_datetime(["2026-03-31", "2026-04-01", "2026-06-30", "2026-07-01", None]))
    assert deals.in_window(dates, pd.Timestamp("2026-06-30"), 3).tolist() == [False, True, True, False, False]


def test_closed_in_window_and_open_at():
    frame = opportunities([
        ("2026-01-10", "2026-04-01", W, None, 100),    # won in the window (2026-03-31, 2026-06-30]
        ("2026-01-10", "2026-06-30", L, None, 50),     # lost on as_of: in
        ("2026-01-10", "2026-03-31", W, None, 70),     # on the excluded start: out
        ("2026-05-01", "2026-08-01", "demo", None, 30),  # open: not closed
        ("2026-07-02", "2026-09-01", "demo", None, 20),  # created after as_of
    ])
    as_of = pd.Timestamp("2026-06-30")
    assert deals.closed_in_window(frame, as_of, 3).tolist() == [True, True, False, False, False]
    # open at 2026-05-15: created by then and not closed by then (the first closed on 04-01, the second later)
    assert deals.open_at(frame, pd.Timestamp("2026-05-15")).tolist() == [False, True, False, True, False]
    assert deals.open_at(frame, as_of).tolist() == [False, False, False, True, False]


@pytest.mark.parametrize(("as_of", "fiscal_start", "quarter"), [
    ("2026-03-31", 1, "2026Q1"),   # the quarter's last day: complete
    ("2026-03-30", 1, "2025Q4"),
    ("2026-04-30", 2, "2027Q1"),   # February start: FY2027 runs Feb 2026 - Jan 2027, Feb-Apr its Q1
    ("2026-04-29", 2, "2026Q4"),   # ... one day short: Nov 2025 - Jan 2026
])
def test_last_complete_quarter(as_of, fiscal_start, quarter):
    period = deals.last_complete_quarter(pd.Timestamp(as_of), fiscal_start)
    assert f"{period.qyear}Q{period.quarter}" == quarter


def test_stage_progress_of_open_deals_uses_current_stage():
    frame = opportunities([
        ("2026-01-01", "2026-05-01", "demo", None, 10),          # current demo: 2
        ("2026-01-01", "2026-05-01", "discover", "proposal", 10),  # moved back: proposal, 3
        ("2026-01-01", "2026-05-01", W, "discover", 10),         # won: all five stages
        ("2026-01-01", "2026-05-01", L, None, 10),               # lost, nothing known: the first stage
    ])
    assert deals.stage_progress(frame).tolist() == [2, 3, 5, 0]
    assert deals.furthest_open_stage(frame).tolist() == [2, 3, 1, 0]  # the outcome ignored


def test_attach_segments_prefers_the_rep_then_the_account_size():
    frame = pd.DataFrame({"rep_id": ["R1", "R2", "R9"], "account_id": ["A1", "A2", "A3"]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "segment": ["ENT", pd.NA], "region": ["NA", "EMEA"]})
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "employees": [50, 199, 2000],
                             "region": ["APAC", pd.NA, pd.NA]})
    out = deals.attach_segments(frame, reps, accounts)
    # R1's segment wins over A1's 50 employees; R2 has none: 199 employees -> SMB; R9 unknown: 2,000 -> ENT
    assert out["segment"].tolist() == ["ENT", "SMB", "ENT"]
    # the account's region first, then the rep's, else Unknown
    assert out["region"].tolist() == ["APAC", "EMEA", deals.UNKNOWN]
    assert list(frame.columns) == ["rep_id", "account_id"]  # input untouched


def test_ratio_of_series_and_of_scalars():
    out = deals.ratio(pd.Series([1, 2, 3], index=[7, 8, 9]), pd.Series([2, 0, None], index=[7, 8, 9]))
    pd.testing.assert_series_equal(out, pd.Series([0.5, np.nan, np.nan], index=[7, 8, 9]))
    assert deals.ratio(3, 4) == 0.75
    assert math.isnan(deals.ratio(3, 0)) and math.isnan(deals.ratio(3, None)) and math.isnan(deals.ratio(3, np.nan))
    assert deals.ratio(pd.Series([4.0, 6.0]), 2).tolist() == [2.0, 3.0]


def test_aggregate_gives_one_row_without_groups_even_when_empty():
    frame = pd.DataFrame({"segment": ["SMB", "MM", "SMB"], "amount": [10.0, np.nan, 30.0]})
    by = deals.aggregate(frame, ["segment"], total=("amount", "sum"), mean=("amount", "mean"))
    # sorted by group; NaN skipped: MM's sum is 0 and its mean NaN
    assert by["segment"].tolist() == ["MM", "SMB"] and by["total"].tolist() == [0.0, 40.0]
    assert math.isnan(by["mean"].iloc[0]) and by["mean"].iloc[1] == 20.0
    empty = deals.aggregate(frame.iloc[:0], [], total=("amount", "sum"))
    assert empty["total"].tolist() == [0.0]


def test_text_helpers():
    assert deals.clean_text(pd.Series([" a ", "", None, "b"])).tolist() == ["a", pd.NA, pd.NA, "b"]
    array = deals.text_array(value for value in ("x", None))
    assert list(array) == ["x", pd.NA] and str(array.dtype) == str(pd.Series(array).dtype)


def test_column_checks_name_the_table_and_the_missing_columns():
    with pytest.raises(ValueError, match=r"opportunities is missing required column\(s\) \['is_won'\]"):
        deals.check_opportunities(pd.DataFrame(columns=[c for c in deals.OPPORTUNITY_COLUMNS if c != "is_won"]))
    with pytest.raises(ValueError, match=r"by: column\(s\) \['region'\] not in the opportunities table"):
        deals.check_by("region", opportunities=pd.DataFrame(columns=["segment"]))
    assert deals.check_by("segment", opportunities=pd.DataFrame(columns=["segment"])) == ["segment"]


def _daily(first: str, days: int, step: int = 1) -> pd.DataFrame:
    created = pd.date_range(first, periods=days, freq=f"{step}D")
    return pd.DataFrame({"created_date": created, "close_date": created + pd.Timedelta(days=40),
                         "is_closed": False, "is_won": False})


def test_the_data_ends_where_its_deals_stop_when_they_stop_well_before_as_of():
    as_of = pd.Timestamp("2026-03-31")
    # a deal a day until 30 January, none for two months: the export was cut on 30 January
    assert deals.data_end(_daily("2026-01-01", 30), as_of) == pd.Timestamp("2026-01-30")
    # a deal closed after as_of: the data reaches past it
    late = _daily("2026-01-01", 30).assign(close_date=pd.Timestamp("2026-04-05"), is_closed=True)
    assert deals.data_end(late, as_of) == as_of
    # a deal every ten days: two months without one is within ten usual gaps
    assert deals.data_end(_daily("2025-06-01", 25, step=10), pd.Timestamp("2026-04-15")) == pd.Timestamp("2026-04-15")
    # too few deals to tell
    assert deals.data_end(_daily("2026-01-01", 5), as_of) == as_of
