"""Tests of salesops.collect.quality on tiny hand-made tables; every expectation is worked out beside it."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from salesops.collect import quality
from salesops.collect.quality import audit_checks, completeness, fix_list, normalize_company_name, table_scores

NA = pd.NA
NaT = pd.NaT
AS_OF = pd.Timestamp("2026-03-31")


def _typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast columns to the loader's dtypes (string / Int64 / float64 / datetime64 / boolean)."""
    from salesops.contract import schema

    spec = schema.TABLES[table]
    kinds = {"string": "string", "int": "Int64", "float": "float64", "date": "datetime64[ns]",
             "datetime": "datetime64[ns]", "bool": "boolean"}
    return frame.astype({c: kinds[spec.column(c).kind] for c in frame.columns if c in spec.column_names})


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    reps = _typed("reps", pd.DataFrame({
        "rep_id": ["R1", "R2", "R3", "R4", "R5"],
        "name": ["Ann", "Bob", "Cy", "Di", "Ed"],
        "role": ["AE", "AE", "AE", "SDR", "AE"],
        "region": ["EMEA", None, "NA", "  ", "EMEA"],
        "end_date": [None, None, "2026-01-31", None, "2026-03-31"],
        "quota": [100000.0, np.nan, 0.0, np.nan, 0.0],
    }))
    accounts = _typed("accounts", pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4", "A5", "A6"],
        "name": ["Acme, Inc.", "ACME inc", "Globex GmbH", "globex", "Acme Co. Ltd", "Initech"],
        "industry": ["Manufacturing", None, "Retail", "", "Tech", "Tech"],
        "employees": [100, None, 50, 20, None, 10],
        "owner_rep_id": ["R1", "R1", None, "R2", "R1", "R1"],
    }))
    leads = _typed("leads", pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "created_date": ["2026-01-01"] * 6,
        "email": ["dana@acme.example", "DANA@acme.example ", None, "", "", "dana@acme.example"],
        "industry": ["X", None, "Y", "Y", "Y", "X"],
        "source": ["web", "web", None, "", "ads", "web"],
    }))
    opportunities = _typed("opportunities", pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
        "account_id": ["A1", "A1", None, "A2", "A3", "A1"],
        "rep_id": ["R1", "R1", "R2", "R2", "R5", "R5"],
        "created_date": ["2026-01-01", "2026-03-28", "2026-02-01", "2026-01-05", "2026-01-02", "2026-03-24"],
        "close_date": ["2026-03-15", None, "2026-03-31", "2026-02-10", "2026-01-20", "2026-03-30"],
        "stage": ["proposal", "demo", "qualify", "closed_won", "closed_lost", "negotiate"],
        "amount": [1000.0, 0.0, 500.0, 0.0, 0.0, 2000.0],
    }))
    activities = _typed("activities", pd.DataFrame({
        "activity_id": ["X1", "X2", "X3", "X4", "X5"],
        "rep_id": ["R1", "R2", "R5", "R1", "R1"],
        "timestamp": ["2026-01-10 10:00"] * 5,
        "type": ["call", "email", "meeting", "call", "demo"],
        "opportunity_id": ["O1", "O4", "O5", None, "O1"],
        "duration_minutes": [30.0, 0.0, np.nan, 15.0, 10.0],
    }))
    return {"reps": reps, "accounts": accounts, "leads": leads, "opportunities": opportunities,
            "activities": activities}


@pytest.fixture
def rejects() -> pd.DataFrame:
    return pd.DataFrame({
        "table": ["opportunities", "opportunities", "opportunities", "opportunities", "leads"],
        "row": [7, 9, 9, 12, 3],
        "column": ["account_id", "account_id", "rep_id", "amount", "lead_id"],
        "problem": ["orphan_key", "orphan_key", "orphan_key", "negative_value", "duplicate_key"],
        "value": ["A9", "A8", "R9", "-5", "L1"],
        "message": ["..."] * 5,
    })


def _checks(rows: list[tuple]) -> pd.DataFrame:
    """Expected audit rows (table, check, severity, affected, total, example_ids); share = affected/total."""
    frame = pd.DataFrame(rows, columns=["table", "check", "severity", "rows_affected", "rows_total", "example_ids"])
    frame["share"] = frame["rows_affected"] / frame["rows_total"]
    frame = frame.astype({"rows_affected": "int64", "rows_total": "int64", "share": "float64"})
    return frame[["table", "check", "severity", "rows_affected", "rows_total", "share", "example_ids"]]


# ---------------------------------------------------------------------------------------------- completeness


def test_completeness_counts_filled_values_in_schema_order():
    tables = {
        # given out of schema order, with a non-canonical column and an unknown table
        "opportunities": pd.DataFrame({
            "stage": ["demo", "demo", "qualify", "closed_won"],
            "opportunity_id": ["O1", "O2", "O3", "O4"],
            "notes": [None, None, None, None],  # not canonical: ignored
            "close_date": pd.to_datetime(["2026-01-01", None, None, "2026-02-01"]),
        }),
        "reps": pd.DataFrame({"rep_id": ["R1", "R2"], "region": ["EMEA", "   "]}),
        "whatever": pd.DataFrame({"x": [1]}),
        "orders": pd.DataFrame({"order_id": pd.Series([], dtype="string")}),
    }
    expected = pd.DataFrame({
        "table": ["reps", "reps", "opportunities", "opportunities", "opportunities", "orders"],
        "column": ["rep_id", "region", "opportunity_id", "close_date", "stage", "order_id"],
        "rows": [2, 2, 4, 4, 4, 0],
        "filled": [2, 1, 4, 2, 4, 0],  # blank "   " region is missing; two NaT close dates
        "filled_share": [2 / 2, 1 / 2, 4 / 4, 2 / 4, 4 / 4, 0.0],  # empty table: 0.0 by definition
    }).astype({"rows": "int64", "filled": "int64"})
    assert_frame_equal(completeness(tables), expected)


def test_completeness_with_loader_dtypes(tables):
    got = completeness(tables).set_index(["table", "column"])
    assert got.loc[("accounts", "industry"), "filled"] == 4  # 6 rows - None - "" = 4
    assert got.loc[("accounts", "industry"), "filled_share"] == pytest.approx(4 / 6)
    assert got.loc[("accounts", "employees"), "filled"] == 4  # 6 - 2 missing
    assert got.loc[("reps", "end_date"), "filled"] == 2  # R3, R5
    assert got.loc[("activities", "duration_minutes"), "filled"] == 4  # NaN once; 0.0 counts as filled
    assert list(got.loc["reps"].index) == ["rep_id", "name", "role", "region", "end_date", "quota"]


# ---------------------------------------------------------------------------------------------- audit checks


def test_audit_checks_full_fixture(tables, rejects):
    got = audit_checks(tables, rejects, AS_OF)
    expected = _checks([
        # reps: 5 rows, none rejected
        ("reps", "rejected_rows", "high", 0, 5, ""),
        # AEs: R1 quota 100k ok; R2 NaN -> yes; R3 0 but left 2026-01-31 < as_of -> no; R5 0, ends on as_of -> yes
        ("reps", "aes_without_quota", "medium", 2, 5, "R2, R5"),
        # R2 None, R4 blank -> 2 (R3 has a region anyway)
        ("reps", "reps_without_region", "low", 2, 5, "R2, R4"),
        ("accounts", "rejected_rows", "high", 0, 6, ""),
        # acme: A1 "Acme, Inc.", A2 "ACME inc", A5 "Acme Co. Ltd" -> 3-1 = 2; globex: A3, A4 -> 2-1 = 1; total 3
        ("accounts", "duplicate_accounts", "medium", 3, 6, "A2, A4, A5"),
        ("accounts", "accounts_missing_industry", "medium", 2, 6, "A2, A4"),  # None and ""
        ("accounts", "accounts_missing_employees", "low", 2, 6, "A2, A5"),
        ("accounts", "accounts_without_owner", "low", 1, 6, "A3"),
        # leads: 6 kept + 1 distinct rejected row = 7 rows in the file
        ("leads", "rejected_duplicate_key", "high", 1, 7, "row 3"),
        # dana@acme.example on L1, L2 (upper case + space), L6 -> 3-1 = 2; "" and None are not e-mails
        ("leads", "duplicate_leads", "medium", 2, 6, "L2, L6"),
        ("leads", "leads_missing_industry", "low", 1, 6, "L2"),
        ("leads", "leads_missing_source", "low", 2, 6, "L3, L4"),  # None and ""
        # opportunities: 6 kept + distinct rejected rows {7, 9, 12} = 9; row 9 has two orphan keys -> counted once
        ("opportunities", "rejected_negative_value", "high", 1, 9, "row 12"),
        ("opportunities", "rejected_orphan_key", "high", 2, 9, "row 7, row 9"),
        # open with close before 2026-03-31: O1 (03-15), O6 (03-30); O3 closes on as_of -> not stale
        ("opportunities", "stale_open_opportunities", "high", 2, 6, "O1, O6"),
        ("opportunities", "open_opportunities_without_close_date", "high", 1, 6, "O2"),
        # O2 open with 0; O4 (won) and O5 (lost) have 0 but are closed
        ("opportunities", "open_opportunities_zero_amount", "medium", 1, 6, "O2"),
        # cutoff 03-31 - 7 = 03-24: O2 (created 03-28) too new; O3 and O6 (created exactly 03-24) have no activity
        ("opportunities", "opportunities_without_activity", "medium", 2, 6, "O3, O6"),
        ("opportunities", "opportunities_without_account", "medium", 1, 6, "O3"),
        ("opportunities", "won_deals_zero_amount", "medium", 1, 6, "O4"),
        ("activities", "rejected_rows", "high", 0, 5, ""),
        ("activities", "activities_zero_duration", "low", 2, 5, "X2, X3"),  # 0.0 and NaN
    ])
    assert_frame_equal(got.drop(columns="description"), expected)
    assert got["description"].map(lambda d: isinstance(d, str) and len(d) > 0).all()


def test_stale_grace_days_moves_the_cutoff(tables):
    got = audit_checks(tables, pd.DataFrame(), AS_OF, stale_grace_days=7).set_index("check")
    # cutoff 03-31 - 7 = 03-24: O1 (03-15) stale; O6 (03-30) no longer
    assert got.loc["stale_open_opportunities", "rows_affected"] == 1
    assert got.loc["stale_open_opportunities", "example_ids"] == "O1"
    # activity cutoff does not depend on the grace days
    assert got.loc["opportunities_without_activity", "rows_affected"] == 2


def test_empty_rejects_give_one_zero_row_per_table(tables):
    empty = pd.DataFrame(columns=quality.REJECT_COLUMNS)
    got = audit_checks(tables, empty, AS_OF)
    rejected = got[got["check"].str.startswith("rejected_")]
    assert rejected["table"].tolist() == ["reps", "accounts", "leads", "opportunities", "activities"]
    assert set(rejected["check"]) == {"rejected_rows"}
    assert rejected["rows_affected"].tolist() == [0, 0, 0, 0, 0]
    assert rejected["rows_total"].tolist() == [5, 6, 6, 6, 5]  # table rows, nothing set aside
    assert audit_checks(tables, None, AS_OF).equals(got)


def test_rejects_for_a_table_not_loaded_are_still_reported():
    opps = pd.DataFrame({"opportunity_id": ["O1"], "stage": ["demo"]})
    rejects = pd.DataFrame({"table": ["reps", "reps"], "row": [2, 3], "column": ["role"] * 2,
                            "problem": ["invalid_value"] * 2, "value": ["X", "Y"], "message": ["..."] * 2})
    got = audit_checks({"opportunities": opps}, rejects, AS_OF)
    expected = _checks([
        ("reps", "rejected_invalid_value", "high", 2, 2, "row 2, row 3"),  # 0 kept + 2 set aside
        ("opportunities", "rejected_rows", "high", 0, 1, ""),
    ])
    assert_frame_equal(got.drop(columns="description"), expected)


def test_missing_tables_and_columns_skip_checks():
    # only the minimum: no amount, no close_date, no account_id, no activities table
    opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "stage": ["demo", "closed_won"]})
    accounts = pd.DataFrame({"account_id": ["A1", "A2"]})  # no name, industry, employees, owner
    reps = pd.DataFrame({"rep_id": ["R1"], "role": ["AE"]})  # no quota, no region
    activities = pd.DataFrame({"activity_id": ["X1"], "rep_id": ["R1"]})  # no opportunity_id, no duration
    got = audit_checks({"opportunities": opps, "accounts": accounts, "reps": reps, "activities": activities},
                       pd.DataFrame(), AS_OF)
    assert got[["table", "check"]].values.tolist() == [
        ["reps", "rejected_rows"], ["accounts", "rejected_rows"], ["opportunities", "rejected_rows"],
        ["activities", "rejected_rows"],
    ]


def test_without_activities_table_the_activity_check_is_skipped(tables):
    del tables["activities"]
    got = audit_checks(tables, pd.DataFrame(), AS_OF)
    assert "opportunities_without_activity" not in set(got["check"])
    assert "activities" not in set(got["table"])


def test_stage_absent_falls_back_on_is_closed_and_is_won():
    opps = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3"],
        "is_closed": pd.array([False, True, True], dtype="boolean"),
        "is_won": pd.array([False, True, False], dtype="boolean"),
        "close_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01"]),
        "amount": [0.0, 0.0, 0.0],
    })
    got = audit_checks({"opportunities": opps}, pd.DataFrame(), AS_OF).set_index("check")
    assert got.loc["stale_open_opportunities", "example_ids"] == "O1"  # the only open one
    assert got.loc["open_opportunities_zero_amount", "example_ids"] == "O1"
    assert got.loc["won_deals_zero_amount", "example_ids"] == "O2"


def test_example_ids_stop_at_five():
    opps = pd.DataFrame({"opportunity_id": [f"O{i}" for i in range(1, 8)], "account_id": [None] * 7})
    got = audit_checks({"opportunities": opps}, pd.DataFrame(), AS_OF).set_index("check")
    assert got.loc["opportunities_without_account", "rows_affected"] == 7
    assert got.loc["opportunities_without_account", "example_ids"] == "O1, O2, O3, O4, O5"


def test_negative_grace_days_is_an_error(tables):
    with pytest.raises(ValueError, match="stale_grace_days"):
        audit_checks(tables, pd.DataFrame(), AS_OF, stale_grace_days=-1)


@pytest.mark.parametrize("raw, normalised", [
    ("Acme, Inc.", "acme"),
    ("ACME inc", "acme"),
    ("Acme Co. Ltd", "acme"),  # two suffixes dropped
    ("Bayer AG", "bayer"),
    ("Nestlé S.A.", "nestlé"),  # S.A. -> sa -> dropped
    ("Smith & Sons", "smithsons"),
    ("Co", "co"),  # nothing but a suffix: kept
    ("Co Op Bank", "coopbank"),  # suffix words only dropped at the end
    ("  ", ""),
    (None, ""),
    (NA, ""),
])
def test_normalize_company_name(raw, normalised):
    assert normalize_company_name(raw) == normalised


# ---------------------------------------------------------------------------------------------- table scores


def test_table_scores_formula():
    comp = pd.DataFrame({
        "table": ["reps", "reps", "accounts", "leads", "orders", "orders"],
        "column": ["rep_id", "region", "account_id", "lead_id", "order_id", "units"],
        "rows": [4, 4, 10, 2, 8, 8],
        "filled": [4, 2, 10, 1, 4, 6],
        "filled_share": [1.0, 0.5, 1.0, 0.5, 0.5, 0.75],
    })
    checks = pd.DataFrame({
        "table": ["reps", "reps", "reps", "accounts", "accounts", "leads"],
        "check": ["a", "b", "c", "d", "e", "f"],
        "severity": ["high", "medium", "low", "high", "medium", "low"],
        "rows_affected": [1, 0, 2, 8, 8, 0],
        "rows_total": [4, 4, 4, 10, 10, 2],
        "share": [0.25, 0.1, 0.5, 0.8, 0.8, 0.0],
    })
    expected = pd.DataFrame({
        "table": ["reps", "accounts", "leads", "orders"],
        "rows": [4, 10, 2, 8],
        # reps (1.0 + 0.5) / 2 = 0.75; orders (0.5 + 0.75) / 2 = 0.625
        "completeness": [0.75, 1.0, 0.5, 0.625],
        # reps 0.25*1.0 + 0.1*0.5 + 0.5*0.2 = 0.4; accounts 0.8*1.0 + 0.8*0.5 = 1.2 -> capped at 1; no issues -> 0
        "issue_share": [0.4, 1.0, 0.0, 0.0],
        # reps 100*0.75*0.6 = 45; accounts 100*1*0 = 0; leads 100*0.5*1 = 50; orders 62.5 -> 63 (half up)
        "score": [45, 0, 50, 63],
    }).astype({"rows": "int64", "score": "int64"})
    got = table_scores(comp, checks)
    assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_table_scores_on_the_fixture(tables, rejects):
    comp = completeness(tables)
    checks = audit_checks(tables, rejects, AS_OF)
    got = table_scores(comp, checks).set_index("table")
    # activities: 6 canonical columns; opportunity_id (None on X4) and duration (NaN on X3) 4 of 5 filled
    # completeness = (1 + 1 + 1 + 1 + 4/5 + 4/5) / 6 = 5.6 / 6
    assert got.loc["activities", "completeness"] == pytest.approx(5.6 / 6)
    # issues: rejected_rows 0, zero duration 2/5 low -> 0.4 * 0.2 = 0.08
    assert got.loc["activities", "issue_share"] == pytest.approx(0.08)
    # score = round(100 * 5.6/6 * 0.92) = round(85.87) = 86
    assert got.loc["activities", "score"] == 86
    assert got["score"].between(0, 100).all()
    assert list(got.index) == ["reps", "accounts", "leads", "opportunities", "activities"]


def test_unknown_severity_is_an_error():
    comp = pd.DataFrame({"table": ["reps"], "column": ["rep_id"], "rows": [1], "filled": [1],
                         "filled_share": [1.0]})
    checks = pd.DataFrame({"table": ["reps"], "check": ["x"], "severity": ["urgent"], "rows_affected": [1],
                           "rows_total": [1], "share": [1.0]})
    with pytest.raises(ValueError, match="severity"):
        table_scores(comp, checks)


# ---------------------------------------------------------------------------------------------- fix list


def test_fix_list_orders_words_and_truncates():
    checks = pd.DataFrame({
        "table": ["accounts", "opportunities", "opportunities", "opportunities", "reps", "leads", "reps"],
        "check": ["accounts_missing_employees", "stale_open_opportunities", "rejected_orphan_key",
                  "won_deals_zero_amount", "rejected_rows", "duplicate_leads", "rejected_date_order"],
        "severity": ["low", "high", "high", "medium", "high", "medium", "high"],
        "rows_affected": [5000, 1312, 27, 1, 0, 3, 1],
        "rows_total": [9000, 4000, 4027, 4000, 60, 50, 61],
        "share": [5000 / 9000, 1312 / 4000, 27 / 4027, 1 / 4000, 0.0, 3 / 50, 1 / 61],
        "example_ids": [""] * 7,
    })
    got = fix_list(checks)
    # rows_affected > 0 drops rejected_rows; high (1312, 27, 1), then medium (3, 1), then low (5000)
    expected = pd.DataFrame({
        "priority": [1, 2, 3, 4, 5, 6],
        "table": ["opportunities", "opportunities", "reps", "leads", "opportunities", "accounts"],
        "problem": [
            "1,312 open opportunities have a close date in the past",
            "27 rows of opportunities were set aside because of an unknown rep, account, product or lead",
            "1 row of reps was set aside because of an end date before the hire date",
            "3 leads share their e-mail address with another lead",
            "1 won deal has an amount of 0",
            "5,000 accounts have no employee count",
        ],
        "rows": [1312, 27, 1, 3, 1, 5000],
        "action": [
            "Owners should update the close date or close the deal as lost; managers review in the weekly "
            "pipeline call.",
            "Fix them in the CRM export (see the rejected rows table) and rerun.",
            "Fix it in the CRM export (see the rejected rows table) and rerun.",
            quality._CHECKS["duplicate_leads"].action,
            quality._CHECKS["won_deals_zero_amount"].action,
            quality._CHECKS["accounts_missing_employees"].action,
        ],
    }).astype({"priority": "int64", "rows": "int64"})
    assert_frame_equal(got, expected)
    top2 = fix_list(checks, top=2)
    assert_frame_equal(top2, expected.head(2))
    assert len(fix_list(checks, top=None)) == 6


def test_fix_list_ties_keep_input_order_and_empty_when_clean():
    checks = pd.DataFrame({
        "table": ["leads", "accounts"], "check": ["leads_missing_source", "accounts_without_owner"],
        "severity": ["low", "low"], "rows_affected": [2, 2], "rows_total": [10, 10], "share": [0.2, 0.2],
    })
    assert fix_list(checks)["table"].tolist() == ["leads", "accounts"]
    clean = checks.assign(rows_affected=0, share=0.0)
    got = fix_list(clean)
    assert got.empty and list(got.columns) == ["priority", "table", "problem", "rows", "action"]


def test_every_check_has_its_own_wording(tables, rejects):
    checks = audit_checks(tables, rejects, AS_OF)
    got = fix_list(checks, top=None)
    assert len(got) == int(checks["rows_affected"].gt(0).sum())  # 19 checks found something
    assert got["problem"].is_unique and got["problem"].str.match(r"^\d").all()
    # every non-reject check id has a wording entry
    assert set(checks["check"]) - {"rejected_rows", "rejected_orphan_key", "rejected_negative_value",
                                   "rejected_duplicate_key"} <= set(quality._CHECKS)
    assert "because of a negative number" in got["problem"].str.cat(sep="|")
    assert "because of a duplicate id" in got["problem"].str.cat(sep="|")


# ---------------------------------------------------------------------------------------------- purity


def test_inputs_are_not_modified(tables, rejects):
    tables_before = copy.deepcopy(tables)
    rejects_before = rejects.copy(deep=True)
    comp = completeness(tables)
    checks = audit_checks(tables, rejects, AS_OF, stale_grace_days=3)
    comp_before, checks_before = comp.copy(deep=True), checks.copy(deep=True)
    table_scores(comp, checks)
    fix_list(checks)
    assert tables.keys() == tables_before.keys()
    for name, frame in tables.items():
        assert_frame_equal(frame, tables_before[name])
    assert_frame_equal(rejects, rejects_before)
    assert_frame_equal(comp, comp_before)
    assert_frame_equal(checks, checks_before)
