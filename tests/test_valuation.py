"""Open deals without an amount are valued by a stated rule (median won deal of the same segment and product,
then segment, then every won deal), never counted as $0 unsaid; a win rate by value is not measured when lost
deals carry no amount."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salesops.collect import kpis, valuation
from salesops.collect import overview as collect_overview
from salesops.plan_params import load_params

from builders import ROOT, make_opportunities

AS_OF = pd.Timestamp("2026-12-31")
COLUMNS = ["opportunity_id", "rep_id", "created_date", "close_date", "stage", "amount", "segment", "product"]


def _deals() -> pd.DataFrame:
    won = [  # SMB/Basic: 10k, 20k, 30k -> median 20k; SMB/Pro: 2 deals only (too few); ENT: 100k
        ("W1", "R1", "2026-01-01", "2026-03-01", "closed_won", 10_000.0, "SMB", "Basic"),
        ("W2", "R1", "2026-01-01", "2026-04-01", "closed_won", 20_000.0, "SMB", "Basic"),
        ("W3", "R1", "2026-01-01", "2026-05-01", "closed_won", 30_000.0, "SMB", "Basic"),
        ("W4", "R1", "2026-01-01", "2026-06-01", "closed_won", 50_000.0, "SMB", "Pro"),
        ("W5", "R1", "2026-01-01", "2026-07-01", "closed_won", 60_000.0, "SMB", "Pro"),
        ("W6", "R2", "2026-01-01", "2026-08-01", "closed_won", 100_000.0, "ENT", "Pro"),
        ("W0", "R2", "2024-01-01", "2024-08-01", "closed_won", 900_000.0, "ENT", "Pro"),  # outside the window
    ]
    other = [
        ("L1", "R1", "2026-01-01", "2026-09-01", "closed_lost", None, "SMB", "Basic"),  # lost: never valued
        ("O1", "R1", "2026-10-01", "2027-02-01", "proposal", None, "SMB", "Basic"),  # -> 20k (segment+product)
        ("O2", "R1", "2026-10-01", "2027-02-01", "qualify", 0.0, "SMB", "Pro"),  # -> SMB median 30k (5 deals)
        ("O3", "R2", "2026-10-01", "2027-02-01", "qualify", None, "MM", "Basic"),  # -> all: median of 6 = 40k
        ("O4", "R2", "2026-10-01", "2027-02-01", "demo", 7_000.0, "ENT", "Pro"),  # entered: kept
    ]
    return make_opportunities(won + other, COLUMNS)


def test_open_deals_without_amount_take_the_median_won_deal_of_the_narrowest_group_with_three_wins():
    deals = _deals()
    valued = valuation.value_open_deals(deals, AS_OF, 12)
    by_id = valued.set_index("opportunity_id")
    assert by_id.loc[["O1", "O2", "O3", "O4"], "amount"].tolist() == [20_000.0, 30_000.0, 40_000.0, 7_000.0]
    assert by_id.loc[["O1", "O2", "O3", "O4"], "amount_basis"].tolist() == [
        "won deals of SMB / Basic", "won deals of SMB", "every won deal", "entered"]
    assert pd.isna(by_id.loc["L1", "amount"]) and by_id.loc["L1", "amount_basis"] == "entered"
    pd.testing.assert_frame_equal(deals, _deals())  # input untouched
    summary = valuation.valuation_summary(valued, AS_OF)
    assert summary == {"open_deals": 4, "entered_value": 7_000.0, "valued_deals": 3, "valued_value": 90_000.0,
                       "line_deals": 0, "open_value": 97_000.0}


def test_rule_none_leaves_amounts_as_entered_and_the_page_says_they_count_as_zero():
    valued = valuation.value_open_deals(_deals(), AS_OF, 12, "none")
    assert valued.set_index("opportunity_id").loc["O1", "amount"] is pd.NA or math.isnan(
        valued.set_index("opportunity_id").loc["O1", "amount"])
    summary = valuation.valuation_summary(valued, AS_OF)
    assert summary["valued_deals"] == 0
    with pytest.raises(ValueError, match="rule must be one of median_won, none"):
        valuation.value_open_deals(_deals(), AS_OF, 12, "mean")


def test_the_page_says_how_much_of_the_pipeline_is_valued():
    params = load_params("2027Q1", root=ROOT)
    summary = valuation.valuation_summary(valuation.value_open_deals(_deals(), AS_OF, 12), AS_OF)
    assert collect_overview.valuation_sentence(summary, params) == [
        "3 of the 4 open deals carry no amount: each is valued at the median won deal of its segment and product "
        "over the last 12 months, or of a wider group where fewer than 3 such deals were won "
        "(collect.open_deal_value), $90k in all, so 93% of the $97k open pipeline is valued, not entered."]


def test_win_rate_by_value_is_not_measured_when_lost_deals_carry_no_amount():
    deals = make_opportunities([
        ("W1", "R1", "2026-01-01", "2026-03-01", "closed_won", 10_000.0),
        ("L1", "R1", "2026-01-01", "2026-04-01", "closed_lost", 0.0),
        ("L2", "R1", "2026-01-01", "2026-04-01", "closed_lost", None),
        ("L3", "R1", "2026-01-01", "2026-04-01", "closed_lost", 5_000.0),
    ], COLUMNS[:6])
    rates = kpis.win_rates(deals, AS_OF, 12).iloc[0]
    assert rates["win_rate_count"] == 0.25
    assert math.isnan(rates["win_rate_value"])  # 1 of 3 losses priced: below kpis.MIN_PRICED_LOSS_SHARE
    priced = deals.assign(amount=deals["amount"].fillna(5_000.0))  # 2 of 3 priced: 10k / (10k + 10k)
    assert kpis.win_rates(priced, AS_OF, 12).iloc[0]["win_rate_value"] == 0.5


def test_an_open_deal_with_line_items_is_worth_its_lines_at_list_price():
    lines = pd.DataFrame({"opportunity_id": ["O1", "O1", "O3"], "product": ["Basic", "Pro", "Pro"],
                          "quantity": [2.0, 1.0, 3.0], "unit_price": [None, 500.0, None],
                          "amount": [None, None, 900.0]})
    products = pd.DataFrame({"product": ["Basic", "Pro"], "unit_price": [100.0, 450.0]})
    valued = valuation.value_open_deals(_deals(), AS_OF, 12, lines=lines, products=products).set_index("opportunity_id")
    # O1: 2 × Basic at list price 100 + 1 × Pro at the line's own 500 = 700; O3: its line amount 900;
    # O2 has no line: the median rule (SMB, 30k)
    assert valued.loc[["O1", "O2", "O3"], "amount"].tolist() == [700.0, 30_000.0, 900.0]
    assert valued.loc[["O1", "O2", "O3"], "amount_basis"].tolist() == ["line items", "won deals of SMB", "line items"]
    summary = valuation.valuation_summary(valued.reset_index(), AS_OF)
    assert summary["line_deals"] == 2 and summary["valued_deals"] == 3
    [sentence] = collect_overview.valuation_sentence(summary, load_params("2027Q1", root=ROOT))
    assert sentence.startswith("3 of the 4 open deals carry no amount: 2 from their line items (quantity × price); "
                               "the other 1 at the median won deal")
