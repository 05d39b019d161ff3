"""Unit tests of salesops.align.actions: the candidate constructors, owners and due dates filled in, the ranking,
the params' actions and top_n. The quarter starts on 2027-01-01 throughout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.align import actions, organisation, tooling
from salesops.align.actions import ActionSettings

from builders import assert_rejected

START = pd.Timestamp("2027-01-01")


def candidate(title, kind="other", impact=np.nan, **fields):
    return {"title": title, "kind": kind, "metric": "bookings", "expected_effect": "more bookings",
            "source": "test", "impact": impact, **fields}


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings():
    settings = ActionSettings()
    assert settings.top_n == 5 and settings.extra == ()
    assert settings.owners["data_quality"] == "Sales operations" and settings.due_days["quota"] == 7
    partial = ActionSettings(owners={"hiring": "CEO"}, due_days={"coaching": 10})
    assert partial.owners["hiring"] == "CEO" and partial.owners["coaching"] == "Sales managers"
    assert partial.due_days["coaching"] == 10 and partial.due_days["hiring"] == 30


@pytest.mark.parametrize("bad, words", [
    ({"top_n": 0}, ["top_n", "expected a whole number of actions from 1 to 50"]),
    ({"owners": {"party": "CEO"}}, ["owners", "kind of action to its owner (a role) (names: data_quality, "]),
    ({"owners": {"hiring": " "}}, ["owners.hiring", "expected non-empty text"]),
    ({"due_days": {"hiring": -3}}, ["due_days.hiring", "whole number of days from 0 to 365"]),
    ({"extra": [{"title": "X", "metric": "m", "expected_effect": "e", "kind": "party"}]}, ["extra.0.kind", "expected one of data_quality, "]),
    ({"extra": [{"title": "", "metric": "m", "expected_effect": "e"}]}, ["extra.0.title", "expected non-empty text"]),
    ({"extra": [{"title": "X", "metric": "m", "expected_effect": "e", "impact": "lots"}]},
     ["extra.0.impact", "expected an amount (company currency)"]),
    ({"extra": [{"title": "X", "metric": "m"}]}, ["expected_effect", "Field required"]),
    ({"top": 5}, ["Extra inputs are not permitted"]),
])
def test_bad_settings(bad, words):
    assert_rejected(ActionSettings, bad, words)


# --------------------------------------------------------------------------------------------------
# build_actions


def test_ranked_by_impact_then_due_date_then_input_order():
    candidates = frame(
        candidate("small", impact=10_000.0),
        candidate("unknown, due late", kind="tooling"),          # due 2027-02-15 (45 days)
        candidate("big", impact=90_000.0),
        candidate("unknown, due early", kind="quota"),          # due 2027-01-08 (7 days)
        candidate("unknown, due early too", kind="quota"),
        candidate("negative", impact=-5_000.0),                  # known effects come first, even negative ones
    )
    out = actions.build_actions(candidates, ActionSettings(), START)
    assert list(out.columns) == list(actions.ACTION_COLUMNS)
    assert list(out["title"]) == ["big", "small", "negative", "unknown, due early", "unknown, due early too",
                                  "unknown, due late"]
    assert list(out["priority"]) == [1, 2, 3, 4, 5, 6]


def test_owners_and_due_dates_are_filled_but_given_ones_kept():
    candidates = frame(
        candidate("fix data", kind="data_quality"),
        candidate("coach", kind="coaching", owner="VP Sales", due_date=pd.Timestamp("2027-03-01")),
        candidate("hire", kind="hiring", owner=""),
    )
    settings = ActionSettings(due_days={"data_quality": 10})
    out = actions.build_actions(candidates, settings, "2027-01-01").set_index("title")
    assert out.loc["fix data", "owner"] == "Sales operations"
    assert out.loc["fix data", "due_date"] == pd.Timestamp("2027-01-11")   # 1 Jan + 10 days
    assert out.loc["coach", "owner"] == "VP Sales"
    assert out.loc["coach", "due_date"] == pd.Timestamp("2027-03-01")
    assert out.loc["hire", "owner"] == "Head of Sales"                     # blank owner: the default
    assert out.loc["hire", "due_date"] == pd.Timestamp("2027-01-31")       # 30 days


def test_params_actions_are_included_and_top_n_marks_the_summary():
    settings = ActionSettings(top_n=2, extra=[
        {"title": "Raise MM quotas by 5 %", "kind": "quota", "metric": "bookings", "expected_effect": "+5 % target",
         "impact": 50_000},
        {"title": "Weekly pipeline call", "metric": "forecast accuracy", "expected_effect": "fewer slipped deals",
         "owner": "CRO", "due_date": "2027-01-05"},
    ])
    candidates = frame(candidate("big", impact=90_000.0), candidate("unknown", kind="tooling"))
    out = actions.build_actions(candidates, settings, START)
    assert list(out["title"]) == ["big", "Raise MM quotas by 5 %", "Weekly pipeline call", "unknown"]
    assert list(out["on_summary"]) == [True, True, False, False]
    assert list(out["source"]) == ["test", "params", "params", "test"]
    rows = out.set_index("title")
    assert rows.loc["Raise MM quotas by 5 %", "owner"] == "Head of Sales"
    assert rows.loc["Raise MM quotas by 5 %", "due_date"] == pd.Timestamp("2027-01-08")
    assert rows.loc["Weekly pipeline call", "owner"] == "CRO"
    # params actions alone, without candidates
    assert list(actions.build_actions(None, settings, START)["title"]) == ["Raise MM quotas by 5 %",
                                                                          "Weekly pipeline call"]


def test_build_actions_does_not_modify_its_input():
    candidates = frame(candidate("a", kind="quota"), candidate("b", impact=1.0))
    before = candidates.copy()
    actions.build_actions(candidates, None, START)
    pd.testing.assert_frame_equal(candidates, before)


def test_build_actions_bad_arguments():
    with pytest.raises(ValueError, match="unknown kind\\(s\\) \\['party'\\]"):
        actions.build_actions(frame(candidate("a", kind="party")), None, START)
    with pytest.raises(ValueError, match="without a title"):
        actions.build_actions(frame(candidate(" ")), None, START)
    with pytest.raises(ValueError, match="candidates is missing required column"):
        actions.build_actions(frame(candidate("a")).drop(columns="metric"), None, START)
    with pytest.raises(ValueError, match="quarter_start must be a date"):
        actions.build_actions(frame(candidate("a")), None, "next quarter")
    with pytest.raises(ValueError, match="settings must be an ActionSettings"):
        actions.build_actions(frame(candidate("a")), {"top_n": 3}, START)


# --------------------------------------------------------------------------------------------------
# constructors


def test_actions_from_quality_follow_the_fix_list():
    checks = pd.DataFrame({
        "table": ["accounts", "opportunities", "leads"],
        "check": ["accounts_missing_industry", "stale_open_opportunities", "leads_missing_source"],
        "severity": ["medium", "high", "low"],
        "rows_affected": [500, 71, 0],
    })
    out = actions.actions_from_quality(checks)
    assert list(out.columns) == list(actions.CANDIDATE_COLUMNS)
    assert list(out["title"]) == ["Fix: 71 open opportunities have a close date in the past",
                                  "Fix: 500 accounts have no industry"]      # high first; nothing affected: none
    assert list(out["kind"]) == ["data_quality"] * 2
    assert out.loc[0, "metric"] == "data quality of opportunities"
    assert out.loc[1, "expected_effect"].startswith("500 row(s) of accounts corrected")
    assert out.loc[0, "detail"].startswith("Owners should update the close date")
    assert out["impact"].isna().all()


def test_actions_from_coaching():
    coaching = pd.DataFrame({"metric": ["demos_per_week", "median_cycle_days"], "family": ["activity volume", "cycle"],
                             "gap": [-0.7, 0.25], "suggested_training": ["book demos", "close plans"],
                             "impact": [40_000.0, np.nan]})
    out = actions.actions_from_coaching(coaching)
    assert list(out["title"]) == ["Coach bottom-quartile reps on demos per week",
                                  "Coach bottom-quartile reps on median sales cycle"]
    # without the priced columns (an older coaching table) the effect is the gap in words
    assert out.loc[0, "expected_effect"] == "closes the 70% gap between bottom- and top-quartile reps on demos per week"
    assert list(out["detail"]) == ["book demos", "close plans"]
    assert out.loc[0, "impact"] == 40_000 and np.isnan(out.loc[1, "impact"])
    assert np.isnan(actions.actions_from_coaching(coaching.drop(columns="impact")).loc[0, "impact"])


def test_coaching_actions_carry_the_bookings_at_stake_and_cite_every_metric_of_their_advice():
    coaching = pd.DataFrame({
        "metric": ["demos_per_week"], "family": ["activity volume"], "gap": [-0.8],
        "suggested_training": ["coach demo discipline"], "metrics": ["demos_per_week, demos_per_opportunity"],
        "effect_per_rep_month": [7_000.0], "bottom_reps": [2], "impact": [42_000.0],
        "evidence": ["On demos per week, bottom-quartile reps average 1.0 against 5.0."]})
    row = actions.actions_from_coaching(coaching, "EUR").iloc[0]
    assert row["title"] == "Coach bottom-quartile reps on demos per week and demos per opportunity"
    assert row["metric"] == "demos per week" and row["impact"] == 42_000.0
    # 7,000 a month x 2 reps x 3 months
    assert row["expected_effect"] == ("up to €42k of bookings in the quarter if the 2 bottom-quartile reps closed "
                                      "the gap (€7k a month per rep; a measured association, not a proven cause)")
    assert row["detail"] == "coach demo discipline. On demos per week, bottom-quartile reps average 1.0 against 5.0."


def test_actions_of_every_kind_rank_by_impact_in_bookings_of_the_quarter():
    coaching = actions.actions_from_coaching(pd.DataFrame({
        "metric": ["meetings_per_week"], "family": ["activity volume"], "gap": [-0.6],
        "suggested_training": ["coach meeting-setting"], "impact": [30_000.0]}))
    quota = pd.DataFrame([{"title": "Review SMB quotas", "kind": "quota", "metric": "quota attainment",
                           "expected_effect": "quotas reps can reach", "source": "step 4: quotas", "impact": 50_000.0}])
    fix = pd.DataFrame([{"title": "Fix: close dates", "kind": "data_quality", "metric": "data quality",
                         "expected_effect": "rows fixed", "source": "step 1: data quality"}])
    ranked = actions.build_actions(pd.concat([fix, coaching, quota], ignore_index=True), None, "2027-01-01")
    assert ranked["kind"].tolist() == ["quota", "coaching", "data_quality"]  # known impact first, largest first


def test_actions_from_hiring():
    plan = pd.DataFrame({"role": ["AE", "SDR", "AE"], "segment": ["SMB", None, "MM"],
                         "month": ["2027-02-15", "2027-01-01", "2027-03-01"], "hires": [2, 1, 0],
                         "cost": [60_000.0, 20_000.0, 0.0]})
    out = actions.actions_from_hiring(plan)
    assert list(out["title"]) == ["Hire 2 AEs for SMB to start in February 2027",
                                  "Hire 1 SDR to start in January 2027"]     # 0 hires: no action
    assert list(out["due_date"]) == [pd.Timestamp("2027-02-01"), pd.Timestamp("2027-01-01")]
    assert list(out["cost"]) == [60_000.0, 20_000.0]
    assert out.loc[0, "expected_effect"] == "2 more AEs for SMB from February 2027, at a cost of $60,000"
    assert out.loc[1, "metric"] == "SDR capacity"
    with pytest.raises(ValueError, match="hiring_plan.month must be a date"):
        actions.actions_from_hiring(plan.assign(month=["soon", "2027-01-01", "2027-03-01"]))
    with pytest.raises(ValueError, match="hiring_plan.hires must be a number of people of 0 or more"):
        actions.actions_from_hiring(plan.assign(hires=[-1, 1, 0]))
    with pytest.raises(ValueError, match="hiring_plan is missing required column"):
        actions.actions_from_hiring(plan.drop(columns="cost"))


def test_actions_from_organisation_and_tooling():
    recommendation = organisation.recommend_organisation(2_000_000, ["Sales operations specialist"])
    org = actions.actions_from_organisation(recommendation)
    assert list(org["title"]) == ["Hire or appoint a sales enablement manager"]
    review = tooling.tooling_review(tooling.ToolingSettings(tools=[
        {"name": "Sheets", "category": "forecasting", "fits_next_stage": False, "annual_cost": 100},
        {"name": "HubSpot", "category": "CRM", "works_well": False},
        {"name": "Gong", "category": "enablement", **dict.fromkeys(tooling.QUESTIONS, True)},
    ]), "1m_to_10m")
    tools = actions.actions_from_tooling(review.tools, review.gaps)
    assert list(tools["title"]) == ["Replace Sheets (forecasting)", "Fix or retrain the team on HubSpot (CRM)",
                                    "Add a forecasting tool"]
    assert tools.loc[0, "cost"] == 100 and np.isnan(tools.loc[1, "cost"])
    assert list(tools["kind"]) == ["tooling"] * 3
