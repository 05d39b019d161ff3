"""Unit tests of salesops.align.quotas on tiny hand-made frames; every expectation is computed by hand in
the comments."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from salesops.align.quotas import QuotaSettings, allocate_quotas, quota_check, quota_total

from builders import assert_rejected


def make_reps(rows) -> pd.DataFrame:
    """rows: (rep_id, segment, region, ramped_share, capacity, territory_potential)."""
    return pd.DataFrame(rows, columns=["rep_id", "segment", "region", "ramped_share", "capacity",
                                       "territory_potential"])


@pytest.fixture
def three_reps() -> pd.DataFrame:
    """Ramped capacity k = ramped_share × capacity = 100k, 50k, 50k -> capacity part c = .5, .25, .25.
    Potential 500k, 100k, 400k of 1,000k -> potential part p = .5, .1, .4."""
    return make_reps([
        ("R1", "SMB", "NA", 1.0, 100_000.0, 500_000.0),
        ("R2", "SMB", "NA", 0.5, 100_000.0, 100_000.0),   # a new hire, half productive over the quarter
        ("R3", "MM", "EMEA", 1.0, 50_000.0, 400_000.0),
    ])


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings_are_valid_and_frozen():
    settings = QuotaSettings()
    assert (settings.over_assignment, settings.capacity_weight, settings.round_to) == (0.15, 0.5, 1000)
    with pytest.raises(ValidationError):
        settings.round_to = 1


@pytest.mark.parametrize("bad, words", [
    ({"over_assignment": -0.1}, ["over_assignment", "share from 0 to 1"]),
    ({"over_assignment": 15}, ["over_assignment"]),
    ({"capacity_weight": 1.5}, ["capacity_weight", "share from 0 to 1"]),
    ({"capacity_weight": True}, ["capacity_weight"]),
    ({"round_to": 0}, ["round_to", "of 1 or more"]),
    ({"round_to": 2.5}, ["round_to", "whole number"]),
    ({"round_too": 100}, ["round_too", "Extra inputs are not permitted"]),
])
def test_bad_settings_give_clear_errors(bad, words):
    assert_rejected(QuotaSettings, bad, words)


# --------------------------------------------------------------------------------------------------
# the split, by hand


def test_quotas_by_hand(three_reps):
    # blended share b = .5 c + .5 p = .5, .175, .325; total = 1,000,000 × 1.15 = 1,150,000 = 1150 units of 1000
    # ideal units 575, 201.25, 373.75 -> floors 575, 201, 373 (1149); the unit left goes to the largest
    # remainder (.75, R3) -> 575k, 201k, 374k
    out = allocate_quotas(three_reps, 1_000_000)
    assert out["quota"].tolist() == [575_000.0, 201_000.0, 374_000.0]
    assert out["quota_share"].tolist() == pytest.approx([0.5, 0.175, 0.325])
    assert out["basis"][1] == ("0.5 × 25.0% ramped capacity (ramped 50%) + 0.5 × 10.0% territory potential "
                               "= 17.5%")
    assert list(out.columns) == [*three_reps.columns, "quota", "quota_share", "basis"]


def test_capacity_weight_one_ramps_the_new_hire(three_reps):
    # capacity only: c = .5, .25, .25 of 1,150,000 -> 575k, 287.5k, 287.5k = 575, 287.5, 287.5 units:
    # floors 575, 287, 287 (1149), the one left unit goes to the first of the tied remainders (R2)
    out = allocate_quotas(three_reps, 1_000_000, QuotaSettings(capacity_weight=1))
    assert out["quota"].tolist() == [575_000.0, 288_000.0, 287_000.0]
    # R2 has R1's capacity but is half ramped: half R1's share
    assert out["quota_share"][1] == pytest.approx(out["quota_share"][0] / 2)


def test_potential_only_ignores_capacity(three_reps):
    out = allocate_quotas(three_reps, 1_000_000, QuotaSettings(capacity_weight=0, over_assignment=0))
    assert out["quota"].tolist() == [500_000.0, 100_000.0, 400_000.0]


def test_remainder_goes_on_the_largest_quota_and_the_sum_is_exact(three_reps):
    # total 1,000,003 with no over-assignment: 1000 units -> 500, 175, 325 units; the 3 left over go on R1
    out = allocate_quotas(three_reps, 1_000_003, QuotaSettings(over_assignment=0))
    assert out["quota"].tolist() == [500_003.0, 175_000.0, 325_000.0]
    assert out["quota"].sum() == 1_000_003.0
    assert out["basis"][0].endswith("; + 3 rounding remainder (largest quota)")
    assert "remainder" not in out["basis"][1]


def test_a_zero_part_counts_for_nobody(three_reps):
    # no potential anywhere: the blend is the capacity part alone, whatever capacity_weight says
    no_potential = three_reps.assign(territory_potential=0.0)
    out = allocate_quotas(no_potential, 1_000_000)
    assert out["quota_share"].tolist() == pytest.approx([0.5, 0.25, 0.25])


def test_inputs_are_not_modified_and_an_old_quota_column_is_replaced(three_reps):
    reps = three_reps.assign(quota=1.0).set_axis([7, 8, 9])
    before = reps.copy()
    out = allocate_quotas(reps, 1_000_000)
    assert_frame_equal(reps, before)
    assert out.index.tolist() == [0, 1, 2]
    assert out["quota"].sum() == 1_150_000.0


def test_quota_total_rounds_half_up_to_whole_units():
    assert quota_total(1_000_000, 0.15) == 1_150_000.0  # 1,149,999.9999999998 in floating point
    assert quota_total(10.5, 0) == 11.0
    assert quota_total(10.49, 0) == 10.0


@hypothesis_settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    rows=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1e6), st.floats(0, 1e7)), min_size=1, max_size=12),
    target=st.floats(1, 1e8),
    over_assignment=st.floats(0, 1),
    capacity_weight=st.floats(0, 1),
    round_to=st.sampled_from([1, 100, 1000, 5000]),
)
def test_quotas_always_add_up_exactly(rows, target, over_assignment, capacity_weight, round_to):
    reps = make_reps([(f"R{i}", "SMB", "NA", *row) for i, row in enumerate(rows)])
    settings = QuotaSettings(over_assignment=over_assignment, capacity_weight=capacity_weight, round_to=round_to)
    try:
        out = allocate_quotas(reps, target, settings)
    except ValueError as error:  # only when nothing carries weight
        assert "quota weight is 0" in str(error)
        return
    total = quota_total(target, over_assignment)
    assert out["quota"].sum() == total
    largest = out["quota"].idxmax()
    others = out["quota"].drop(index=largest)
    assert (others % round_to == 0).all()
    assert (out["quota"] >= 0).all()
    ideal = out["quota_share"] * total
    assert ((out["quota"] - ideal).drop(index=largest).abs() <= round_to + 1e-6 * total).all()
    assert out["quota_share"].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------------
# errors and the check table


@pytest.mark.parametrize("change, target, message", [
    (lambda reps: reps, 0, "target must be a bookings amount greater than 0"),
    (lambda reps: reps, -5, "target must be a bookings amount greater than 0"),
    (lambda reps: reps.iloc[0:0], 1e6, "reps has no rows"),
    (lambda reps: reps.assign(territory_potential=[1.0, -1.0, 1.0]), 1e6, r"territory_potential .* \['R2'\]"),
    (lambda reps: reps.assign(ramped_share=[1.2, 1.0, 1.0]), 1e6, r"ramped_share must be a fraction from 0 to 1"),
    (lambda reps: reps.assign(capacity=[1.0, None, 1.0]), 1e6, r"capacity must be a number of 0 or more"),
    (lambda reps: reps.assign(ramped_share=0.0, territory_potential=0.0), 1e6, "every rep's quota weight is 0"),
    (lambda reps: reps.assign(rep_id=["R1", "R1", "R3"]), 1e6, "rep_id must be filled in and unique"),
    (lambda reps: reps.drop(columns="capacity"), 1e6, r"missing required column\(s\) \['capacity'\]"),
])
def test_bad_input_gives_clear_errors(three_reps, change, target, message):
    with pytest.raises(ValueError, match=message):
        allocate_quotas(change(three_reps), target)


def test_quota_check_by_hand(three_reps):
    quotas = allocate_quotas(three_reps, 1_000_000)
    expected = pd.DataFrame({"target": [1_000_000.0], "over_assignment": [0.15], "expected_total": [1_150_000.0],
                             "quota_sum": [1_150_000.0], "difference": [0.0]})
    assert_frame_equal(quota_check(quotas, 1_000_000, 0.15), expected)
    short = quotas.assign(quota=quotas["quota"] - [1000.0, 0.0, 0.0])
    assert quota_check(short, 1_000_000, 0.15)["difference"].tolist() == [-1000.0]
