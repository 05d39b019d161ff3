"""Step 1's composed views, on tiny hand-made frames with hand-computed numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops import deals
from salesops.collect import kpis
from salesops.collect import overview as collect_overview
from salesops.plan_params import load_params

from builders import ROOT, make_opportunities


def opportunities() -> pd.DataFrame:
    return pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4"],
        "account_id": ["A1", "A2", "A3", "A1"],
        "rep_id": ["R1", "R2", "R9", "R1"],
        "created_date": pd.to_datetime(["2025-12-01", "2026-01-10", "2026-02-01", "2026-10-01"]),
        "close_date": pd.to_datetime(["2026-01-15", "2026-03-01", "2026-02-20", "2027-02-01"]),
        "stage": ["closed_won", "closed_lost", "closed_won", "proposal"],
        "amount": [10_000.0, 30_000.0, 50_000.0, 20_000.0],
        "is_closed": pd.array([True, True, True, False], dtype="boolean"),
        "is_won": pd.array([True, False, True, False], dtype="boolean"),
    })


def reps() -> pd.DataFrame:
    return pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "segment": ["SMB", pd.NA],
                         "region": ["NA", "EMEA"]})


def accounts() -> pd.DataFrame:
    return pd.DataFrame({"account_id": ["A1", "A2", "A3"], "employees": [50, 5000, 700],
                         "region": [pd.NA, "APAC", "LATAM"]})


def test_attach_segments_prefers_rep_then_account_size():
    original = opportunities()
    result = collect_overview.attach_segments(original, reps(), accounts())
    # O1/O4: rep R1 is SMB; O2: R2 has no segment, account A2 has 5,000 employees -> ENT;
    # O3: rep R9 unknown, account A3 has 700 employees -> MM
    assert result["segment"].tolist() == ["SMB", "ENT", "MM", "SMB"]
    # region: the account's first (A1 has none -> rep R1's NA), A2 APAC, A3 LATAM
    assert result["region"].tolist() == ["NA", "APAC", "LATAM", "NA"]
    pd.testing.assert_frame_equal(original, opportunities())  # input untouched
    assert collect_overview.attach_segments(original)["segment"].tolist() == ["Unknown"] * 4


def test_quarter_target_from_params_or_last_year(tmp_path):
    params = load_params("2027Q1", root=ROOT)
    opps = opportunities().assign(close_date=pd.to_datetime(["2026-01-15", "2026-03-01", "2026-02-20", "2027-02-01"]))
    # 2026Q1 won: O1 10,000 + O3 50,000 = 60,000; default growth 25% -> 75,000
    assert collect_overview.quarter_target(opps, params) == (75_000.0, "2026Q1 bookings +25% (growth assumed: collect.target_growth)")
    set_target = tmp_path / "q.yaml"
    set_target.write_text("collect:\n  target: 90000\n")
    assert (collect_overview.quarter_target(opps, load_params("2027Q1", set_target, ROOT))
            == (90_000.0, "assumed: set in the params (collect.target)"))
    with pytest.raises(ValueError, match="no complete quarter with bookings .* set collect.target"):
        collect_overview.quarter_target(opps.assign(is_won=False, stage="closed_lost"), params)


def test_quarter_target_never_rests_on_a_partial_quarter():
    params = load_params("2027Q1", root=ROOT)
    # history from 1 Mar 2026: 2026Q1 is one month in the data. Won: 2026Q1 20,000 (partial), 2026Q2 40,000,
    # 2026Q3 0, 2026Q4 80,000 -> mean of 2026Q2..Q4 = 40,000, +25% = 50,000
    opps = make_opportunities(
        [("O1", "R1", "2026-03-01", "2026-03-20", "closed_won", 20_000.0),
         ("O2", "R1", "2026-03-05", "2026-05-10", "closed_won", 40_000.0),
         ("O3", "R1", "2026-07-01", "2026-08-10", "closed_lost", 10_000.0),
         ("O4", "R1", "2026-09-01", "2026-11-10", "closed_won", 80_000.0),
         ("O5", "R1", "2026-12-20", "2027-02-01", "proposal", 5_000.0)],  # the data reaches the end of December
        ["opportunity_id", "rep_id", "created_date", "close_date", "stage", "amount"])
    assert collect_overview.quarter_target(opps, params) == (
        50_000.0, "mean of 3 complete quarters (2026Q2–2026Q4) +25% (growth assumed: collect.target_growth), "
                  "because 2026Q1 is only partly in the data (deals from 01 Mar 2026)")
    growth = kpis.growth_by_quarter(opps, 1, pd.Timestamp("2026-12-31"))
    assert growth["complete"].tolist() == [False, True, True, True]
    assert pd.isna(growth["qoq_growth"].iloc[1])  # 2026Q2 vs a partial 2026Q1: not measured
    # a history from 5 Jan covers 96% of 2026Q1: the quarter counts as complete (deals.COMPLETE_SHARE)
    early = opps.assign(created_date=opps["created_date"].where(opps["opportunity_id"] != "O1",
                                                                pd.Timestamp("2026-01-05")))
    assert kpis.growth_by_quarter(early, 1, pd.Timestamp("2026-12-31"))["complete"].all()


def test_segment_summary_hand_computed():
    opps = collect_overview.attach_segments(opportunities(), reps(), accounts())
    summary = collect_overview.segment_summary(opps, pd.Timestamp("2026-12-31"), 12)
    # closed in 2026: SMB O1 won 10,000; ENT O2 lost 30,000; MM O3 won 50,000. Share of 60,000 won.
    assert summary["segment"].tolist() == ["SMB", "MM", "ENT"]
    assert summary["win_rate_count"].tolist() == [1.0, 1.0, 0.0]
    assert summary["bookings_share"].round(4).tolist() == [round(10 / 60, 4), round(50 / 60, 4), 0.0]


def test_rep_activity_counts_the_period_only():
    activities = pd.DataFrame({
        "activity_id": ["X1", "X2", "X3"], "rep_id": ["R1", "R1", "R2"],
        "timestamp": pd.to_datetime(["2026-01-05 10:00", "2026-03-31 17:00", "2026-04-01 09:00"]),
        "type": ["demo", "call", "email"], "opportunity_id": ["O1", "O1", "O2"],
        "duration_minutes": [60.0, 30.0, 5.0],
    })
    table = collect_overview.rep_activity(activities, opportunities(), reps(), "2026-01-01", "2026-03-31")
    ann = table.set_index("rep_id").loc["R1"]
    # R1 in Q1 2026: one demo, one call (X3 is in April), 1.5 hours, won O1 10,000; R9 won O3 50,000
    assert (ann["demos"], ann["calls"], ann["selling_hours"], ann["bookings"]) == (1, 1, 1.5, 10_000.0)
    assert table["rep_id"].tolist()[0] == "R9"  # highest bookings first


def test_headline_metrics_and_findings_read_the_numbers():
    params = load_params("2027Q1", root=ROOT)
    headline = pd.DataFrame({"last_quarter": ["2026Q4"], "bookings_last_quarter": [1_200_000.0],
                             "bookings_last_12_months": [4_000_000.0], "yoy_growth_last_quarter": [-0.1],
                             "win_rate_count": [0.25], "win_rate_value": [0.2], "average_deal_size": [20_000.0],
                             "median_cycle_days": [45.0], "open_pipeline_value": [3_000_000.0]})
    coverage = pd.DataFrame({"forecast_category": ["commit", "best_case", "pipeline", "total"],
                             "coverage": [0.5, 1.2, 2.5, 2.5]})
    segments = pd.DataFrame({"segment": ["SMB", "ENT"], "won": [30, 5], "lost": [70, 45],
                             "win_rate_count": [0.3, 0.1], "average_deal_size": [8_000.0, 150_000.0]})
    funnel = pd.DataFrame({"stage": ["qualify", "demo"], "conversion": [0.6, 0.8]})
    fixes = pd.DataFrame({"problem": ["73 open opportunities have a close date in the past"]})
    scores = pd.DataFrame({"score": [90, 60], "rows": [300, 100]})
    metrics = collect_overview.headline_metrics(headline, coverage, 1_500_000.0, "set in the params", scores, params)
    shown = {m.label: (m.display, m.note) for m in metrics}
    assert shown["Bookings 2026Q4"] == ("$1.20M", "-10.0% year on year")
    assert shown["Pipeline coverage 2027Q1"][0] == "2.50×"
    assert shown["Data quality"][0] == "83 / 100"  # (90×300 + 60×100) / 400 = 82.5, rounded half up
    sentences = collect_overview.findings(headline, segments, funnel, coverage, fixes, params)
    assert sentences[0] == "Bookings in 2026Q4 were $1.20M, down 10.0% on the same quarter a year before."
    # no rule of thumb: whether 2.5 times is enough is measured in step 2, at the company's own close rates
    assert "covers the target 2.50 times (whether that is enough depends on the company's own close rates" in sentences[1]
    assert "3×" not in sentences[1] and "50% of it" in sentences[1]
    assert sentences[2].startswith("SMB deals are won most often (30% by count), ENT least (10%)")
    assert "qualify stage: only 60%" in sentences[3]
    assert sentences[4] == "Data to fix first: 73 open opportunities have a close date in the past."
    # no open deal in the commit category: no "committed deals cover 0%"
    uncommitted = coverage.assign(open_deals=[0, 0, 12, 12], coverage=[0.0, 0.0, 2.5, 2.5])
    said = collect_overview.findings(headline, segments, funnel, uncommitted, fixes, params)[1]
    assert said.endswith("; no open deal is in the commit forecast category.") and "0% of it" not in said
    # lost deals that do not record how far they got cannot say where the funnel leaks
    unknown = collect_overview.findings(headline, segments, funnel, coverage, fixes, params, lost_stage_known=0.2)
    assert unknown[3].startswith("Where the funnel loses deals cannot be told: only 20% of the deals lost in the "
                                 "last 12 months record the stage they reached")
    assert not any("qualify stage" in sentence for sentence in unknown)


def test_lost_stage_known_share_counts_lost_deals_with_a_max_stage():
    opps = make_opportunities([
        ("W1", "R1", "2026-01-01", "2026-03-01", "closed_won", 10_000.0, None),
        ("L1", "R1", "2026-01-01", "2026-04-01", "closed_lost", 1.0, "demo"),
        ("L2", "R1", "2026-01-01", "2026-04-01", "closed_lost", 1.0, None),
        ("L3", "R1", "2026-01-01", "2026-04-01", "closed_lost", 1.0, None),
        ("L4", "R1", "2026-01-01", "2026-04-01", "closed_lost", 1.0, "proposal"),
    ], ["opportunity_id", "rep_id", "created_date", "close_date", "stage", "amount", "max_stage"])
    assert deals.lost_stage_known_share(opps, pd.Timestamp("2026-12-31"), 12) == 0.5
    assert pd.isna(deals.lost_stage_known_share(opps.iloc[:1], pd.Timestamp("2026-12-31"), 12))
