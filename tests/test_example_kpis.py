"""The workbook's KPIs on the three real exports equal the same KPIs counted by a few lines of pandas straight
from the raw files: won bookings by month, win rate by count, average won deal, median cycle, open pipeline
count and value, and won bookings per owner.

The workbook side is step 1 run in-process (its ``run`` and ``write``, no notebook kernel) on the export as it
is, with the committed mapping (``examples/<name>/params.yaml``); the numbers compared are its artifacts and
the result the page shows. The raw side reads each export with plain ``pandas.read_csv`` and the export's own
column names and stage labels, written out below, never through the workbook's reading code.

The definitions are the workbook's (``salesops.deals``, ``collect/kpis.py``), matched exactly here:

* won: stage ``Closed Won``; closed: ``Closed Won`` or ``Closed Lost``; dates are calendar days (a creation
  time of day is dropped).
* the window: 12 months (``collect.window_months``) ending on ``as_of``, the half-open interval
  ``(as_of - 12 months, as_of]``; every example's as_of is a month end, so the window is 12 whole months
  (2017-06-30: 2016-07-01 .. 2017-06-30).
* win rate by count: won / closed among the deals closed in the window; average won deal: mean amount of the
  won deals closed in the window; median cycle: median of close date - created date, in days, of those won
  deals.
* open at as_of: created on or before as_of and not closed by then (still open, or closed after as_of);
  the open pipeline value is the sum of their amounts (see the rule on open deals without amount below).
* won bookings by month: won amount by the calendar month of the close date, up to as_of, every month from
  the first won deal's to as_of's present (zeros in between).
* won bookings per owner: won amount per deal owner closed in the window (the ``rep_performance`` artifact,
  bookings per ramped month times ramped months; a CRM's placeholder owner such as "Unassigned" is no account
  executive and has no row there), and closed in the last complete quarter (the page's per-rep table, when the
  export has activities).

Two documented rules change the raw count, applied here explicitly: a deal that closes before it was created
breaks the contract and is set aside (``data.on_row_error: quarantine``, listed on the data-quality page), so the
raw count sets such rows aside itself and checks that the workbook set aside the same spreadsheet rows; and a
deal still open without an amount (0 or empty) is valued by ``collect.open_deal_value``, so the raw count
checks that the workbook valued exactly those deals and takes their value from it. The exports live outside
the project (``../shared/data/exports/``); without them these tests skip, saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pytest

from salesops.collect import workflow as collect_workflow
from salesops.deals import window_start
from salesops.paths import project_paths
from salesops.plan_params import load_params
from salesops.runner.step import Step

from builders import ROOT
from test_examples import EXAMPLES, EXPORTS

WINDOW_MONTHS = 12  # collect.window_months in params/defaults.yaml; no example overrides it


@dataclass(frozen=True)
class RawDeals:
    """Where an export keeps its deals, in its own words."""

    file: str
    deal: str
    owner: str
    stage: str
    amount: str
    close: str
    created: str
    date_format: str | None = None
    read: dict = field(default_factory=dict)
    placeholder_owners: tuple[str, ...] = ()  # the CRM's names for "nobody owns this deal"


RAW = {
    "sfdc-wave-sdo": RawDeals("Opportunity.csv", "External_Id__c", "Owner.External_Id__c", "StageName", "Amount",
                              "CloseDate", "DateTimeCreated__c"),
    "hubspot-dummy": RawDeals("hubspot_deals.csv", "Deal ID", "Deal Owner", "Deal Stage", "Amount", "Close Date",
                              "Create Date"),
    "latam-pipeline-semicolon": RawDeals("Deals.csv", "deal_id", "owner", "stage", "amount_usd", "close_date",
                                         "deal_created_date", "%d/%m/%y",
                                         {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"},
                                         ("Unassigned", "Inactive User")),
}


def raw_deals(name: str) -> pd.DataFrame:
    """The export's deals as read by pandas alone: deal id, owner, amount, close and created dates (calendar days),
    won, closed, and ``row``, the spreadsheet row (the header is row 1)."""
    spec = RAW[name]
    raw = pd.read_csv(EXPORTS / name / spec.file, **spec.read)
    stage = raw[spec.stage]
    return pd.DataFrame({
        "row": raw.index + 2,
        "deal": raw[spec.deal].astype(str),
        "owner": raw[spec.owner],
        "amount": raw[spec.amount].astype("float64"),
        "close": pd.to_datetime(raw[spec.close], format=spec.date_format).dt.normalize(),
        "created": pd.to_datetime(raw[spec.created], format=spec.date_format).dt.normalize(),
        "won": stage.eq("Closed Won"),
        "closed": stage.isin(["Closed Won", "Closed Lost"]),
    })


@dataclass
class Example:
    name: str
    as_of: pd.Timestamp
    deals: pd.DataFrame  # the raw deals, the rows the workbook sets aside left out
    set_aside_rows: list[int]  # spreadsheet rows of the deals closing before they were created
    result: collect_workflow.CollectResult
    step: Step

    def closed_in_window(self) -> pd.DataFrame:
        deals = self.deals
        return deals[deals["closed"] & (deals["close"] > self.as_of - pd.DateOffset(months=WINDOW_MONTHS))
                     & (deals["close"] <= self.as_of)]

    def won_in_window(self) -> pd.DataFrame:
        closed = self.closed_in_window()
        return closed[closed["won"]]


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def example(request, tmp_path_factory) -> Example:
    name = request.param
    export = EXPORTS / name
    if not export.is_dir():
        pytest.skip(f"the real export {name} is not beside the project (expected in ../shared/data/exports/)")
    params = load_params(EXAMPLES[name], ROOT / "examples" / name / "params.yaml", ROOT)
    assert params.collect.window_months == WINDOW_MONTHS
    assert params.data_end.is_month_end  # the window below is then 12 whole months, as deals.window_start says
    step = Step("01_collect", params, project_paths(ROOT), tmp_path_factory.mktemp(name), export)
    result = collect_workflow.run(step)
    collect_workflow.write(step, result)
    deals = raw_deals(name)
    backwards = deals["close"] < deals["created"]
    return Example(name, params.data_end, deals[~backwards], deals.loc[backwards, "row"].tolist(), result, step)


def test_the_window_is_twelve_whole_months_as_the_workbook_counts_it(example):
    assert example.as_of - pd.DateOffset(months=WINDOW_MONTHS) == window_start(example.as_of, WINDOW_MONTHS)


def test_the_workbook_sets_aside_exactly_the_deals_that_close_before_they_were_created(example):
    rejects = example.step.read("rejects")
    assert sorted(rejects.loc[rejects["table"] == "opportunities", "row"].unique()) == example.set_aside_rows
    if example.name == "latam-pipeline-semicolon":
        assert example.set_aside_rows == [209]  # the one its params and README name


def test_won_bookings_by_month(example):
    won = example.deals[example.deals["won"] & (example.deals["close"] <= example.as_of)]
    month = won["close"].dt.to_period("M")
    months = pd.period_range(month.min(), example.as_of.to_period("M"), freq="M")
    expected = won.groupby(month)["amount"].agg(["sum", "size"]).reindex(months, fill_value=0)
    shown = example.step.read("bookings_monthly")
    assert shown["period"].dt.to_period("M").tolist() == months.tolist()
    assert shown["bookings"].tolist() == pytest.approx(expected["sum"].tolist(), rel=1e-12)
    assert shown["deals_won"].tolist() == expected["size"].tolist()


def test_win_rate_by_count_average_won_deal_and_median_cycle(example):
    closed, won = example.closed_in_window(), example.won_in_window()
    headline = example.step.read("kpi_headline").iloc[0]
    assert headline["win_rate_count"] == pytest.approx(len(won) / len(closed), rel=1e-12)
    assert headline["average_deal_size"] == pytest.approx(won["amount"].mean(), rel=1e-12)
    assert headline["median_cycle_days"] == (won["close"] - won["created"]).dt.days.median()
    cards = example.step.read("summary_01_collect").set_index("label")["value"]  # the cards of the page and index
    assert cards["Win rate"] == headline["win_rate_count"]
    assert cards["Average deal"] == headline["average_deal_size"]
    assert cards["Sales cycle"] == headline["median_cycle_days"]


def test_open_pipeline_count_and_value(example):
    deals = example.deals
    open_now = (deals["created"] <= example.as_of) & (~deals["closed"] | (deals["close"] > example.as_of))
    assert example.result.velocity["open_opportunities"].iloc[0] == open_now.sum()
    # the documented rule (collect.open_deal_value, median_won): a deal still open in the export whose amount is 0
    # or empty is valued at the median won deal of its group. The raw count takes the workbook's value for exactly
    # those deals and the amount as exported for every other.
    valued = example.step.read("table_opportunities").set_index("opportunity_id")
    without_amount = ~deals["closed"] & deals["amount"].fillna(0.0).eq(0.0)
    assert sorted(valued.index[valued["amount_basis"] != "entered"]) == sorted(deals.loc[without_amount, "deal"])
    amount = deals["amount"].where(~without_amount, deals["deal"].map(valued["amount"]))
    assert (amount[without_amount] > 0).all()
    assert example.step.read("kpi_headline")["open_pipeline_value"].iloc[0] == pytest.approx(
        amount[open_now].sum(), rel=1e-12)


def test_won_bookings_per_owner_in_the_window(example):
    # the documented rule: a CRM's placeholder owner ("Unassigned") is no account executive, so the deals it
    # holds count in the team's totals and in no rep's
    placeholders = RAW[example.name].placeholder_owners
    expected = example.won_in_window().groupby("owner")["amount"].sum().drop(list(placeholders), errors="ignore")
    performance = example.step.read("rep_performance").set_index("rep_id")
    assert not set(placeholders) & set(performance.index)
    assert (performance["ramped_months"] == WINDOW_MONTHS).all()  # no hire dates: every owner counts the window
    assert set(expected.index) <= set(performance.index)  # every owner who won something is there
    shown = performance["bookings_per_month"] * performance["ramped_months"]
    assert shown.sort_index().tolist() == pytest.approx(
        expected.reindex(shown.index, fill_value=0.0).sort_index().tolist(), rel=1e-12)


def test_won_bookings_per_owner_in_the_last_quarter_as_the_page_lists_them(example):
    per_rep = example.result.rep_activity
    if per_rep is None:
        assert example.result.activity_reason  # no activities: the page says why instead of the table
        return
    quarter = pd.Period(example.result.activity_quarter, freq="Q")
    won = example.deals[example.deals["won"] & (example.deals["close"].dt.to_period("Q") == quarter)]
    expected = won.groupby("owner")["amount"].sum()
    shown = per_rep.set_index("rep_id")["bookings"]
    assert shown[shown > 0].sort_index().to_dict() == pytest.approx(expected.sort_index().to_dict(), rel=1e-12)
