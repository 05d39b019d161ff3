"""Sanity invariants of a step's result: each violation is a sentence the page shows first."""

from __future__ import annotations

import pandas as pd

from salesops import sanity


def test_sentences_with_unmeasured_numbers_are_named():
    found = sanity.unmeasured_sentences(["Win rate 40%.", "missed by nan× the error", "inflation in NaT", "ok inf."])
    assert len(found) == 3 and "“missed by nan× the error”" in found[0]
    assert sanity.unmeasured_sentences(["Financial year", "infinite care", "Nantes office"]) == []


def test_a_forecast_far_from_recent_bookings_is_flagged_both_ways():
    assert sanity.in_proportion("The 2027Q1 forecast", 300.0, 100.0, "recent", "USD") == []  # 3.0× is the limit
    [high] = sanity.in_proportion("The 2027Q1 forecast", 310.0, 100.0, "the mean of recent quarters", "USD")
    assert high.startswith("The 2027Q1 forecast ($310) is 3.1× the mean of recent quarters ($100)")
    assert len(sanity.in_proportion("Capacity", 30.0, 100.0, "recent", "USD")) == 1  # 0.3×: below 1/3
    assert sanity.in_proportion("Capacity", float("nan"), 100.0, "recent", "USD") == []
    assert sanity.in_proportion("Capacity", 10.0, 0.0, "recent", "USD") == []  # nothing booked: nothing to compare


def test_quotas_and_measurement_windows():
    assert sanity.quotas_add_up(1150.0, 1150.0, "USD") == []
    assert sanity.quotas_add_up(1100.0, 1150.0, "USD") == [
        "The quotas add up to $1,100, not the $1,150 the plan asks for (target × (1 + over-assignment))."]
    productivity = pd.DataFrame({"segment": ["SMB", "ENT", "MM"], "source": ["measured", "measured", "params"],
                                 "ramped_rep_months": [12.0, 0.0, 0.0]})
    assert sanity.measured_without_window(productivity, "Bookings per ramped rep-month") == [
        "Bookings per ramped rep-month of ENT is labelled measured but rests on no observation in the window."]


def test_recent_bookings_is_the_mean_of_the_last_complete_quarters():
    growth = pd.DataFrame({"quarter": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"], "bookings": [1, 10, 20, 30, 40, 5.0],
                           "complete": [False, True, True, True, True, True]})
    assert sanity.recent_bookings(growth) == (20 + 30 + 40 + 5) / 4
    assert pd.isna(sanity.recent_bookings(growth.iloc[:1]))
