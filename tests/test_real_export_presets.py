"""Presets against the spellings real CRM exports use (the export corpus of issue 12)."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.contract.validation import MappingRules
from salesops.data.files import read_table_file
from salesops.data.inputs import load_inputs
from salesops.data.settings import DataParams

from builders import ROOT, folder_params

HUBSPOT_SPELLINGS = """
Deal ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Create Date,Deal Owner
D1,a,Qualified to Buy,Sales Pipeline,100,2026-06-17,2026-03-29,dana@example.com
D2,b,Qualified to buy,Sales Pipeline,100,2026-06-17,2026-03-29,dana@example.com
D3,c,Decision maker bought-in,Sales Pipeline,100,2026-06-17,2026-03-29,dana@example.com
D4,d,Closed won,Sales Pipeline,100,2026-01-09,2025-08-26,dana@example.com
D5,e,Closed Lost,Sales Pipeline,100,2026-01-09,2025-08-26,dana@example.com
"""


def test_hubspot_preset_reads_each_spelling_of_the_default_stages(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "opportunities.csv").write_text(HUBSPOT_SPELLINGS.strip() + "\n", encoding="utf-8")
    opps = load_inputs(folder_params(folder, preset="hubspot")).tables["opportunities"]
    assert opps["stage"].tolist() == ["discover", "discover", "proposal", "closed_won", "closed_lost"]
    assert opps["opportunity_id"].tolist() == ["D1", "D2", "D3", "D4", "D5"]


# -- the presets against the column names and values of the real exports (../shared/data/exports) -----------

EXPORTS = ROOT.parent / "shared" / "data" / "exports"


def real_file(export: str, name: str) -> pd.DataFrame:
    path = EXPORTS / export / name
    if not path.is_file():
        pytest.skip(f"the real export {export} is not beside the project (expected in ../shared/data/exports/)")
    return read_table_file(path)


def rules_of(preset: str) -> MappingRules:
    return MappingRules.from_params(DataParams(preset=preset))


#: Per real file: the preset, the table it holds, and how the preset alone maps its columns (export column →
#: canonical columns); every other column is left as an extra column.
REAL_COLUMNS = [
    ("sfdc-wave-sdo", "Opportunity.csv", "salesforce", "opportunities", {
        "External_Id__c": ("opportunity_id",), "Owner.External_Id__c": ("rep_id",),
        "Account.External_Id__c": ("account_id",), "CloseDate": ("close_date",), "StageName": ("stage",),
        "Amount": ("amount",), "ForecastCategoryName": ("forecast_category",)}),
    ("sfdc-wave-sdo", "User.csv", "salesforce", "reps", {"External_Id__c": ("rep_id",), "Name": ("name",)}),
    ("sfdc-wave-sdo", "Account.csv", "salesforce", "accounts", {
        "External_Id__c": ("account_id",), "Name": ("name",), "Industry": ("industry",),
        "NumberOfEmployees": ("employees",), "AnnualRevenue": ("annual_revenue",), "BillingCountry": ("country",),
        "BillingState": ("region",), "Owner.External_Id__c": ("owner_rep_id",)}),
    ("sfdc-wave-sdo", "Task.csv", "salesforce", "activities", {
        "External_Id__c": ("activity_id",), "Owner.External_Id__c": ("rep_id",), "ActivityDate": ("timestamp",),
        "TaskSubtype": ("type",), "What.External_Id__c": ("opportunity_id",)}),
    ("sfdc-wave-sdo", "Event.csv", "salesforce", "activities", {
        "External_Id__c": ("activity_id",), "Owner.External_Id__c": ("rep_id",),
        "ActivityDateTime": ("timestamp",), "EventSubtype": ("type",), "What.External_Id__c": ("opportunity_id",),
        "DurationInMinutes": ("duration_minutes",)}),
    ("sfdc-wave-sdo", "Product2.csv", "salesforce", "products", {"Name": ("product",), "Family": ("family",)}),
    ("hubspot-dummy", "hubspot_deals.csv", "hubspot", "opportunities", {
        "Deal ID": ("opportunity_id",), "Deal Owner": ("rep_id",), "Create Date": ("created_date",),
        "Close Date": ("close_date",), "Deal Stage": ("stage",), "Amount": ("amount",)}),
    ("hubspot-dummy", "hubspot_companies.csv", "hubspot", "accounts", {
        "Company ID": ("account_id",), "Company Name": ("name",), "Industry": ("industry",),
        "Number of Employees": ("employees",), "Annual Revenue": ("annual_revenue",), "Country": ("country",),
        "State/Region": ("region",), "Company Owner": ("owner_rep_id",), "Create Date": ("created_date",)}),
    ("hubspot-dummy", "hubspot_contacts.csv", "hubspot", "leads", {
        "Contact ID": ("lead_id",), "Create Date": ("created_date",), "Lead Source": ("source",),
        "Job Title": ("title",), "Lead Status": ("status",), "Contact Owner": ("owner_rep_id",),
        "Email": ("email",), "Phone Number": ("phone",)}),
    ("hubspot-dummy", "hubspot_activities.csv", "hubspot", "activities", {
        "Activity ID": ("activity_id",), "Activity Owner": ("rep_id",), "Activity Date": ("timestamp",),
        "Activity Type": ("type",)}),
]


@pytest.mark.parametrize("export, name, preset, table, expected", REAL_COLUMNS,
                         ids=[f"{export}/{name}" for export, name, *_ in REAL_COLUMNS])
def test_preset_maps_the_real_export_columns(export, name, preset, table, expected):
    header = [str(column) for column in real_file(export, name).columns]
    assert rules_of(preset).feeds(table, header) == expected


#: Per real file and column: the preset, the canonical table and column, and the values of the file the preset's
#: default mapping does not know (the organisation's own, for its params).
REAL_VALUES = [
    ("sfdc-wave-sdo", "Opportunity.csv", "StageName", "salesforce", "opportunities", "stage",
     {"Negotiation", "Proposal/Quote"}),
    ("sfdc-wave-sdo", "Opportunity.csv", "ForecastCategoryName", "salesforce", "opportunities", "forecast_category",
     set()),
    ("sfdc-wave-sdo", "Task.csv", "TaskSubtype", "salesforce", "activities", "type", {"Task"}),
    ("sfdc-wave-sdo", "Event.csv", "EventSubtype", "salesforce", "activities", "type", set()),
    ("hubspot-dummy", "hubspot_deals.csv", "Deal Stage", "hubspot", "opportunities", "stage", set()),
    ("hubspot-dummy", "hubspot_activities.csv", "Activity Type", "hubspot", "activities", "type", {"Note", "Task"}),
]


@pytest.mark.parametrize("export, name, column, preset, table, canonical, unknown", REAL_VALUES,
                         ids=[f"{export}/{name}:{column}" for export, name, column, *_ in REAL_VALUES])
def test_preset_knows_the_real_export_default_values(export, name, column, preset, table, canonical, unknown):
    found = set(real_file(export, name)[column].dropna().astype(str).str.strip())
    assert found - set(rules_of(preset).values[table][canonical]) == unknown
