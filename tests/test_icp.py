"""ICP segmentation (salesops.collect.icp): tiny hand-made tables with hand-computed expectations, then one check
that the ICP found in the sample company contains the industries planted there as a good fit."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal
from pydantic import ValidationError

from salesops.collect import icp
from salesops.collect.icp import IcpSettings, icp_summary, rep_segment_wins, segment_leads, segment_stats, size_band
from salesops.contract import schema
from salesops.data.sample import generate_sample

T = schema.TEXT_DTYPE
NA = pd.NA
AS_OF = "2026-06-30"  # with window_months=6 the window is 2026-01-01 .. 2026-06-30, both days included

S1 = "Software · 200–1,999 · NA"
S2 = "Retail · 1–199 · EMEA"
S3 = "Unknown · 2,000+ · NA"


def text(values) -> pd.array:
    return pd.array(values, dtype=T)


def dates(values) -> pd.Series:
    return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")


def accounts_table() -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": text(["A1", "A2", "A3"]),
        "name": text(["Acme", "Shopco", "Bigcorp"]),
        "industry": text(["Software", "Retail", NA]),  # A3's industry is not known
        "employees": pd.array([500, 50, 5000], dtype="Int64"),
        "region": text(["NA", "EMEA", "NA"]),
        "country": text(["US", "DE", "US"]),
    })


def leads_table() -> pd.DataFrame:
    """Segments once filled (window 2026-01-01 .. 2026-06-30):

    L1  own values                                  -> S1, converted in window
    L2  nothing of its own: all from account A1      -> S1
    L3  no account: own values                       -> S1, converted
    L4  own values; converted, but on 2026-07-10 (after as_of) -> S1, not converted at as_of
    L5  own industry/region, employees from A2 (50)  -> S2, converted
    L6  own values (60 employees)                    -> S2
    L7  created 2025-11-01, before the window (its deal O3 closes inside it)
    L8  from A3: industry unknown, 5,000 employees   -> S3
    L9  created 2025-12-31: the window's excluded left end
    L10 created 2026-07-01: after as_of
    """
    return pd.DataFrame({
        "lead_id": text([f"L{i}" for i in range(1, 11)]),
        "created_date": dates(["2026-01-10", "2026-02-01", "2026-03-01", "2026-03-15", "2026-04-01",
                               "2026-05-01", "2025-11-01", "2026-06-01", "2025-12-31", "2026-07-01"]),
        "source": text(["web", "web", "event", "web", "paid_search", "web", "event", "web", "web", "web"]),
        "account_id": text(["A1", "A1", NA, NA, "A2", "A2", NA, "A3", "A2", "A2"]),
        "industry": text(["Software", NA, "Software", "Software", "Retail", "Retail", "Software", NA, "Retail",
                          "Retail"]),
        "employees": pd.array([450, NA, 300, 800, NA, 60, 1000, NA, 60, 60], dtype="Int64"),
        "region": text(["NA", NA, "NA", "NA", "EMEA", "EMEA", "NA", NA, "EMEA", "EMEA"]),
        "converted": pd.array([True, False, True, True, True, False, True, False, False, False], dtype="boolean"),
        "converted_date": dates(["2026-01-20", None, "2026-03-05", "2026-07-10", "2026-04-10", None, "2025-11-20",
                                 None, None, None]),
    })


def opportunities_table() -> pd.DataFrame:
    """Segments of the deals (from the lead, else from the account):

    O1 L1 -> S1, won 30,000, created 01-20 closed 03-01: 40 days
    O2 L3 -> S1 from its lead even though its account A2 is Retail; lost 20,000
    O3 L7 -> S1, won 10,000, created 2025-11-20 closed 2026-02-18: 90 days (created before the window)
    O4 no lead, account A1 -> S1, lost 5,000
    O5 L5 -> S2, won 8,000, created 04-10 closed 05-10: 30 days
    O6 no lead, account A2 -> S2, lost 4,000
    O7 no lead, account A3 -> S3, won 100,000 on as_of itself (included), created 05-01: 60 days
    O8 open; O9 won on 2025-12-31 (before the window); O10 won on 2026-07-01 (after as_of): not counted
    """
    return pd.DataFrame({
        "opportunity_id": text([f"O{i}" for i in range(1, 11)]),
        "account_id": text(["A1", "A2", "A1", "A1", "A2", "A2", "A3", "A1", "A1", "A2"]),
        "rep_id": text(["R1", "R2", "R1", "R2", "R1", "R1", "R2", "R1", "R1", "R1"]),
        "created_date": dates(["2026-01-20", "2026-03-05", "2025-11-20", "2026-02-01", "2026-04-10", "2026-01-05",
                               "2026-05-01", "2026-05-01", "2025-10-01", "2026-06-01"]),
        "close_date": dates(["2026-03-01", "2026-05-04", "2026-02-18", "2026-04-02", "2026-05-10", "2026-02-04",
                             "2026-06-30", "2026-08-01", "2025-12-31", "2026-07-01"]),
        "stage": text(["closed_won", "closed_lost", "closed_won", "closed_lost", "closed_won", "closed_lost",
                       "closed_won", "proposal", "closed_won", "closed_won"]),
        "amount": [30_000.0, 20_000.0, 10_000.0, 5_000.0, 8_000.0, 4_000.0, 100_000.0, 50_000.0, 70_000.0, 9_000.0],
        "is_closed": pd.array([True, True, True, True, True, True, True, False, True, True], dtype="boolean"),
        "is_won": pd.array([True, False, True, False, True, False, True, False, True, True], dtype="boolean"),
        "lead_id": text(["L1", "L3", "L7", NA, "L5", NA, NA, NA, NA, NA]),
    })


def reps_table() -> pd.DataFrame:
    return pd.DataFrame({"rep_id": text(["R1", "R3"]), "name": text(["Ann Lee", "Cy Moss"])})  # R2 not listed


def settings(**overrides) -> IcpSettings:
    return IcpSettings(**{"window_months": 6, "min_leads": 2, **overrides})


# --------------------------------------------------------------------------------------------------
# settings


def test_settings_defaults():
    s = IcpSettings()
    assert s.dimensions == ("industry", "size_band", "region")
    assert s.size_bands == (200, 2000)
    assert (s.window_months, s.min_leads, s.icp_value_share) == (24, 30, 0.5)
    # plain JSON values for the manifest, and YAML-style input (a single dimension, float thresholds)
    assert s.model_dump(mode="json")["dimensions"] == ["industry", "size_band", "region"]
    assert IcpSettings(dimensions="source", size_bands=[50.0, 500]).dimensions == ("source",)
    with pytest.raises(ValidationError):
        s.min_leads = 5  # frozen


@pytest.mark.parametrize("bad, message", [
    ({"dimensions": ["industy"]}, "expected one of industry, size_band, region, country, source, e.g. industry "
                                  "(did you mean 'industry'?)"),
    ({"dimensions": []}, "expected a list of dimensions with at least 1 entry"),
    ({"dimensions": ["region", "region"]}, "list of dimensions with at least 1 entry, each once"),
    ({"size_bands": [2000, 200]}, "strictly increasing"),
    ({"size_bands": [200, 200]}, "strictly increasing"),
    ({"size_bands": [1, 200]}, "expected a whole number of employees of 2 or more"),
    ({"size_bands": [200.5]}, "expected a whole number of employees"),
    ({"size_bands": []}, "list of employee thresholds with at least 1 entry"),
    ({"size_bands": "200"}, "expected a list of employee thresholds"),
    ({"window_months": 0}, "expected a whole number of months from 1 to 120"),
    ({"window_months": 2.5}, "whole number"),
    ({"min_leads": 0}, "expected a whole number of leads of 1 or more"),
    ({"min_leads": True}, "whole number"),
    ({"icp_value_share": 0}, "expected a share above 0 and at most 1"),
    ({"icp_value_share": 1.5}, "expected a share above 0 and at most 1"),
    ({"min_lead": 10}, "Extra inputs are not permitted"),
])
def test_bad_settings_say_what_is_wrong(bad, message):
    with pytest.raises(ValidationError) as caught:
        IcpSettings(**bad)
    assert message in str(caught.value)
    assert next(iter(bad)) in str(caught.value)  # names the setting


def test_module_text_dtype_is_the_schema_one():
    assert icp.TEXT_DTYPE == schema.TEXT_DTYPE


# --------------------------------------------------------------------------------------------------
# size bands


def test_size_band_labels_and_edges():
    employees = pd.Series(pd.array([0, 1, 199, 200, 1999, 2000, NA, 60000], dtype="Int64"), index=list("abcdefgh"))
    expected = pd.Series(
        text(["Unknown", "1–199", "1–199", "200–1,999", "200–1,999", "2,000+", "Unknown", "2,000+"]),
        index=list("abcdefgh"), name="size_band",
    )
    assert_series_equal(size_band(employees, [200, 2000]), expected)


def test_size_band_custom_thresholds_and_plain_lists():
    assert icp.band_labels([50, 500, 5000]) == ["1–49", "50–499", "500–4,999", "5,000+"]
    assert icp.band_labels([2, 3]) == ["1", "2", "3+"]
    got = size_band([49, 50.0, 4999, 5000, None, "n/a"], [50, 500, 5000])
    assert got.tolist() == ["1–49", "50–499", "500–4,999", "5,000+", "Unknown", "Unknown"]
    with pytest.raises(ValueError, match="thresholds must be strictly increasing"):
        size_band([10], [500, 50])


# --------------------------------------------------------------------------------------------------
# segment_leads


def test_segment_leads_fills_from_the_account():
    leads, accounts = leads_table(), accounts_table()
    got = segment_leads(leads, accounts, settings())
    industry = ["Software", "Software", "Software", "Software", "Retail", "Retail", "Software", "Unknown", "Retail",
                "Retail"]
    # L2 takes A1's 500 employees, L5 A2's 50, L8 A3's 5,000; the others their own
    band = ["200–1,999", "200–1,999", "200–1,999", "200–1,999", "1–199", "1–199", "200–1,999", "2,000+", "1–199",
            "1–199"]
    region = ["NA", "NA", "NA", "NA", "EMEA", "EMEA", "NA", "NA", "EMEA", "EMEA"]
    expected = leads.assign(
        industry=text(industry), region=text(region), size_band=text(band),
        segment=text([f"{i} · {b} · {r}" for i, b, r in zip(industry, band, region)]),
    )
    assert_frame_equal(got, expected)
    assert got.loc[7, "segment"] == S3
    assert got["employees"].isna().sum() == 3  # the employees column itself is left as it was


def test_segment_leads_other_dimensions_and_no_accounts():
    leads = leads_table()
    got = segment_leads(leads, accounts_table(), settings(dimensions=["source", "country"]))
    # leads have no country column: every value comes from the account; L3, L4, L7 have none -> Unknown
    assert got["country"].tolist() == ["US", "US", "Unknown", "Unknown", "DE", "DE", "Unknown", "US", "DE", "DE"]
    assert got.loc[0, "segment"] == "web · US"
    alone = segment_leads(leads, None, settings())
    assert alone.loc[1, "segment"] == "Unknown · Unknown · Unknown"  # L2 has nothing of its own
    assert alone.loc[4, "segment"] == "Retail · Unknown · EMEA"
    with pytest.raises(ValueError, match="leads"):
        segment_leads(None, accounts_table(), settings())


# --------------------------------------------------------------------------------------------------
# segment_stats


def expected_stats() -> pd.DataFrame:
    """By hand, window 2026-01-01 .. 2026-06-30, min_leads 2:

    S1 leads L1-L4 = 4, converted L1, L3 = 2 (L4 converted after as_of) -> 2/4 = 0.5
       deals O1 won 30,000, O3 won 10,000, O2 and O4 lost -> win rate 2/4 = 0.5, average 20,000,
       cycles 40 and 90 days -> median 65, bookings 40,000
       per lead 0.5 x 0.5 x 20,000 = 5,000; x 4 leads = 20,000
    S2 leads L5, L6 = 2 (= min_leads: eligible), converted L5 -> 0.5; O5 won 8,000, O6 lost -> 0.5,
       median 30 days, per lead 0.5 x 0.5 x 8,000 = 2,000; x 2 = 4,000
    S3 lead L8 = 1, converted 0 -> 0; O7 won 100,000 -> 1.0, 60 days; per lead 0 (nothing converts)
    total bookings 148,000; total expected value 24,000. ICP at 0.5: S1 alone (20,000 >= 12,000).
    """
    return pd.DataFrame({
        "industry": text(["Software", "Retail", "Unknown"]),
        "size_band": text(["200–1,999", "1–199", "2,000+"]),
        "region": text(["NA", "EMEA", "NA"]),
        "segment": text([S1, S2, S3]),
        "leads": pd.array([4, 2, 1], dtype="Int64"),
        "converted": pd.array([2, 1, 0], dtype="Int64"),
        "lead_to_opportunity": [0.5, 0.5, 0.0],
        "won": pd.array([2, 1, 1], dtype="Int64"),
        "lost": pd.array([2, 1, 0], dtype="Int64"),
        "win_rate": [0.5, 0.5, 1.0],
        "average_deal_size": [20_000.0, 8_000.0, 100_000.0],
        "median_cycle_days": [65.0, 30.0, 60.0],
        "bookings": [40_000.0, 8_000.0, 100_000.0],
        "revenue_share": [40_000 / 148_000, 8_000 / 148_000, 100_000 / 148_000],
        "expected_value_per_lead": [5_000.0, 2_000.0, 0.0],
        "expected_value": [20_000.0, 4_000.0, 0.0],
        "eligible": pd.array([True, True, False], dtype="boolean"),  # S3: 1 lead < 2, and industry Unknown
        "rank": pd.array([1, 2, NA], dtype="Int64"),
        "in_icp": pd.array([True, False, False], dtype="boolean"),
        "note": text(["ICP", "", icp.TOO_FEW_LEADS]),
    })


def test_segment_stats_by_hand():
    got = segment_stats(leads_table(), opportunities_table(), accounts_table(), AS_OF, settings())
    assert_frame_equal(got, expected_stats())


def test_segment_stats_conversion_from_opportunity_links():
    # without converted / converted_date, a lead converted when an opportunity (created by as_of) names it:
    # L1 (O1), L3 (O2), L5 (O5) -- the same counts as above
    leads = leads_table().drop(columns=["converted", "converted_date"])
    got = segment_stats(leads, opportunities_table(), accounts_table(), AS_OF, settings())
    assert_frame_equal(got, expected_stats())


def test_icp_value_share_boundary():
    # ranked: S1 20,000 then S2 4,000, of a total 24,000: S1 alone is 5/6 of it
    def icp_segments(share):
        stats = segment_stats(leads_table(), opportunities_table(), accounts_table(), AS_OF,
                              settings(icp_value_share=share))
        return stats.loc[stats["in_icp"].to_numpy(dtype=bool), "segment"].tolist()

    assert icp_segments(20_000 / 24_000) == [S1]  # exactly reached by S1: S2 not needed
    assert icp_segments(20_000 / 24_000 + 1e-6) == [S1, S2]  # just short: the next segment joins
    assert icp_segments(0.01) == [S1]  # the best segment is always in
    assert icp_segments(1.0) == [S1, S2]  # S3 adds no value, so it never joins


def test_min_leads_eligibility():
    # min_leads 3: S2 (2 leads) is shown but too few to judge; S1 alone cannot reach 90 % of 24,000
    # (S2's 4,000 still counts in the total), so the ICP is every ranked segment with value: S1
    stats = segment_stats(leads_table(), opportunities_table(), accounts_table(), AS_OF,
                          settings(min_leads=3, icp_value_share=0.9))
    assert stats["segment"].tolist() == [S1, S2, S3]  # ranked first, then by value per lead
    assert stats["eligible"].tolist() == [True, False, False]
    assert stats["rank"].tolist() == [1, NA, NA]
    assert stats["in_icp"].tolist() == [True, False, False]
    assert stats["note"].tolist() == ["ICP", icp.TOO_FEW_LEADS, icp.TOO_FEW_LEADS]
    # min_leads 1: S3 has enough leads but an Unknown industry: not targetable, so not eligible
    stats = segment_stats(leads_table(), opportunities_table(), accounts_table(), AS_OF, settings(min_leads=1))
    assert not stats.loc[2, "eligible"]
    assert stats.loc[2, "note"] == icp.UNKNOWN_SEGMENT


def test_segment_stats_without_leads():
    # opportunities segmented by their account only: O2 (account A2) now falls in S2
    # S1: O1 won 30,000, O3 won 10,000, O4 lost; S2: O5 won 8,000, O2 and O6 lost; S3: O7 won 100,000
    got = segment_stats(None, opportunities_table(), accounts_table(), AS_OF, settings())
    assert got["segment"].tolist() == [S2, S1, S3]  # nothing ranked: by value per lead (all NaN), then label
    assert got["won"].tolist() == [1, 2, 1]
    assert got["lost"].tolist() == [2, 1, 0]
    assert got["bookings"].tolist() == [8_000.0, 40_000.0, 100_000.0]
    assert got["leads"].isna().all() and got["lead_to_opportunity"].isna().all()
    assert got["expected_value_per_lead"].isna().all()
    assert not got["eligible"].any() and not got["in_icp"].any()
    assert set(got["note"]) == {"no leads to judge"}
    assert icp_summary(got, settings())[0].startswith("There is no leads table")


def test_segment_stats_without_accounts():
    # deals without a lead have nothing to segment by; leads only their own values
    got = segment_stats(leads_table(), opportunities_table(), None, AS_OF, settings())
    assert got["leads"].sum() == 7 and (got["won"] + got["lost"]).sum() == 7
    s1 = got.set_index("segment").loc[S1]  # L1, L3, L4 (L2 has nothing of its own); O1, O2, O3
    assert (s1["leads"], s1["converted"], s1["won"], s1["lost"]) == (3, 2, 2, 1)


def test_segment_stats_bad_arguments():
    with pytest.raises(ValueError, match="opportunities"):
        segment_stats(leads_table(), None, accounts_table(), AS_OF, settings())
    with pytest.raises(ValueError, match="as_of"):
        segment_stats(leads_table(), opportunities_table(), accounts_table(), "someday", settings())
    with pytest.raises(ValueError, match=r"opportunities is missing required column\(s\) \['is_won'\]"):
        segment_stats(None, opportunities_table().drop(columns="is_won"), None, AS_OF, settings())
    with pytest.raises(ValueError, match="settings must be an IcpSettings"):
        segment_stats(None, opportunities_table(), None, AS_OF, {"min_leads": 3})


def test_empty_window():
    got = segment_stats(leads_table(), opportunities_table(), accounts_table(), "2020-06-30", settings())
    assert got.empty and list(got.columns) == list(expected_stats().columns)
    assert_frame_equal(got.dtypes.to_frame(), expected_stats().dtypes.to_frame())
    assert icp_summary(got, settings()) == [
        "No lead was created and no deal closed in the last 6 months, so no ICP can be drawn."]

    # window 2025-12-16 .. 2026-01-15: L1 (converts only on 01-20) -> S1, L9 -> S2, neither converted;
    # O9 won 70,000 on 2025-12-31 -> S1. Nothing converts, so every value per lead is 0 (S2 has no deal at
    # all): both ranked (ties by label), but no value means no ICP.
    got = segment_stats(leads_table(), opportunities_table(), accounts_table(), "2026-01-15",
                        settings(window_months=1, min_leads=1))
    assert got["segment"].tolist() == [S2, S1]
    assert got["leads"].tolist() == [1, 1] and got["converted"].tolist() == [0, 0]
    assert got["won"].tolist() == [0, 1] and got["win_rate"].isna().tolist() == [True, False]
    assert got["expected_value_per_lead"].tolist() == [0.0, 0.0] and got["rank"].tolist() == [1, 2]
    assert not got["in_icp"].any()
    assert icp_summary(got, settings(window_months=1, min_leads=1)) == [
        "No ideal customer profile can be drawn from the last month: no segment with at least 1 lead has "
        "a positive expected value per lead."]


# --------------------------------------------------------------------------------------------------
# icp_summary


def test_icp_summary_sentences():
    # average per lead over the segments with a known value: 24,000 / 7 leads = 3,428.57;
    # S1 5,000 / 3,428.57 = 1.46x. ICP: 20,000 / 24,000 = 83 % of the value from 4 / 7 = 57 % of the leads.
    stats = segment_stats(leads_table(), opportunities_table(), accounts_table(), AS_OF, settings())
    assert icp_summary(stats, settings()) == [
        "The ideal customer profile is 1 of 3 segments (industry × size band × region): together they bring "
        "83% of the expected value from 57% of the leads created in the last 6 months.",
        "Software · 200–1,999 · NA: 50% of leads convert, 50% of deals are won, $20k average deal — "
        "$5k expected per lead, 1.5× the average.",
        "1 segment has fewer than 2 leads in the last 6 months: too few leads to judge, so they are left out "
        "of the ICP.",
        "14% of the leads are in segments with an Unknown value, which cannot be targeted and are left out of "
        "the ICP: filling in the missing values would sharpen it.",  # L8: 1 of 7 leads
    ]
    assert icp_summary(stats, settings(), currency="EUR")[1].endswith("€5k expected per lead, 1.5× the average.")


# --------------------------------------------------------------------------------------------------
# rep_segment_wins


def test_rep_segment_wins_by_industry():
    # closed in the window: Software O1 R1 won, O3 R1 won, O2 R2 lost, O4 R2 lost -> team 2/4 = 0.5;
    # Retail O5 R1 won, O6 R1 lost -> team 1/2 = 0.5; Unknown O7 R2 won (1 deal < min_closed 2: dropped)
    got = rep_segment_wins(opportunities_table(), leads_table(), accounts_table(), reps_table(), AS_OF,
                           settings(), min_closed=2)
    expected = pd.DataFrame({
        "rep_id": text(["R1", "R1", "R2"]),
        "name": text(["Ann Lee", "Ann Lee", "R2"]),  # R2 is not in reps: its id stands in
        "industry": text(["Retail", "Software", "Software"]),
        "segment": text(["Retail", "Software", "Software"]),
        "closed": pd.array([2, 2, 2], dtype="Int64"),
        "won": pd.array([1, 2, 0], dtype="Int64"),
        "win_rate": [0.5, 1.0, 0.0],
        "team_closed": pd.array([2, 4, 4], dtype="Int64"),
        "team_win_rate": [0.5, 0.5, 0.5],
        "vs_team_pp": [0.0, 50.0, -50.0],  # (1.0 - 0.5) x 100 = +50 points
    })
    assert_frame_equal(got, expected)


def test_rep_segment_wins_full_segment_without_reps():
    got = rep_segment_wins(opportunities_table(), leads_table(), accounts_table(), None, AS_OF, settings(),
                           min_closed=1, dimension=None)
    assert list(got.columns[:6]) == ["rep_id", "name", "industry", "size_band", "region", "segment"]
    assert got["segment"].tolist() == [S2, S1, S1, S3]
    assert got["name"].tolist() == got["rep_id"].tolist() == ["R1", "R1", "R2", "R2"]
    assert got["vs_team_pp"].tolist() == [0.0, 50.0, -50.0, 0.0]


def test_rep_segment_wins_bad_arguments():
    args = (opportunities_table(), leads_table(), accounts_table(), reps_table(), AS_OF, settings())
    with pytest.raises(ValueError, match="dimension: unknown dimension 'sector'"):
        rep_segment_wins(*args, dimension="sector")
    with pytest.raises(ValueError, match="min_closed"):
        rep_segment_wins(*args, min_closed=0)
    with pytest.raises(ValueError, match="opportunities"):
        rep_segment_wins(None, *args[1:])


# --------------------------------------------------------------------------------------------------
# inputs are not modified


def test_inputs_not_modified():
    tables = {"leads": leads_table(), "opportunities": opportunities_table(), "accounts": accounts_table(),
              "reps": reps_table()}
    before = {name: frame.copy(deep=True) for name, frame in tables.items()}
    s = settings()
    segment_leads(tables["leads"], tables["accounts"], s)
    stats = segment_stats(tables["leads"], tables["opportunities"], tables["accounts"], AS_OF, s)
    stats_before = stats.copy(deep=True)
    icp_summary(stats, s)
    rep_segment_wins(tables["opportunities"], tables["leads"], tables["accounts"], tables["reps"], AS_OF, s,
                     min_closed=1, dimension=None)
    for name, frame in tables.items():
        assert_frame_equal(frame, before[name])
    assert_frame_equal(stats, stats_before)


# --------------------------------------------------------------------------------------------------
# the sample company

GOOD_FIT = {"Software", "Finance", "Logistics"}  # sample.INDUSTRY_FIT: the three highest


@pytest.fixture(scope="module")
def sample():
    return generate_sample(end_date="2026-12-31", scale=0.3)


def test_sample_icp_contains_a_planted_good_fit_industry(sample):
    stats = segment_stats(sample["leads"], sample["opportunities"], sample["accounts"], "2026-12-31")
    chosen = stats.loc[stats["in_icp"].to_numpy(dtype=bool)]
    assert 0 < len(chosen) < len(stats)
    assert GOOD_FIT & set(chosen["industry"])
    assert chosen.iloc[0]["industry"] in GOOD_FIT  # rank 1
    assert not (chosen[["industry", "size_band", "region"]] == icp.UNKNOWN).any(axis=None)
    # by industry alone the best fit in the sample (Software) comes first
    by_industry = segment_stats(sample["leads"], sample["opportunities"], sample["accounts"], "2026-12-31",
                                IcpSettings(dimensions=["industry"]))
    assert by_industry.loc[0, "industry"] == "Software" and by_industry.loc[0, "in_icp"]
    summary = icp_summary(stats, IcpSettings())
    assert summary[0].startswith("The ideal customer profile is ")
    assert summary[1].startswith(chosen.iloc[0]["segment"] + ": ")


def test_top_segments_orders_by_rank_and_marks_the_icp():
    from salesops.collect.icp import top_segments

    stats = pd.DataFrame({"segment": ["B", "A", "C"], "rank": pd.array([2, 1, pd.NA], dtype="Int64"),
                          "in_icp": pd.array([False, True, pd.NA], dtype="boolean")})
    top = top_segments(stats, n=5)
    assert top["segment"].tolist() == ["A", "B"]  # C has no rank: not ranked, left out
    assert top["label"].tolist() == ["A  (ICP)", "B"]
    assert top_segments(stats.iloc[2:], n=5).empty
