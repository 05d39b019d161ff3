"""The canonical input tables: their columns, types, keys and the rules rows must obey.

This module only *describes* the contract; `validation.py` enforces it and `data/files.py` reads files.
Every name here is canonical: a CRM export's own column and value names are mapped onto these by
the `data.columns` / `data.values` params before validation.

Types (``ColumnSpec.kind``):
    string    free text (pandas ``string`` dtype, Arrow-backed: ``TEXT_DTYPE``)
    int       whole number (nullable ``Int64``)
    float     decimal number (``float64``); money is in the company currency, not cents
    date      calendar date (``datetime64[ns]`` at midnight)
    datetime  date and time (``datetime64[ns]``, naive, in the company's local time: the ``timezone``
              param; a value with a zone or offset is converted to it, one without is taken as local)
    bool      true/false (nullable ``boolean``)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

#: dtype of text columns once loaded: Arrow-backed strings take a fraction of the memory of Python
#: string objects (3.4 million activities: hundreds of MB less) and compare faster.
TEXT_DTYPE = pd.StringDtype("pyarrow")

#: Canonical opportunity stages, in funnel order. The two closed stages end the funnel.
OPEN_STAGES: tuple[str, ...] = ("qualify", "discover", "demo", "proposal", "negotiate")
CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")
STAGES: tuple[str, ...] = OPEN_STAGES + CLOSED_STAGES

#: Job roles of the revenue team.
ROLES: tuple[str, ...] = ("AE", "SDR", "SE", "CSM", "SUPPORT", "MANAGER")
#: How each role reads in a sentence ("Hire 2 delivery consultants"), the same on every page.
ROLE_NAMES: dict[str, str] = {"AE": "account executive", "SDR": "SDR", "SE": "sales engineer",
                              "CSM": "customer success manager", "SUPPORT": "support engineer",
                              "CONSULTANT": "delivery consultant", "MANAGER": "manager"}


def roles_in_words(counts: str) -> str:
    """``"8 AE, 13 CONSULTANT"`` (step 3's hires by role) → ``"8 account executives, 13 delivery consultants"``:
    each role by its name in :data:`ROLE_NAMES` (a role it does not name stays as it is)."""
    parts = []
    for part in filter(None, (piece.strip() for piece in counts.split(","))):
        count, _, role = part.partition(" ")
        name = ROLE_NAMES.get(role, role)
        parts.append(f"{count} {name}{'s' if count != '1' and name != role else ''}")
    return ", ".join(parts)


#: The role of a person whose role the data does not say and no derivation rule gives (``derive.py``): kept for
#: names, ownership and activity totals, never counted as a seller, a supporting role or a manager.
UNKNOWN_ROLE = "UNKNOWN"
#: Values ``reps.role`` may hold.
ROLE_VALUES: tuple[str, ...] = (*ROLES, UNKNOWN_ROLE)
#: The named activity types, each counted by its own KPI (emails, calls, meetings, demos, proposals).
ACTIVITY_TYPES: tuple[str, ...] = ("email", "call", "meeting", "demo", "proposal")
#: Any other logged activity (a CRM's notes and tasks): counted in activity totals and selling time, in none
#: of the named KPIs.
OTHER_ACTIVITY = "other"
#: Values ``activities.type`` may hold.
ACTIVITY_TYPE_VALUES: tuple[str, ...] = (*ACTIVITY_TYPES, OTHER_ACTIVITY)
PRODUCT_KINDS: tuple[str, ...] = ("subscription", "service", "hardware")
FORECAST_CATEGORIES: tuple[str, ...] = ("pipeline", "best_case", "commit", "closed", "omitted")
SUBMISSION_CATEGORIES: tuple[str, ...] = ("commit", "best_case")
SEGMENTS: tuple[str, ...] = ("SMB", "MM", "ENT")
#: Account size bands (employees, lower bound included, upper excluded) of the segments: an account's segment
#: by its size, which gives a deal's segment when the owning rep's is not known.
SEGMENT_BANDS: tuple[tuple[float, float, str], ...] = ((0, 200, "SMB"), (200, 2000, "MM"), (2000, math.inf, "ENT"))


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column.

    ``required`` means the column must be present when its table is; ``nullable`` whether a row may
    leave it empty. ``allowed`` lists the only values accepted (after value mapping);
    ``non_negative`` rejects values below zero, ``positive`` zero as well. ``derived_from`` says, in words, what
    the column is derived from when the export lacks it or leaves a cell empty (``derive.py``'s rules fill it
    after validation and record an adjustment); a derivable column is never required.
    """

    name: str
    kind: str
    required: bool
    description: str
    example: str
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    non_negative: bool = False
    positive: bool = False  # rejects zero too (a divisor such as an exchange rate)
    personal: bool = False  # personal data: never shown on executive pages
    money: bool = False  # an amount in the company currency: checked for other currencies and outliers
    wide_range: bool = False  # values span orders of magnitude by nature (company revenues): no outlier rule
    derived_from: str | None = None

    def __post_init__(self):
        if self.derived_from and self.required:
            raise ValueError(f"column {self.name!r}: a derivable column is not required")


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of this table must match ``ref_table.ref_column`` when that table is present."""

    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class DateOrder:
    """``later`` must not be before ``earlier`` on the same row (both may be empty)."""

    earlier: str
    later: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    date_orders: tuple[DateOrder, ...] = ()
    required: bool = False
    #: (foreign key column, referenced table's date, this table's date): this row's date not before that of the
    #: row its key names (a change of a deal dated before the deal was created).
    linked_date_orders: tuple[tuple[str, str, str], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    @property
    def derivable_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.derived_from]

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no canonical column {name!r}")


def _c(name, kind, required, description, example, **kw) -> ColumnSpec:
    return ColumnSpec(name, kind, required, description, example, **kw)


REPS = TableSpec(
    "reps",
    "Everyone in the revenue team: account executives and the roles that support them.",
    (
        _c("rep_id", "string", True, "Unique id of the person.", "R0001", nullable=False),
        _c("name", "string", False, "Full name.", "Dana Smith", derived_from="`rep_id`"),
        _c("role", "string", False, "Job role; `UNKNOWN` counts in no capacity.", "AE", allowed=ROLE_VALUES,
           derived_from="who manages and who owns deals: `MANAGER` when named in a `manager_id`, else `AE` when "
                        "owning opportunities or leads or submitting forecasts, else `UNKNOWN`"),
        _c("manager_id", "string", False, "rep_id of the person's manager.", "R0002"),
        _c("region", "string", False, "Sales region the person covers.", "EMEA"),
        _c("segment", "string", False, "Customer segment the person covers (SMB, MM, ENT).", "MM",
           derived_from="the accounts an `AE` won: the size band (`accounts.employees`) of most of their won "
                        "value in the last four complete quarters"),
        _c("hire_date", "date", False, "First working day.", "2024-03-04"),
        _c("end_date", "date", False, "Last working day; empty while employed.", "2025-09-30"),
        _c("quota", "float", False, "Quarterly bookings quota, company currency.", "180000", non_negative=True,
           money=True),
        _c("ote", "float", False, "Annual on-target earnings, company currency.", "160000", non_negative=True,
           money=True),
    ),
    primary_key=("rep_id",),
    foreign_keys=(ForeignKey("manager_id", "reps", "rep_id"),),
    date_orders=(DateOrder("hire_date", "end_date"),),
)

ACCOUNTS = TableSpec(
    "accounts",
    "Companies the team sells to: customers and prospects.",
    (
        _c("account_id", "string", True, "Unique id of the company.", "A000123", nullable=False),
        _c("name", "string", False, "Company name as entered in the CRM.", "Acme Logistics",
           derived_from="`account_id`"),
        _c("industry", "string", False, "Industry.", "Manufacturing"),
        _c("employees", "int", False, "Number of employees.", "420", non_negative=True),
        _c("annual_revenue", "float", False, "Annual revenue, company currency.", "56000000", non_negative=True,
           money=True, wide_range=True),
        _c("region", "string", False, "Sales region.", "NA"),
        _c("country", "string", False, "Country.", "US"),
        _c("owner_rep_id", "string", False, "rep_id of the account owner.", "R0001"),
        _c("created_date", "date", False, "When the account was created in the CRM.", "2023-05-17"),
    ),
    primary_key=("account_id",),
    foreign_keys=(ForeignKey("owner_rep_id", "reps", "rep_id"),),
)

LEADS = TableSpec(
    "leads",
    "Marketing and sales leads, with their engagement and whether they converted to an opportunity.",
    (
        _c("lead_id", "string", True, "Unique id of the lead.", "L0004711", nullable=False),
        _c("created_date", "date", True, "When the lead was created.", "2025-02-11", nullable=False),
        _c("source", "string", False, "Lead source.", "webinar"),
        _c("account_id", "string", False, "Matched account, if any.", "A000123"),
        _c("company", "string", False, "Company name as the lead gave it.", "Acme Logistics"),
        _c("industry", "string", False, "Industry.", "Manufacturing"),
        _c("employees", "int", False, "Company size in employees.", "420", non_negative=True),
        _c("region", "string", False, "Sales region.", "NA"),
        _c("title", "string", False, "Job title of the contact.", "VP Operations"),
        _c("email_opens", "int", False, "Marketing emails opened.", "7", non_negative=True),
        _c("email_clicks", "int", False, "Links clicked in marketing emails.", "2", non_negative=True),
        _c("page_views", "int", False, "Website pages viewed.", "15", non_negative=True),
        _c("form_fills", "int", False, "Web forms submitted.", "1", non_negative=True),
        _c("demo_requests", "int", False, "Demo requests made.", "0", non_negative=True),
        _c("status", "string", False, "Lead status in the CRM.", "working"),
        _c("converted", "bool", False, "Whether the lead became an opportunity.", "true"),
        _c("converted_date", "date", False, "When it converted.", "2025-03-02"),
        _c("owner_rep_id", "string", False, "rep_id of the lead owner.", "R0031"),
        _c("email", "string", False, "Contact e-mail (personal data).", "dana@acme.example", personal=True),
        _c("phone", "string", False, "Contact phone (personal data).", "+1 555 0100", personal=True),
    ),
    primary_key=("lead_id",),
    foreign_keys=(
        ForeignKey("account_id", "accounts", "account_id"),
        ForeignKey("owner_rep_id", "reps", "rep_id"),
    ),
    date_orders=(DateOrder("created_date", "converted_date"),),
)

OPPORTUNITIES = TableSpec(
    "opportunities",
    "Deals: open, won and lost. The only table the workbook cannot do without.",
    (
        _c("opportunity_id", "string", True, "Unique id of the deal.", "O0012345", nullable=False),
        _c("account_id", "string", False, "Account the deal is with.", "A000123"),
        _c("rep_id", "string", True, "Owner (account executive).", "R0001", nullable=False),
        _c("product", "string", False, "Main product of the deal.", "Platform"),
        _c("created_date", "date", True, "When the deal was created.", "2026-01-15", nullable=False),
        _c("close_date", "date", True, "Actual close date of a closed deal (needed); expected close date of an "
           "open one (may be empty: counted by the data-quality audit).",
           "2026-03-27"),
        _c("stage", "string", True, "Current stage, mapped onto the canonical stages.", "proposal",
           nullable=False, allowed=STAGES),
        _c("max_stage", "string", False, "Furthest open stage the deal reached (a lost deal: where it was lost).",
           "demo", allowed=OPEN_STAGES),
        _c("amount", "float", True, "Deal value, company currency (first-year contract value). May be empty on "
           "an open deal (counted by the data-quality audit); a won deal needs one.", "24000", non_negative=True,
           money=True),
        _c("is_closed", "bool", False, "Closed (won or lost); derived from the stage when absent.", "false"),
        _c("is_won", "bool", False, "Won; derived from the stage when absent.", "false"),
        _c("forecast_category", "string", False, "Rep's forecast category.", "commit",
           allowed=FORECAST_CATEGORIES),
        _c("lead_id", "string", False, "Lead the deal came from.", "L0004711"),
        _c("currency", "string", False, "Currency the amount was entered in (ISO code); empty: the company "
           "currency. Other currencies are converted with the currency_rates table.", "EUR"),
    ),
    primary_key=("opportunity_id",),
    foreign_keys=(
        ForeignKey("rep_id", "reps", "rep_id"),
        ForeignKey("account_id", "accounts", "account_id"),
        ForeignKey("product", "products", "product"),
        ForeignKey("lead_id", "leads", "lead_id"),
    ),
    date_orders=(DateOrder("created_date", "close_date"),),
    required=True,
)

ACTIVITIES = TableSpec(
    "activities",
    "Logged sales activities.",
    (
        _c("activity_id", "string", True, "Unique id of the activity.", "X00098765", nullable=False),
        _c("rep_id", "string", True, "Who did it.", "R0001", nullable=False),
        _c("timestamp", "datetime", True, "When it happened.", "2026-02-03 14:30:00", nullable=False),
        _c("type", "string", True, "Kind of activity; `other` (notes, tasks) counts in totals and time only.",
           "demo", nullable=False, allowed=ACTIVITY_TYPE_VALUES),
        _c("opportunity_id", "string", False, "Deal it belongs to, if any.", "O0012345"),
        _c("duration_minutes", "float", False, "Time spent, minutes.", "45", non_negative=True),
    ),
    primary_key=("activity_id",),
    foreign_keys=(
        ForeignKey("rep_id", "reps", "rep_id"),
        ForeignKey("opportunity_id", "opportunities", "opportunity_id"),
    ),
)

PRODUCTS = TableSpec(
    "products",
    "What the company sells.",
    (
        _c("product", "string", True, "Product name, as used on opportunities and orders.", "Platform",
           nullable=False),
        _c("family", "string", False, "Product family.", "Software"),
        _c("kind", "string", False, "subscription, service or hardware. Without it, the analyses that need it "
           "(recurring revenue, hardware units and stock) say so instead of guessing.", "hardware",
           allowed=PRODUCT_KINDS),
        _c("unit_price", "float", False, "List price per unit, company currency.", "1200", non_negative=True,
           money=True),
        _c("unit_cost", "float", False, "Cost per unit, company currency.", "700", non_negative=True, money=True),
        _c("lead_time_days", "int", False, "Supplier lead time for physical products, days.", "45",
           non_negative=True),
        _c("on_hand", "int", False, "Units in stock today (physical products).", "350", non_negative=True),
    ),
    primary_key=("product",),
)

ORDERS = TableSpec(
    "orders",
    "Shipped orders of physical products, for unit demand and inventory planning.",
    (
        _c("order_id", "string", False, "Unique id of the order line.", "S0001234"),
        _c("order_date", "date", True, "When it was ordered.", "2026-02-14", nullable=False),
        _c("product", "string", True, "Product name.", "Edge Gateway", nullable=False),
        _c("region", "string", False, "Sales region.", "EMEA"),
        _c("units", "int", True, "Units ordered.", "12", nullable=False, non_negative=True),
        _c("revenue", "float", False, "Order revenue, company currency.", "14400", non_negative=True, money=True),
    ),
    primary_key=("order_id",),
    foreign_keys=(ForeignKey("product", "products", "product"),),
)

FORECAST_SUBMISSIONS = TableSpec(
    "forecast_submissions",
    "What each rep said they would close in a quarter, as submitted.",
    (
        _c("submitted_date", "date", True, "When the forecast was submitted.", "2026-01-08", nullable=False),
        _c("rep_id", "string", True, "Who submitted it.", "R0001", nullable=False),
        _c("period", "string", True, "Quarter forecast, as a quarter label.", "2026Q1", nullable=False),
        _c("category", "string", True, "commit or best_case.", "commit", nullable=False,
           allowed=SUBMISSION_CATEGORIES),
        _c("amount", "float", True, "Forecast bookings, company currency.", "150000", nullable=False,
           non_negative=True, money=True),
    ),
    primary_key=("rep_id", "period", "category", "submitted_date"),
    foreign_keys=(ForeignKey("rep_id", "reps", "rep_id"),),
)

QUOTAS = TableSpec(
    "quotas",
    "Bookings quotas as the CRM holds them: one row per rep and period (monthly or quarterly rows). A quarter's "
    "quota is the sum of the rows starting in it; reps without a quota column get theirs from here.",
    (
        _c("rep_id", "string", True, "Whose quota.", "R0001", nullable=False),
        _c("start_date", "date", True, "First day of the period the row covers (a month or a quarter).",
           "2026-01-01", nullable=False),
        _c("amount", "float", True, "Bookings quota of the period, company currency.", "60000", nullable=False,
           non_negative=True, money=True),
    ),
    primary_key=("rep_id", "start_date"),
    foreign_keys=(ForeignKey("rep_id", "reps", "rep_id"),),
)

OPPORTUNITY_LINES = TableSpec(
    "opportunity_lines",
    "The products of each deal, one row per line item. Deals without a product take that of their largest "
    "line; without a products table, the products are those sold on lines.",
    (
        _c("line_id", "string", False, "Unique id of the line item.", "OL000123"),
        _c("opportunity_id", "string", True, "Deal the line belongs to.", "O0012345", nullable=False),
        _c("product", "string", True, "Product name, as on opportunities and products.", "Platform",
           nullable=False),
        _c("quantity", "float", False, "Units sold on the line.", "12", non_negative=True),
        _c("unit_price", "float", False, "Price per unit, company currency.", "1200", non_negative=True, money=True),
        _c("amount", "float", False, "Line total, company currency; quantity × unit_price when empty.", "14400",
           non_negative=True, money=True),
    ),
    primary_key=("line_id",),
    foreign_keys=(
        ForeignKey("opportunity_id", "opportunities", "opportunity_id"),
        ForeignKey("product", "products", "product"),
    ),
)

CURRENCY_RATES = TableSpec(
    "currency_rates",
    "Exchange rates for deals entered in several currencies (Salesforce CurrencyType / DatedConversionRate): "
    "units of each currency per one unit of a base currency, the company currency or one listed here.",
    (
        _c("currency", "string", True, "ISO code of the currency.", "EUR", nullable=False),
        _c("rate", "float", True, "Units of this currency per one unit of the base currency.", "0.92",
           nullable=False, positive=True),
        _c("start_date", "date", False, "First day the rate is in force (until the next start date of the same "
           "currency); empty: in force from the beginning.", "2026-01-01"),
    ),
    primary_key=("currency", "start_date"),
)

OPPORTUNITY_HISTORY = TableSpec(
    "opportunity_history",
    "One row per change of a deal (Salesforce OpportunityHistory, HubSpot deal stage history): the open pipeline "
    "as it stood on any past date. Stage and forecast category are mapped like the opportunities' own.",
    (
        _c("history_id", "string", False, "Unique id of the change.", "H0098765"),
        _c("opportunity_id", "string", True, "Deal that changed.", "O0012345", nullable=False),
        _c("changed_at", "datetime", True, "When the change was made.", "2026-02-03 14:30:00", nullable=False),
        _c("stage", "string", True, "Stage after the change (data.values.opportunities.stage applies too).",
           "proposal", nullable=False, allowed=STAGES),
        _c("amount", "float", False, "Deal value after the change, company currency.", "24000", non_negative=True,
           money=True),
        _c("close_date", "date", False, "Expected close date after the change.", "2026-03-27"),
        _c("forecast_category", "string", False, "Forecast category after the change.", "commit",
           allowed=FORECAST_CATEGORIES),
    ),
    primary_key=("history_id",),
    foreign_keys=(ForeignKey("opportunity_id", "opportunities", "opportunity_id"),),
    linked_date_orders=(("opportunity_id", "created_date", "changed_at"),),
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (REPS, ACCOUNTS, LEADS, OPPORTUNITIES, ACTIVITIES, PRODUCTS, ORDERS, FORECAST_SUBMISSIONS,
                 OPPORTUNITY_HISTORY, CURRENCY_RATES,
                 QUOTAS, OPPORTUNITY_LINES)
}

#: Value mappings a column shares with another table's column: data.values of the latter apply to the former,
#: under the former's own (a user maps the stages once, for opportunities).
SHARED_VALUES: dict[tuple[str, str], tuple[str, str]] = {
    ("opportunity_history", "stage"): ("opportunities", "stage"),
    ("opportunity_history", "forecast_category"): ("opportunities", "forecast_category"),
}

#: Order in which tables are validated, so foreign keys point at tables already checked.
LOAD_ORDER: tuple[str, ...] = (
    "currency_rates", "reps", "accounts", "products", "leads", "opportunities", "opportunity_lines", "activities",
    "orders", "forecast_submissions", "opportunity_history", "quotas",
)


def personal_columns() -> dict[str, list[str]]:
    """Per table, the columns holding personal data that executive pages must not show."""
    return {name: [c.name for c in spec.columns if c.personal] for name, spec in TABLES.items()}
