"""Derive, don't demand: columns and rows an export lacks are derived by stated rules (``contract/derive.py``),
each recorded as an adjustment; products without a kind and activities of type ``other`` are kept and said so.
Tiny raw frames, as an export holds them, through ``validation.validate_tables``; results worked out by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from salesops.contract import analyses, derive, schema
from salesops.contract.docs import column_status
from salesops.contract.validation import MappingRules
from salesops.contract.validation import validate_tables as validate_raw
from salesops.data.inputs import load_inputs
from salesops.demand import workflow as demand_workflow
from salesops.errors import DataError
from salesops.plan_params import load_params
from salesops.supply import overview as supply_overview

from builders import ROOT, folder_params, tiny_export, write_export

#: rows: (opportunity_id, rep_id, account_id, created_date, close_date, stage, amount).
OPPORTUNITY_COLUMNS = ["opportunity_id", "rep_id", "account_id", "created_date", "close_date", "stage", "amount"]


def opportunities(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=OPPORTUNITY_COLUMNS)


def validate(on_row_error: str = "error", **raw: pd.DataFrame):
    return validate_raw(raw, {name: f"{name}.csv" for name in raw}, MappingRules(), on_row_error=on_row_error)


def adjustment(result, rule: str) -> tuple[int, str]:
    """(rows, detail) of the one adjustment made by ``rule``."""
    rows = result.adjustments[result.adjustments["rule"] == rule]
    assert len(rows) == 1, result.adjustments
    return int(rows["rows"].iloc[0]), str(rows["detail"].iloc[0])


DEALS = opportunities(("O1", "R1", "A1", "2026-01-05", "2026-02-20", "closed_won", "100"),
                      ("O2", "R2", "A2", "2026-02-01", "2026-03-30", "closed_lost", "50"))
UNKNOWN = f"{schema.UNKNOWN_ROLE} (neither a manager nor an owner of deals or leads: counted in no capacity)"


# --------------------------------------------------------------------------------------------------
# names from ids


def test_names_come_from_the_ids_when_the_export_has_none():
    result = validate(reps=pd.DataFrame({"rep_id": ["R1", "R2"], "role": ["AE", "AE"]}),
                      accounts=pd.DataFrame({"account_id": ["A1", "A2"]}), opportunities=DEALS)
    assert result.tables["reps"]["name"].tolist() == ["R1", "R2"]
    assert list(result.tables["reps"].columns[:3]) == ["rep_id", "name", "role"]  # in the contract's order
    assert result.tables["accounts"]["name"].tolist() == ["A1", "A2"]
    assert adjustment(result, "rep_names_from_ids") == (2, "no name column: the rep_id is the name")
    assert adjustment(result, "account_names_from_ids") == (2, "no name column: the account_id is the name")


def test_an_empty_name_is_filled_row_by_row():
    result = validate(reps=pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann Lee", ""], "role": ["AE", "AE"]}),
                      opportunities=DEALS)
    assert result.tables["reps"]["name"].tolist() == ["Ann Lee", "R2"]
    assert adjustment(result, "rep_names_from_ids") == (1, "1 empty names: the rep_id is the name")


# --------------------------------------------------------------------------------------------------
# roles


def people_everywhere() -> dict[str, pd.DataFrame]:
    """R1 owns a deal; M1 is R1's and R2's manager and owns a deal too; R2 owns a lead; R3 only logs an activity;
    R4 only submits a forecast; R5 only owns an account."""
    return {
        "accounts": pd.DataFrame({"account_id": ["A1", "A2"], "owner_rep_id": ["R5", "R1"]}),
        "leads": pd.DataFrame({"lead_id": ["L1"], "created_date": ["2026-01-02"], "owner_rep_id": ["R2"]}),
        "opportunities": opportunities(("O1", "R1", "A1", "2026-01-05", "2026-02-20", "closed_won", "100"),
                                       ("O2", "M1", "A2", "2026-02-01", "2026-03-30", "closed_lost", "50")),
        "activities": pd.DataFrame({"activity_id": ["X1"], "rep_id": ["R3"], "timestamp": ["2026-01-06 10:00"],
                                    "type": ["call"]}),
        "forecast_submissions": pd.DataFrame({"submitted_date": ["2026-01-08"], "rep_id": ["R4"], "period": ["2026Q1"],
                                              "category": ["commit"], "amount": ["100"]}),
    }


def test_roles_come_from_who_manages_and_who_owns_deals():
    reps = pd.DataFrame({"rep_id": ["R1", "M1", "R2", "R3", "R4", "R5"], "manager_id": ["M1", "", "M1", "", "", ""]})
    result = validate(reps=reps, **people_everywhere())
    roles = dict(zip(result.tables["reps"]["rep_id"], result.tables["reps"]["role"]))
    # a manager who also owns a deal is a manager; an owner of a lead or a forecast submitter sells
    assert roles == {"R1": "AE", "M1": "MANAGER", "R2": "AE", "R3": "UNKNOWN", "R4": "AE", "R5": "UNKNOWN"}
    assert adjustment(result, "rep_roles_derived") == (
        6, f"no role column: 3 AE, 1 MANAGER, 2 {UNKNOWN}, by who manages and who owns deals")
    # a role derived on every row is not the export's: the supporting roles do not count it as provided
    derived = derive.derived_columns(result.adjustments)
    assert derived == {"reps.role"}
    supported = analyses.availability(result.tables, derived).set_index("analysis")
    assert supported.loc["Supporting roles", "missing"] == "role in reps"
    assert supported.loc["Ramp and attrition", "missing"] == "hire_date in reps"


def test_an_empty_role_is_derived_row_by_row_and_the_others_are_kept():
    reps = pd.DataFrame({"rep_id": ["R1", "M1", "R2", "R3", "R4", "R5"], "manager_id": ["M1", "", "M1", "", "", ""],
                         "role": ["SDR", "", "", "SE", "", ""]})
    result = validate(reps=reps, **people_everywhere())
    assert result.tables["reps"]["role"].tolist() == ["SDR", "MANAGER", "AE", "SE", "AE", "UNKNOWN"]
    assert adjustment(result, "rep_role_cells_derived") == (
        4, f"4 empty roles: 2 AE, 1 MANAGER, 1 {UNKNOWN}, by who manages and who owns deals")
    assert derive.derived_columns(result.adjustments) == set()
    assert analyses.availability(result.tables).set_index("analysis").loc["Supporting roles", "available"]


def test_a_role_outside_the_list_is_still_an_error_naming_the_unknown_role():
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "role": ["AE", "Wizard"]})
    with pytest.raises(DataError, match=r"reps\.csv, column 'role': 1 row hold a value that is not allowed \(row 3; "
                                        r"values 'Wizard'\)\. Expected: one of AE, SDR, SE, CSM, SUPPORT, MANAGER, "
                                        r"UNKNOWN"):
        validate(reps=reps, opportunities=DEALS)


def test_without_a_reps_table_everyone_named_is_a_rep_with_the_same_roles():
    result = validate(**people_everywhere())
    reps = result.tables["reps"]
    assert reps["rep_id"].tolist() == ["M1", "R1", "R2", "R3", "R4", "R5"]  # sorted
    assert reps["name"].tolist() == reps["rep_id"].tolist()
    assert reps["role"].tolist() == ["AE", "AE", "AE", "UNKNOWN", "AE", "UNKNOWN"]  # nobody is named a manager
    assert adjustment(result, "reps_derived") == (
        6, "no reps table: every person named on opportunities, leads, activities, accounts or forecast "
           f"submissions counted as a rep (4 AE, 2 {UNKNOWN})")


# --------------------------------------------------------------------------------------------------
# rows the reps table lacks


def test_managers_named_but_absent_become_rows_and_nobody_is_set_aside():
    """Before: M9 missing made R1 and R2 orphans, quarantine set every rep aside and then their deals."""
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "role": ["AE", "AE"],
                         "manager_id": ["M9", "M9"]})
    result = validate("quarantine", reps=reps, opportunities=DEALS)
    assert result.rejects.empty
    added = result.tables["reps"].iloc[2]
    assert (added["rep_id"], added["name"], added["role"]) == ("M9", "M9", "MANAGER") and pd.isna(added["manager_id"])
    assert adjustment(result, "managers_added") == (
        1, "managers named in manager_id but absent from the reps table, added as MANAGER: M9")
    assert len(result.tables["opportunities"]) == 2


def test_owners_named_elsewhere_but_absent_from_the_reps_table_become_rows():
    reps = pd.DataFrame({"rep_id": ["M1"], "name": ["Mia"], "role": ["MANAGER"]})
    tables = people_everywhere()
    tables["opportunities"].loc[0, "rep_id"] = "Unassigned"
    result = validate(reps=reps, **tables)  # in error mode: no orphan stops the run
    added = result.tables["reps"].iloc[1:]
    assert dict(zip(added["rep_id"], added["role"])) == {
        "R1": "UNKNOWN", "R2": "AE", "R3": "UNKNOWN", "R4": "AE", "R5": "UNKNOWN", "Unassigned": "UNKNOWN"}
    assert added["name"].tolist() == added["rep_id"].tolist()
    assert adjustment(result, "owners_added") == (  # "Unassigned" owns a deal but is a CRM placeholder, not a seller
        6, "people named as owners in other tables but absent from the reps table, added (2 AE, 4 "
           f"{UNKNOWN}): R1, R2, R3, R4, R5 and 1 more")
    assert derive.derived_columns(result.adjustments) == set()  # the roles the export gave are kept


def test_an_owner_id_that_is_an_email_address_is_masked_in_the_detail():
    reps = pd.DataFrame({"rep_id": ["R1"], "role": ["AE"]})
    deals = DEALS.assign(rep_id=["R1", "dana.smith@acme.example"])
    result = validate(reps=reps, opportunities=deals)
    assert result.tables["reps"]["rep_id"].tolist() == ["R1", "dana.smith@acme.example"]
    rows, detail = adjustment(result, "owners_added")
    assert detail.endswith("(1 AE): d•••@•••.example") and "dana" not in detail


def test_a_complete_reps_table_is_left_as_it_is():
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "role": ["AE", "SDR"]})
    result = validate(reps=reps, opportunities=DEALS)
    assert result.tables["reps"]["role"].tolist() == ["AE", "SDR"]
    assert result.adjustments["rule"].tolist() == ["accounts_derived"]  # no rule touched the reps


# --------------------------------------------------------------------------------------------------
# segments of account executives


def test_an_account_executive_gets_the_segment_of_most_of_their_won_value():
    reps = pd.DataFrame({"rep_id": ["A1", "A2", "A3", "A4", "A5", "M1"],
                         "role": ["AE", "AE", "AE", "AE", "AE", "MANAGER"],
                         "segment": [None, None, "ENT", None, None, None]}).astype(schema.TEXT_DTYPE)
    accounts = pd.DataFrame({"account_id": pd.array(["C1", "C2", "C3", "C4"], dtype=schema.TEXT_DTYPE),
                             "employees": pd.array([50, 500, 5000, None], dtype="Int64")})  # SMB, MM, ENT, unknown
    rows = [  # (rep, account, created, closed, won, lost, amount)
        ("A1", "C1", "2026-02-01", "2026-03-01", True, False, 1_000.0),
        ("A1", "C2", "2026-03-01", "2026-05-01", True, False, 3_000.0),   # A1: MM 3,000 > SMB 1,000
        ("A1", "C3", "2025-03-01", "2025-06-01", True, False, 9_000.0),   # won before the window
        ("A2", "C1", "2026-02-01", "2026-04-01", False, True, 800.0),     # A2 won nothing: most deals worked
        ("A2", "C1", "2026-07-01", None, False, False, 500.0),            #   SMB 2 (one lost, one open)
        ("A2", "C3", "2026-06-01", None, False, False, 900.0),            #   ENT 1
        ("A3", "C1", "2026-02-01", "2026-03-01", True, False, 700.0),     # A3 has a segment: kept
        ("A4", "C4", "2026-02-01", "2026-03-01", True, False, 700.0),     # A4: only an account of unknown size
        ("A5", "C1", "2026-02-01", "2026-03-01", True, False, 1_000.0),   # A5: a tie, SMB comes first
        ("A5", "C3", "2026-02-01", "2026-03-01", True, False, 1_000.0),
        ("M1", "C2", "2026-02-01", "2026-03-01", True, False, 5_000.0),   # a manager: not an account executive
    ]
    deals = pd.DataFrame(rows, columns=["rep_id", "account_id", "created_date", "close_date", "is_won", "lost",
                                        "amount"])
    deals = deals.assign(created_date=pd.to_datetime(deals["created_date"]),
                         close_date=pd.to_datetime(deals["close_date"]),
                         is_closed=deals["is_won"] | deals["lost"]).drop(columns="lost")
    tables = {"reps": reps, "accounts": accounts, "opportunities": deals}
    result, made = derive.derive_rep_segments(tables, pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31"), "2026")
    assert result["reps"]["segment"].tolist()[:3] == ["MM", "SMB", "ENT"]
    assert pd.isna(result["reps"]["segment"][3]) and result["reps"]["segment"][4] == "SMB"
    assert pd.isna(result["reps"]["segment"][5])
    assert made[["table", "column", "rule", "rows"]].values.tolist() == [["reps", "segment", "rep_segments_derived", 3]]
    assert made["detail"].iloc[0] == (
        "3 account executive(s) without a segment given the size band of the accounts of most of their won value in "
        "2026: SMB 2 (A2, A5); MM 1 (A1); 1 without a deal at a sized account there keep none")
    assert reps["segment"].isna().sum() == 5  # the input is not changed
    # without sized accounts there is nothing to derive from
    same, none = derive.derive_rep_segments({**tables, "accounts": accounts.drop(columns="employees")},
                                            pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31"), "2026")
    assert same["reps"] is reps and none.empty


def test_the_loader_derives_segments_over_the_last_four_complete_quarters(tmp_path):
    """The tiny export planned for 2027Q1, data to 2026-12-31: R1 won 10,000 at A1 (SMB) and 40,000 at A3 (ENT);
    R2 won nothing but worked two deals at A2 (MM); M1 is a manager."""
    tables = tiny_export()
    tables["reps"] = tables["reps"].drop(columns="segment")
    inputs = load_inputs(folder_params(write_export(tmp_path / "export", tables)))
    assert inputs.tables["reps"]["segment"].tolist()[:2] == ["ENT", "MM"] and pd.isna(inputs.tables["reps"]["segment"][2])
    rows = inputs.adjustments[inputs.adjustments["rule"] == "rep_segments_derived"]
    assert rows["detail"].iloc[0].startswith("2 account executive(s) without a segment given the size band of the "
                                             "accounts of most of their won value in the four quarters 2026Q1 to "
                                             "2026Q4: MM 1 (R2); ENT 1 (R1)")


def test_a_run_counts_a_derived_role_column_as_not_provided(tmp_path):
    tables = tiny_export()
    tables["reps"] = tables["reps"].drop(columns="role")
    inputs = load_inputs(folder_params(write_export(tmp_path / "export", tables)))
    assert inputs.tables["reps"]["role"].tolist() == ["AE", "AE", "MANAGER"]  # M1 manages R1 and R2
    assert inputs.derived == {"reps.role"}


def test_step_3_states_how_segments_were_matched():
    params = load_params("2027Q1", None, ROOT)
    gaps = pd.DataFrame({"scenario": "base", "quarter": "2027Q1", "segment": ["ENT", "MM", "Unknown"],
                         "demand": [50_000.0, 20_000.0, 7_000.0]})
    plan = SimpleNamespace(gaps=gaps, productivity=pd.DataFrame({"segment": ["ENT", "MM"],
                                                                 "productivity": [10_000.0, float("nan")]}))
    checks = pd.DataFrame({"check": ["rep_segments_derived"], "rows_affected": [2],
                           "example_ids": ["2 account executive(s) without a segment given … : MM 1 (R2); ENT 1 (R1)"]})
    assert supply_overview.segment_sentences(plan, params, checks) == [
        "Capacity is split by segment the way demand is (a deal's segment is its owner's, else its account's size "
        "band): 2 account executive(s) without a segment given … : MM 1 (R2); ENT 1 (R1).",
        "No account executive covers the base demand of 2027Q1 in MM $20k, Unknown $7k: it counts as a gap and no "
        "hire is planned for it; give the reps who own those deals a segment (reps.segment), or set "
        "supply.productivity for it."]
    assert supply_overview.segment_sentences(plan, params, checks.iloc[:0])[0].startswith("No account executive")


# --------------------------------------------------------------------------------------------------
# products without a kind, activities of type other


def test_products_without_a_kind_load_and_each_analysis_that_needs_it_says_so():
    products = pd.DataFrame({"product": ["Edge", "Cloud"]})
    orders = pd.DataFrame({"order_date": ["2026-01-10"], "product": ["Edge"], "units": ["3"]})
    result = validate(products=products, orders=orders, opportunities=DEALS)
    assert "kind" not in result.tables["products"].columns
    supported = analyses.availability(result.tables).set_index("analysis")
    assert supported.loc["Hardware inventory", "missing"] == "kind in products"
    sentence = ("The products carry no kind (subscription, service or hardware), so hardware units cannot be told "
                "from the other products ordered: map the export's product-type column onto kind under "
                "data.columns.products (its values under data.values.products.kind) to switch this on.")
    assert demand_workflow.hardware_reason(result.tables) == sentence
    assert demand_workflow.hardware_reason({"orders": orders}) == demand_workflow.HARDWARE_NEEDS_TABLES
    assert supply_overview.inventory_note(None, supported.reset_index(), result.tables["products"]).startswith(
        "The products carry no kind (subscription, service or hardware), so hardware products, and the stock they "
        "need, cannot be told apart: map")
    kinds = validate(products=products.assign(kind=["hardware", ""]), orders=orders, opportunities=DEALS)
    assert demand_workflow.hardware_reason(kinds.tables) == ""  # one product with a kind is enough


def test_activities_of_type_other_are_kept_and_an_unmapped_type_suggests_other():
    activities = pd.DataFrame({"activity_id": ["X1", "X2"], "rep_id": ["R1", "R1"],
                               "timestamp": ["2026-01-06 10:00", "2026-01-07 10:00"], "type": ["other", "call"]})
    result = validate(opportunities=DEALS, activities=activities)
    assert result.tables["activities"]["type"].tolist() == ["other", "call"]
    rules = MappingRules(values={"activities": {"type": {"Call": "call"}}})
    with pytest.raises(DataError, match=r"values 'Note'\).*e\.g\. \{Note: other\}"):
        validate_raw({"opportunities": DEALS, "activities": activities.assign(type=["Note", "Call"])},
                     {"opportunities": "deals.csv", "activities": "activities.csv"}, rules)


# --------------------------------------------------------------------------------------------------
# the contract says which columns are derivable


def test_the_contract_marks_each_column_required_derivable_or_optional():
    reps, products = schema.TABLES["reps"], schema.TABLES["products"]
    assert column_status(reps.column("rep_id")) == "required, not empty"
    assert column_status(reps.column("name")) == "derivable from `rep_id`"
    assert column_status(reps.column("role")).startswith("derivable from who manages and who owns deals")
    assert column_status(products.column("kind")) == "optional"
    assert reps.required_columns == ["rep_id"] and reps.derivable_columns == ["name", "role", "segment"]
    with pytest.raises(ValueError, match="a derivable column is not required"):
        schema.ColumnSpec("x", "string", True, "", "", derived_from="y")


def test_a_crm_placeholder_owner_is_never_an_account_executive():
    from salesops.contract import derive

    tables = {"opportunities": pd.DataFrame({"rep_id": ["Ana", "Unassigned", "Inactive User", "no owner"]})}
    roles = derive.people_roles(pd.Series(["Ana", "Unassigned", "Inactive User", "no owner", "Bo"]), tables)
    assert roles.tolist() == ["AE", "UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN"]
