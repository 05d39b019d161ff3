"""Unit tests of salesops.align.routing on tiny hand-made frames; every expectation is computed by hand in
the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from salesops.align.routing import RoutingSettings, conversion_multipliers, expected_conversion, route_leads

from builders import assert_rejected


def make_reps(rows) -> pd.DataFrame:
    """rows: (rep_id, segment, region, capacity_weight, conversion_rate)."""
    return pd.DataFrame(rows, columns=["rep_id", "segment", "region", "capacity_weight", "conversion_rate"])


def make_leads(rows) -> pd.DataFrame:
    """rows: (lead_id, segment, region, grade, probability, owner_rep_id)."""
    return pd.DataFrame(rows, columns=["lead_id", "segment", "region", "grade", "probability", "owner_rep_id"])


def many_leads(count: int, segment="SMB", region="NA", grade="B", prefix="L") -> pd.DataFrame:
    """``count`` leads with falling probabilities, so they are routed in lead_id order."""
    return make_leads([(f"{prefix}{i:04d}", segment, region, grade, 0.9 - i * 0.8 / count, None)
                       for i in range(count)])


@pytest.fixture
def team() -> pd.DataFrame:
    return make_reps([
        ("R1", "SMB", "NA", 1.0, 0.30),
        ("R2", "SMB", "NA", 0.5, 0.20),     # ramping
        ("R3", "SMB", "NA", 0.25, 0.10),    # just hired
        ("R4", "SMB", "EMEA", 1.0, 0.25),
        ("R5", "ENT", "NA", 1.0, 0.40),
        ("R6", "ENT", "NA", 1.0, None),     # not measured yet
    ])


def routed_to(routed: pd.DataFrame) -> dict[str, str]:
    return dict(zip(routed["lead_id"], routed["rep_id"]))


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings_are_valid_and_frozen():
    settings = RoutingSettings()
    assert settings.rules == () and settings.weighting == "capacity" and settings.a_grade_to_best is True
    assert settings.best_share == 0.25 and settings.max_conversion_multiplier == 1.5
    with pytest.raises(ValidationError):
        settings.best_share = 0.5


def test_rules_are_read_from_plain_mappings():
    settings = RoutingSettings(rules=[{"name": "LATAM to NA", "region": " LATAM ", "pool_region": "NA"},
                                      {"segment": "ENT", "rep_ids": ["R5", "R6"]}])
    assert settings.rules[0].region == "LATAM" and settings.rules[0].pool_segment is None
    assert settings.rules[1].rep_ids == ("R5", "R6")


@pytest.mark.parametrize("bad, words", [
    ({"rules": [{"segment": "ENT", "rep_ids": ["R5"], "pool_region": "NA"}]}, ["rep_ids or by pool_segment"]),
    ({"rules": [{"rep_ids": []}]}, ["rules.0.rep_ids", "expected a list of rep ids with at least 1 entry"]),
    ({"rules": [{"rep_ids": ["R5", "R5"]}]}, ["each once"]),
    ({"rules": [{"segment": ""}]}, ["rules.0.segment", "expected non-empty text"]),
    ({"rules": [{"segmnt": "ENT"}]}, ["segmnt", "Extra inputs are not permitted"]),
    ({"weighting": "random"}, ["weighting", "capacity", "equal"]),
    ({"best_share": 0}, ["best_share", "above 0 and at most 1"]),
    ({"best_share": 1.5}, ["best_share"]),
    ({"max_conversion_multiplier": 0.9}, ["max_conversion_multiplier", "of 1 or more"]),
])
def test_bad_settings_give_clear_errors(bad, words):
    assert_rejected(RoutingSettings, bad, words)


# --------------------------------------------------------------------------------------------------
# rules


def test_first_matching_rule_wins_and_unmatched_leads_take_the_default(team):
    settings = RoutingSettings(rules=[
        {"name": "EMEA SMB to NA", "segment": "SMB", "region": "EMEA", "pool_region": "NA"},
        {"region": "EMEA", "rep_ids": ["R5"]},               # rule 2: would also match L1, but rule 1 is first
    ], a_grade_to_best=False)
    leads = make_leads([
        ("L1", "SMB", "EMEA", "B", 0.5, "R4"),   # rule 1: the SMB reps of NA
        ("L2", "ENT", "EMEA", "B", 0.5, None),   # rule 2: R5
        ("L3", "SMB", "NA", "B", 0.5, None),     # no rule matches: default, same segment and region
        ("L4", "ENT", "APAC", "B", 0.5, None),   # default: no ENT rep in APAC -> ENT reps of any region
        ("L5", "MM", "NA", "B", 0.5, None),      # default: no MM rep at all -> any rep
    ])
    routed = route_leads(leads, team, settings)
    assert routed["rule"].tolist() == ["EMEA SMB to NA", "rule 2", "default · same segment and region",
                                       "default · same segment, other region", "default · any rep"]
    rep = routed_to(routed)
    assert rep["L1"] in {"R1", "R2", "R3"} and rep["L2"] == "R5"
    assert rep["L3"] in {"R1", "R2", "R3"} and rep["L4"] in {"R5", "R6"}
    assert routed["previous_rep_id"].fillna("none").tolist() == ["R4", "none", "none", "none", "none"]
    assert list(routed.columns) == ["lead_id", "rep_id", "rule", "previous_rep_id"]


def test_pool_any_and_a_rule_without_reps_for_a_lead_is_passed_over(team):
    settings = RoutingSettings(rules=[
        {"name": "to EMEA", "region": "NA", "pool_region": "EMEA"},   # no ENT rep in EMEA: ENT leads pass over
        {"name": "anyone", "pool_segment": "any", "pool_region": "any"},
    ])
    leads = make_leads([("L1", "SMB", "NA", "B", 0.5, None), ("L2", "ENT", "NA", "B", 0.5, None)])
    routed = route_leads(leads, team, settings)
    assert routed["rule"].tolist() == ["to EMEA", "anyone"]
    assert routed["rep_id"][0] == "R4"


@pytest.mark.parametrize("rule, message", [
    ({"segment": "ENT", "rep_ids": ["R5", "R9"]}, r"rule 1 names rep\(s\) \['R9'\] that are not among the active"),
    ({"name": "typo", "pool_region": "Emea"}, r"typo: pool_region 'Emea' is no active rep's region"),
])
def test_a_rule_naming_unknown_reps_is_a_clear_error(team, rule, message):
    with pytest.raises(ValueError, match=message):
        route_leads(many_leads(3), team, RoutingSettings(rules=[rule]))


# --------------------------------------------------------------------------------------------------
# weights


@pytest.mark.parametrize("weights", [(1.0, 0.5, 0.25), (0.3, 0.7, 1.1), (1.0, 1.0, 1.0), (2.0, 0.1, 0.6)])
def test_counts_follow_capacity_within_one_lead_at_every_point(weights):
    reps = make_reps([(f"R{i}", "SMB", "NA", w, 0.2) for i, w in enumerate(weights)])
    routed = route_leads(many_leads(500), reps)
    shares = np.array(weights) / sum(weights)
    chosen = routed["rep_id"].str[1:].astype(int).to_numpy()   # in routing order: falling probability
    counts = np.cumsum(np.eye(len(weights))[chosen], axis=0)
    expected = np.arange(1, 501)[:, None] * shares[None, :]
    assert np.abs(counts - expected).max() < 1


def test_capacity_weights_by_hand(team):
    # SMB NA weights 1, 0.5, 0.25 -> shares 4/7, 2/7, 1/7 of 700 leads = 400, 200, 100
    counts = route_leads(many_leads(700), team)["rep_id"].value_counts()
    assert counts.to_dict() == {"R1": 400, "R2": 200, "R3": 100}
    equal = route_leads(many_leads(699), team, RoutingSettings(weighting="equal"))["rep_id"].value_counts()
    assert equal.to_dict() == {"R1": 233, "R2": 233, "R3": 233}


def test_first_leads_by_hand(team):
    # shares 4/7, 2/7, 1/7. Lead 1: entitlements .571 .286 .143, all below, priority ent / (received + 1)
    # -> R1. Lead 2: 1.143 .571 .286; R1 1.143 / 2 = .571 ties R2 .571 / 1: higher weight -> R1.
    # Lead 3: R1 at 2 is not below 1.714 -> R2 (.857) over R3 (.429). Lead 4: R1 2.286 / 3 = .762 -> R1.
    routed = route_leads(many_leads(4), team)
    assert routed["rep_id"].tolist() == ["R1", "R1", "R2", "R1"]


# --------------------------------------------------------------------------------------------------
# A-grade leads


def test_a_grade_leads_go_to_the_best_converters(team):
    leads = pd.concat([many_leads(4, grade="A", prefix="A"), many_leads(3, grade="B", prefix="B")],
                      ignore_index=True).assign(probability=[0.99, 0.98, 0.97, 0.96, 0.5, 0.4, 0.3])
    # best_share 0.25 of 3 reps -> ceil(0.75) = 1: R1 (30 % conversion) takes every A lead;
    # the B leads then go to R2, R2, R3 (each below its entitlement), so the totals are 4, 2, 1 as the weights say
    routed = routed_to(route_leads(leads, team))
    assert [routed[f"A{i:04d}"] for i in range(4)] == ["R1"] * 4
    assert [routed[f"B{i:04d}"] for i in range(3)] == ["R2", "R2", "R3"]
    # best_share 0.5 -> ceil(1.5) = 2: R1 and R2
    wider = routed_to(route_leads(leads, team, RoutingSettings(best_share=0.5)))
    assert {wider[f"A{i:04d}"] for i in range(4)} <= {"R1", "R2"}
    # switched off, the A leads follow the weights alone: R1, R1, R2, R1 (test_first_leads_by_hand)
    off = routed_to(route_leads(leads, team, RoutingSettings(a_grade_to_best=False)))
    assert [off[f"A{i:04d}"] for i in range(4)] == ["R1", "R1", "R2", "R1"]


def test_an_unmeasured_rep_is_never_a_best_converter(team):
    # ENT NA pool R5 (40 %) and R6 (unknown, ranked last): best_share 0.5 -> R5 only
    routed = route_leads(many_leads(5, segment="ENT", grade="A"), team, RoutingSettings(best_share=0.5))
    assert routed["rep_id"].eq("R5").all()


# --------------------------------------------------------------------------------------------------
# determinism and bad input


def test_result_does_not_depend_on_row_order_and_inputs_are_untouched(team):
    leads = pd.concat([many_leads(30, prefix="S"), many_leads(10, segment="ENT", grade="A", prefix="E")],
                      ignore_index=True)
    before_leads, before_team = leads.copy(), team.copy()
    routed = route_leads(leads, team)
    shuffled = route_leads(leads.sample(frac=1, random_state=1), team.iloc[::-1])
    assert_frame_equal(shuffled.sort_values("lead_id").reset_index(drop=True),
                       routed.sort_values("lead_id").reset_index(drop=True))
    assert_frame_equal(leads, before_leads)
    assert_frame_equal(team, before_team)


@pytest.mark.parametrize("change_leads, change_reps, message", [
    (lambda leads: leads, lambda r: r.iloc[0:0], "reps has no rows"),
    (lambda leads: leads, lambda r: r.assign(capacity_weight=0.0), "capacity_weight must be a number greater than 0"),
    (lambda leads: leads, lambda r: r.assign(conversion_rate=1.5), "conversion_rate must be a fraction from 0 to 1"),
    (lambda leads: leads.assign(probability=np.nan), lambda r: r, "probability must be a fraction from 0 to 1;"),
    (lambda leads: leads.assign(lead_id="L1"), lambda r: r, "lead_id must be filled in and unique"),
    (lambda leads: leads.drop(columns="grade"), lambda r: r, r"missing required column\(s\) \['grade'\]"),
])
def test_bad_input_gives_clear_errors(team, change_leads, change_reps, message):
    with pytest.raises(ValueError, match=message):
        route_leads(change_leads(many_leads(3)), change_reps(team))


# --------------------------------------------------------------------------------------------------
# expected conversions


@pytest.fixture
def pairs() -> pd.DataFrame:
    """SMB: R1 30 %, R2 10 % (mean 20 %); ENT: R5 40 %, R6 unknown (mean 40 %)."""
    return make_reps([("R1", "SMB", "NA", 1.0, 0.3), ("R2", "SMB", "NA", 1.0, 0.1),
                      ("R5", "ENT", "NA", 1.0, 0.4), ("R6", "ENT", "NA", 1.0, None)])


def test_conversion_multipliers_by_hand(pairs):
    # R1 .3 / .2 = 1.5; R2 .1 / .2 = 0.5, clipped to 1 / 1.5; R5 .4 / .4 = 1; R6 unknown -> 1
    multipliers = conversion_multipliers(pairs)
    assert multipliers.to_dict() == pytest.approx({"R1": 1.5, "R2": 1 / 1.5, "R5": 1.0, "R6": 1.0})
    capped = conversion_multipliers(pairs, RoutingSettings(max_conversion_multiplier=1.2))
    assert capped["R1"] == pytest.approx(1.2)


def test_expected_conversion_by_hand(pairs):
    leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4"], "probability": [0.5, 0.8, 0.3, 0.9]})
    routed = pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4"], "rep_id": ["R1", "R1", "R6", "R2"],
                           "rule": ["default"] * 4, "previous_rep_id": ["R2", None, "X9", "R1"]})
    # today:  L1 .5 × 2/3 = 1/3; L2 no owner .8 × 1; L3 X9 has left .3 × 1; L4 min(1, .9 × 1.5) = 1 -> 2.4333
    # routed: L1 .5 × 1.5 = .75; L2 min(1, .8 × 1.5) = 1; L3 R6 .3 × 1; L4 .9 × 2/3 = .6 -> 2.65
    table = expected_conversion(routed, leads, pairs)
    assert table["assignment"].tolist() == ["today", "routed"]
    assert table["leads"].tolist() == [4, 4]
    assert table["leads_on_active_reps"].tolist() == [2, 4]
    assert table["expected_conversions"].tolist() == pytest.approx([1 / 3 + 0.8 + 0.3 + 1, 2.65])
    assert table["expected_conversion_rate"].tolist() == pytest.approx([(1 / 3 + 2.1) / 4, 2.65 / 4])
    # with a cap of 1 reps make no difference: both are Σ probability = 2.5
    flat = expected_conversion(routed, leads, pairs, RoutingSettings(max_conversion_multiplier=1))
    assert flat["expected_conversions"].tolist() == pytest.approx([2.5, 2.5])


def test_expected_conversion_needs_every_routed_lead(pairs):
    routed = pd.DataFrame({"lead_id": ["L1", "L2"], "rep_id": ["R1", "R1"], "rule": ["default"] * 2,
                           "previous_rep_id": [None, None]})
    with pytest.raises(ValueError, match=r"no probability for routed lead\(s\) \['L2'\]"):
        expected_conversion(routed, pd.DataFrame({"lead_id": ["L1"], "probability": [0.5]}), pairs)
    empty = expected_conversion(routed.iloc[0:0], pd.DataFrame({"lead_id": ["L1"], "probability": [0.5]}), pairs)
    assert empty["leads"].tolist() == [0, 0] and math.isnan(empty["expected_conversion_rate"][0])
