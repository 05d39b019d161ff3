"""Bring your own data: CRM export presets, derived tables, spelling rules, `salesops check`, and a run on
an opportunities-only export."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
import yaml

from salesops.contract import analyses, derive
from salesops.data.inputs import load_inputs
from salesops.errors import DataError
from salesops.runner import cli
from salesops.runner.check import check_data
from salesops.runner.run import run_quarter
from salesops.plan_params import load_params

from builders import ROOT, folder_params, tiny_export, write_export


def export(tmp_path, text: str, **data):
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    (folder / "opportunities.csv").write_text(text.strip() + "\n", encoding="utf-8")
    return folder, folder_params(folder, **data)


SALESFORCE = """
Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Close Date,Created Date,Forecast Category,Product Name
Dana Smith,Acme,Acme - Fleet,Closed Won,"24,000.00",2/20/2026,1/11/2026,Closed,GTX Pro
Dana Smith,Globex,Globex - Pilot,Closed Lost,"$8,500.00",4/30/2026,3/6/2026,Omitted,GTXPro
Li Wei,Umbrella,Umbrella - Expansion,Proposal/Price Quote,45000,2/15/2027,12/1/2026,Best Case,gtx pro
Li Wei,Hooli,Hooli - New,Negotiation/Review,,1/30/2027,12/11/2026,Commit,Platform
"""

HUBSPOT = """
Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,Pipeline,Associated Company,Forecast category
101,Acme deal,Closed Won,2026-02-20 10:00,Dana Smith,24000,2026-01-11 09:30,Sales Pipeline,Acme,Closed won
102,Globex deal,Closed Lost,2026-04-30 16:45,Dana Smith,8500,2026-03-06 11:00,Sales Pipeline,Globex,Not forecasted
103,Umbrella deal,Contract Sent,2027-02-15 00:00,Li Wei,45000,2026-12-01 08:15,Sales Pipeline,Umbrella,Commit
104,Hooli deal,Appointment Scheduled,2027-03-30 00:00,Li Wei,12000,2026-12-11 14:00,Sales Pipeline,,Pipeline
"""

PIPEDRIVE = """
Deal - ID,Deal - Title,Deal - Owner,Deal - Value,Deal - Currency,Deal - Organization,Deal - Stage,Deal - Status,Deal - Deal created,Deal - Expected close date,Deal - Won time,Deal - Lost time
1,Acme deal,Dana Smith,24000,USD,Acme,Negotiations Started,Won,2026-01-11 09:30:00,2026-02-28,2026-02-20 10:00:00,
2,Globex deal,Dana Smith,8500,USD,Globex,Demo Scheduled,Lost,2026-03-06 11:00:00,2026-05-31,,2026-04-30 16:45:00
3,Umbrella deal,Li Wei,45000,USD,Umbrella,Proposal Made,Open,2026-12-01 08:15:00,2027-02-15,,
"""


def test_salesforce_preset_maps_a_default_opportunity_report(tmp_path):
    folder, params = export(tmp_path, SALESFORCE, preset="salesforce")
    inputs = load_inputs(params)
    opps = inputs.tables["opportunities"]
    assert opps["opportunity_id"].tolist() == ["Acme - Fleet", "Globex - Pilot", "Umbrella - Expansion", "Hooli - New"]
    assert opps["stage"].tolist() == ["closed_won", "closed_lost", "proposal", "negotiate"]
    assert opps["amount"].tolist()[:3] == [24000.0, 8500.0, 45000.0] and pd.isna(opps["amount"][3])
    assert opps["close_date"][0] == pd.Timestamp("2026-02-20")  # US month/day/year
    assert opps["forecast_category"].tolist() == ["closed", "omitted", "best_case", "commit"]
    # spellings unified to the most frequent one (GTX Pro, GTXPro and gtx pro share a key; ties -> alphabetical)
    assert opps["product"].tolist() == ["GTX Pro", "GTX Pro", "GTX Pro", "Platform"]
    assert inputs.tables["reps"]["rep_id"].tolist() == ["Dana Smith", "Li Wei"]
    assert inputs.tables["accounts"]["name"].tolist() == ["Acme", "Globex", "Hooli", "Umbrella"]
    assert inputs.derived == {"reps", "accounts"}
    assert inputs.adjustments["rule"].tolist() == ["reps_derived", "accounts_derived", "product_spellings_unified"]


def test_hubspot_preset_maps_a_default_deals_export(tmp_path):
    _, params = export(tmp_path, HUBSPOT, preset="hubspot")
    opps = load_inputs(params).tables["opportunities"]
    assert opps["opportunity_id"].tolist() == ["101", "102", "103", "104"]
    assert opps["stage"].tolist() == ["closed_won", "closed_lost", "negotiate", "qualify"]
    assert opps["rep_id"].tolist() == ["Dana Smith", "Dana Smith", "Li Wei", "Li Wei"]
    assert opps["account_id"].isna().tolist() == [False, False, False, True]
    assert opps["forecast_category"].tolist() == ["closed", "omitted", "commit", "pipeline"]
    assert opps["created_date"][0] == pd.Timestamp("2026-01-11")


def test_pipedrive_preset_turns_status_into_closed_stages(tmp_path):
    _, params = export(tmp_path, PIPEDRIVE, preset="pipedrive")
    opps = load_inputs(params).tables["opportunities"]
    assert opps["stage"].tolist() == ["closed_won", "closed_lost", "proposal"]
    assert opps["max_stage"].tolist()[:2] == ["negotiate", "demo"]  # the stage each deal was in when it closed
    # close date: the won / lost time of closed deals, the expected close date of open ones
    assert opps["close_date"].tolist() == [pd.Timestamp("2026-02-20"), pd.Timestamp("2026-04-30"),
                                          pd.Timestamp("2027-02-15")]
    assert opps["is_won"].tolist() == [True, False, False]


def test_params_override_the_preset(tmp_path):
    text = HUBSPOT.replace("Contract Sent", "Verbal Yes")
    _, params = export(tmp_path, text, preset="hubspot",
                       values={"opportunities": {"stage": {"Verbal Yes": "negotiate"}}})
    assert load_inputs(params).tables["opportunities"]["stage"][2] == "negotiate"


def test_unknown_preset_is_rejected(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"data": {"preset": "sugarcrm"}}))
    with pytest.raises(ValueError, match=r"data\.preset: Input should be 'salesforce', 'hubspot', 'pipedrive', "
                                         r"'dynamics' or 'zoho'"):
        load_params("2027Q1", path, ROOT)


def test_unify_spellings_prefers_the_products_table():
    values = pd.Series(["GTXPro", "gtx-pro", "Edge", None], dtype="string")
    unified = derive.unify_spellings(values, preferred=pd.Series(["GTX Pro"], dtype="string"))
    assert unified.tolist()[:3] == ["GTX Pro", "GTX Pro", "Edge"] and pd.isna(unified[3])
    assert values.tolist()[0] == "GTXPro"  # input untouched


def test_without_an_accounts_table_the_accounts_leads_name_are_derived_too(tmp_path):
    tables = {name: frame for name, frame in tiny_export().items() if name != "accounts"}
    tables["leads"] = pd.DataFrame({"lead_id": ["L1", "L2"], "created_date": ["2025-12-01", "2026-04-02"],
                                    "account_id": ["A1", "A9"]})  # no deal names A9
    inputs = load_inputs(folder_params(write_export(tmp_path / "export", tables)))
    accounts = inputs.tables["accounts"]
    assert accounts["account_id"].tolist() == ["A1", "A2", "A3", "A9"]
    # created the first day a deal or a lead named it: A1's lead came before its first deal (2026-01-05)
    assert accounts["created_date"].tolist() == [pd.Timestamp(d) for d in
                                                 ("2025-12-01", "2026-02-10", "2026-03-01", "2026-04-02")]
    assert inputs.derived == {"accounts"}


def test_closed_deal_needs_a_close_date_and_won_deal_an_amount(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[0, "close_date"] = ""  # won deal O1
    tables["opportunities"].loc[2, "amount"] = ""  # won deal O3
    tables["opportunities"].loc[3, "amount"] = ""  # open deal O4: allowed
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError) as error:
        load_inputs(folder_params(folder))
    message = str(error.value)
    assert "column 'close_date': 1 row are empty (row 2; values 'closed_won')" in message
    assert "column 'amount': 1 row are empty (row 4; values 'closed_won')" in message
    assert "row 5" not in message


def test_analyses_say_what_they_need():
    tables = {k: v for k, v in tiny_export().items() if k in ("opportunities", "reps")}
    supported = analyses.availability(tables, derived=set())
    by_name = supported.set_index("analysis")
    assert by_name.loc["Bookings and pipeline KPIs", "available"]
    assert by_name.loc["Activity KPIs", "missing"] == "the activities table"
    assert by_name.loc["Top vs bottom performers", "missing"] == "the activities table"
    assert analyses.missing_sentence(supported, "Lead scoring") == (
        "This section would show a score and grade for every open lead, and how accurate they are. "
        "Add the leads table to see it.")


# -- salesops check --------------------------------------------------------------------------------


def check(folder, **data):
    return check_data(folder_params(folder, **data))


def test_check_on_good_data(export_dir):
    report = check(export_dir)
    text = report.text()
    assert report.ok and text.endswith("The data can run.")
    assert "opportunities (opportunities.csv): canonical opportunity_id" in text
    assert "no   Lead scoring (add the leads table)" in text and "yes  Activity KPIs" in text


@pytest.mark.parametrize("table, column, position, value, expected", [
    ("opportunities", "created_date", 1, "soon", "hold a date that cannot be read"),
    ("opportunities", "amount", 2, "-5", "hold a negative number"),
    ("opportunities", "opportunity_id", 4, "O1", "repeat a key already used"),
    ("opportunities", "account_id", 1, "A404", "point to an id that does not exist"),
    ("opportunities", "close_date", 0, "2025-12-31", "have dates in the wrong order"),
    ("opportunities", "stage", 3, "Verbal Yes", "hold a value absent from the value mapping"),
])
def test_check_reports_each_bad_input_like_a_run(tmp_path, table, column, position, value, expected):
    tables = tiny_export()
    tables[table].loc[position, column] = value
    folder = write_export(tmp_path / "export", tables)
    report = check(folder)
    assert not report.ok
    assert f"column '{column}'" in report.text() and expected in report.text()
    with pytest.raises(DataError, match=expected):  # the run says the same
        load_inputs(folder_params(folder))


def test_check_with_quarantine_can_run(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[2, "amount"] = "-5"
    folder = write_export(tmp_path / "export", tables)
    report = check(folder, on_row_error="quarantine", max_reject_share=0.5)
    assert report.ok and "opportunities: 20.0% of the rows" in report.text()


@pytest.mark.parametrize("setup, expected", [
    ("empty", "no opportunities table in"),
    ("header_only", "opportunities.csv has no data rows"),
    ("not_utf8", "is not utf-8 text"),
    ("missing_column", "required column 'amount'"),
])
def test_check_reports_table_level_problems(tmp_path, setup, expected):
    folder = tmp_path / "export"
    folder.mkdir()
    if setup == "header_only":
        (folder / "opportunities.csv").write_text("opportunity_id,rep_id,created_date,close_date,stage,amount\n")
    elif setup == "not_utf8":
        (folder / "opportunities.csv").write_bytes("opportunity_id,rep_id\nO1,Ren\xe9\n".encode("cp1252"))
    elif setup == "missing_column":
        tiny_export()["opportunities"].drop(columns="amount").to_csv(folder / "opportunities.csv", index=False)
    report = check(folder)
    assert not report.ok and expected in report.text()


def test_check_command_exit_codes(export_dir, tmp_path, capsys, monkeypatch):
    # in this process (a second apiece less than a new interpreter); test_report_folder runs `python -m salesops`
    monkeypatch.chdir(ROOT)
    assert cli.main(["check", "--data", str(export_dir)]) == 0
    assert "The data can run." in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert cli.main(["check", "--data", str(tmp_path / "empty")]) == 1
    assert "no opportunities table" in capsys.readouterr().out


# -- a run on an opportunities-only export ---------------------------------------------------------


@pytest.mark.e2e
def test_run_on_opportunities_only_explains_every_skipped_section(tmp_path):
    folder, _ = export(tmp_path, SALESFORCE)
    params = tmp_path / "sf.yaml"
    params.write_text(yaml.safe_dump({"data": {"preset": "salesforce"}}))
    index = run_quarter("2027Q1", params_path=params, data_dir=folder, out_dir=tmp_path / "report", log=lambda _: None)
    page = (tmp_path / "report" / "01_collect.html").read_text()
    for sentence in ("This section would show what top reps do differently",
                     "There is no leads table, so no lead can be scored",
                     "This section would show emails, calls, meetings, demos, proposals and selling time"):
        assert sentence in page
    summary = index.read_text()
    assert "Not shown this quarter" in summary
    assert "Lead scoring would show a score and grade for every open lead" in summary
    assert "derived from opportunities" in page
    for step, sentence in (("03_supply", "This section would show safety stock, reorder point"),
                           ("03_supply", "This section would show capacity that counts each rep's ramp"),
                           ("04_align", "This section would show every account assigned to one rep"),
                           ("04_align", "This section would show open leads routed to reps"),
                           ("04_align", "This section would show payouts simulated from past attainment")):
        assert sentence in (tmp_path / "report" / f"{step}.html").read_text(), (step, sentence)
    assert "Territories would show every account assigned to one rep" in summary
    assert (tmp_path / "report" / "plan.xlsx").exists()


@pytest.mark.e2e
def test_no_action_or_training_comes_from_the_performers_section_the_page_does_not_show(tmp_path):
    from salesops.data.sample import write_sample

    folder = tmp_path / "export"
    write_sample(folder, "2026-12-31", scale=0.2)  # enough reps and activities for a top-vs-bottom comparison
    reps = pd.read_parquet(folder / "reps.parquet")
    reps.drop(columns="hire_date").to_parquet(folder / "reps.parquet")  # performers need hire dates: not shown
    run_quarter("2027Q1", data_dir=folder, out_dir=tmp_path / "report", log=lambda _: None)
    data = tmp_path / "report" / "data"
    assert "Add hire_date in reps to see it" in (tmp_path / "report" / "01_collect.html").read_text()
    assert pd.read_parquet(data / "coaching.parquet").empty
    actions = pd.read_parquet(data / "actions.parquet")
    assert not actions["source"].astype(str).str.contains("performers").any()
    onboarding = pd.read_parquet(data / "onboarding.parquet")
    assert len(onboarding) == 2  # the two modules every new hire takes, none from an unshown comparison
