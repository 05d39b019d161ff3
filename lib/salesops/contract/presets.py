"""Mappings for the default exports of common CRMs, chosen with ``data.preset`` in the params.

A preset names, per table and canonical column, the export's column names that may hold it (the first one
present is used; one export column may feed several canonical columns, e.g. an account name that is both the
account's id and its name), the export's values (stage names, forecast categories, activity types) and its
date format. Without an id column a deal's name serves as its id, and a repeated name is then reported as a
duplicate key. Anything in ``data.columns`` / ``data.values`` overrides the preset. Ids are keyed the way
each export links its tables: where an export names a linked record by its name (an owner's or an account's
name), the linked table is keyed by that name too. See docs/bring-your-own-data.md.

Stages map onto the canonical funnel by each CRM's default stage set (``qualify`` … ``negotiate``,
``closed_won``, ``closed_lost``); an organisation's own stages are added in ``data.values``.

* ``salesforce``: report exports with their labels ("Opportunity Owner", "Account Name", "Stage",
  "Close Date" ...) and Data Export / Data Loader files with API names (``Id``, ``OwnerId``, ``AccountId``,
  ``StageName``, ``CloseDate``, ``Amount``, ``IsWon``, ``IsClosed``, ``CreatedDate``,
  ``ForecastCategoryName``; relationship columns ``Owner.Id``, ``Owner.External_Id__c``,
  ``Account.External_Id__c``, ``What.External_Id__c``), field names as in Salesforce's object reference.
  Tables: opportunities (Opportunity), reps (User), accounts (Account), activities (Task, Event), leads
  (Lead), products (Product2). The standard sales-process stages; forecast categories by label and API value
  (``BestCase``; ``Forecast`` is Commit; Most Likely counts as best case); US dates (``3/31/2026``), ISO dates
  and date-times (``2026-03-31T14:05:00.000Z``, converted to company time) are read too. A task's subtype
  ``Task`` gives way to its ``Type`` (Call, Email, Meeting) when that is filled; ``CallDurationInSeconds``
  becomes minutes; an activity's ``WhatId`` that is not an opportunity (key prefix ``006``) is read as empty
  (``export_ids``); a lead with a ``ConvertedOpportunityId`` column is converted when it names an
  opportunity. A user's role hierarchy (``UserRole.Name``) is not a job role and is not mapped. Stage history:
  OpportunityHistory as the Data Export writes it (``OpportunityId``, ``StageName``, ``Amount``, ``CloseDate``,
  ``ForecastCategory``, ``CreatedDate`` = when the change was made).
* ``hubspot``: UI exports by property label ("Record ID", "Deal Name", "Deal Stage", "Deal owner" ...) and by
  internal name (``hs_object_id``, ``dealname``, ``dealstage``, ``hubspot_owner_id``, ``amount``,
  ``createdate``, ``closedate``), as in HubSpot's default properties. Tables: opportunities (deals),
  accounts (companies), leads (contacts: converted when the lifecycle stage is Opportunity, Customer or
  Evangelist or a became-an-opportunity / became-a-customer date is set, on that date) and activities (calls,
  e-mails, meetings). The default sales pipeline's stages by label (in each spelling HubSpot has used) and
  by internal name (``appointmentscheduled`` … ``closedlost``). Deals point at companies by company id when
  the export has one (``Associated Company IDs``), else by name. Stage history: the deal stage's property
  history (deal id, the stage it took, its timestamp).
* ``pipedrive``: exports whose columns are "<Entity> - <Field>" ("Deal - Value", "Organization - Name",
  "Person - Email", "Activity - Type"), as in Pipedrive's default field list. Tables: opportunities
  (deals), accounts (organizations, keyed by name, as deals name them), leads (persons: created, owner,
  organization, contact details; a person export says nothing of conversion) and activities (calls,
  meetings, lunches, e-mails; "Activity - Duration" as HH:MM). Pipedrive keeps a won or lost deal in its
  last stage and marks the outcome in *Status*; the preset turns status won/lost into the closed stages,
  keeps the last stage as ``max_stage`` and takes the close date from the won or lost time.
* ``dynamics``: Microsoft Dynamics 365 Sales, exported to Excel from a view (display names: "Topic",
  "Potential Customer", "Est. Close Date", "Est. Revenue", "Actual Close Date", "Actual Revenue", "Owner",
  "Status", "Sales Stage", "Created On", "Forecast category") or with logical names (``opportunityid``,
  ``estimatedclosedate``, ``statecode``, ``salesstage`` ...), as in Microsoft's opportunity, account and
  user table references. The sales stages Qualify, Develop, Propose, Close (and the pipeline phases
  1-Qualify … 4-Close); *Status* Won or Lost (``statecode`` 1, 2) closes the deal like Pipedrive's status,
  with the actual close date and, for a won deal, the actual revenue. Tables: opportunities, accounts,
  reps (users: "Full Name", "Manager").
* ``zoho``: Zoho CRM deals and accounts by field label ("Record Id", "Deal Name", "Deal Owner", "Account
  Name", "Stage", "Amount", "Closing Date", "Created Time") or API name (``Deal_Name``, ``Closing_Date``
  ...), as in Zoho's list of standard deal fields. Deals name their account and owner by name, so accounts
  are keyed by account name. The default stages Qualification, Needs Analysis, Value Proposition, Identify
  Decision Makers, Perception Analysis, Proposal/Price Quote, Negotiation/Review, Closed Won, Closed Lost and
  Closed-Lost to Competition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from salesops.contract import export_ids
from salesops.contract.schema import TEXT_DTYPE

Prepare = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Preset:
    """Per table: canonical column → export column names, first present wins; values per column; per table a
    ``prepare`` step run after renaming (for what renaming alone cannot do) and, for ``salesops check`` to print,
    the export columns it reads → what it sets; per table and id column the key prefix of the records it may
    name (``export_ids``)."""

    columns: dict[str, dict[str, tuple[str, ...]]]
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    date_format: str | None = None
    prepare: dict[str, Prepare] = field(default_factory=dict)
    prepare_reads: dict[str, dict[str, str]] = field(default_factory=dict)
    id_prefixes: dict[str, dict[str, str]] = field(default_factory=dict)

    def prepare_table(self, table: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (export columns renamed to canonical ones) after the preset's own step for ``table``."""
        step = self.prepare.get(table)
        return frame if step is None else step(frame)


def _first_present(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series | None:
    return next((frame[name] for name in names if name in frame.columns), None)


def _text(values: pd.Series) -> pd.Series:
    return values.astype(TEXT_DTYPE).str.strip().mask(lambda s: s == "")


def _closed_by_status(status: tuple[str, ...], outcomes: dict[str, str],
                      close_dates: tuple[str | tuple[str, str], ...] = (), won_amounts: tuple[str, ...] = ()
                      ) -> Prepare:
    """A ``prepare`` step for exports that keep a closed deal in its last open stage and give the outcome in a
    status column (the first of ``status`` present): a status in ``outcomes`` (lower-cased value → ``Won`` or
    ``Lost``, which the stage values map onto the closed stages) becomes the stage and the last stage becomes
    ``max_stage``. A closed deal's close date comes from ``close_dates`` (column names, or ``(outcome, name)``
    pairs for a column that holds the date of one outcome only) and a won deal's amount from ``won_amounts``,
    where those are filled; the last filled column listed wins."""
    fills = [("close_date", *(name if isinstance(name, tuple) else (None, name))) for name in close_dates]
    fills += [("amount", "Won", name) for name in won_amounts]

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        given = _first_present(frame, status)
        if given is None or "stage" not in frame.columns:
            return frame
        outcome = _text(given).str.lower().map(outcomes).astype(TEXT_DTYPE)
        closed = outcome.notna().to_numpy(dtype=bool)
        stage = frame["stage"].astype(TEXT_DTYPE)
        changes = {
            "max_stage": stage.where(closed & stage.notna(), frame.get("max_stage", pd.NA)).astype(TEXT_DTYPE),
            "stage": stage.mask(closed, outcome),
        }
        for canonical, word, name in fills:
            if canonical not in frame.columns or name not in frame.columns:
                continue
            applies = (outcome.eq(word) if word else outcome.notna()).fillna(False).to_numpy(dtype=bool)
            take = applies & _text(frame[name]).notna().to_numpy(dtype=bool)
            value = changes.get(canonical, frame[canonical].astype(TEXT_DTYPE))
            changes[canonical] = value.mask(take, frame[name].astype(TEXT_DTYPE))
        return frame.assign(**changes)

    return prepare


def _salesforce_activities(frame: pd.DataFrame) -> pd.DataFrame:
    """A task whose subtype is the generic ``Task`` takes its ``Type`` (Call, Email, Meeting) when filled;
    ``CallDurationInSeconds`` becomes ``duration_minutes`` where no duration in minutes is given."""
    changes = {}
    if "type" in frame.columns and "Type" in frame.columns:
        generic = _text(frame["type"]).eq("Task").fillna(False) & _text(frame["Type"]).notna()
        changes["type"] = frame["type"].astype(TEXT_DTYPE).mask(generic, _text(frame["Type"]))
    if "duration_minutes" not in frame.columns and "CallDurationInSeconds" in frame.columns:
        seconds = frame["CallDurationInSeconds"]
        numbers = pd.to_numeric(_text(seconds).astype(object), errors="coerce")
        # plain numbers of seconds become minutes; anything else stays as written, for validation to report
        changes["duration_minutes"] = (numbers / 60).astype(object).where(numbers.notna(), seconds)
    return frame.assign(**changes)


def _salesforce_leads(frame: pd.DataFrame) -> pd.DataFrame:
    """With a ``ConvertedOpportunityId`` column, a lead is converted when it names an opportunity (a lead
    converted to an account and contact only did not become an opportunity)."""
    if "ConvertedOpportunityId" not in frame.columns:
        return frame
    opportunity = frame["ConvertedOpportunityId"]
    named = _text(opportunity).notna().to_numpy(dtype=bool) & ~export_ids.is_placeholder(opportunity).to_numpy()
    return frame.assign(converted=pd.Series(named, index=frame.index, dtype="boolean"))


#: HubSpot lifecycle stages (labels and internal names, lower-cased) of a contact who became an opportunity.
_HUBSPOT_CONVERTED = {"opportunity", "customer", "evangelist"}


def _hubspot_contacts(frame: pd.DataFrame) -> pd.DataFrame:
    """``converted_date``: the became-an-opportunity date, else the became-a-customer date; ``converted``: a
    lifecycle stage of Opportunity, Customer or Evangelist, or a conversion date (unknown without both)."""
    changes = {}
    customer = _first_present(frame, ("Became a Customer Date", "Became a customer date",
                                      "hs_lifecyclestage_customer_date"))
    converted_date = frame["converted_date"].astype(TEXT_DTYPE) if "converted_date" in frame.columns else None
    if customer is not None:
        converted_date = (customer.astype(TEXT_DTYPE) if converted_date is None
                          else converted_date.mask(_text(converted_date).isna(), customer.astype(TEXT_DTYPE)))
        changes["converted_date"] = converted_date
    lifecycle = _first_present(frame, ("Lifecycle Stage", "Lifecycle stage", "lifecyclestage"))
    if "converted" not in frame.columns and (lifecycle is not None or converted_date is not None):
        dated = (_text(converted_date).notna() if converted_date is not None
                 else pd.Series(False, index=frame.index)).to_numpy(dtype=bool)
        stage = (_text(lifecycle).str.lower().str.replace(" ", "") if lifecycle is not None
                 else pd.Series(pd.NA, index=frame.index, dtype=TEXT_DTYPE))
        converted = pd.Series(stage.isin(_HUBSPOT_CONVERTED).fillna(False).to_numpy(dtype=bool) | dated,
                              index=frame.index, dtype="boolean")
        changes["converted"] = converted.mask(stage.isna().to_numpy() & ~dated)
    return frame.assign(**changes)


def _pipedrive_activities(frame: pd.DataFrame) -> pd.DataFrame:
    """"Activity - Duration" written as hours and minutes (``01:30``) becomes minutes (90)."""
    if "duration_minutes" not in frame.columns:
        return frame
    parts = _text(frame["duration_minutes"]).str.extract(r"^(\d{1,3}):(\d{2})(?::(\d{2}))?$")
    hours, minutes, seconds = (pd.to_numeric(parts[i], errors="coerce") for i in range(3))
    read = hours.notna().to_numpy()
    total = hours * 60 + minutes + seconds.fillna(0) / 60
    return frame.assign(duration_minutes=total.astype(object).where(read, frame["duration_minutes"]))


def _spellings(labels: dict[str, str]) -> dict[str, str]:
    """Each label in Title Case, sentence case and with a lower-case "to" (HubSpot has written all three)."""
    return {spelling: value for label, value in labels.items()
            for spelling in (label, label[0] + label[1:].lower(), label.replace(" To ", " to "))}


_SALESFORCE_STAGES = {
    "Prospecting": "qualify", "Qualification": "qualify", "Needs Analysis": "discover",
    "Value Proposition": "demo", "Id. Decision Makers": "demo", "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal", "Negotiation/Review": "negotiate", "Closed Won": "closed_won",
    "Closed Lost": "closed_lost",
}
_SALESFORCE_FORECAST = {
    "Pipeline": "pipeline", "Best Case": "best_case", "BestCase": "best_case", "Most Likely": "best_case",
    "MostLikely": "best_case", "Commit": "commit", "Forecast": "commit", "Closed": "closed", "Omitted": "omitted",
}
_SALESFORCE_ACTIVITY_TYPES = {"Call": "call", "Email": "email", "ListEmail": "email", "Meeting": "meeting",
                              "Event": "meeting"}
_HUBSPOT_STAGES = {
    **_spellings({"Appointment Scheduled": "qualify", "Qualified To Buy": "discover",
                  "Presentation Scheduled": "demo", "Decision Maker Bought-In": "proposal",
                  "Contract Sent": "negotiate", "Closed Won": "closed_won", "Closed Lost": "closed_lost"}),
    "appointmentscheduled": "qualify", "qualifiedtobuy": "discover", "presentationscheduled": "demo",
    "decisionmakerboughtin": "proposal", "contractsent": "negotiate", "closedwon": "closed_won",
    "closedlost": "closed_lost",
}
_HUBSPOT_FORECAST = {"Not forecasted": "omitted", "Pipeline": "pipeline", "Best case": "best_case",
                     "Commit": "commit", "Closed won": "closed", "OMIT": "omitted", "PIPELINE": "pipeline",
                     "BEST_CASE": "best_case", "COMMIT": "commit", "CLOSED": "closed"}
_HUBSPOT_ACTIVITY_TYPES = {"Call": "call", "Email": "email", "Meeting": "meeting", "CALL": "call", "EMAIL": "email",
                           "INCOMING_EMAIL": "email", "FORWARDED_EMAIL": "email", "MEETING": "meeting"}
_PIPEDRIVE_STAGES = {
    "Qualified": "qualify", "Contact Made": "discover", "Demo Scheduled": "demo", "Proposal Made": "proposal",
    "Negotiations Started": "negotiate",
}
# Sales Stage by label, by its stored value (0-3) and as the pipeline phase (stepname).
_DYNAMICS_STAGES = {
    label: stage
    for number, (name, stage) in enumerate((("Qualify", "qualify"), ("Develop", "discover"),
                                            ("Propose", "proposal"), ("Close", "negotiate")))
    for label in (name, str(number), f"{number + 1}-{name}")
}
_ZOHO_STAGES = {
    "Qualification": "qualify", "Needs Analysis": "discover", "Value Proposition": "demo",
    "Identify Decision Makers": "demo", "Id. Decision Makers": "demo", "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal", "Negotiation/Review": "negotiate", "Closed Won": "closed_won",
    "Closed Lost": "closed_lost", "Closed-Lost to Competition": "closed_lost",
}
_WON_LOST = {"Won": "closed_won", "Lost": "closed_lost"}

# Salesforce: report labels first, then API names with ids before external ids before relationship names.
_SF_OWNER = ("OwnerId", "Owner.Id", "Owner.External_Id__c", "Owner.Name")
SALESFORCE = Preset(
    columns={
        "opportunities": {
            "opportunity_id": ("Opportunity ID", "Opportunity ID (18)", "Id", "External_Id__c", "Opportunity Name",
                               "Name"),
            "rep_id": ("Opportunity Owner", "Owner Name", "Owner ID", *_SF_OWNER),
            "account_id": ("Account ID", "Account Name", "AccountId", "Account.Id", "Account.External_Id__c",
                           "Account.Name"),
            "product": ("Product Name", "Product"),
            "created_date": ("Created Date", "CreatedDate"),
            "close_date": ("Close Date", "CloseDate"),
            "stage": ("Stage", "StageName"),
            "amount": ("Amount",),
            "forecast_category": ("Forecast Category", "ForecastCategoryName", "ForecastCategory"),
            "is_closed": ("Closed", "IsClosed"),
            "is_won": ("Won", "IsWon"),
            "currency": ("Opportunity Currency", "CurrencyIsoCode"),
        },
        # CurrencyType (IsoCode, ConversionRate) or, with dated rates, DatedConversionRate (+ StartDate)
        "currency_rates": {"currency": ("IsoCode", "Currency ISO Code"), "rate": ("ConversionRate", "Conversion Rate"),
                           "start_date": ("StartDate", "Start Date")},
        "reps": {
            "rep_id": ("User ID", "Id", "External_Id__c", "Full Name", "Name"),
            "name": ("Full Name", "Name"),
            "manager_id": ("ManagerId", "Manager.Id", "Manager.External_Id__c", "Manager"),
        },
        "accounts": {
            "account_id": ("Account ID", "Id", "External_Id__c", "Account Name", "Name"),
            "name": ("Account Name", "Name"),
            "industry": ("Industry",),
            "employees": ("Employees", "NumberOfEmployees"),
            "annual_revenue": ("Annual Revenue", "AnnualRevenue"),
            "country": ("Billing Country", "BillingCountry"),
            "region": ("Billing State/Province", "BillingState"),
            "owner_rep_id": ("Account Owner", *_SF_OWNER),
            "created_date": ("Created Date", "CreatedDate"),
        },
        "activities": {
            "activity_id": ("Activity ID", "Id", "External_Id__c"),
            "rep_id": ("Assigned", *_SF_OWNER),
            "timestamp": ("ActivityDateTime", "CompletedDateTime", "ActivityDate", "CreatedDate"),
            "type": ("TaskSubtype", "EventSubtype", "Type"),
            "opportunity_id": ("WhatId", "What.Id", "What.External_Id__c"),
            "duration_minutes": ("DurationInMinutes",),
        },
        "leads": {
            "lead_id": ("Lead ID", "Id", "External_Id__c"),
            "created_date": ("Create Date", "Created Date", "CreatedDate"),
            "source": ("Lead Source", "LeadSource"),
            "company": ("Company / Account", "Company"),
            "industry": ("Industry",),
            "employees": ("No. of Employees", "NumberOfEmployees"),
            "title": ("Title",),
            "status": ("Lead Status", "Status"),
            "converted": ("Converted", "IsConverted"),
            "converted_date": ("Converted Date", "ConvertedDate"),
            "owner_rep_id": ("Lead Owner", *_SF_OWNER),
            "email": ("Email",),
            "phone": ("Phone",),
        },
        "products": {"product": ("Product Name", "Name"), "family": ("Product Family", "Family")},
        "opportunity_history": {  # OpportunityHistory as the Data Export writes it (API names)
            "history_id": ("Id",), "opportunity_id": ("OpportunityId",), "changed_at": ("CreatedDate",),
            "stage": ("StageName",), "amount": ("Amount",), "close_date": ("CloseDate",),
            "forecast_category": ("ForecastCategory",),
        },
    },
    values={
        "opportunities": {"stage": _SALESFORCE_STAGES, "forecast_category": _SALESFORCE_FORECAST},
        "activities": {"type": _SALESFORCE_ACTIVITY_TYPES},
    },
    date_format="%m/%d/%Y",
    prepare={"activities": _salesforce_activities, "leads": _salesforce_leads},
    prepare_reads={"activities": {"Type": "type of a Task (Call, Email, Meeting)",
                                  "CallDurationInSeconds": "duration_minutes (÷ 60)"},
                   "leads": {"ConvertedOpportunityId": "converted (names an opportunity)"}},
    id_prefixes={"activities": {"opportunity_id": "006"}},
)

HUBSPOT = Preset(
    columns={
        "opportunities": {
            "opportunity_id": ("Record ID", "Deal ID", "hs_object_id", "Deal Name", "dealname"),
            "rep_id": ("Deal owner", "Deal Owner", "hubspot_owner_id"),
            "account_id": ("Associated Company IDs (Primary)", "Associated Company ID", "Associated Company IDs",
                           "associatedcompanyid", "Associated Company (Primary)", "Associated Company"),
            "created_date": ("Create Date", "createdate"),
            "close_date": ("Close Date", "closedate"),
            "stage": ("Deal Stage", "dealstage"),
            "amount": ("Amount",),
            "forecast_category": ("Forecast category", "Forecast Category", "hs_manual_forecast_category"),
            "is_closed": ("Is Deal Closed?", "Is closed", "hs_is_closed"),
            "is_won": ("Is Closed Won", "Is closed won", "hs_is_closed_won"),
            "currency": ("Currency", "deal_currency_code"),
        },
        "accounts": {
            "account_id": ("Record ID", "Company ID", "hs_object_id"),
            "name": ("Company name", "Company Name"),
            "industry": ("Industry",),
            "employees": ("Number of Employees", "numberofemployees"),
            "annual_revenue": ("Annual Revenue", "annualrevenue"),
            "country": ("Country/Region", "Country"),
            "region": ("State/Region", "state"),
            "owner_rep_id": ("Company owner", "Company Owner", "hubspot_owner_id"),
            "created_date": ("Create Date", "createdate"),
        },
        "leads": {
            "lead_id": ("Record ID", "Contact ID", "hs_object_id"),
            "created_date": ("Create Date", "createdate"),
            "source": ("Original Source", "Original source", "Lead Source", "hs_analytics_source"),
            "company": ("Company Name", "Company name", "company"),
            "industry": ("Industry",),
            "employees": ("Number of Employees", "numemployees"),
            "title": ("Job Title", "jobtitle"),
            "status": ("Lead Status", "hs_lead_status"),
            "converted_date": ("Became an Opportunity Date", "Became an opportunity date",
                               "hs_lifecyclestage_opportunity_date"),
            "owner_rep_id": ("Contact owner", "Contact Owner", "hubspot_owner_id"),
            "email": ("Email",),
            "phone": ("Phone Number",),
        },
        "activities": {
            "activity_id": ("Activity ID", "Record ID", "hs_object_id"),
            "rep_id": ("Activity Owner", "Activity owner", "Activity assigned to", "hubspot_owner_id"),
            "timestamp": ("Activity Date", "Activity date", "hs_timestamp"),
            "type": ("Activity Type", "Activity type", "hs_engagement_type"),
            "opportunity_id": ("Associated Deal IDs (Primary)", "Associated Deal ID", "Associated Deal IDs"),
        },
        "opportunity_history": {  # the deal stage's property history: one row per value it took
            "opportunity_id": ("Record ID", "Deal ID", "dealId"), "changed_at": ("Timestamp", "timestamp"),
            "stage": ("Deal Stage", "value"),
        },
    },
    values={
        "opportunities": {"stage": _HUBSPOT_STAGES, "forecast_category": _HUBSPOT_FORECAST},
        "activities": {"type": _HUBSPOT_ACTIVITY_TYPES},
    },
    prepare={"leads": _hubspot_contacts},
    prepare_reads={"leads": {
        **dict.fromkeys(("Lifecycle Stage", "Lifecycle stage", "lifecyclestage"),
                        "converted (Opportunity, Customer, Evangelist)"),
        **dict.fromkeys(("Became a Customer Date", "Became a customer date", "hs_lifecyclestage_customer_date"),
                        "converted_date (without a became-an-opportunity date)")}},
)

PIPEDRIVE = Preset(
    columns={
        "opportunities": {
            "opportunity_id": ("Deal - ID", "ID", "Deal - Title"),
            "rep_id": ("Deal - Owner", "Owner"),
            "account_id": ("Deal - Organization", "Organization", "Organization - Name"),
            "product": ("Deal - Product", "Product"),
            "created_date": ("Deal - Deal created", "Deal created", "Deal - Creation date"),
            "close_date": ("Deal - Expected close date", "Expected close date"),
            "stage": ("Deal - Stage", "Stage"),
            "amount": ("Deal - Value", "Value"),
        },
        "accounts": {
            "account_id": ("Organization - Name", "Name"),
            "name": ("Organization - Name", "Name"),
            "industry": ("Organization - Industry",),
            "employees": ("Organization - Number of employees",),
            "annual_revenue": ("Organization - Annual revenue",),
            "country": ("Organization - Address - Country", "Organization - Address - Country of Address"),
            "region": ("Organization - Address - State/county", "Organization - Address - State/county of Address"),
            "owner_rep_id": ("Organization - Owner", "Owner"),
            "created_date": ("Organization - Organization created", "Organization - Creation date",
                             "Organization created"),
        },
        "leads": {
            "lead_id": ("Person - ID", "Person - Pipedrive System ID", "ID"),
            "created_date": ("Person - Person created", "Person - Creation date", "Person created"),
            "company": ("Person - Organization", "Organization", "Organization name", "Organization - Name"),
            "owner_rep_id": ("Person - Owner", "Owner"),
            "email": ("Person - Email", "Email"),
            "phone": ("Person - Phone", "Phone"),
        },
        "activities": {
            "activity_id": ("Activity - ID", "Activity - Pipedrive System ID", "ID"),
            "rep_id": ("Activity - Assigned to user", "Activity - Owner", "Assigned to user"),
            "timestamp": ("Activity - Due date", "Due date"),
            "type": ("Activity - Type", "Type"),
            "opportunity_id": ("Deal - ID",),
            "duration_minutes": ("Activity - Duration", "Duration"),
        },
    },
    values={
        "opportunities": {"stage": {**_PIPEDRIVE_STAGES, **_WON_LOST}, "max_stage": _PIPEDRIVE_STAGES},
        "activities": {"type": {"Call": "call", "Meeting": "meeting", "Lunch": "meeting", "Email": "email"}},
    },
    prepare={
        "opportunities": _closed_by_status(("Deal - Status", "Status"), {"won": "Won", "lost": "Lost"},
                                           close_dates=(("Won", "Deal - Won time"), ("Won", "Won time"),
                                                        ("Lost", "Deal - Lost time"), ("Lost", "Lost time"))),
        "activities": _pipedrive_activities,
    },
    prepare_reads={"opportunities": {
        **dict.fromkeys(("Deal - Status", "Status"), "stage (won, lost), max_stage"),
        **dict.fromkeys(("Deal - Won time", "Won time"), "close_date of won deals"),
        **dict.fromkeys(("Deal - Lost time", "Lost time"), "close_date of lost deals")}},
)

DYNAMICS = Preset(
    columns={
        "opportunities": {
            "opportunity_id": ("(Do Not Modify) Opportunity", "opportunityid", "Topic", "name"),
            "rep_id": ("Owner", "ownerid"),
            "account_id": ("Account", "parentaccountid", "Potential Customer", "customerid"),
            "created_date": ("Created On", "createdon"),
            "close_date": ("Est. Close Date", "estimatedclosedate"),
            "stage": ("Sales Stage", "salesstage", "Pipeline Phase", "stepname"),
            "amount": ("Est. Revenue", "estimatedvalue"),
            "forecast_category": ("Forecast category", "Forecast Category", "msdyn_forecastcategory"),
        },
        "accounts": {
            "account_id": ("Account Name", "accountid"),
            "name": ("Account Name", "name"),
            "industry": ("Industry", "industrycode"),
            "employees": ("Number of Employees", "numberofemployees"),
            "annual_revenue": ("Annual Revenue", "revenue"),
            "country": ("Address 1: Country/Region", "Country/Region", "address1_country"),
            "region": ("Address 1: State/Province", "State/Province", "address1_stateorprovince"),
            "owner_rep_id": ("Owner", "ownerid"),
            "created_date": ("Created On", "createdon"),
        },
        "reps": {
            "rep_id": ("Full Name", "systemuserid"),
            "name": ("Full Name", "fullname"),
            "manager_id": ("Manager", "parentsystemuserid"),
        },
    },
    values={"opportunities": {
        "stage": {**_DYNAMICS_STAGES, **_WON_LOST},
        "max_stage": _DYNAMICS_STAGES,
        "forecast_category": {"Pipeline": "pipeline", "Best case": "best_case", "Committed": "commit",
                              "Omitted": "omitted", "Won": "closed", "Lost": "omitted",
                              "100000001": "pipeline", "100000002": "best_case", "100000003": "commit",
                              "100000004": "omitted", "100000005": "closed", "100000006": "omitted"},
    }},
    prepare={"opportunities": _closed_by_status(
        ("Status", "statecode"), {"won": "Won", "lost": "Lost", "1": "Won", "2": "Lost"},
        close_dates=("Actual Close Date", "actualclosedate"), won_amounts=("Actual Revenue", "actualvalue"))},
    prepare_reads={"opportunities": {
        **dict.fromkeys(("Status", "statecode"), "stage (Won, Lost), max_stage"),
        **dict.fromkeys(("Actual Close Date", "actualclosedate"), "close_date of closed deals"),
        **dict.fromkeys(("Actual Revenue", "actualvalue"), "amount of won deals")}},
)

ZOHO = Preset(
    columns={
        "opportunities": {
            "opportunity_id": ("Record Id", "Record ID", "id", "Deal Name", "Deal_Name"),
            "rep_id": ("Deal Owner", "Owner"),
            "account_id": ("Account Name", "Account_Name"),
            "created_date": ("Created Time", "Created_Time"),
            "close_date": ("Closing Date", "Closing_Date"),
            "stage": ("Stage",),
            "amount": ("Amount",),
        },
        "accounts": {
            "account_id": ("Account Name", "Account_Name"),
            "name": ("Account Name", "Account_Name"),
            "industry": ("Industry",),
            "employees": ("Employees",),
            "annual_revenue": ("Annual Revenue", "Annual_Revenue"),
            "country": ("Billing Country", "Billing_Country"),
            "region": ("Billing State", "Billing_State"),
            "owner_rep_id": ("Account Owner", "Owner"),
            "created_date": ("Created Time", "Created_Time"),
        },
    },
    values={"opportunities": {"stage": _ZOHO_STAGES}},
)

PRESETS: dict[str, Preset] = {"salesforce": SALESFORCE, "hubspot": HUBSPOT, "pipedrive": PIPEDRIVE,
                              "dynamics": DYNAMICS, "zoho": ZOHO}
