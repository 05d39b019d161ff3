"""CRM presets on tiny exports written with each CRM's documented column names and default stage labels: every
table a preset maps, the ids as each CRM writes them (placeholders, ids of another kind of record), date-times,
booleans, and the params' overrides of a preset's stage mapping."""

from __future__ import annotations

from textwrap import dedent

import pandas as pd
import pytest

from salesops.collect import quality
from salesops.contract.validation import MappingRules, validate_tables
from salesops.demand import workflow as demand_workflow
from salesops.data.files import read_table_file
from salesops.data.settings import DataParams
from salesops.errors import DataError
from salesops.runner.check import check_data

from builders import folder_params


def validated(tmp_path, preset, files: dict[str, str], timezone="UTC", **data):
    """The export ``files`` (table → CSV text) written, read back and validated under ``preset`` and ``data``
    params (no other params: the preset's own mapping)."""
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    for table, text in files.items():
        (folder / f"{table}.csv").write_text(dedent(text).strip() + "\n", encoding="utf-8")
    raw = {table: read_table_file(folder / f"{table}.csv") for table in files}
    rules = MappingRules.from_params(DataParams(preset=preset, **data), timezone=timezone)
    return validate_tables(raw, {table: f"{table}.csv" for table in files}, rules)


def values(frame: pd.DataFrame, column: str) -> list:
    """A column as plain Python values, missing ones as None."""
    return [None if pd.isna(v) else v for v in frame[column].tolist()]


def days(*texts) -> list:
    return [None if t is None else pd.Timestamp(t) for t in texts]


# -- Salesforce: Data Export / Data Loader files with API names ------------------------------------------

O1, O2, O3 = "0061U00000ABC01AAA", "0061U00000ABC02AAA", "0061U00000ABC03AAA"
U1, U2, U3 = "0051U00000USR01AAA", "0051U00000USR02AAA", "0051U00000USR03AAA"
A1, EMPTY = "0011U00000ACC01AAA", "000000000000000AAA"

SALESFORCE_DATA_EXPORT = {
    "opportunities": f"""
        Id,OwnerId,AccountId,Name,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon,ForecastCategoryName,LeadSource,Type
        {O1},{U1},{A1},Acme - Fleet,Closed Won,24000,2026-02-20,2026-01-11T03:00:00.000Z,true,true,Closed,Web,New Business
        {O2},{U1},{EMPTY},Globex - Pilot,Closed Lost,8500,2026-04-30,2026-03-06T15:00:00.000Z,true,false,Omitted,Partner,New Business
        {O3},{U2},{A1},Acme - Expansion,Negotiation/Review,45000,2027-02-15,2026-12-01T12:00:00.000Z,false,false,Commit,Web,Existing Business
    """,
    "reps": f"""
        Id,Name,UserRole.Name,ManagerId,IsActive
        {U1},Dana Smith,Eastern Sales Team,{U3},true
        {U2},Li Wei,Eastern Sales Team,{U3},true
        {U3},Ana Ruiz,VP North American Sales,{EMPTY},true
    """,
    "accounts": f"""
        Id,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry,BillingState,OwnerId,CreatedDate
        {A1},Acme,Manufacturing,420,56000000,USA,OH,{U1},2025-05-17T16:00:00.000Z
    """,
    "activities": f"""
        Id,OwnerId,WhatId,ActivityDate,CreatedDate,TaskSubtype,Type,CallDurationInSeconds,Status
        00T1U00000TSK01AAA,{U1},{O1},2026-01-20,2026-01-19T10:00:00.000Z,Task,Call,1800,Completed
        00T1U00000TSK02AAA,{U1},{A1},2026-01-21,2026-01-19T10:00:00.000Z,Email,,,Completed
        00T1U00000TSK03AAA,{U2},{EMPTY},2026-01-22,2026-01-19T10:00:00.000Z,Call,,90,Completed
    """,
    "leads": f"""
        Id,CreatedDate,LeadSource,Company,Industry,NumberOfEmployees,Status,IsConverted,ConvertedDate,ConvertedOpportunityId,OwnerId,Email,Phone
        00Q1U00000LEA01AAA,2025-12-01T10:00:00.000Z,Web,Acme,Manufacturing,420,Closed - Converted,true,2026-01-10,{O1},{U1},dana@acme.example,+1 555 0100
        00Q1U00000LEA02AAA,2025-12-02T10:00:00.000Z,Partner,Initech,Software,80,Closed - Converted,true,2026-01-12,{EMPTY},{U2},bill@initech.example,
        00Q1U00000LEA03AAA,2025-12-03T10:00:00.000Z,Web,Hooli,,,Open - Not Contacted,false,,,{U2},,
    """,
}
# A user's role hierarchy is the organisation's own: the params map it (the preset does not).
SALESFORCE_ROLES = dict(columns={"reps": {"UserRole.Name": "role"}},
                        values={"reps": {"role": {"Eastern Sales Team": "AE", "VP North American Sales": "MANAGER"}}})


@pytest.fixture(scope="module")
def salesforce_export(tmp_path_factory):
    return validated(tmp_path_factory.mktemp("salesforce"), "salesforce", SALESFORCE_DATA_EXPORT,
                     timezone="America/New_York", **SALESFORCE_ROLES)


def test_salesforce_preset_maps_data_export_files_by_api_name(salesforce_export):
    result = salesforce_export
    opps = result.tables["opportunities"]
    assert values(opps, "opportunity_id") == [O1, O2, O3]
    assert values(opps, "rep_id") == [U1, U1, U2]
    assert values(opps, "stage") == ["closed_won", "closed_lost", "negotiate"]
    assert values(opps, "is_won") == [True, False, False] and values(opps, "is_closed") == [True, True, False]
    assert values(opps, "forecast_category") == ["closed", "omitted", "commit"]
    # 03:00 UTC on 11 January is 22:00 on the 10th in New York; the ISO close dates survive the US date format
    assert values(opps, "created_date") == days("2026-01-10", "2026-03-06", "2026-12-01")
    assert values(opps, "close_date") == days("2026-02-20", "2026-04-30", "2027-02-15")
    assert values(opps, "account_id") == [A1, None, A1]  # Salesforce's empty id is no account

    reps = result.tables["reps"]
    assert values(reps, "rep_id") == [U1, U2, U3] and values(reps, "name") == ["Dana Smith", "Li Wei", "Ana Ruiz"]
    assert values(reps, "manager_id") == [U3, U3, None] and values(reps, "role") == ["AE", "AE", "MANAGER"]

    account = result.tables["accounts"].iloc[0]
    assert (account["account_id"], account["name"], account["industry"], account["employees"],
            account["annual_revenue"], account["country"], account["region"], account["owner_rep_id"],
            account["created_date"]) == (A1, "Acme", "Manufacturing", 420, 56_000_000.0, "USA", "OH", U1,
                                         pd.Timestamp("2025-05-17"))

    activities = result.tables["activities"]
    assert values(activities, "type") == ["call", "email", "call"]  # a Task takes its Type: Call
    assert values(activities, "opportunity_id") == [O1, None, None]  # an account (001...) and an empty id
    assert values(activities, "duration_minutes") == [30.0, None, 1.5]  # CallDurationInSeconds / 60
    assert values(activities, "timestamp") == days("2026-01-20", "2026-01-21", "2026-01-22")

    leads = result.tables["leads"]
    # converted: the lead names an opportunity (the second was converted to an account only)
    assert values(leads, "converted") == [True, False, False]
    assert values(leads, "source") == ["Web", "Partner", "Web"] and values(leads, "employees") == [420, 80, None]
    assert values(leads, "status")[0] == "Closed - Converted" and values(leads, "owner_rep_id") == [U1, U2, U2]

    assert result.adjustments[["table", "column", "rule", "rows"]].values.tolist() == [
        ["reps", "manager_id", "placeholder_ids_emptied", 1],
        ["opportunities", "account_id", "placeholder_ids_emptied", 1],
        ["activities", "opportunity_id", "placeholder_ids_emptied", 1],
        ["activities", "opportunity_id", "other_kind_ids_emptied", 1],
    ]
    assert f"'{A1}' (the id of another kind of record: ids of this column start with 006)" in \
        result.adjustments["detail"].iloc[3]


def test_ids_read_as_empty_are_counted_by_the_data_quality_audit(salesforce_export):
    result = salesforce_export
    checks = quality.audit_checks(result.tables, result.rejects, "2026-12-31", adjustments=result.adjustments)
    read = checks[checks["check"].isin(["placeholder_ids_emptied", "other_kind_ids_emptied"])]
    assert read[["table", "check", "severity", "rows_affected", "rows_total"]].values.tolist() == [
        ["reps", "placeholder_ids_emptied", "info", 1, 3],
        ["opportunities", "placeholder_ids_emptied", "info", 1, 3],
        ["activities", "placeholder_ids_emptied", "info", 1, 3],
        ["activities", "other_kind_ids_emptied", "info", 1, 3],
    ]
    assert quality.fix_list(read, top=None).empty  # a rule the workbook applied is no fix to ask for


def test_salesforce_preset_reads_data_loader_relationship_columns(tmp_path):
    result = validated(tmp_path, "salesforce", {
        "opportunities": """
            External_Id__c,Owner.External_Id__c,Account.Id,StageName,Amount,CloseDate,CreatedDate,ForecastCategoryName
            W_Opportunity.1,W_User.1,0011U00000ACC01AAA,Proposal/Price Quote,1000,3/31/2026,2026-01-05 09:00:00,BestCase
            W_Opportunity.2,W_User.2,,Id. Decision Makers,2000,2026-04-30,2026-01-06,Forecast
        """,
        "activities": """
            External_Id__c,Owner.Id,What.External_Id__c,ActivityDateTime,EventSubtype,DurationInMinutes
            W_Event.1,W_User.1,W_Opportunity.2,2026-02-03 14:30:00,Event,45
        """,
    })
    opps = result.tables["opportunities"]
    assert values(opps, "opportunity_id") == ["W_Opportunity.1", "W_Opportunity.2"]
    assert values(opps, "rep_id") == ["W_User.1", "W_User.2"]
    assert values(opps, "stage") == ["proposal", "demo"]
    assert values(opps, "forecast_category") == ["best_case", "commit"]  # API values: BestCase, Forecast (Commit)
    assert values(opps, "close_date") == days("2026-03-31", "2026-04-30")  # US and ISO dates in one column
    activity = result.tables["activities"].iloc[0]
    assert (activity["opportunity_id"], activity["type"], activity["duration_minutes"], activity["timestamp"]) == (
        "W_Opportunity.2", "meeting", 45.0, pd.Timestamp("2026-02-03 14:30"))
    assert result.adjustments["rule"].tolist() == ["reps_derived", "accounts_derived"]  # external ids left alone


def test_salesforce_products_from_product2(tmp_path):
    result = validated(tmp_path, "salesforce", {
        "opportunities": """
            Id,OwnerId,StageName,Amount,CloseDate,CreatedDate
            0061U00000ABC01AAA,U1,Prospecting,10,2026-03-31,2026-01-05
        """,
        "products": """
            Name,Family,ProductCode
            Tires and Wheels,Tires & Wheels,W_Product.1
        """,
    }, columns={"products": {"ProductCode": "kind"}}, values={"products": {"kind": {"W_Product.1": "hardware"}}})
    product = result.tables["products"].iloc[0]
    assert (product["product"], product["family"]) == ("Tires and Wheels", "Tires & Wheels")


# -- HubSpot ------------------------------------------------------------------------------------------------


def test_hubspot_preset_maps_deals_by_internal_name_and_default_stage_ids(tmp_path):
    result = validated(tmp_path, "hubspot", {"opportunities": """
        hs_object_id,dealname,dealstage,pipeline,hubspot_owner_id,amount,createdate,closedate
        101,Acme deal,appointmentscheduled,default,901,1000,2026-01-11T09:30:00.000Z,2026-03-31T00:00:00Z
        102,Globex deal,qualifiedtobuy,default,901,2000,2026-01-12T09:30:00.000Z,2026-03-31T00:00:00Z
        103,Umbrella deal,presentationscheduled,default,902,3000,2026-01-13T09:30:00.000Z,2026-03-31T00:00:00Z
        104,Hooli deal,decisionmakerboughtin,default,902,4000,2026-01-14T09:30:00.000Z,2026-03-31T00:00:00Z
        105,Initech deal,contractsent,default,902,5000,2026-01-15T09:30:00.000Z,2026-03-31T00:00:00Z
        106,Stark deal,closedwon,default,902,6000,2025-10-15T09:30:00.000Z,2026-01-09T17:00:00Z
        107,Wayne deal,closedlost,default,901,7000,2025-10-16T09:30:00.000Z,2026-01-09T17:00:00Z
    """})
    opps = result.tables["opportunities"]
    assert values(opps, "opportunity_id") == ["101", "102", "103", "104", "105", "106", "107"]
    assert values(opps, "stage") == ["qualify", "discover", "demo", "proposal", "negotiate", "closed_won",
                                     "closed_lost"]
    assert values(opps, "rep_id")[:2] == ["901", "901"] and values(opps, "amount")[5] == 6000.0
    assert values(opps, "created_date")[0] == pd.Timestamp("2026-01-11")


HUBSPOT_UI_EXPORT = {
    "opportunities": """
        Record ID,Deal Name,Deal Stage,Pipeline,Deal owner,Amount,Create Date,Close Date,Associated Company IDs (Primary)
        101,Acme deal,Closed Won,Sales Pipeline,Dana Smith,24000,2026-01-11,2026-02-20,5001
        102,Globex deal,Qualified to buy,Sales Pipeline,Li Wei,8000,2026-02-01,2026-05-31,5002
    """,
    "accounts": """
        Record ID,Company name,Industry,Number of Employees,Annual Revenue,Country/Region,State/Region,Company owner,Create Date
        5001,Acme,Manufacturing,420,56000000,United States,Ohio,Dana Smith,2025-05-17
        5002,Globex,Software,80,,Germany,,Li Wei,2025-06-01
    """,
    "leads": """
        Record ID,First Name,Last Name,Email,Phone Number,Job Title,Lifecycle Stage,Lead Status,Create Date,Contact owner,Original Source,Became an Opportunity Date,Became a Customer Date,Company Name
        7001,Ann,Lee,ann@acme.example,+1 555 0101,VP Operations,Customer,,2025-11-02,Dana Smith,Organic Search,2025-12-01,2026-02-20,Acme
        7002,Bo,Chen,bo@globex.example,,Buyer,Marketing Qualified Lead,Open,2025-11-05,Li Wei,Paid Social,,,Globex
        7003,Cy,Diaz,cy@initech.example,,CTO,Customer,,2025-11-07,Li Wei,Direct Traffic,,2026-01-15,Initech
        7004,Di,Eng,,,,,New,2025-11-09,Li Wei,Offline Sources,,,
    """,
    "activities": """
        Activity ID,Activity Type,Activity Date,Activity Owner,Notes/Description
        ACT-1,Call,2026-01-20,Dana Smith,Discovery call
        ACT-2,Email,2026-01-21,Li Wei,Follow-up
        ACT-3,Meeting,2026-01-22,Li Wei,Demo
    """,
}


def test_hubspot_preset_maps_deals_companies_contacts_and_activities_as_the_ui_exports_them(tmp_path):
    result = validated(tmp_path, "hubspot", HUBSPOT_UI_EXPORT)
    opps = result.tables["opportunities"]
    assert values(opps, "account_id") == ["5001", "5002"]  # the company id, which the companies are keyed by
    assert values(opps, "stage") == ["closed_won", "discover"]
    accounts = result.tables["accounts"]
    assert values(accounts, "name") == ["Acme", "Globex"] and values(accounts, "employees") == [420, 80]
    assert values(accounts, "country") == ["United States", "Germany"] and values(accounts, "region")[0] == "Ohio"
    leads = result.tables["leads"]
    assert values(leads, "lead_id") == ["7001", "7002", "7003", "7004"]
    # Customer: converted, on the became-an-opportunity date, else the became-a-customer date; no lifecycle
    # stage and no date: unknown
    assert values(leads, "converted") == [True, False, True, None]
    assert values(leads, "converted_date") == days("2025-12-01", None, "2026-01-15", None)
    assert values(leads, "source")[0] == "Organic Search" and values(leads, "title")[0] == "VP Operations"
    assert values(leads, "company") == ["Acme", "Globex", "Initech", None]
    assert values(result.tables["activities"], "type") == ["call", "email", "meeting"]


# -- Pipedrive ----------------------------------------------------------------------------------------------


def test_pipedrive_preset_maps_organizations_persons_and_activities(tmp_path):
    result = validated(tmp_path, "pipedrive", {
        "opportunities": """
            Deal - ID,Deal - Title,Deal - Owner,Deal - Value,Deal - Organization,Deal - Stage,Deal - Status,Deal - Deal created,Deal - Expected close date,Deal - Won time,Deal - Lost time
            1,Acme deal,Dana Smith,24000,Acme,Negotiations Started,Won,2026-01-11 09:30:00,2026-02-28,2026-02-20 10:00:00,
            2,Globex deal,Li Wei,8500,Globex,Contact Made,Open,2026-03-06 11:00:00,2026-05-31,,
        """,
        "accounts": """
            Organization - ID,Organization - Name,Organization - Owner,Organization - Industry,Organization - Number of employees,Organization - Annual revenue,Organization - Address - Country,Organization - Organization created
            11,Acme,Dana Smith,Manufacturing,420,56000000,United States,2025-05-17 08:00:00
            12,Globex,Li Wei,Software,80,,Germany,2025-06-01 08:00:00
        """,
        "leads": """
            Person - ID,Person - Name,Person - Organization,Person - Owner,Person - Email,Person - Phone,Person - Person created
            21,Ann Lee,Acme,Dana Smith,ann@acme.example,+1 555 0101,2025-11-02 10:00:00
        """,
        "activities": """
            Activity - ID,Activity - Subject,Activity - Type,Activity - Due date,Activity - Duration,Activity - Assigned to user,Activity - Done,Deal - ID
            31,Kick-off,Meeting,2026-01-20,01:30,Dana Smith,Done,1
            32,Lunch with CFO,Lunch,2026-01-21,00:45,Dana Smith,Done,1
            33,Intro call,Call,2026-03-07,,Li Wei,Undone,2
        """,
    })
    accounts = result.tables["accounts"]
    assert values(accounts, "account_id") == ["Acme", "Globex"] and values(accounts, "name") == ["Acme", "Globex"]
    assert values(accounts, "employees") == [420, 80] and values(accounts, "owner_rep_id") == ["Dana Smith", "Li Wei"]
    lead = result.tables["leads"].iloc[0]
    assert (lead["lead_id"], lead["company"], lead["owner_rep_id"], lead["created_date"]) == (
        "21", "Acme", "Dana Smith", pd.Timestamp("2025-11-02"))
    activities = result.tables["activities"]
    assert values(activities, "type") == ["meeting", "meeting", "call"]
    assert values(activities, "duration_minutes") == [90.0, 45.0, None]
    assert values(activities, "opportunity_id") == ["1", "1", "2"]
    assert values(result.tables["opportunities"], "stage") == ["closed_won", "discover"]


# -- Microsoft Dynamics 365 Sales ----------------------------------------------------------------------------


def test_dynamics_preset_closes_deals_by_status_with_actual_date_and_revenue(tmp_path):
    result = validated(tmp_path, "dynamics", {
        "opportunities": """
            (Do Not Modify) Opportunity,Topic,Potential Customer,Account,Est. Close Date,Est. Revenue,Actual Close Date,Actual Revenue,Owner,Status,Status Reason,Sales Stage,Created On,Forecast category
            9f1c-01,Acme fleet,Acme,Acme,2026-03-31,25000,2026-02-20,24000,Dana Smith,Won,Won,Close,2026-01-11 09:30,Won
            9f1c-02,Globex pilot,Globex,Globex,2026-05-31,8500,2026-04-30,,Dana Smith,Lost,Out-Sold,Propose,2026-03-06 11:00,Lost
            9f1c-03,Acme expansion,Acme,Acme,2027-02-15,45000,,,Li Wei,Open,In Progress,Develop,2026-12-01 08:15,Best case
            9f1c-04,Acme renewal,Acme,Acme,2027-03-15,12000,,,Li Wei,Open,On Hold,Qualify,2026-12-02 08:15,Committed
        """,
        "accounts": """
            Account Name,Industry,Number of Employees,Annual Revenue,Address 1: Country/Region,Address 1: State/Province,Owner,Created On
            Acme,Manufacturing,420,56000000,United States,Ohio,Dana Smith,2025-05-17 08:00
            Globex,Software,80,,Germany,,Li Wei,2025-06-01 08:00
        """,
        "reps": """
            Full Name,Title,Manager
            Dana Smith,Account Executive,Ana Ruiz
            Li Wei,Account Executive,Ana Ruiz
            Ana Ruiz,Sales Manager,
        """,
    }, columns={"reps": {"Title": "role"}},
        values={"reps": {"role": {"Account Executive": "AE", "Sales Manager": "MANAGER"}}})
    opps = result.tables["opportunities"]
    assert values(opps, "opportunity_id") == ["9f1c-01", "9f1c-02", "9f1c-03", "9f1c-04"]
    assert values(opps, "stage") == ["closed_won", "closed_lost", "discover", "qualify"]
    assert values(opps, "max_stage") == ["negotiate", "proposal", None, None]  # where it stood when it closed
    assert values(opps, "close_date") == days("2026-02-20", "2026-04-30", "2027-02-15", "2027-03-15")
    assert values(opps, "amount") == [24000.0, 8500.0, 45000.0, 12000.0]  # the won deal's actual revenue
    assert values(opps, "forecast_category") == ["closed", "omitted", "best_case", "commit"]
    assert values(opps, "account_id") == ["Acme", "Globex", "Acme", "Acme"]
    reps = result.tables["reps"]
    assert values(reps, "rep_id") == ["Dana Smith", "Li Wei", "Ana Ruiz"] == values(reps, "name")
    assert values(reps, "manager_id") == ["Ana Ruiz", "Ana Ruiz", None]
    assert values(result.tables["accounts"], "account_id") == ["Acme", "Globex"]


def test_dynamics_preset_reads_logical_names_and_stored_values(tmp_path):
    result = validated(tmp_path, "dynamics", {"opportunities": """
        opportunityid,name,ownerid,parentaccountid,estimatedclosedate,estimatedvalue,actualclosedate,actualvalue,statecode,salesstage,createdon
        a1,Acme fleet,u1,c1,2026-03-31,25000,2026-02-20,24000,1,3,2026-01-11T09:30:00Z
        a2,Globex pilot,u1,c2,2026-05-31,8500,2026-04-30,0,2,2,2026-03-06T11:00:00Z
        a3,Acme expansion,u2,c1,2027-02-15,45000,,,0,1,2026-12-01T08:15:00Z
    """})
    opps = result.tables["opportunities"]
    assert values(opps, "stage") == ["closed_won", "closed_lost", "discover"]
    assert values(opps, "max_stage") == ["negotiate", "proposal", None]
    assert values(opps, "amount") == [24000.0, 8500.0, 45000.0]  # a lost deal keeps its estimated revenue


# -- Zoho CRM -----------------------------------------------------------------------------------------------


ZOHO_EXPORT = {
    "opportunities": """
        Record Id,Deal Owner,Deal Name,Account Name,Type,Lead Source,Stage,Amount,Closing Date,Probability (%),Created Time
        zcrm_1001,Dana Smith,Acme fleet,Acme,New Business,Web Download,Closed Won,24000,2026-02-20,100,2026-01-11 09:30:00
        zcrm_1002,Dana Smith,Globex pilot,Globex,New Business,Partner,Closed-Lost to Competition,8500,2026-04-30,0,2026-03-06 11:00:00
        zcrm_1003,Li Wei,Acme expansion,Acme,Existing Business,Web Download,Identify Decision Makers,45000,2027-02-15,60,2026-12-01 08:15:00
        zcrm_1004,Li Wei,Acme renewal,Acme,Existing Business,Web Download,Qualification,12000,2027-03-15,10,2026-12-02 08:15:00
        zcrm_1005,Li Wei,Globex upsell,Globex,Existing Business,Partner,Needs Analysis,5000,2027-03-20,20,2026-12-03 08:15:00
    """,
    "accounts": """
        Record Id,Account Owner,Account Name,Industry,Employees,Annual Revenue,Billing Country,Billing State,Created Time
        zcrm_2001,Dana Smith,Acme,Manufacturing,420,56000000,United States,Ohio,2025-05-17 08:00:00
        zcrm_2002,Li Wei,Globex,Software,80,,Germany,,2025-06-01 08:00:00
    """,
}


def test_zoho_preset_maps_deals_and_accounts_by_name(tmp_path):
    result = validated(tmp_path, "zoho", ZOHO_EXPORT)
    opps = result.tables["opportunities"]
    assert values(opps, "opportunity_id") == ["zcrm_1001", "zcrm_1002", "zcrm_1003", "zcrm_1004", "zcrm_1005"]
    assert values(opps, "stage") == ["closed_won", "closed_lost", "demo", "qualify", "discover"]
    assert values(opps, "close_date")[1] == pd.Timestamp("2026-04-30")
    accounts = result.tables["accounts"]
    # deals name their account: the account name is both the key and the name
    assert values(accounts, "account_id") == ["Acme", "Globex"] == values(accounts, "name")
    assert values(accounts, "region") == ["Ohio", None] and values(accounts, "owner_rep_id") == ["Dana Smith", "Li Wei"]


def checked(tmp_path, files: dict[str, str], **data) -> str:
    """The text of ``salesops check`` on the export ``files`` (table → CSV text) under the ``data`` params."""
    folder = tmp_path / "export"
    folder.mkdir()
    for table, text in files.items():
        (folder / f"{table}.csv").write_text(dedent(text).strip() + "\n", encoding="utf-8")
    report = check_data(folder_params(folder, **data))
    assert report.ok, report.text()
    return report.text()


def test_check_prints_one_export_column_feeding_two_contract_columns(tmp_path):
    assert "mapped Account Name → account_id, name;" in checked(tmp_path, ZOHO_EXPORT, preset="zoho")


def test_check_prints_the_columns_a_preset_reads_beyond_renaming_and_the_ids_read_as_empty(tmp_path):
    text = checked(tmp_path, SALESFORCE_DATA_EXPORT, preset="salesforce", **SALESFORCE_ROLES)
    assert ("read by the preset Type → type of a Task (Call, Email, Meeting); CallDurationInSeconds → "
            "duration_minutes (÷ 60); kept as extra columns CreatedDate, Status") in text
    assert "read by the preset ConvertedOpportunityId → converted (names an opportunity)" in text
    assert (f"activities.opportunity_id: '{A1}' (the id of another kind of record: ids of this column start with "
            "006) read as no opportunity_id (1 row)") in text


# -- every preset: the default stage set, overridden by the params ------------------------------------------

#: Per preset, a one-deal export in its own column names whose stage is one of its default stages.
ONE_DEAL = {
    "salesforce": ("Id,OwnerId,StageName,Amount,CloseDate,CreatedDate\nX1,U1,{stage},10,2026-03-31,2026-01-05",
                   "Value Proposition", "demo"),
    "hubspot": ("Record ID,Deal owner,Deal Stage,Amount,Create Date,Close Date\nX1,U1,{stage},10,2026-01-05,2026-03-31",
                "Presentation Scheduled", "demo"),
    "pipedrive": ("Deal - ID,Deal - Owner,Deal - Stage,Deal - Status,Deal - Value,Deal - Deal created,"
                  "Deal - Expected close date\nX1,U1,{stage},Open,10,2026-01-05,2026-03-31", "Demo Scheduled", "demo"),
    "dynamics": ("(Do Not Modify) Opportunity,Owner,Sales Stage,Status,Est. Revenue,Created On,Est. Close Date\n"
                 "X1,U1,{stage},Open,10,2026-01-05,2026-03-31", "Develop", "discover"),
    "zoho": ("Record Id,Deal Owner,Stage,Amount,Created Time,Closing Date\nX1,U1,{stage},10,2026-01-05,2026-03-31",
             "Value Proposition", "demo"),
}


@pytest.mark.parametrize("preset", sorted(ONE_DEAL))
def test_each_preset_maps_its_default_stages_and_the_params_override_them(tmp_path, preset):
    text, default_stage, canonical = ONE_DEAL[preset]
    stage_of = lambda stage, **data: values(validated(tmp_path, preset, {  # noqa: E731
        "opportunities": text.format(stage=stage)}, **data).tables["opportunities"], "stage")
    assert stage_of(default_stage) == [canonical]
    override = {"opportunities": {"stage": {default_stage: "proposal", "Verbal Yes": "negotiate"}}}
    assert stage_of(default_stage, values=override) == ["proposal"]  # the params win over the preset
    assert stage_of("Verbal Yes", values=override) == ["negotiate"]  # and add the organisation's own stages
    with pytest.raises(DataError, match=r"column 'stage': 1 row hold a value absent from the value mapping .*"
                                        r"values 'Verbal Yes'"):
        stage_of("Verbal Yes")


# -- ids and booleans as exports write them -----------------------------------------------------------------


def test_placeholder_ids_are_empty_in_every_id_column_without_a_preset(tmp_path):
    result = validated(tmp_path, None, {"opportunities": """
        opportunity_id,rep_id,account_id,lead_id,created_date,close_date,stage,amount
        O1,R1,000000000000000AAA,000000000000000,2026-01-05,2026-03-31,qualify,10
        O2,R1,000000000000AAAAAA,L2,2026-01-05,2026-03-31,qualify,10
        O3,R1,000000000000001AAA,,2026-01-05,2026-03-31,qualify,10
    """})
    opps = result.tables["opportunities"]
    assert values(opps, "account_id") == [None, None, "000000000000001AAA"]  # a real id is kept
    assert values(opps, "lead_id") == [None, "L2", None]
    assert result.adjustments[["table", "column", "rule", "rows"]].values.tolist()[:2] == [
        ["opportunities", "account_id", "placeholder_ids_emptied", 2],
        ["opportunities", "lead_id", "placeholder_ids_emptied", 1]]


def test_a_placeholder_in_a_required_id_is_an_empty_required_id(tmp_path):
    with pytest.raises(DataError, match=r"column 'rep_id': 1 row are empty \(row 2; values None\)"):
        validated(tmp_path, "salesforce", {"opportunities": """
            Id,OwnerId,StageName,Amount,CloseDate,CreatedDate
            0061U00000ABC01AAA,000000000000000AAA,Prospecting,10,2026-03-31,2026-01-05
        """})


def test_booleans_read_as_crms_write_them(tmp_path):
    files = {
        "opportunities": """
            opportunity_id,rep_id,created_date,close_date,stage,amount
            O1,R1,2026-01-05,2026-03-31,qualify,10
        """,
        "leads": """
            lead_id,created_date,converted
            L1,2026-01-05,1.00
            L2,2026-01-05,"0,0"
            L3,2026-01-05,on
            L4,2026-01-05,OFF
            L5,2026-01-05,Yes
            L6,2026-01-05,n
            L7,2026-01-05,
        """,
    }
    leads = validated(tmp_path, None, files).tables["leads"]
    assert values(leads, "converted") == [True, False, True, False, True, False, None]
    files["leads"] = files["leads"].replace(",1.00", ",maybe")
    with pytest.raises(DataError, match=r"column 'converted': 1 row hold a value that is not allowed \(row 2; values "
                                        r"'maybe'\)\. Expected: true or false \(also yes/no, y/n, on/off, 1/0, "
                                        r"1\.0/0\.0\)"):
        validated(tmp_path, None, files)


def test_leads_without_the_lead_of_each_deal_give_no_lead_forecast_and_say_why(tmp_path):
    result = validated(tmp_path, "hubspot", HUBSPOT_UI_EXPORT)  # contacts as leads; deals carry no lead id
    leads, opportunities = result.tables["leads"], result.tables["opportunities"]
    scores = pd.DataFrame({"lead_id": leads["lead_id"], "probability": 0.5, "grade": "B"})
    assert demand_workflow.lead_forecast_missing(leads, scores, opportunities) == \
        demand_workflow.LEAD_FORECAST_NEEDS_LEAD_IDS
    assert demand_workflow.lead_forecast_missing(None, None, opportunities) == \
        demand_workflow.LEAD_FORECAST_NEEDS_SCORES
    assert demand_workflow.lead_forecast_missing(leads, scores, opportunities.assign(lead_id=pd.NA)) == ""
