"""Loading a folder of CRM files: every bad input of the data contract gets a message naming the
file, the column, the rows and the fix; quarantine sets rows aside without losing them."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.data.inputs import load_inputs
from salesops.errors import DataError

from builders import folder_params, tiny_export, write_export


def load(folder, **data):
    return load_inputs(folder_params(folder, **data))


def broken(tmp_path, table, **changes):
    """The tiny export with cells of ``table`` replaced: changes = {column: {row_position: value}}."""
    tables = tiny_export()
    frame = tables[table].copy()
    for column, cells in changes.items():
        for position, value in cells.items():
            frame.loc[position, column] = value
    tables[table] = frame
    return write_export(tmp_path / "export", tables)


def test_valid_export_loads_with_canonical_types(export_dir):
    inputs = load(export_dir)
    opportunities = inputs.tables["opportunities"]
    assert list(inputs.tables) == ["reps", "accounts", "opportunities", "activities"]
    assert opportunities["stage"].tolist() == ["closed_won", "closed_lost", "closed_won", "proposal", "negotiate"]
    assert opportunities["is_won"].tolist() == [True, False, True, False, False]
    assert opportunities["is_closed"].tolist() == [True, True, True, False, False]
    assert opportunities["amount"].dtype == "float64"
    assert opportunities["close_date"].dtype == "datetime64[ns]"
    assert inputs.tables["reps"]["region"].tolist() == ["NA", "EMEA", "NA"]  # "NA" is a region, not missing
    assert inputs.tables["reps"]["manager_id"].isna().tolist() == [False, False, True]
    assert inputs.rejects.empty


def test_missing_required_table(tmp_path):
    tables = tiny_export()
    del tables["opportunities"]
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError, match=r"no opportunities table in .*export.*opportunities\.csv.*Files there: "
                                        r"accounts\.csv, activities\.csv, reps\.csv"):
        load(folder)


def test_missing_required_column_names_file_and_suggests_mapping(tmp_path):
    tables = tiny_export()
    tables["opportunities"] = tables["opportunities"].rename(columns={"amount": "Amount USD"})
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError) as error:
        load(folder)
    message = str(error.value)
    assert "opportunities.csv: required column 'amount'" in message
    assert "'Amount USD'" in message and "data.columns.opportunities" in message


def test_unparseable_date(tmp_path):
    folder = broken(tmp_path, "opportunities", created_date={1: "31/02/2026", 3: "soon"})
    with pytest.raises(DataError) as error:
        load(folder)
    message = str(error.value)
    assert "opportunities.csv, column 'created_date': 2 rows hold a date that cannot be read" in message
    assert "rows 3, 5" in message  # positions 1 and 3 are spreadsheet rows 3 and 5 (header is row 1)
    assert "'31/02/2026', 'soon'" in message and "data.date_format" in message


def test_negative_amount(tmp_path):
    folder = broken(tmp_path, "opportunities", amount={2: "-40000"})
    with pytest.raises(DataError, match=r"opportunities\.csv, column 'amount': 1 row hold a negative number "
                                        r"\(row 4; values -40000\.0\)\. Expected: zero or more"):
        load(folder)


def test_duplicate_primary_key(tmp_path):
    folder = broken(tmp_path, "opportunities", opportunity_id={4: "O1"})
    with pytest.raises(DataError, match=r"opportunities\.csv, column 'opportunity_id': 1 row repeat a key .*"
                                        r"row 6; values 'O1'"):
        load(folder)


def test_orphan_account_stops_while_an_owner_absent_from_reps_is_added(tmp_path):
    folder = broken(tmp_path, "opportunities", rep_id={1: "R9"}, account_id={2: "A404"})
    with pytest.raises(DataError) as error:
        load(folder)
    message = str(error.value)
    assert "column 'account_id': 1 row point to an id that does not exist (row 4; values 'A404')" in message
    assert "accounts.account_id (accounts.csv)" in message
    assert "'R9'" not in message  # an owner the reps table lacks becomes a rep (test_derive_columns.py)


def test_close_before_created(tmp_path):
    folder = broken(tmp_path, "opportunities", close_date={0: "2025-12-31"})
    with pytest.raises(DataError, match=r"column 'close_date': 1 row have dates in the wrong order \(row 2; values "
                                        r"'2025-12-31 < 2026-01-05 \(created_date\)'\)"):
        load(folder)


def test_stage_absent_from_mapping(tmp_path):
    folder = broken(tmp_path, "opportunities", stage={3: "Verbal Yes"})
    with pytest.raises(DataError) as error:
        load(folder)
    message = str(error.value)
    assert "column 'stage': 1 row hold a value absent from the value mapping (row 5; values 'Verbal Yes')" in message
    assert "data.values.opportunities.stage" in message
    assert message.count("Verbal Yes") >= 1 and "not allowed" not in message  # reported once, not twice


@pytest.mark.parametrize("content", ["", "opportunity_id,rep_id,created_date,close_date,stage,amount\n"])
def test_empty_table(export_dir, content):
    (export_dir / "opportunities.csv").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"opportunities\.csv has no data rows"):
        load(export_dir)


def test_non_utf8_file(export_dir):
    frame = tiny_export()["accounts"].assign(name=["Café Müller", "Globex", "Acme"])
    frame.to_csv(export_dir / "accounts.csv", index=False, encoding="cp1252")
    with pytest.raises(DataError, match=r"accounts\.csv is not utf-8 text: byte 0xE9 on line 2 .*CSV UTF-8.*"
                                        r"data\.encoding"):
        load(export_dir)
    assert load(export_dir, encoding="cp1252").tables["accounts"]["name"][0] == "Café Müller"


def test_bom_and_semicolon_just_work(tmp_path):
    folder = write_export(tmp_path / "export", tiny_export(), sep=";", encoding="utf-8-sig")
    assert (folder / "opportunities.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    inputs = load(folder)
    assert inputs.tables["opportunities"]["opportunity_id"].tolist() == ["O1", "O2", "O3", "O4", "O5"]


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_parquet_and_excel(tmp_path, suffix):
    folder = write_export(tmp_path / "export", tiny_export(), suffix=suffix)
    inputs = load(folder)
    assert inputs.tables["opportunities"]["amount"].sum() == 120000
    [path] = inputs.files["opportunities"]
    assert path.suffix == suffix


def test_column_value_and_date_mapping(tmp_path):
    tables = tiny_export()
    tables["opportunities"] = tables["opportunities"].rename(
        columns={"opportunity_id": "Opportunity ID", "stage": "Deal Stage", "close_date": "Close Date"}
    ).assign(**{"Close Date": ["20.02.2026", "30.05.2026", "15.04.2026", "20.01.2027", "30.11.2026"],
                "created_date": ["05.01.2026", "10.02.2026", "01.03.2026", "01.09.2026", "15.10.2026"],
                "Deal Stage": ["Gewonnen", "Verloren", "Gewonnen", "Angebot", "Verhandlung"]})
    tables["activities"]["timestamp"] = ["06.01.2026", "20.01.2026", "11.02.2026", "16.10.2026"]
    folder = write_export(tmp_path / "export", tables)
    inputs = load(
        folder, date_format="%d.%m.%Y",
        columns={"opportunities": {"Opportunity ID": "opportunity_id", "Deal Stage": "stage", "Close Date": "close_date"}},
        values={"opportunities": {"stage": {"Gewonnen": "closed_won", "Verloren": "closed_lost", "Angebot": "proposal",
                                            "Verhandlung": "negotiate"}}},
    )
    opportunities = inputs.tables["opportunities"]
    assert opportunities["stage"].tolist() == ["closed_won", "closed_lost", "closed_won", "proposal", "negotiate"]
    assert opportunities["close_date"][0] == pd.Timestamp("2026-02-20")


def test_boolean_spellings(tmp_path):
    tables = tiny_export()
    tables["opportunities"]["is_won"] = ["Ja", "Nein", "Ja", "Nein", "Nein"]
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError, match=r"column 'is_won': 5 rows hold a value that is not allowed.*data\.true_values"):
        load(folder)
    inputs = load(folder, true_values=["Ja"], false_values=["Nein"])
    assert inputs.tables["opportunities"]["is_won"].tolist() == [True, False, True, False, False]


def test_won_flag_contradicting_stage(tmp_path):
    tables = tiny_export()
    tables["opportunities"]["is_won"] = ["false", "false", "true", "false", "false"]
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError, match=r"column 'is_won': 1 row contradict the stage \(row 2; values False\)"):
        load(folder)


def test_every_problem_reported_at_once(tmp_path):
    folder = broken(tmp_path, "opportunities", amount={0: "-1"}, created_date={1: "later"})
    with pytest.raises(DataError, match=r"breaks 2 rules \(2 rows in all\)"):
        load(folder)


def test_quarantine_sets_rows_aside_and_cascades(tmp_path):
    tables = tiny_export()
    tables["accounts"].loc[2, "employees"] = "many"  # account A3 rejected ...
    tables["opportunities"].loc[1, "amount"] = "-5"  # ... and O2 for its amount
    folder = write_export(tmp_path / "export", tables)
    # O3 (won, 40,000 of the 50,000 won) goes too: 80% of the won bookings, allowed by a share of 0.8
    inputs = load(folder, on_row_error="quarantine", max_reject_share=0.8)
    # O3 belongs to the rejected account A3, so it goes too (an orphan once A3 is gone), and so
    # does activity X3 (row 4) of the rejected O2
    assert inputs.tables["opportunities"]["opportunity_id"].tolist() == ["O1", "O4", "O5"]
    assert inputs.tables["accounts"]["account_id"].tolist() == ["A1", "A2"]
    rejects = inputs.rejects[["table", "row", "column", "problem", "value"]]
    expected = pd.DataFrame({
        "table": ["accounts", "activities", "opportunities", "opportunities"],
        "row": [4, 4, 3, 4],
        "column": ["employees", "opportunity_id", "amount", "account_id"],
        "problem": ["invalid_number", "orphan_key", "negative_value", "orphan_key"],
        "value": ["many", "O2", "-5.0", "A3"],
    }).astype({"table": "string", "column": "string", "problem": "string", "value": "string"})
    pd.testing.assert_frame_equal(rejects, expected)
    assert inputs.rejects["message"].str.contains("accounts.csv, column 'employees'").any()


def test_quarantine_stops_when_too_much_is_rejected(tmp_path):
    folder = broken(tmp_path, "opportunities", amount={0: "-1", 1: "-2"})
    with pytest.raises(DataError, match=r"opportunities\.csv: 2 of 5 rows \(40%\) break the data contract, more than "
                                        r"data\.max_reject_share \(20%\)"):
        load(folder, on_row_error="quarantine")
