"""Unit tests of salesops.demand.plan on tiny hand-made frames; every expectation is computed by hand in the comments.

as_of is 2026-12-31 throughout; the planned period is 2027Q1 (2027-01-01 .. 2027-03-31, 31 + 28 + 31 days) and the
default 12-month history window is (2025-12-31, 2026-12-31], i.e. the calendar year 2026.
"""

from __future__ import annotations

import math
from functools import partial
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from salesops.demand import plan as demand_plan
from salesops.demand import workflow as demand_workflow
from salesops.contract.schema import TEXT_DTYPE
from salesops.plan_params import load_params
from salesops.demand.plan import DemandSettings

import builders
from builders import ROOT, L, W, assert_rejected

AS_OF = pd.Timestamp("2026-12-31")
START, END = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-03-31")


def z(interval: float) -> float:
    return NormalDist().inv_cdf(0.5 + interval / 2)


# --------------------------------------------------------------------------------------------------
# builders


def make_opportunities(rows, segment=True) -> pd.DataFrame:
    """rows: (opportunity_id, segment, created, close, stage, max_stage, amount, forecast_category, lead_id,
    product); every deal is R1's."""
    frame = builders.make_opportunities(rows, [
        "opportunity_id", "segment", "created_date", "close_date", "stage", "max_stage", "amount",
        "forecast_category", "lead_id", "product"])
    frame["rep_id"] = pd.array(["R1"] * len(frame), dtype=TEXT_DTYPE)
    return frame if segment else frame.drop(columns="segment")


#: rows: (lead_id, created_date, converted, converted_date, status).
make_leads = partial(builders.make_leads, columns=["lead_id", "created_date", "converted", "converted_date", "status"])


def _o(i, segment, created, close, stage, max_stage, amount, category=None, lead=None, product="Platform"):
    if category is None:
        category = {W: "closed", L: "omitted"}.get(stage, "pipeline")
    return (f"O{i}", segment, created, close, stage, max_stage, amount, category, lead, product)


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings_are_valid_and_frozen():
    settings = DemandSettings()
    assert settings.history_months == 12 and settings.slippage is True and settings.blend_weights is None
    assert settings.delivery_hours_per_deal["Edge Gateway"] == 0
    assert set(settings.delivery_hours_per_deal) == {"Platform", "Analytics", "Integrations", "Onboarding Services",
                                                      "Premium Support", "Edge Gateway"}
    with pytest.raises(ValidationError):
        settings.history_months = 6


@pytest.mark.parametrize("bad, words", [
    ({"history_months": 0}, ["history_months", "whole number of months from 1 to 60"]),
    ({"history_months": 6.5}, ["history_months", "whole number"]),
    ({"history_months": True}, ["history_months"]),
    ({"blend_weights": {"stats": 1.0}}, ["blend_weights", "method to weight (names: statistical, pipeline, leads)"]),
    ({"blend_weights": {"pipeline": -1}}, ["blend_weights.pipeline", "expected a weight of 0 or more"]),
    ({"blend_weights": {"pipeline": 0, "leads": 0}}, ["all 0", "null"]),
    ({"blend_weights": [0.5, 0.5]}, ["expected a mapping of method to weight"]),
    ({"delivery_hours_per_deal": {"Platform": -4}}, ["delivery_hours_per_deal.Platform", "a number of hours of 0 or more"]),
    ({"delivery_hours_per_deal": {" ": 4}}, ["delivery_hours_per_deal", "expected a mapping of product to hours"]),
    ({"customers_per_deal": -1}, ["customers_per_deal", "0 or more"]),
    ({"support_tickets_per_customer_month": "lots"}, ["support_tickets_per_customer_month"]),
    ({"interval": 1.0}, ["interval", "expected a probability above 0 and below 1"]),
    ({"agreement_tolerance": 2}, ["agreement_tolerance"]),
    ({"min_rate_deals": 0}, ["min_rate_deals", "whole number of deals of 1 or more"]),
    ({"lead_forecast_scope": "everything"}, ["lead_forecast_scope"]),
    ({"histroy_months": 12}, ["histroy_months", "Extra inputs are not permitted"]),
])
def test_bad_settings_give_clear_errors(bad, words):
    assert_rejected(DemandSettings, bad, words)


def test_bad_arguments_name_the_argument():
    opps = make_opportunities([_o(1, "SMB", "2026-01-01", "2027-01-15", "demo", "demo", 100.0)])
    with pytest.raises(ValueError, match="settings must be a DemandSettings"):
        demand_plan.stage_close_rates(opps, AS_OF, settings={"history_months": 12})
    with pytest.raises(ValueError, match=r"period_end \(2026-12-01\) must be after as_of"):
        demand_plan.pipeline_forecast(opps, AS_OF, "2026-10-01", "2026-12-01")
    with pytest.raises(ValueError, match="period_start .* must not be after period_end"):
        demand_plan.pipeline_forecast(opps, AS_OF, END, START)
    with pytest.raises(ValueError, match="as_of must be a date"):
        demand_plan.pipeline_forecast(opps, "not a date", START, END)
    with pytest.raises(ValueError, match="target must be a bookings amount greater than 0"):
        demand_plan.pipeline_forecast(opps, AS_OF, START, END, target=-5)
    with pytest.raises(ValueError, match="opportunities is missing required column"):
        demand_plan.pipeline_forecast(opps.drop(columns="amount"), AS_OF, START, END)
    with pytest.raises(ValueError, match="slip_share must be a fraction"):
        demand_plan.pipeline_forecast(opps, AS_OF, START, END, slip_share=1.5)


# --------------------------------------------------------------------------------------------------
# stage close rates and slippage


@pytest.fixture
def history() -> pd.DataFrame:
    """Five deals closed in 2026 (the window), one before it and one open:

    A won (max negotiate)          -> passed every stage (progress 5)
    B lost at demo                 -> reached qualify, discover, demo (progress 2)
    C lost at qualify              -> progress 0
    D won with max_stage proposal  -> a win passes every stage, even one skipped (progress 5)
    E lost, no max_stage           -> only the first stage (progress 0)
    F won in 2025 (outside the window) and G open: not counted.
    """
    return make_opportunities([
        _o(1, "SMB", "2026-01-01", "2026-02-01", W, "negotiate", 1000.0),
        _o(2, "SMB", "2026-01-01", "2026-03-01", L, "demo", 500.0),
        _o(3, "ENT", "2026-01-01", "2026-04-01", L, "qualify", 500.0),
        _o(4, "ENT", "2026-01-01", "2026-05-01", W, "proposal", 2000.0),
        _o(5, "ENT", "2026-01-01", "2026-06-01", L, None, 1000.0),
        _o(6, "SMB", "2025-01-01", "2025-06-30", W, "negotiate", 9999.0),
        _o(7, "SMB", "2026-06-01", "2027-02-01", "demo", "demo", 9999.0),
    ])


def test_stage_close_rates_by_hand(history):
    # reached: qualify A B C D E (5, won 2); discover and demo A B D (3, won 2); proposal, negotiate A D (2, won 2)
    expected = pd.DataFrame({
        "stage": pd.array(["qualify", "discover", "demo", "proposal", "negotiate"], dtype="string[pyarrow]"),
        "deals": np.array([5, 3, 3, 2, 2], dtype="int64"),
        "won": np.array([2, 2, 2, 2, 2], dtype="int64"),
        "close_rate": [2 / 5, 2 / 3, 2 / 3, 1.0, 1.0],
        "rate_basis": pd.array(["stage"] * 5, dtype="string[pyarrow]"),
    })
    assert_frame_equal(demand_plan.stage_close_rates(history, AS_OF), expected)  # 2 of 3 losses record a stage


def test_stage_close_rates_fall_back_to_the_win_rate_when_losses_record_no_stage(history):
    # B and C lose their max_stage: 0 of 3 losses record how far they got, so every stage closes at 2 / 5
    unrecorded = history.assign(max_stage=history["max_stage"].where(~history["opportunity_id"].isin(["O2", "O3"])))
    rates = demand_plan.stage_close_rates(unrecorded, AS_OF)
    assert rates["close_rate"].tolist() == [2 / 5] * 5 and set(rates["rate_basis"]) == {"win rate"}
    by_segment = demand_plan.stage_close_rates(unrecorded, AS_OF, by="segment").set_index(["segment", "stage"])
    assert by_segment.loc[("ENT", "negotiate"), "close_rate"] == 1 / 3  # ENT: D won, C and E lost
    assert by_segment.loc[("SMB", "proposal"), "close_rate"] == 1 / 2


def test_stage_close_rates_by_segment_and_window(history):
    by_segment = demand_plan.stage_close_rates(history, AS_OF, by="segment")
    ent = by_segment.loc[by_segment["segment"] == "ENT"]
    # ENT: C (progress 0), D (5), E (0): qualify 3 deals 1 won; later stages only D
    assert ent["deals"].tolist() == [3, 1, 1, 1, 1]
    assert ent["close_rate"].tolist() == pytest.approx([1 / 3, 1, 1, 1, 1])
    # a 6-month window (2026-06-30, 2026-12-31] holds no closed deal: zero counts, NaN rates
    short = demand_plan.stage_close_rates(history, AS_OF, DemandSettings(history_months=6))
    assert short["deals"].tolist() == [0] * 5 and short["close_rate"].isna().all()


def test_close_date_slippage_by_hand():
    opps = make_opportunities([
        _o(1, "SMB", "2026-01-01", "2026-05-01", W, "negotiate", 100.0),    # due, closed on its date
        _o(2, "SMB", "2026-01-01", "2026-08-01", L, "demo", 300.0),         # due, closed
        _o(3, "SMB", "2026-01-01", "2026-11-30", "demo", "demo", 100.0),    # due 31 days ago, still open: slipped
        _o(4, "SMB", "2026-01-01", "2026-12-31", "demo", "demo", 50.0),     # due today: not late yet
        _o(5, "SMB", "2025-01-01", "2025-06-01", "demo", "demo", 500.0),    # stale, but due before the window
        _o(6, "SMB", "2026-01-01", "2027-02-01", "demo", "demo", 70.0),     # due later
    ])
    # due: 1, 2, 3 (value 500); slipped: 3 (value 100) -> 100 / 500 = 0.2 by value, 1 / 3 by count
    expected = pd.DataFrame({
        "due_deals": np.array([3], dtype="int64"), "due_value": [500.0],
        "slipped_deals": np.array([1], dtype="int64"), "slipped_value": [100.0],
        "slip_share_count": [1 / 3], "slip_share": [0.2], "median_days_late": [31.0],
    })
    assert_frame_equal(demand_plan.close_date_slippage(opps, AS_OF), expected)


# --------------------------------------------------------------------------------------------------
# pipeline forecast


@pytest.fixture
def three_deals() -> pd.DataFrame:
    """Three open deals due in 2027Q1, no segment column."""
    return make_opportunities([
        _o(1, None, "2026-11-01", "2027-01-15", "proposal", "proposal", 10_000.0, "commit"),
        _o(2, None, "2026-11-01", "2027-02-10", "demo", "demo", 20_000.0, "best_case"),
        _o(3, None, "2026-12-01", "2027-03-20", "qualify", "qualify", 40_000.0, "pipeline"),
    ], segment=False)


RATES = pd.DataFrame({"stage": ["qualify", "discover", "demo", "proposal", "negotiate"],
                      "close_rate": [0.2, 0.3, 0.5, 0.6, 0.8]})


def test_pipeline_forecast_on_three_deals_by_hand(three_deals):
    settings = DemandSettings(interval=0.5)
    out = demand_plan.pipeline_forecast(three_deals, AS_OF, START, END, settings, target=30_000.0, close_rates=RATES,
                                        slip_share=0.25)
    # weighted  = 10,000 × 0.6 + 20,000 × 0.5 + 40,000 × 0.2 = 6,000 + 10,000 + 8,000 = 24,000
    # expected  = 24,000 × (1 − 0.25) = 18,000 (nothing won yet, so base = 18,000)
    # q (win in period) = 0.6 × 0.75 = 0.45, 0.5 × 0.75 = 0.375, 0.2 × 0.75 = 0.15
    # variance  = 10,000² × 0.45 × 0.55 + 20,000² × 0.375 × 0.625 + 40,000² × 0.15 × 0.85
    #           = 24.75e6 + 93.75e6 + 204e6 = 322.5e6;  sd = 17,958.28
    # 50 % interval: z = 0.67449; downside = 18,000 − 0.67449 × 17,958.28 = 5,887.4; upside = 30,112.6
    # commit total = 10,000; best case total = 10,000 + 20,000 = 30,000
    # coverage = (0 + 70,000) / 30,000 = 2.333; expected attainment = 18,000 / 30,000 = 0.6
    sd = math.sqrt(10_000**2 * 0.45 * 0.55 + 20_000**2 * 0.375 * 0.625 + 40_000**2 * 0.15 * 0.85)
    assert sd == pytest.approx(math.sqrt(322.5e6))
    expected = pd.DataFrame({
        "unique_id": pd.array(["total"], dtype="string[pyarrow]"),
        "segment": pd.array(["total"], dtype="string[pyarrow]"),
        "open_deals": np.array([3], dtype="int64"),
        "open_value": [70_000.0],
        "commit_value": [10_000.0],
        "best_case_value": [20_000.0],
        "weighted_value": [24_000.0],
        "slip_share": [0.25],
        "expected_pipeline": [18_000.0],
        "expected_new_deals": [0.0],  # no past quarter: the data start after the history window's first origin
        "new_deal_periods": np.array([0], dtype="int64"),
        "won_to_date": [0.0],
        "downside": [18_000.0 - z(0.5) * sd],
        "base": [18_000.0],
        "upside": [18_000.0 + z(0.5) * sd],
        "commit_total": [10_000.0],
        "best_case_total": [30_000.0],
        "stale_deals": np.array([0], dtype="int64"),
        "stale_value": [0.0],
        "target": [30_000.0],
        "coverage": [70_000.0 / 30_000.0],
        "expected_attainment": [0.6],
    })
    assert_frame_equal(out, expected)
    assert out["downside"].iloc[0] == pytest.approx(5_887.4, abs=0.1)

    # by month: January 10,000 × 0.45 = 4,500; February 20,000 × 0.375 = 7,500; March 40,000 × 0.15 = 6,000
    monthly = demand_plan.pipeline_forecast_by_month(three_deals, AS_OF, START, END, settings, close_rates=RATES,
                                                     slip_share=0.25)
    assert monthly["ds"].tolist() == [pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"),
                                      pd.Timestamp("2027-03-01")]
    assert monthly["base"].tolist() == pytest.approx([4_500.0, 7_500.0, 6_000.0])
    assert monthly["open_deals"].tolist() == [1, 1, 1]
    # January alone: sd = 10,000 × sqrt(0.45 × 0.55) = 4,974.9; downside 4,500 − 0.67449 × 4,974.9 = 1,144.4
    assert monthly["downside"].iloc[0] == pytest.approx(4_500 - z(0.5) * 10_000 * math.sqrt(0.45 * 0.55))

    # slippage switched off: slip_share is ignored, expected = weighted = 24,000
    off = demand_plan.pipeline_forecast(three_deals, AS_OF, START, END, DemandSettings(slippage=False),
                                        close_rates=RATES, slip_share=0.25)
    assert off["base"].iloc[0] == pytest.approx(24_000.0) and off["slip_share"].iloc[0] == 0.0


def test_pipeline_forecast_measured_rates_segments_and_exclusions():
    """Close rates and slippage measured, per segment with the all-segment fallback (min_rate_deals = 3).

    Closed in 2026 (the window): H1 SMB won 1,000; H2 SMB lost at qualify 500; H3 SMB lost at demo 500;
    H4 ENT won 2,000; H5 ENT lost at qualify 1,000.
      all:  qualify 2/5 = 0.4 (5 deals), discover 2/3 (H1 H3 H4)
      SMB:  qualify 1/3 (3 deals: used), discover 1/2 (2 deals < 3: the all-segment 2/3 instead)
      ENT:  qualify 1/2 (2 deals < 3: the all-segment 0.4 instead)
    Slippage, due in 2026: H1..H5 (5,000) and P5 (stale, 700): all 700 / 5,700; SMB (4 due deals: used)
    700 / 2,700 = 7/27; ENT (2 due deals): the all-segment 7/57.
    Open and due in 2027Q1: P1 SMB qualify 900 -> 900 × 1/3 × (1 − 7/27) = 300 × 20/27 = 222.22
                            P2 SMB discover 300 -> 300 × 2/3 × 20/27 = 200 × 20/27 = 148.15
                            P3 ENT qualify 1,000 -> 1,000 × 0.4 × (1 − 7/57) = 400 × 50/57 = 350.88
    P4 ENT omitted (left out), P5 SMB stale (reported apart), P6 due in April (after the period).
    """
    opps = make_opportunities([
        _o(1, "SMB", "2026-01-01", "2026-02-01", W, "negotiate", 1000.0),
        _o(2, "SMB", "2026-01-01", "2026-03-01", L, "qualify", 500.0),
        _o(3, "SMB", "2026-01-01", "2026-04-01", L, "demo", 500.0),
        _o(4, "ENT", "2026-01-01", "2026-05-01", W, "negotiate", 2000.0),
        _o(5, "ENT", "2026-01-01", "2026-06-01", L, "qualify", 1000.0),
        _o(11, "SMB", "2026-11-01", "2027-01-10", "qualify", "qualify", 900.0, "commit"),
        _o(12, "SMB", "2026-11-01", "2027-02-10", "discover", "discover", 300.0),
        _o(13, "ENT", "2026-11-01", "2027-03-10", "qualify", "qualify", 1000.0, "best_case"),
        _o(14, "ENT", "2026-11-01", "2027-03-10", "demo", "demo", 5000.0, "omitted"),
        _o(15, "SMB", "2026-06-01", "2026-11-30", "demo", "demo", 700.0),
        _o(16, "SMB", "2026-11-01", "2027-04-10", "demo", "demo", 800.0),
    ])
    settings = DemandSettings(min_rate_deals=3)
    out = demand_plan.pipeline_forecast(opps, AS_OF, START, END, settings, target={"SMB": 1000.0, "ENT": 1000.0})
    assert out["unique_id"].tolist() == ["segment=SMB", "segment=ENT", "total"]
    smb, ent, total = 500 * 20 / 27, 400 * 50 / 57, 500 * 20 / 27 + 400 * 50 / 57
    assert out["base"].tolist() == pytest.approx([smb, ent, total])
    assert out["weighted_value"].tolist() == pytest.approx([500.0, 400.0, 900.0])
    assert out["slip_share"].tolist() == pytest.approx([7 / 27, 7 / 57, 1 - total / 900])
    assert out["open_deals"].tolist() == [2, 1, 3]
    assert out["commit_value"].tolist() == [900.0, 0.0, 900.0]
    assert out["best_case_value"].tolist() == [0.0, 1000.0, 1000.0]
    assert out["stale_deals"].tolist() == [1, 0, 1] and out["stale_value"].tolist() == [700.0, 0.0, 700.0]
    # targets: the total is the sum of the segments' 2,000
    assert out["target"].tolist() == [1000.0, 1000.0, 2000.0]
    assert out["coverage"].tolist() == pytest.approx([1.2, 1.0, 1.1])


def test_pipeline_forecast_counts_won_to_date_inside_the_period(three_deals):
    # as_of 2027-01-20, inside the quarter: a deal won on 2027-01-10 is won_to_date; deal 1 (due 01-15) is now stale
    won = make_opportunities([_o(9, None, "2026-10-01", "2027-01-10", W, "negotiate", 5_000.0)], segment=False)
    opps = pd.concat([three_deals, won], ignore_index=True)
    out = demand_plan.pipeline_forecast(opps, "2027-01-20", START, END, close_rates=RATES, slip_share=0.0)
    # base = 5,000 + 20,000 × 0.5 + 40,000 × 0.2 = 23,000; downside never below the 5,000 already won
    assert out["won_to_date"].iloc[0] == 5_000.0 and out["base"].iloc[0] == pytest.approx(23_000.0)
    assert out["stale_value"].iloc[0] == 10_000.0 and out["open_deals"].iloc[0] == 2
    assert out["downside"].iloc[0] >= 5_000.0 and out["upside"].iloc[0] <= 5_000.0 + 60_000.0


@pytest.fixture
def new_deal_world() -> pd.DataFrame:
    """Deals created and won inside the past quarters of 2026 (the past periods of 2027Q1 in a 12-month window:
    origins 2026-09-30, 06-30, 03-31 and 2025-12-31, each followed by its quarter), and one open deal.

    N1 SMB created 10-05 after the Q4 origin, won 11-20: 1,000 (Q4; November stands for February)
    N2 SMB created 09-15, before the Q4 origin, won 10-10: 500 — in that quarter's pipeline, not new
    N9 SMB created 09-30, on the Q4 origin (open at it, as a deal created on as_of is), won 10-20: not new
    N3 SMB created 07-10, won 09-01: 2,000 (Q3; September stands for March)
    N4 ENT created 04-02, won 06-30: 3,000 (Q2; June stands for March)
    N5 SMB created 01-05, lost 02-01: not won
    N7 SMB created 02-01, won 03-15: 600 (Q1; March)
    N8 SMB created 2025-06-01, won 2025-08-01: before the window; the earliest created_date (so Q1 counts)
    P1 SMB open at qualify, due 2027-01-15: 1,000
    """
    return make_opportunities([
        _o(1, "SMB", "2026-10-05", "2026-11-20", W, "negotiate", 1_000.0),
        _o(2, "SMB", "2026-09-15", "2026-10-10", W, "negotiate", 500.0),
        _o(9, "SMB", "2026-09-30", "2026-10-20", W, "negotiate", 400.0),
        _o(3, "SMB", "2026-07-10", "2026-09-01", W, "negotiate", 2_000.0),
        _o(4, "ENT", "2026-04-02", "2026-06-30", W, "negotiate", 3_000.0),
        _o(5, "SMB", "2026-01-05", "2026-02-01", L, "demo", 800.0),
        _o(7, "SMB", "2026-02-01", "2026-03-15", W, "negotiate", 600.0),
        _o(8, "SMB", "2025-06-01", "2025-08-01", W, "negotiate", 900.0),
        _o(11, "SMB", "2026-12-01", "2027-01-15", "qualify", "qualify", 1_000.0),
    ])


def test_new_deals_by_hand(new_deal_world):
    opps = new_deal_world
    history = demand_plan.new_deal_history(opps, AS_OF, START, END)
    smb = history.loc[history["unique_id"] == "segment=SMB"]
    assert smb["origin"].dt.strftime("%Y-%m-%d").tolist() == ["2026-09-30", "2026-06-30", "2026-03-31",
                                                             "2025-12-31"]
    assert smb["period_start"].dt.strftime("%Y-%m-%d").tolist() == ["2026-10-01", "2026-07-01", "2026-04-01",
                                                                   "2026-01-01"]
    assert smb["period_end"].dt.strftime("%Y-%m-%d").tolist() == ["2026-12-31", "2026-09-30", "2026-06-30",
                                                                 "2026-03-31"]
    assert smb["new_deal_bookings"].tolist() == [1_000.0, 2_000.0, 0.0, 600.0]
    assert smb["won_deals"].tolist() == [1, 1, 0, 1]
    assert history.loc[history["unique_id"] == "segment=ENT", "new_deal_bookings"].tolist() == [0, 0, 3_000.0, 0]
    assert history.loc[history["unique_id"] == "total", "new_deal_bookings"].tolist() == [1_000.0, 2_000.0,
                                                                                          3_000.0, 600.0]

    # SMB: mean (1,000 + 2,000 + 0 + 600) / 4 = 900; s² = (100² + 1,100² + 900² + 300²) / 3 = 706,666.7,
    #      widened × (1 + 1/4) = 883,333.3. The open deal adds 1,000 × 0.2 = 200 (variance 1,000² × 0.2 × 0.8).
    # ENT: mean 750; s² = (3 × 750² + 2,250²) / 3 = 2,250,000 -> 2,812,500.
    # total: mean 1,650; s² = (650² + 350² + 1,350² + 1,050²) / 3 = 1,156,666.7 -> 1,445,833.3; + 200 in hand.
    settings = DemandSettings(interval=0.5)
    out = demand_plan.pipeline_forecast(opps, AS_OF, START, END, settings, close_rates=RATES, slip_share=0.0)
    assert out["unique_id"].tolist() == ["segment=SMB", "segment=ENT", "total"]
    assert out["expected_pipeline"].tolist() == pytest.approx([200.0, 0.0, 200.0])
    assert out["expected_new_deals"].tolist() == pytest.approx([900.0, 750.0, 1_650.0])
    assert out["new_deal_periods"].tolist() == [4, 4, 4]
    assert out["base"].tolist() == pytest.approx([1_100.0, 750.0, 1_850.0])
    sd = np.sqrt([160_000 + 2_120_000 / 3 * 1.25, 6_750_000 / 3 * 1.25, 160_000 + 3_470_000 / 3 * 1.25])
    assert out["downside"].tolist() == pytest.approx(np.clip([1_100.0, 750.0, 1_850.0] - z(0.5) * sd, 0, None))
    assert out["upside"].tolist() == pytest.approx([1_100.0, 750.0, 1_850.0] + z(0.5) * sd)

    # by month (the past quarters' months stand for the planned ones): February SMB (1,000 + 0 + 0 + 0) / 4 =
    # 250; March SMB (0 + 2,000 + 0 + 600) / 4 = 650, ENT 3,000 / 4 = 750; January only the open deal's 200
    monthly = demand_plan.pipeline_forecast_by_month(opps, AS_OF, START, END, settings, close_rates=RATES,
                                                     slip_share=0.0)
    new = monthly.set_index(["unique_id", monthly["ds"].dt.month])["expected_new_deals"]
    assert new.loc["segment=SMB"].tolist() == pytest.approx([0.0, 250.0, 650.0])
    assert new.loc["segment=ENT"].tolist() == pytest.approx([0.0, 0.0, 750.0])
    assert new.loc["total"].tolist() == pytest.approx([0.0, 250.0, 1_400.0])
    assert monthly.loc[monthly["unique_id"] == "total", "base"].tolist() == pytest.approx([200.0, 250.0, 1_400.0])

    # switched off: the pipeline in hand only
    off = demand_plan.pipeline_forecast(opps, AS_OF, START, END, DemandSettings(pipeline_new_deals=False),
                                        close_rates=RATES, slip_share=0.0)
    assert off["expected_new_deals"].tolist() == [0.0, 0.0, 0.0] and off["base"].tolist() == pytest.approx(
        [200.0, 0.0, 200.0])

    # a 3-month window holds one past quarter (Q4): SMB 1,000, spread sqrt(1,000²) (compound Poisson)
    one = demand_plan.pipeline_forecast(opps, AS_OF, START, END, DemandSettings(history_months=3, interval=0.5),
                                        close_rates=RATES, slip_share=0.0).set_index("unique_id").loc["segment=SMB"]
    assert one["new_deal_periods"] == 1 and one["expected_new_deals"] == pytest.approx(1_000.0)
    assert one["upside"] == pytest.approx(1_200.0 + z(0.5) * math.sqrt(160_000 + 1_000.0**2))

    # without N8 the data start on 2026-01-05, after the first origin 2025-12-31: three past quarters
    later = demand_plan.pipeline_forecast(opps.loc[opps["opportunity_id"] != "O8"], AS_OF, START, END,
                                          close_rates=RATES, slip_share=0.0).set_index("unique_id")
    assert later.loc["segment=SMB", "new_deal_periods"] == 3
    assert later.loc["segment=SMB", "expected_new_deals"] == pytest.approx(1_000.0)  # (1,000 + 2,000 + 0) / 3


# --------------------------------------------------------------------------------------------------
# lead forecast


@pytest.fixture
def lead_world():
    """History (2026): L1 -> deal won 2026-03-11 (lag 10 days, 3,000); L2 -> deal won 2026-06-10 (lag 40 days,
    5,000); L3 -> deal lost; S1 a self-sourced deal won (4,000); L4 never converted. Open leads: L5 (created
    2026-12-21, age 10 at as_of) and L6 (created 2026-12-31, age 0).

    win rate of lead deals = 2 / 3; average deal size = (3,000 + 5,000) / 2 = 4,000; lags = [10, 40];
    lead-sourced share of won value = 8,000 / 12,000 = 2/3.
    Conversion: leads created in (2025-10-02, 2026-10-02] (the window shifted back 90 days): L1..L4, 3 converted
    -> 0.75. Trailing volume: 6 leads created in 2026 / 12 months = 0.5 leads a month.
    """
    leads = make_leads([
        ("L1", "2026-03-01", True, "2026-03-05", "converted"),
        ("L2", "2026-05-01", True, "2026-05-05", "converted"),
        ("L3", "2026-07-01", True, "2026-07-05", "converted"),
        ("L4", "2026-08-01", False, None, "disqualified"),
        ("L5", "2026-12-21", False, None, "open"),
        ("L6", "2026-12-31", False, None, "open"),
    ])
    opps = make_opportunities([
        _o(1, "SMB", "2026-03-05", "2026-03-11", W, "negotiate", 3000.0, lead="L1"),
        _o(2, "SMB", "2026-05-05", "2026-06-10", W, "negotiate", 5000.0, lead="L2"),
        _o(3, "SMB", "2026-07-05", "2026-08-01", L, "demo", 2000.0, lead="L3"),
        _o(4, "SMB", "2026-08-01", "2026-09-01", W, "negotiate", 4000.0),
    ])
    scores = pd.DataFrame({
        "lead_id": pd.array(["L6", "L5"], dtype="string[pyarrow]"),
        "probability": [0.8, 0.5],
        "score": pd.array([80, 50], dtype="Int64"),
        "grade": pd.array(["A", "B"], dtype="string[pyarrow]"),
        "rule_score": [60.0, 40.0],
    })
    return leads, scores, opps


# Open leads (win rate 2/3):
#   L5 (age 10): lags longer than 10 = [40]; 12-21 + 40 = 2027-01-30, in January -> share 1; q = 0.5 × 2/3 = 1/3
#   L6 (age 0): lags [10, 40] -> 2027-01-10 (Jan) and 2027-02-09 (Feb): share 1, half each month; q = 0.8 × 2/3
# New leads, 0.5 a month spread over the days (Jan 0.5/31, Feb 0.5/28, Mar 0.5/31 a day), from 2027-01-01:
#   share of lags booking by 03-31: d + 40 <= 03-31 for d <= 02-19, d + 10 <= 03-31 for d <= 03-21
#   Jan 31 days × 1; Feb 1-19 × 1, Feb 20-28 (9 days) × 1/2; Mar 1-21 (21 days) × 1/2; Mar 22-31 × 0
NEW_LEAD_DAYS = 31 * 0.5 / 31 + 19 * 0.5 / 28 + 9 * 0.5 / 28 * 0.5 + 21 * 0.5 / 31 * 0.5  # = 1.08900
NEW_WINS = NEW_LEAD_DAYS * 0.75 * 2 / 3
OPEN_WINS = {"A": 0.8 * 2 / 3, "B": 0.5 * 2 / 3}


def test_lead_forecast_by_hand(lead_world):
    leads, scores, opps = lead_world
    settings = DemandSettings(lead_forecast_scope="lead_sourced")
    out = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END, settings)
    # no deal from a lead is open at as_of: the converted_open row is empty
    assert out["unique_id"].tolist() == ["grade=A", "grade=B", "converted_open", "new_leads", "total"]
    out = out.loc[out["unique_id"] != "converted_open"].reset_index(drop=True)
    assert out["leads"].tolist() == pytest.approx([1.0, 1.0, 1.5, 3.5])  # 0.5 new leads a month × 3 months
    assert out["expected_opportunities"].tolist() == pytest.approx([0.8, 0.5, 1.5 * 0.75, 1.3 + 1.125])
    wins = [OPEN_WINS["A"], OPEN_WINS["B"], NEW_WINS, OPEN_WINS["A"] + OPEN_WINS["B"] + NEW_WINS]
    assert NEW_WINS == pytest.approx(0.5444989, abs=1e-6)
    assert out["expected_wins"].tolist() == pytest.approx(wins)
    assert out["lead_sourced_bookings"].tolist() == pytest.approx([w * 4000 for w in wins])
    assert out["base"].tolist() == pytest.approx([w * 4000 for w in wins])  # scope lead_sourced: no gross-up
    assert out["converted_open_bookings"].tolist() == [0.0] * 4
    assert out["share_in_period"].tolist() == pytest.approx([1.0, 1.0, NEW_LEAD_DAYS / 1.5, wins[3] / (2.425 * 2 / 3)])
    assert out["win_rate"].iloc[0] == pytest.approx(2 / 3)
    assert out["average_deal_size"].iloc[0] == 4000.0
    assert out["median_lag_days"].iloc[0] == 25.0  # median of [10, 40]
    assert out["lead_sourced_share"].iloc[0] == pytest.approx(2 / 3)
    # total: sd = 4,000 × sqrt(Σ q(1 − q) of open leads + new wins (Poisson)); 80 % interval
    qa, qb = OPEN_WINS["A"], OPEN_WINS["B"]
    sd = 4000 * math.sqrt(qa * (1 - qa) + qb * (1 - qb) + NEW_WINS)
    assert out["upside"].iloc[3] == pytest.approx(wins[3] * 4000 + z(0.8) * sd)
    assert out["downside"].iloc[3] == pytest.approx(max(wins[3] * 4000 - z(0.8) * sd, 0.0))

    # scope all_bookings (default): grossed up by the lead-sourced share 2/3, i.e. × 1.5
    grossed = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END)
    grossed = grossed.loc[grossed["unique_id"] != "converted_open"]
    assert grossed["base"].tolist() == pytest.approx([w * 4000 * 1.5 for w in wins])


@pytest.fixture
def funnel_world():
    """Three leads, one at each lead-funnel stage that can still book in 2027Q1:

    K1 created 2026-02-09, converted 2026-03-11 into O1, won 2026-04-10 for 6,000: lead-to-booking lag 60 days
       (19 + 31 + 10), conversion-to-booking lag 30 days (20 + 10).
    K2 created 2026-11-01, converted 2026-12-21 into O2, still open at as_of: stage demo, amount 100,000, expected
       to close 2027-03-15 (the pipeline's view; the lead method must use none of the three).
    K3 created 2026-12-11, open, scored P(convert) 0.5, grade A.
    Deals not from a lead: S1 won 4,000; S2 lost at demo (so the pipeline's demo close rate is 2/3, not 1).

    Lead deals closed in 2026: O1 only -> win rate 1/1, average deal size 6,000, lead lags [60], conversion lags
    [30]; lead-sourced share of won value 6,000 / 10,000 = 0.6. New-lead conversion: leads created in
    (2025-10-02, 2026-10-02]: K1, converted -> 1.0. Trailing volume: 3 leads created in 2026 / 12 = 0.25 a month.
    """
    leads = make_leads([
        ("K1", "2026-02-09", True, "2026-03-11", "converted"),
        ("K2", "2026-11-01", True, "2026-12-21", "converted"),
        ("K3", "2026-12-11", False, None, "open"),
    ])
    opps = make_opportunities([
        _o(1, "SMB", "2026-03-11", "2026-04-10", W, "negotiate", 6000.0, lead="K1"),
        _o(2, "SMB", "2026-12-21", "2027-03-15", "demo", "demo", 100_000.0, lead="K2"),
        _o(3, "SMB", "2026-05-01", "2026-06-01", W, "negotiate", 4000.0),
        _o(4, "SMB", "2026-06-01", "2026-07-01", L, "demo", 2000.0),
    ])
    scores = pd.DataFrame({"lead_id": pd.array(["K3"], dtype="string[pyarrow]"), "probability": [0.5],
                           "grade": pd.array(["A"], dtype="string[pyarrow]")})
    return leads, scores, opps


def test_lead_forecast_counts_converted_leads_with_an_open_deal_by_hand(funnel_world):
    leads, scores, opps = funnel_world
    settings = DemandSettings(lead_forecast_scope="lead_sourced")
    out = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END, settings).set_index("unique_id")
    assert out.index.tolist() == ["grade=A", "converted_open", "new_leads", "total"]
    # (a) K3, age 20: the lead lag 60 > 20 books 2026-12-11 + 60 = 2027-02-09 -> 0.5 × 1 × 1 = 0.5 wins
    # (c) O2, age 10 since conversion: the conversion lag 30 > 10 books 2026-12-21 + 30 = 2027-01-20
    #     -> 1 (converted) × 1 (win rate) × 1 = 1 win, valued at the lead deals' 6,000 (not O2's 100,000, not the
    #     pipeline's demo close rate 2/3)
    # (b) 0.25 new leads a month from 2027-01-01; d + 60 <= 03-31 for d <= 01-30: 30 days × 0.25 / 31 × 1 × 1
    new = 30 * 0.25 / 31
    wins = {"grade=A": 0.5, "converted_open": 1.0, "new_leads": new, "total": 1.5 + new}
    assert out["expected_wins"].to_dict() == pytest.approx(wins)
    assert out["lead_sourced_bookings"].to_dict() == pytest.approx({k: w * 6000 for k, w in wins.items()})
    assert out["base"].to_dict() == pytest.approx({k: w * 6000 for k, w in wins.items()})
    assert out["converted_open_bookings"].to_dict() == pytest.approx(
        {"grade=A": 0.0, "converted_open": 6000.0, "new_leads": 0.0, "total": 6000.0})
    assert out.loc["converted_open", ["leads", "mean_probability", "expected_opportunities", "share_in_period"]
                   ].tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0])
    assert out.loc["total", "leads"] == pytest.approx(2.75)  # 1 open + 1 converted + 0.75 new
    assert out.loc["total", "expected_opportunities"] == pytest.approx(0.5 + 1 + 0.75)
    assert out.loc["total", ["win_rate", "average_deal_size", "median_lag_days", "median_conversion_lag_days",
                             "lead_sourced_share"]].tolist() == pytest.approx([1.0, 6000.0, 60.0, 30.0, 0.6])
    # O2 is certain to be won in the period at win rate 1 (q = 1, no variance): the spread is K3's and the new leads'
    sd = 6000 * math.sqrt(0.5 * 0.5 + new)
    assert out.loc["total", "upside"] == pytest.approx((1.5 + new) * 6000 + z(0.8) * sd)

    # by month: O2 books in January (conversion lag), K3 in February (lead lag), new leads in March
    monthly = demand_plan.lead_forecast_by_month(leads, scores, opps, AS_OF, START, END, settings)
    total = monthly.loc[monthly["unique_id"] == "total"]
    assert total["expected_wins"].tolist() == pytest.approx([1.0, 0.5, new])
    assert total["converted_open_bookings"].tolist() == pytest.approx([6000.0, 0.0, 0.0])

    # all_bookings: every part is lead-sourced and grossed up once by 1 / 0.6; nothing added twice
    grossed = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END).set_index("unique_id")
    assert grossed["base"].to_dict() == pytest.approx({k: w * 6000 / 0.6 for k, w in wins.items()})
    assert grossed.loc["total", "converted_open_bookings"] == pytest.approx(10_000.0)

    # a lead both scored as open and holding an open deal counts once, as an open lead
    both = pd.concat([scores, pd.DataFrame({"lead_id": pd.array(["K2"], dtype="string[pyarrow]"),
                                            "probability": [0.2], "grade": pd.array(["B"], dtype="string[pyarrow]")})])
    once = demand_plan.lead_forecast(leads, both, opps, AS_OF, START, END, settings).set_index("unique_id")
    assert once.loc["converted_open", "leads"] == 0 and once.loc["total", "leads"] == pytest.approx(2.75)


def test_converted_open_deals_are_won_at_the_lead_deals_win_rate(lead_world):
    # lead_world plus L7, converted 2026-12-26 into an open deal (age 5). Conversion lags: O1 03-05 -> 03-11 = 6,
    # O2 05-05 -> 06-10 = 36 days, both longer than 5: 12-26 + 6 = 2027-01-01, + 36 = 01-31, both in January.
    # Wins = 1 × win rate 2/3 × 1; bookings 2/3 × 4,000, grossed up by 1.5 = 4,000
    leads, scores, opps = lead_world
    leads = pd.concat([leads, make_leads([("L7", "2026-12-01", True, "2026-12-26", "converted")])], ignore_index=True)
    opps = pd.concat([opps, make_opportunities([_o(7, "SMB", "2026-12-26", "2027-02-01", "qualify", "qualify",
                                                   50_000.0, lead="L7")])], ignore_index=True)
    out = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END).set_index("unique_id")
    assert out.loc["converted_open", "expected_wins"] == pytest.approx(2 / 3)
    assert out.loc["converted_open", "base"] == pytest.approx(2 / 3 * 4000 * 1.5)
    assert out.loc["total", "median_conversion_lag_days"] == pytest.approx(21.0)  # median of [6, 36]


def test_lead_forecast_by_month_and_new_lead_volume(lead_world):
    leads, scores, opps = lead_world
    settings = DemandSettings(lead_forecast_scope="lead_sourced")
    monthly = demand_plan.lead_forecast_by_month(leads, scores, opps, AS_OF, START, END, settings)
    total = monthly.loc[monthly["unique_id"] == "total"]
    # January: L5 1/3 + L6 half of 0.8 × 2/3; new leads of Jan 1-21 book 10 days later (half of the lags)
    january = 1 / 3 + 0.4 * 2 / 3 + 21 * 0.5 / 31 * 0.5 * 0.75 * 2 / 3
    assert total["expected_wins"].iloc[0] == pytest.approx(january)
    assert total["expected_wins"].sum() == pytest.approx(OPEN_WINS["A"] + OPEN_WINS["B"] + NEW_WINS)

    # a caller's lead volume: 3 leads a month (base), 1 (downside), 5 (upside) -> new wins scale × 6, × 2, × 10
    volume = pd.DataFrame({"unique_id": "leads", "ds": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"]),
                           "base": 3.0, "downside": 1.0, "upside": 5.0})
    out = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END, settings, expected_new_leads=volume)
    new = out.loc[out["unique_id"] == "new_leads"].iloc[0]
    assert new["expected_wins"] == pytest.approx(NEW_WINS * 6)
    sd = 4000 * math.sqrt(NEW_WINS * 6)
    assert new["upside"] == pytest.approx(NEW_WINS * 10 * 4000 + z(0.8) * sd)
    with pytest.raises(ValueError, match=r"expected_new_leads has no row for month\(s\) \['2027-03'\]"):
        demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END, settings, expected_new_leads=volume.iloc[:2])


def test_weekly_forecasts_count_the_days_of_each_week_inside_the_period(lead_world):
    # forecast.py's freq W: weeks start on Monday. 2026-12-28 .. 2027-01-03 has 3 days in 2027Q1 (Jan 1-3),
    # 2027-01-04 all 7, 2027-03-29 .. 04-04 has 3 (Mar 29-31), 2027-04-05 none: 700 × 3/7 + 70 + 700 × 3/7 = 670
    weekly = pd.DataFrame({"unique_id": "total",
                           "ds": pd.to_datetime(["2026-12-28", "2027-01-04", "2027-03-29", "2027-04-05"]),
                           "downside": [700.0, 70.0, 700.0, 700.0], "base": [700.0, 70.0, 700.0, 700.0],
                           "upside": [700.0, 70.0, 700.0, 700.0]})
    comparison = demand_plan.compare_forecasts(weekly, None, None, period_start=START, period_end=END)
    assert comparison.set_index(["method", "scenario"]).loc[("statistical", "base"), "bookings"] == pytest.approx(670)

    # a weekly lead volume of 7 a week is one lead a day: the same as 31, 28 and 31 leads a month
    leads, scores, opps = lead_world
    weeks = pd.date_range("2026-12-28", "2027-04-05", freq="W-MON")
    by_week = pd.DataFrame({"unique_id": "total", "ds": weeks, "base": 7.0})
    by_month = pd.DataFrame({"unique_id": "total", "ds": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"]),
                             "base": [31.0, 28.0, 31.0]})
    from_weeks = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END, expected_new_leads=by_week)
    from_months = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END, expected_new_leads=by_month)
    assert_frame_equal(from_weeks, from_months)


def test_lead_forecast_needs_lead_history(lead_world):
    leads, scores, opps = lead_world
    no_lead_deals = opps.assign(lead_id=pd.array([None] * len(opps), dtype="string"))
    with pytest.raises(ValueError, match="no deal from a lead"):
        demand_plan.lead_forecast(leads, scores, no_lead_deals, AS_OF, START, END)
    with pytest.raises(ValueError, match="lead_scores has 1 lead"):
        demand_plan.lead_forecast(leads.iloc[:-1], scores, opps, AS_OF, START, END)


# --------------------------------------------------------------------------------------------------
# comparing and blending


@pytest.fixture
def three_forecasts():
    # statistical by month; April is outside the planned quarter: base 30 + 30 + 40 = 100, 25+25+30 = 80, 35+35+50
    statistical = pd.DataFrame({
        "unique_id": ["total"] * 4 + ["segment=SMB"],
        "ds": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01", "2027-04-01", "2027-01-01"]),
        "downside": [25.0, 25.0, 30.0, 99.0, 1.0], "base": [30.0, 30.0, 40.0, 99.0, 1.0],
        "upside": [35.0, 35.0, 50.0, 99.0, 1.0],
    })
    pipeline = pd.DataFrame({"unique_id": ["segment=SMB", "total"], "downside": [1.0, 60.0], "base": [1.0, 80.0],
                             "upside": [1.0, 90.0], "open_value": [1.0, 150.0], "slip_share": [0.0, 0.05]})
    lead = pd.DataFrame({"unique_id": ["total"], "downside": [90.0], "base": [110.0], "upside": [130.0]})
    return statistical, pipeline, lead


def test_blend_with_given_weights(three_forecasts):
    statistical, pipeline, lead = three_forecasts
    settings = DemandSettings(blend_weights={"statistical": 0.5, "pipeline": 0.3, "leads": 0.2})
    out = demand_plan.compare_forecasts(statistical, pipeline, lead, settings, period_start=START, period_end=END)
    assert out["method"].tolist() == ["statistical"] * 3 + ["pipeline"] * 3 + ["leads"] * 3 + ["blended"] * 3
    assert out["scenario"].tolist() == ["downside", "base", "upside"] * 4
    # blended: downside 0.5×80 + 0.3×60 + 0.2×90 = 76; base 50 + 24 + 22 = 96; upside 60 + 27 + 26 = 113
    assert out["bookings"].tolist() == pytest.approx([80, 100, 120, 60, 80, 90, 90, 110, 130, 76, 96, 113])
    assert out["weight"].tolist() == pytest.approx([0.5] * 3 + [0.3] * 3 + [0.2] * 3 + [1.0] * 3)
    assert out["vs_reference"].tolist() == pytest.approx(
        [0, 0, 0, -0.25, -0.2, -0.25, 0.125, 0.1, 130 / 120 - 1, -0.05, -0.04, 113 / 120 - 1])
    reasons = out.drop_duplicates("method").set_index("method")["reason"]
    assert reasons["pipeline"].startswith("pipeline is 20% below statistical: coverage is thin")
    assert "1.5× the statistical forecast" in reasons["pipeline"]
    assert reasons["leads"] == "lead-based agrees with statistical (within ±10%)"  # exactly 10 % above
    assert (out["weight_basis"] == "weights set in the params").all()

    sentences = demand_plan.explain_differences(out)
    assert sentences[0].startswith("Blended forecast for the quarter: $96 (downside $76, upside $113)")
    assert any(s.startswith("Pipeline: $80 (range $60 to $90); pipeline is 20% below") for s in sentences)

    # the lead forecast missing: weights 0.5 and 0.3 rescaled to 5/8 and 3/8 -> base 62.5 + 30 = 92.5
    two = demand_plan.compare_forecasts(statistical, pipeline, None, settings, period_start=START, period_end=END)
    blended = two.loc[(two["method"] == "blended") & (two["scenario"] == "base"), "bookings"].iloc[0]
    assert blended == pytest.approx(92.5)
    assert "leads not available: rescaled" in two["weight_basis"].iloc[0]


def test_blend_with_backtest_weights(three_forecasts):
    statistical, pipeline, lead = three_forecasts
    # errors 0.1, 0.2, 0.4 -> 1/e = 10, 5, 2.5 (sum 17.5) -> weights 4/7, 2/7, 1/7
    # base = (4 × 100 + 2 × 80 + 1 × 110) / 7 = 670 / 7 = 95.714
    errors = pd.DataFrame({"method": ["statistical", "pipeline", "leads"], "error": [0.1, 0.2, 0.4]})
    out = demand_plan.compare_forecasts(statistical, pipeline, lead, None, errors, period_start=START, period_end=END)
    base = out.loc[out["scenario"] == "base"].set_index("method")
    assert base["weight"].tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7, 1.0])
    assert base.loc["blended", "bookings"] == pytest.approx(670 / 7)
    assert base.loc["blended", "weight_basis"].startswith("weights inverse to backtest error")

    # leads without an error gets the largest one given (0.2): 1/e = 10, 5, 5 -> 0.5, 0.25, 0.25
    weights, basis = demand_plan.method_weights(["statistical", "pipeline", "leads"], None,
                                                {"statistical": 0.1, "pipeline": 0.2})
    assert weights == pytest.approx({"statistical": 0.5, "pipeline": 0.25, "leads": 0.25})
    assert "leads not backtested" in basis
    # only the statistical forecast backtested (the workbook's case): the others get its error, so equal weights
    weights, basis = demand_plan.method_weights(["statistical", "pipeline", "leads"], None, {"statistical": 0.2})
    assert weights == pytest.approx({"statistical": 1 / 3, "pipeline": 1 / 3, "leads": 1 / 3})
    assert basis.startswith("equal weights: only statistical was backtested; pipeline, leads could not be")
    # no errors: equal weights
    weights, basis = demand_plan.method_weights(["pipeline", "leads"])
    assert weights == {"pipeline": 0.5, "leads": 0.5} and basis.startswith("equal weights")
    with pytest.raises(ValueError, match="backtest_errors has unknown method 'arima'"):
        demand_plan.method_weights(["pipeline"], None, {"arima": 0.1})
    with pytest.raises(ValueError, match="statistical has no row for unique_id 'total' in the planned period"):
        demand_plan.compare_forecasts(statistical, None, None, period_start="2028-01-01", period_end="2028-03-31")


def test_a_lead_forecast_the_history_cannot_measure_gives_the_reason_instead_of_stopping(lead_world):
    leads, scores, opps = lead_world
    params = load_params("2027Q1", root=ROOT)  # data to 2026-12-31, the quarter of START and END
    table, reason = demand_workflow.lead_forecast_or_reason(leads, scores, opps, params, None)
    assert reason == "" and table["base"].sum() > 0
    # the deals say no lead they came from (an empty lead_id column): no win rate of deals from leads to use
    table, reason = demand_workflow.lead_forecast_or_reason(leads, scores, opps.assign(lead_id=pd.NA), params, None)
    assert table is None
    assert reason.startswith("The lead-based forecast could not be made: no deal from a lead (opportunities.lead_id) "
                             "closed in the last 12 months")


# --------------------------------------------------------------------------------------------------
# demand drivers and hardware units


@pytest.fixture
def driver_world():
    """2026 history (min_rate_deals = 1, so every segment uses its own rates):

    SMB: won 1,000 Platform (lead L1, cycle 30 days), won 3,000 Analytics (cycle 30 days), two lost
         -> win rate 2/4, average deal 2,000, mix ½ Platform (40 h) + ½ Analytics (16 h) = 28 h a deal,
            opportunities created in 2026 from a lead: 1 of 4
    ENT: won 100,000 "Widget" (a product with no hours set) -> win rate 1, average 100,000, 0 h, unknown share 1
    Leads created in (2025-10-02, 2026-10-02]: 4, one converted -> conversion 0.25.
    """
    opps = make_opportunities([
        _o(1, "SMB", "2026-01-01", "2026-01-31", W, "negotiate", 1000.0, lead="L1", product="Platform"),
        _o(2, "SMB", "2026-02-01", "2026-03-03", W, "negotiate", 3000.0, product="Analytics"),
        _o(3, "SMB", "2026-02-01", "2026-03-10", L, "demo", 500.0),
        _o(4, "SMB", "2026-02-01", "2026-03-10", L, "qualify", 500.0),
        _o(5, "ENT", "2026-02-01", "2026-06-01", W, "negotiate", 100_000.0, product="Widget"),
    ])
    leads = make_leads([
        ("L1", "2025-12-20", True, "2026-01-01", "converted"),
        ("L2", "2026-02-01", False, None, "disqualified"),
        ("L3", "2026-03-01", False, None, "disqualified"),
        ("L4", "2026-09-01", False, None, "disqualified"),
    ])
    products = pd.DataFrame({"product": ["Platform", "Analytics", "Widget"],
                             "kind": ["subscription", "subscription", "service"]})
    return opps, leads, products


def test_demand_drivers_by_hand(driver_world):
    opps, leads, products = driver_world
    demand_frame = pd.DataFrame({"segment": ["SMB", "SMB", "ENT"],
                                 "ds": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-01-01"]),
                                 "bookings": [10_000.0, 4_000.0, 200_000.0]})
    settings = DemandSettings(min_rate_deals=1)
    out = demand_plan.demand_drivers(demand_frame, opps, leads, products, AS_OF, settings)
    # SMB Jan: deals 10,000 / 2,000 = 5; opportunities 5 / 0.5 = 10; leads 10 × 0.25 / 0.25 = 10;
    #          customers 5; tickets 5 × 0.5 = 2.5; hours 5 × 28 = 140
    # SMB Feb: deals 2; opportunities 4; leads 4; customers 2; tickets (5 + 2) × 0.5 = 3.5; hours 56
    # ENT Jan: deals 2; opportunities 2; leads 2 × 0 / 0.25 = 0; customers 2; tickets 1; hours 0 (unknown share 1)
    expected = pd.DataFrame({
        "segment": pd.array(["SMB", "SMB", "ENT"], dtype="string[pyarrow]"),
        "ds": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-01-01"]).astype("datetime64[ns]"),
        "bookings": [10_000.0, 4_000.0, 200_000.0],
        "average_deal_size": [2_000.0, 2_000.0, 100_000.0],
        "deals": [5.0, 2.0, 2.0],
        "win_rate": [0.5, 0.5, 1.0],
        "opportunities": [10.0, 4.0, 2.0],
        "median_cycle_days": [30.0, 30.0, 120.0],
        "lead_sourced_share": [0.25, 0.25, 0.0],
        "lead_conversion": [0.25, 0.25, 0.25],
        "qualified_leads": [10.0, 4.0, 0.0],
        "new_customers": [5.0, 2.0, 2.0],
        "support_tickets": [2.5, 3.5, 1.0],
        "delivery_hours_per_deal": [28.0, 28.0, 0.0],
        "delivery_hours": [140.0, 56.0, 0.0],
        "hours_unknown_share": [0.0, 0.0, 1.0],
    })
    assert_frame_equal(out, expected)

    # the same demand in forecast.py's shape (unique_id segment=<s>, base; the total row is left out)
    shaped = pd.DataFrame({"unique_id": ["segment=SMB", "segment=SMB", "segment=ENT", "total"],
                           "ds": pd.to_datetime(["2027-01-01", "2027-02-01", "2027-01-01", "2027-01-01"]),
                           "base": [10_000.0, 4_000.0, 200_000.0, 210_000.0]})
    assert_frame_equal(demand_plan.demand_drivers(shaped, opps, leads, products, AS_OF, settings), expected)

    # default min_rate_deals (20): every segment falls back to the all-segment rates (3 won of 5, average 34,666.67)
    pooled = demand_plan.demand_drivers(demand_frame, opps, None, None, AS_OF)
    assert pooled["win_rate"].tolist() == pytest.approx([0.6] * 3)
    assert pooled["average_deal_size"].tolist() == pytest.approx([104_000 / 3] * 3)
    assert pooled["qualified_leads"].isna().all()  # no leads table

    # leads that do not say which converted (no converted, no converted_date): conversion and leads needed unknown
    unknown = demand_plan.demand_drivers(demand_frame, opps, leads.drop(columns=["converted", "converted_date"]),
                                         products, AS_OF, settings)
    assert unknown["lead_conversion"].isna().all() and unknown["qualified_leads"].isna().all()
    assert_frame_equal(unknown.drop(columns=["lead_conversion", "qualified_leads"]),
                       expected.drop(columns=["lead_conversion", "qualified_leads"]))


def test_hardware_units_by_hand():
    # Edge Gateway NA: 120 units in 2026 (10 a month), 100 in 2025 -> growth 0.2; "Platform" orders are software
    orders = pd.DataFrame({
        "order_date": pd.to_datetime(["2025-03-01", "2025-09-01", "2026-02-01", "2026-11-01", "2026-05-01"]),
        "product": ["Edge Gateway", "Edge Gateway", "Edge Gateway", "Edge Gateway", "Platform"],
        "region": ["NA", "NA", "NA", "NA", "NA"],
        "units": [60, 40, 70, 50, 999],
    })
    products = pd.DataFrame({"product": ["Edge Gateway", "Platform"], "kind": ["hardware", "subscription"]})
    out = demand_plan.hardware_units(orders, products, AS_OF, START, END)
    assert out["product"].unique().tolist() == ["Edge Gateway"]
    assert out["trailing_monthly_units"].tolist() == [10.0] * 3
    assert out["annual_growth"].tolist() == pytest.approx([0.2] * 3)
    # middle of 2026 = 2026-07-02 12:00; middle of January 2027 = 2027-01-16 12:00: 198 days later
    # middle of February = 2027-02-15 00:00: 227.5 days; middle of March = 2027-03-16 12:00: 257 days
    years = np.array([198.0, 227.5, 257.0]) / 365.25
    assert out["units"].tolist() == pytest.approx((10 * 1.2**years).tolist())


# --------------------------------------------------------------------------------------------------
# purity


def test_inputs_are_not_modified(history, lead_world, driver_world, three_forecasts):
    leads, scores, lead_opps = lead_world
    driver_opps, driver_leads, products = driver_world
    frames = [history, leads, scores, lead_opps, driver_opps, driver_leads, products, *three_forecasts]
    copies = [frame.copy(deep=True) for frame in frames]
    settings = DemandSettings(min_rate_deals=1)
    demand_plan.stage_close_rates(history, AS_OF, settings, by="segment")
    demand_plan.close_date_slippage(history, AS_OF, settings, by="segment")
    demand_plan.pipeline_forecast(history, AS_OF, START, END, settings, target=100.0)
    demand_plan.pipeline_forecast_by_month(history, AS_OF, START, END, settings)
    demand_plan.lead_forecast(leads, scores, lead_opps, AS_OF, START, END, settings)
    demand_plan.lead_forecast_by_month(leads, scores, lead_opps, AS_OF, START, END, settings)
    demand_plan.compare_forecasts(*three_forecasts, settings, {"statistical": 0.1})
    drivers = pd.DataFrame({"segment": ["SMB"], "ds": [START], "bookings": [100.0]})
    demand_plan.demand_drivers(drivers, driver_opps, driver_leads, products, AS_OF, settings)
    for frame, copy in zip(frames, copies):
        assert_frame_equal(frame, copy)


# --------------------------------------------------------------------------------------------------
# smoke test on the sample company


@pytest.fixture(scope="module")
def sample():
    from salesops.collect.overview import attach_segments
    from salesops.data.sample import generate_sample
    tables = generate_sample(end_date="2026-12-31", scale=0.3)
    tables["opportunities"] = attach_segments(tables["opportunities"], tables["reps"], tables["accounts"])
    return tables


def test_smoke_on_the_sample_company(sample):
    opps, leads = sample["opportunities"], sample["leads"]
    rates = demand_plan.stage_close_rates(opps, AS_OF)
    assert rates["close_rate"].between(0, 1).all() and rates["close_rate"].is_monotonic_increasing
    slip = demand_plan.close_date_slippage(opps, AS_OF, by="segment")
    assert (slip["due_deals"] > 0).all() and slip["slip_share"].between(0, 1).all()

    pipeline = demand_plan.pipeline_forecast(opps, AS_OF, START, END, target=2_000_000.0)
    assert pipeline["unique_id"].tolist() == ["segment=SMB", "segment=MM", "segment=ENT", "total"]
    total = pipeline.set_index("unique_id").loc["total"]
    assert 0 < total["downside"] < total["base"] < total["upside"] < total["open_value"]
    assert total["base"] == pytest.approx(pipeline["base"].iloc[:3].sum())
    monthly = demand_plan.pipeline_forecast_by_month(opps, AS_OF, START, END)
    assert monthly.loc[monthly["unique_id"] == "total", "base"].sum() == pytest.approx(total["base"])

    # lead scores stand in for the scoring step's artifact: probability from a simple engagement rule
    open_leads = leads.loc[leads["status"].isin(["open", "working"])]
    probability = np.clip(0.05 + 0.04 * open_leads["form_fills"].fillna(0).to_numpy(dtype=float), 0, 0.9)
    scores = pd.DataFrame({"lead_id": open_leads["lead_id"].to_numpy(), "probability": probability,
                           "grade": np.where(probability >= 0.25, "B", "D")})
    lead = demand_plan.lead_forecast(leads, scores, opps, AS_OF, START, END)
    lead_total = lead.set_index("unique_id").loc["total"]
    assert 0 < lead_total["downside"] < lead_total["base"] < lead_total["upside"]
    assert 0 < lead_total["share_in_period"] <= 1 and lead_total["median_lag_days"] > 0

    won = opps.loc[opps["is_won"].astype(bool) & opps["close_date"].between("2026-01-01", "2026-03-31")]
    by_month = won.groupby(won["close_date"].dt.to_period("M").dt.start_time)["amount"].sum() * 1.3
    statistical = pd.DataFrame({"unique_id": "total", "ds": by_month.index + pd.DateOffset(years=1),
                                "base": by_month.to_numpy(), "downside": by_month.to_numpy() * 0.8,
                                "upside": by_month.to_numpy() * 1.2})
    comparison = demand_plan.compare_forecasts(statistical, pipeline, lead)
    base = comparison.loc[comparison["scenario"] == "base"].set_index("method")["bookings"]
    assert base[["statistical", "pipeline", "leads"]].min() <= base["blended"] <= base[
        ["statistical", "pipeline", "leads"]].max()
    assert all(isinstance(s, str) and s for s in demand_plan.explain_differences(comparison))

    segment_demand = demand_plan.pipeline_forecast_by_month(opps, AS_OF, START, END)
    drivers = demand_plan.demand_drivers(segment_demand, opps, leads, sample["products"], AS_OF)
    assert drivers["segment"].unique().tolist() == ["SMB", "MM", "ENT"]
    numbers = drivers[["deals", "opportunities", "qualified_leads", "new_customers", "support_tickets",
                       "delivery_hours"]]
    assert (numbers > 0).all().all()
    assert (drivers["opportunities"] > drivers["deals"]).all()

    units = demand_plan.hardware_units(sample["orders"], sample["products"], AS_OF, START, END)
    assert set(units["region"]) == {"NA", "EMEA", "APAC", "LATAM"} and (units["units"] > 0).all()


def test_demand_drivers_read_nested_forecast_ids(driver_world):
    opps, leads, products = driver_world
    # forecast.py's default levels nest segments in regions: NA and EMEA SMB add up to 10,000 in January
    nested = pd.DataFrame({
        "unique_id": ["total", "region=NA", "region=NA/segment=SMB", "region=EMEA/segment=SMB",
                      "region=NA/segment=ENT"],
        "ds": pd.to_datetime(["2027-01-01"] * 5),
        "base": [210_000.0, 205_000.0, 6_000.0, 4_000.0, 200_000.0],
    })
    out = demand_plan.demand_drivers(nested, opps, leads, products, AS_OF, DemandSettings(min_rate_deals=1))
    assert out["segment"].tolist() == ["SMB", "ENT"]
    assert out["bookings"].tolist() == [10_000.0, 200_000.0]
    assert out["deals"].tolist() == pytest.approx([5.0, 2.0])
    only_total = demand_plan.demand_drivers(nested.iloc[:1], opps, leads, products, AS_OF)
    assert only_total["segment"].tolist() == ["All"] and only_total["bookings"].tolist() == [210_000.0]


def test_the_backtest_caption_names_the_rule_and_its_models():
    from types import SimpleNamespace

    from salesops.demand.forecast import ForecastSettings

    def caption(**changes) -> str:
        settings = ForecastSettings(**changes).for_series(1)
        return demand_workflow.backtest_caption(SimpleNamespace(bookings=SimpleNamespace(settings=settings)))

    assert caption() == ("How far to trust each series: backtest of its forecast (full profile: every series the "
                         "mean of AutoETS, AutoARIMA, AutoCES, DynamicOptimizedTheta)")
    assert caption(rule="best", models=["AutoETS", "SeasonalNaive"]).endswith(
        "(full profile: the best of AutoETS, SeasonalNaive)")
    assert caption(rule="top_k", profile="fast", models=["AutoETS", "AutoARIMA", "SeasonalNaive"]).endswith(
        "(fast profile: the mean of the k best of AutoETS, SeasonalNaive)")
