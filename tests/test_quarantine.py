"""Quarantine shows the cause: every set-aside row carries its root cause, the page groups rows by it and
states the won bookings set aside, and ``data.max_reject_share`` also limits the won bookings set aside.
Personal data never reaches a page or an artifact."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from salesops.contract import quarantine
from salesops.collect import overview as collect_overview
from salesops.contract import privacy
from salesops.contract.validation import REJECT_COLUMNS
from salesops.data.inputs import load_inputs
from salesops.errors import DataError
from salesops.paths import project_paths
from salesops.report import pages, present
from salesops.runner.step import Step, artifact_columns
from salesops.plan_params import load_params

from builders import ROOT, folder_params, tiny_export, write_export


def cascade_export(tmp_path):
    """The tiny export with account A2 (accounts.csv row 3) broken and deal O2 won (25,000 of 75,000 won):
    A2's deals O2 and O5 lose their account, and the activities X3 and X4 of those deals lose their deal.
    Deal O4 names an account A404 that never existed: a cause of its own."""
    tables = tiny_export()
    tables["accounts"].loc[1, "employees"] = "many"
    tables["opportunities"].loc[1, "stage"] = "Closed Won"
    tables["opportunities"].loc[1, "forecast_category"] = "closed"
    tables["opportunities"].loc[3, "account_id"] = "A404"
    return write_export(tmp_path / "export", tables)


def quarantined(folder, share=0.6):
    return load_inputs(folder_params(folder, on_row_error="quarantine", max_reject_share=share))


def test_each_set_aside_row_names_its_root_cause(tmp_path):
    rejects = quarantined(cascade_export(tmp_path)).rejects
    got = rejects[["table", "row", "column", "value", "cause_table", "cause_row", "is_cause", "won_deal",
                   "won_amount"]]
    expected = pd.DataFrame([
        ("accounts", 3, "employees", "many", "accounts", 3, True, False, None),
        ("activities", 4, "opportunity_id", "O2", "accounts", 3, False, False, None),  # via O2, two levels down
        ("activities", 5, "opportunity_id", "O5", "accounts", 3, False, False, None),
        ("opportunities", 3, "account_id", "A2", "accounts", 3, False, True, 25000.0),
        ("opportunities", 5, "account_id", "A404", "opportunities", 5, True, False, None),  # A404 never existed
        ("opportunities", 6, "account_id", "A2", "accounts", 3, False, False, None),
    ], columns=got.columns).astype({"table": "string", "column": "string", "value": "string",
                                    "cause_table": "string", "won_amount": "float64"})
    pd.testing.assert_frame_equal(got, expected)
    causes = rejects.drop_duplicates("cause_row")["cause"].tolist()
    assert causes[0].startswith("accounts.csv row 3: employees 'many' holds ")
    assert rejects.set_index(["table", "row"]).loc[("opportunities", 5), "cause"] == (
        "opportunities.csv row 5: account_id 'A404' points to an id that does not exist")


def test_rejects_by_cause_counts_per_table_and_won_bookings(tmp_path):
    inputs = quarantined(cascade_export(tmp_path))
    causes = quarantine.rejects_by_cause(inputs.rejects)
    assert causes[["cause_table", "cause_row", "rows", "because_of_it", "won_deals", "won_value"]].values.tolist() == [
        ["accounts", 3, 5, "opportunities 2 · activities 2", 1, 25000.0],
        ["opportunities", 5, 1, "", 0, 0.0],
    ]
    won = quarantine.won_set_aside(inputs.rejects, inputs.tables["opportunities"])
    # won deals kept: O1 10,000 and O3 40,000; set aside: O2 25,000
    assert (won.deals, won.value, won.total) == (1, 25000.0, 75000.0)
    assert won.share == pytest.approx(1 / 3)


def test_won_deal_whose_amount_is_the_problem_adds_no_value(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[2, "amount"] = "-40000"  # won deal O3
    inputs = quarantined(write_export(tmp_path / "export", tables), share=0.5)
    won = quarantine.won_set_aside(inputs.rejects, inputs.tables["opportunities"])
    assert (won.deals, won.value, won.total, won.share) == (1, 0.0, 10000.0, 0.0)


def test_max_reject_share_also_limits_the_won_bookings_set_aside(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[2, "created_date"] = "soon"  # won deal O3: 40,000 of 50,000 won
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError) as error:
        quarantined(folder, share=0.5)  # 1 of 5 opportunities (20%) is within it; 80% of won bookings is not
    message = str(error.value)
    assert ("1 won deal worth 40,000 (company currency) would be set aside: 80.0% of all won bookings (50,000), "
            "more than data.max_reject_share (50%)") in message
    assert "opportunities.csv row 4: created_date 'soon' holds a date that cannot be read" in message
    assert quarantined(folder, share=0.8).rejects["won_amount"].tolist() == [40000.0]


def test_the_table_limit_names_the_root_causes(tmp_path):
    with pytest.raises(DataError) as error:
        quarantined(cascade_export(tmp_path), share=0.5)
    message = str(error.value)
    assert ("opportunities.csv: 3 of 5 rows (60%) break the data contract, more than data.max_reject_share (50%); "
            "2 of them only because a row they point to was set aside (root causes below)") in message
    assert "Root causes, largest first:\n  - accounts.csv row 3: employees 'many' holds" in message
    assert "5 rows set aside (itself, then because of it: opportunities 2 · activities 2), 1 won deal worth 25,000" \
        in message


def test_rejects_section_groups_rows_by_cause_and_states_the_won_bookings(tmp_path):
    inputs = quarantined(cascade_export(tmp_path))
    won = quarantine.won_set_aside(inputs.rejects, inputs.tables["opportunities"])
    page = present.rejects(inputs.rejects, quarantine.rejects_by_cause(inputs.rejects), won, "USD").data
    assert ("6 rows set aside, from 2 root causes; among them 1 won deal worth $25k, 33.3% of all won bookings"
            in page)
    # the detail table: the bad account row first, then what went because of it, then the other cause
    detail = page[page.index("each root cause first"):]
    order = [detail.index(text) for text in ("(the cause)", "accounts row 3", "A404")]
    assert order == sorted(order)
    assert detail.index("many") < detail.index("O2") < detail.index("A404")


def test_set_aside_finding_and_index_warning_above_one_percent(tmp_path):
    below = quarantine.WonSetAside(deals=1, value=100.0, total=10000.0, share=0.01)
    above = quarantine.WonSetAside(deals=42, value=797000.0, total=22771428.0, share=0.035)
    assert collect_overview.set_aside_findings(below, "USD") == []
    assert collect_overview.set_aside_metrics(below, "USD") == []
    assert collect_overview.set_aside_findings(above, "USD") == [
        "3.5% of all won bookings (42 won deals worth $797k) were set aside with rows that break the data contract, "
        "so bookings, win rates and the forecast are that much too low: fix the root causes listed under data "
        "quality and run again."]
    metric = collect_overview.set_aside_metrics(above, "USD")[0]
    step = {"title": "Collect", "page": "01_collect.html", "analyst_page": "analyst/01_collect.html",
            "findings": [], "skipped": [],
            "metrics": [{"label": metric.label, "display": metric.display, "value": metric.value, "note": metric.note}]}
    summary = {"title": "Align", "metrics": [], "findings": ["Plan sentence."], "skipped": []}
    context = {"summary": summary, "steps": [step], "top_actions": [], "company": "Acme", "quarter": "2027Q1",
               "currency": "USD"}
    page = pages.write_index(tmp_path / "index.html", context).read_text()
    assert "Data warning: 3.5% of all won bookings</strong> — 42 won deals worth $797k set aside" in page
    quiet = pages.write_index(tmp_path / "quiet.html", {**context, "steps": [{**step, "metrics": []}]}).read_text()
    assert "Data warning" not in quiet


# -- personal data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name, table, personal", [
    ("email", "leads", True), ("E-mail", "leads", True), ("Contact Email", "accounts", True),
    ("work_phone", "leads", True), ("Mobile Phone", "leads", True), ("Phone 2", "leads", True),
    ("Email (work)", "leads", True), ("First Name", "leads", True), ("Last Name", "reps", True),
    ("name", "leads", True), ("name", "accounts", False), ("name", "reps", False),
    ("email_opens", "leads", False), ("Email Replies", "leads", False), ("Phone Calls", "leads", False),
    ("company", "leads", False), ("title", "leads", False), ("notes", "leads", False),
])
def test_personal_columns_by_contract_or_name(name, table, personal):
    assert privacy.is_personal(table, name) is personal


def test_mask_keeps_no_personal_value():
    assert privacy.mask("jane.doe@acme.com") == "j•••@•••.com"
    assert privacy.mask("+1 555 0100") == "(hidden: personal data)"
    assert privacy.mask(None) == "" and privacy.mask(float("nan")) == ""


def test_an_email_in_a_rejected_row_never_reaches_the_rejects(tmp_path):
    tables = tiny_export()
    tables["leads"] = pd.DataFrame({
        "lead_id": ["L1", "dana@acme.example", "dana@acme.example"],  # a duplicate key that is an e-mail address
        "created_date": ["2026-01-02", "2026-01-03", "2026-01-04"],
        "email": ["lee@globex.example", "dana@acme.example", "dana@acme.example"],
        "phone": ["+1 555 0100", "+1 555 0101", "+1 555 0101"],
    })
    inputs = quarantined(write_export(tmp_path / "export", tables), share=0.5)
    text = inputs.rejects.astype(str).to_csv()
    assert "dana" not in text and "acme.example" not in text
    assert inputs.rejects["value"].tolist() == ["d•••@•••.example"]
    page = present.rejects(inputs.rejects, quarantine.rejects_by_cause(inputs.rejects),
                           quarantine.won_set_aside(inputs.rejects, inputs.tables["opportunities"])).data
    assert "dana" not in page and "d•••@•••.example" in page


def test_rejects_section_masks_a_personal_column_it_is_given():
    frame = pd.DataFrame({"table": ["leads"], "row": [3], "column": ["phone"], "problem": ["invalid_value"],
                          "value": ["+1 555 0199"], "message": ["m"]})
    page = present.rejects(frame).to_html()
    assert "555" not in page and "(hidden: personal data)" in page


def test_table_artifacts_keep_only_columns_the_analyses_read(tmp_path):
    leads = pd.DataFrame({"lead_id": ["L1"], "created_date": [pd.Timestamp("2026-01-02")], "email": ["a@b.com"],
                          "phone": ["+1 555"], "Contact Email": ["c@d.com"], "Mobile": ["+44 7700"],
                          "First Name": ["Ann"], "email_replies": [3], "notes": ["call back"], "country": ["DE"]})
    default = load_params("2027Q1", None, ROOT)
    assert artifact_columns("leads", leads.columns, default) == ["lead_id", "created_date"]
    path = tmp_path / "q.yaml"  # a model feature and an ICP dimension read from extra columns
    path.write_text(yaml.safe_dump({"scoring": {"numeric_features": ["employees", "email_replies"]},
                                    "icp": {"dimensions": ["industry", "country"]}}))
    own = load_params("2027Q1", path, ROOT)
    assert artifact_columns("leads", leads.columns, own) == ["lead_id", "created_date", "email_replies", "country"]
    step = Step("01_collect", default, project_paths(), tmp_path / "data", None)
    (tmp_path / "data").mkdir()
    export = tiny_export()["opportunities"]  # as validated: dates and amounts parsed (the catalog checks kinds)
    opportunities = export.astype({"amount": float}).assign(
        created_date=pd.to_datetime(export["created_date"]), close_date=pd.to_datetime(export["close_date"]),
        **{"Contact Phone": "+1 555 0100", "Deal Notes": "x"})
    step.write_tables({"leads": leads, "opportunities": opportunities}, pd.DataFrame(columns=REJECT_COLUMNS))
    assert list(pd.read_parquet(tmp_path / "data" / "table_leads.parquet").columns) == ["lead_id", "created_date"]
    assert "Contact Phone" not in pd.read_parquet(tmp_path / "data" / "table_opportunities.parquet").columns
    assert list(leads.columns)[2] == "email"  # the input frame is untouched
