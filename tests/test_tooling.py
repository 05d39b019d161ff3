"""Unit tests of salesops.align.tooling: the verdict rule, the review table, the gaps and the settings' errors."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from pydantic import ValidationError

from salesops.align import tooling
from salesops.align.tooling import Tool, ToolingSettings

from builders import assert_rejected

YES5 = dict.fromkeys(tooling.QUESTIONS, True)


def tool(name, category, cost=None, **answers):
    return {"name": name, "category": category, "annual_cost": cost, **answers}


# --------------------------------------------------------------------------------------------------
# verdict rule


@pytest.mark.parametrize("answers, verdict, reason", [
    (YES5, "keep", "yes to all five questions"),
    ({**YES5, "solves_current_obstacle": False}, "replace", "does not solve the current obstacle"),
    ({**YES5, "fits_next_stage": False}, "replace", "will not fit the next stage"),
    # a "no" to a replace question wins over "no"s to fix questions and over unknowns
    ({"fits_next_stage": False, "works_well": False}, "replace", "will not fit the next stage"),
    ({**YES5, "works_well": False}, "fix or retrain", "does not work well"),
    ({**YES5, "integrates": False, "offers_training": False}, "fix or retrain",
     "is not integrated; offers no training"),
    ({**YES5, "offers_training": None, "integrates": False}, "fix or retrain", "is not integrated"),
    ({**YES5, "offers_training": None}, "unknown", "no known problem, but unanswered: offers training"),
    ({}, "unknown", "no known problem, but unanswered: solves current obstacle, works well, integrates, "
                    "offers training, fits next stage"),
])
def test_verdict_rule(answers, verdict, reason):
    assert tooling.tool_verdict(answers) == (verdict, reason)


def test_verdict_rejects_unknown_questions():
    with pytest.raises(ValueError, match="unknown question"):
        tooling.tool_verdict({"is_cheap": True})


# --------------------------------------------------------------------------------------------------
# review


def test_empty_inventory_gives_an_empty_review_and_says_what_to_add():
    review = tooling.tooling_review(ToolingSettings(), "10m_plus")
    assert review.tools.empty and list(review.tools.columns) == list(tooling.REVIEW_COLUMNS)
    assert review.gaps.empty
    assert "add each tool under tooling.tools" in review.note
    assert review.note.endswith("check at least: CRM, forecasting, enablement, compensation.")


def test_review_scores_verdicts_and_gaps():
    settings = ToolingSettings(tools=[
        tool("HubSpot", "CRM", 24_000, **YES5),
        tool("Clari", "Forecasting", 30_000, **{**YES5, "works_well": False, "offers_training": None}),
        tool("Sheets", "compensation", None, solves_current_obstacle=True, fits_next_stage=False),
    ])
    review = tooling.tooling_review(settings, "10m_plus")
    table = review.tools
    assert list(table.columns) == list(tooling.REVIEW_COLUMNS)
    assert list(table["verdict"]) == ["keep", "fix or retrain", "replace"]
    assert list(table["score"]) == [5, 3, 1]
    assert list(table["known_answers"]) == [5, 4, 2]
    assert table.loc[1, "offers_training"] is pd.NA
    assert math.isnan(table.loc[2, "annual_cost"]) and table.loc[0, "annual_cost"] == 24_000
    # forecasting matches "Forecasting" case-insensitively; enablement has no tool; compensation only a tool
    # to replace
    assert review.gaps.to_dict("records") == [
        {"category": "enablement", "status": "no tool", "tools": ""},
        {"category": "compensation", "status": "only tools to replace", "tools": "Sheets"},
    ]
    assert review.note == ("3 tool(s) reviewed: 1 keep, 1 fix or retrain, 1 replace; needed at this stage but "
                           "missing or to replace: enablement, compensation.")


def test_gaps_follow_the_stage():
    settings = ToolingSettings(tools=[tool("HubSpot", "crm", **YES5)])
    assert tooling.tooling_review(settings, "under_1m").gaps.empty
    assert list(tooling.tooling_review(settings, "1m_to_10m").gaps["category"]) == ["forecasting", "enablement"]
    custom = ToolingSettings(tools=settings.tools, needed_categories={"under_1m": ["CRM", "engagement"]})
    assert list(tooling.tooling_review(custom, "under_1m").gaps["category"]) == ["engagement"]
    assert custom.needed_categories["10m_plus"] == tooling.DEFAULT_NEEDED_CATEGORIES["10m_plus"]


def test_review_bad_arguments():
    with pytest.raises(ValueError, match="stage must be one of under_1m, 1m_to_10m, 10m_plus"):
        tooling.tooling_review(ToolingSettings(), "huge")
    with pytest.raises(ValueError, match="settings must be a ToolingSettings"):
        tooling.tooling_review([], "under_1m")


# --------------------------------------------------------------------------------------------------
# settings


@pytest.mark.parametrize("bad, words", [
    ({"tools": [tool("", "CRM")]}, ["tools.0.name", "expected non-empty text"]),
    ({"tools": [tool("X", "CRM", works_well="yes")]}, ["tools.0.works_well", "expected true, false or null (unknown)"]),
    ({"tools": [tool("X", "CRM", cost=-5)]}, ["tools.0.annual_cost", "expected an amount of 0 or more (company currency)"]),
    ({"tools": [tool("X", "CRM"), tool("x", "comp")]}, ["listed once each", "['X', 'x']"]),
    ({"tools": [{**tool("X", "CRM"), "price": 5}]}, ["price", "Extra inputs are not permitted"]),
    ({"needed_categories": {"huge": ["CRM"]}}, ["needed_categories", "stage to a list of tool categories (names: under_1m, 1m_to_10m, 10m_plus)"]),
    ({"needed_categories": {"under_1m": "CRM"}}, ["needed_categories.under_1m", "expected a list of tool categories"]),
])
def test_bad_settings(bad, words):
    assert_rejected(ToolingSettings, bad, words)


def test_tool_is_frozen():
    crm = Tool(name="HubSpot", category="CRM")
    with pytest.raises(ValidationError):
        crm.works_well = True
