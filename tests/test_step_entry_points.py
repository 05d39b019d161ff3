"""One-call step entry points: ``present.section`` (a section's table, chart or sentences, or the sentence
saying why it is empty) and the helpers of ``align.workflow`` that decide what step 4's page shows."""

from __future__ import annotations

from types import SimpleNamespace

import nbformat
import pandas as pd

from salesops.align import workflow as align_workflow
from salesops.report import present

from conftest import ROOT


def test_section_shows_the_reason_when_there_is_nothing_to_show_and_nothing_without_a_reason():
    assert present.section(None, "There is no leads table.").data == present.callout("There is no leads table.").data
    assert present.section(None) is None
    assert present.section(None, "") is None


def test_section_shows_a_frame_as_a_table_a_chart_or_sentences_as_bullets():
    frame = pd.DataFrame({"segment": ["SMB"], "quota": [1200.0]})
    shown = present.section(frame, "unused", "EUR", money_columns=["quota"], caption="Quotas")
    assert shown.to_html() == present.table(frame, "EUR", money_columns=["quota"], caption="Quotas").to_html()
    assert present.section(frame, "", "a title", chart=lambda data, title: (len(data), title)) == (1, "a title")
    assert present.section(["One.", "Two."]).data == present.bullets(["One.", "Two."]).data


def _result(**fields) -> SimpleNamespace:
    return SimpleNamespace(**{"hiring_plan": pd.DataFrame({"hires": []}), "payouts": None, "expected": None,
                              "assignment": None, "balance": None, "compensation_reason": "",
                              "review": SimpleNamespace(tools=pd.DataFrame(), note="List your tools."),
                              **fields})


def test_align_sections_without_data_give_none_so_the_page_shows_their_reason():
    empty = _result()
    assert align_workflow.planned_hires(empty) is None
    assert align_workflow.payout_total(empty) is None
    assert align_workflow.routing_sentences(empty) is None
    assert align_workflow.assignment_rules(empty) is None and align_workflow.balance_summary(empty) is None
    assert align_workflow.tools_table(empty) is None
    assert align_workflow.statements_table(_result(compensation_reason="Compensation needs reps.")) is None


def test_align_sections_with_data():
    payouts = pd.DataFrame({"rep_id": ["R1", "total"], "target_variable": [10.0, 10.0], "expected_payout": [4.0, 9.0]})
    assignment = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "rule": ["kept", "kept", "moved"],
                               "potential": [1.0, 2.0, 5.0]})
    statements = pd.DataFrame({"quarter": ["2026Q4"] * 2, "role": ["AE"] * 2, "target_variable": [1.0, 1.0],
                               "rep_id": ["R1", "R2"], "quota": [10.0, 10.0], "bookings": [5.0, 12.0],
                               "attainment": [0.5, 1.2], "payout_tier_1": [1.0, 2.0], "total_payout": [1.0, 2.0],
                               "capped": [False, False], "note": ["", ""]})
    result = _result(hiring_plan=pd.DataFrame({"hires": [2]}), payouts=payouts, assignment=assignment,
                     statements=statements)
    assert len(align_workflow.planned_hires(result)) == 1
    pd.testing.assert_frame_equal(align_workflow.payout_total(result),
                                  pd.DataFrame({"expected_payout": [9.0]}, index=[1]))
    pd.testing.assert_frame_equal(align_workflow.assignment_rules(result),
                                  pd.DataFrame({"rule": ["kept", "moved"], "accounts": [2, 1], "potential": [3.0, 5.0]}))
    assert align_workflow.statement_money_columns(result) == ["quota", "bookings", "payout_tier_1", "total_payout"]
    shown = align_workflow.statements_table(result)
    assert shown["rep_id"].tolist() == ["R2", "R1"]  # highest attainment first
    assert "capped" not in shown and "note" not in shown  # blank columns dropped
    assert "quarter" in statements  # the input frame is untouched


def test_align_notebook_only_calls_and_shows():
    notebook = nbformat.read(ROOT / "notebooks" / "04_align.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert " if " not in code and "step.read" not in code and "step.write" not in code
