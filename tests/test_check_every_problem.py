"""``salesops check`` reports every problem of every table in one pass (issue 12): the table-level problems of
all tables, then the row problems of the tables that could be used, root causes before their consequences,
with the mapping it used; and one export column may feed several contract columns (``data.columns``)."""

from __future__ import annotations

import pytest
import yaml

from salesops.data.inputs import load_inputs
from salesops.errors import DataError
from salesops.plan_params import load_params
from salesops.runner.check import check_data
from salesops.settings.loader import ParamsError

from builders import ROOT, folder_params, tiny_export, write_export


def problem_lines(report) -> list[str]:
    lines = report.text().splitlines()
    start = lines.index("Problems:") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  "))
    return [line.strip() for line in lines[start:end]]


def test_three_broken_tables_are_all_reported_in_one_check_in_load_order(tmp_path):
    tables = tiny_export()
    tables["reps"] = tables["reps"].drop(columns="rep_id")  # a missing required column
    tables["opportunities"].loc[1, "amount"] = "-5"  # a row problem of a table that can be used
    tables["activities"] = tables["activities"].iloc[:0]  # a header and no rows
    folder = write_export(tmp_path / "export", tables)
    (folder / "accounts.csv").write_bytes("account_id,name\nA1,Caf\xe9\n".encode("cp1252"))  # unreadable
    report = check_data(folder_params(folder))
    assert not report.ok
    problems = problem_lines(report)
    assert len(problems) == 4, report.text()
    assert problems[0].startswith("reps.csv: required column 'rep_id'")
    assert problems[1].startswith("accounts.csv is not utf-8 text: byte 0xE9 on line 2")
    assert problems[2].startswith("activities.csv has no data rows")
    assert problems[3].startswith("opportunities.csv, column 'amount': 1 row hold a negative number (row 3;")
    text = report.text()
    assert "accounts (accounts.csv): cannot be read (see the problems below)" in text
    assert "opportunities (opportunities.csv): canonical opportunity_id, account_id, rep_id" in text
    assert text.endswith("The data cannot run as it is: fix the problems above.")
    # a run still stops on the first problem it meets, with the same message
    with pytest.raises(DataError) as error:
        load_inputs(folder_params(folder))
    assert str(error.value) in problems


def test_root_causes_come_before_the_rows_they_set_aside(tmp_path):
    tables = tiny_export()
    tables["reps"].loc[1, "hire_date"] = "soon"  # R2 (row 3) has a problem of its own ...
    tables["opportunities"].loc[2, "account_id"] = "A404"  # ... O3 (row 4) names an account that never existed
    folder = write_export(tmp_path / "export", tables)
    problems = problem_lines(check_data(folder_params(folder)))
    starts = [line.split(":")[0] for line in problems]
    # root causes first (reps' own, then O3's unknown account), then the consequences in the order found, the
    # foreign keys in load order: accounts' owner R2, the opportunities' reps (O2 and O5 belong to R2), the
    # activities' reps; the opportunities of account A2 are already set aside because of R2, so account_id adds
    # no consequence
    assert starts == ["reps.csv, column 'hire_date'", "opportunities.csv, column 'account_id'",
                      "accounts.csv, column 'owner_rep_id'", "opportunities.csv, column 'rep_id'",
                      "activities.csv, column 'rep_id'"], problems
    cause = "reps.csv row 3: hire_date 'soon' holds a date that cannot be read"
    assert f"Of these, 2 only because the row they point to has a problem of its own (fix it and they pass): " \
           f"{cause}." in problems[3]
    assert problems[4].endswith(f"{cause}.")
    assert "only because" not in problems[0] and "only because" not in problems[1]


def write_params(tmp_path, columns) -> object:
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"data": {"columns": columns}}), encoding="utf-8")
    return path


def test_one_export_column_feeds_two_contract_columns(tmp_path):
    tables = tiny_export()
    tables["reps"] = tables["reps"].drop(columns="name").rename(columns={"rep_id": "Owner"})
    folder = write_export(tmp_path / "export", tables)
    params = folder_params(folder, columns={"reps": {"Owner": ["rep_id", "name"], "role": "role"}})
    reps = load_inputs(params).tables["reps"]
    assert reps["rep_id"].tolist() == ["R1", "R2", "M1"]
    assert reps["name"].tolist() == ["R1", "R2", "M1"]
    assert "Owner" not in reps.columns
    report = check_data(params)
    assert report.ok, report.text()
    assert "reps (reps.csv): mapped Owner → rep_id, name; role → role; canonical manager_id" in report.text()


def test_a_list_mapping_onto_a_column_the_export_has_is_a_clash(tmp_path):
    tables = tiny_export()
    tables["reps"] = tables["reps"].rename(columns={"rep_id": "Owner"})  # keeps its own name column
    folder = write_export(tmp_path / "export", tables)
    params = folder_params(folder, columns={"reps": {"Owner": ["rep_id", "name"]}})
    [problem] = problem_lines(check_data(params))
    assert problem.startswith("reps.csv: the mapping 'Owner' → 'name' renames a column onto one that already exists")
    with pytest.raises(DataError, match="the mapping 'Owner' → 'name' renames a column"):
        load_inputs(params)


@pytest.mark.parametrize("columns, expected", [
    ({"reps": {"Owner": []}}, r"data\.columns\.reps\.Owner: expected a list of canonical column names \(or one "
                              r"name\) with at least 1 entry, each once, e.g\. \[rep_id, name\]; got \[\]"),
    ({"reps": {"Owner": ["rep_id", "rep_id"]}}, r"data\.columns\.reps\.Owner: expected a list of canonical"),
    ({"reps": {"Owner": {"rep_id": "name"}}}, r"data\.columns\.reps\.Owner: expected a list of canonical"),
    ({"reps": {"Owner": ["rep_id", ""]}}, r"data\.columns\.reps\.Owner\.1: expected non-empty text"),
    ({"reps": {"Owner": ["rep_id", "nme"]}}, r"unknown column of table reps 'nme' \(did you mean 'name'\?\)"),
    ({"reps": {"Owner": ["rep_id", "name"], "Full name": "name"}},
     r"data\.columns\.reps maps both 'Full name' and 'Owner' onto 'name'"),  # (the file's keys, sorted)
])
def test_bad_shapes_of_a_column_mapping_are_rejected(tmp_path, columns, expected):
    with pytest.raises(ParamsError, match=expected) as error:
        load_params("2027Q1", write_params(tmp_path, columns), ROOT)
    assert "q.yaml" in str(error.value)


def test_set_aside_summary_lists_the_causes_that_take_rows_with_them_and_counts_the_rest(tmp_path):
    import pandas as pd

    tables = tiny_export()
    lone = pd.DataFrame({"activity_id": [f"Y{i}" for i in range(30)], "rep_id": "R1",
                         "timestamp": "2026-03-02 10:00:00", "type": "note", "opportunity_id": "O1",
                         "duration_minutes": "5"})  # 30 rows of a type the contract lacks, nothing depends on them
    tables["activities"] = pd.concat([tables["activities"], lone], ignore_index=True)
    tables["reps"].loc[1, "role"] = "Wizard"  # one bad rep: its opportunities and activities go with it
    text = check_data(folder_params(write_export(tmp_path / "export", tables),
                                    on_row_error="quarantine", max_reject_share=1.0)).text()
    summary = text[text.index("would be set aside:"):text.index("What a plan needs")]
    assert summary.count("because of ") == 1 and "because of reps.csv row 3" in summary  # the bad rep, with its rows
    assert "and 30 more rows set aside for a problem of their own" in summary  # the lone rows counted, not listed
