"""Input tables from a database (issue 18, item 5): the tiny export written into a SQLite file, a DuckDB file and a
real PostgreSQL server gives the same validated tables (and step 1 the same artifacts) as the same tables read from
files; every way a database can fail is a DataError naming the table, its table name or query and the fix; the
URL's password never reaches the manifest; step 1's fingerprint follows the rows."""

from __future__ import annotations

import sqlite3
import sys

import pandas as pd
import pytest
import yaml

import postgres_server
from builders import ROOT, folder_params, tiny_export, write_export
from salesops.contract import schema
from salesops.data import sql_source, sql_url
from salesops.data.inputs import inventory, load_inputs
from salesops.errors import DataError
from salesops.plan_params import dump, load_params
from salesops.runner import fingerprint
from salesops.runner.check import check_data
from salesops.settings.loader import ParamsError

duckdb = pytest.importorskip("duckdb", reason="the sql extra (duckdb) is not installed: pip install -e '.[sql,test]'")
sqlalchemy = pytest.importorskip("sqlalchemy", reason="the sql extra (SQLAlchemy) is not installed")


def sql_params(tmp_path, url: str, tables: dict | None = None, **data):
    """The real defaults merged with a params file reading the tables from ``url``."""
    path = tmp_path / "params-sql.yaml"
    sql = {"url": url, **({"tables": tables} if tables else {})}
    path.write_text(yaml.safe_dump({"data": {"source": "sql", "sql": sql, **data}}), encoding="utf-8")
    return load_params("2027Q1", path, ROOT)


def typed(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The export's text as a warehouse types it: dates as dates, times as timestamps, numbers as numbers, an
    empty cell as NULL."""
    result = {}
    for name, frame in tables.items():
        kinds = {column.name: column.kind for column in schema.TABLES[name].columns}
        columns = {}
        for column in frame.columns:
            values = frame[column].replace("", None)
            kind = kinds.get(column, "string")
            if kind == "date":
                values = pd.to_datetime(values).dt.date.astype(object).where(values.notna(), None)
            elif kind == "datetime":
                values = pd.to_datetime(values)
            elif kind in ("int", "float"):
                values = pd.to_numeric(values)
            columns[column] = values
        result[name] = pd.DataFrame(columns)
    return result


def write_sqlite(path, tables: dict[str, pd.DataFrame]):
    with sqlite3.connect(path) as connection:
        for name, frame in tables.items():
            frame.to_sql(name, connection, index=False)
    return path


def write_duckdb(path, tables: dict[str, pd.DataFrame]):
    connection = duckdb.connect(str(path))
    for name, frame in tables.items():
        connection.register("frame", frame)
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        connection.unregister("frame")
    connection.close()
    return path


@pytest.fixture
def from_files(tmp_path):
    """The tiny export's tables read from CSV files."""
    return load_inputs(folder_params(write_export(tmp_path / "export", tiny_export())))


def assert_same_tables(expected, actual):
    assert sorted(actual.tables) == sorted(expected.tables)
    for name, frame in expected.tables.items():
        pd.testing.assert_frame_equal(actual.tables[name], frame, obj=name)
    pd.testing.assert_frame_equal(actual.rejects, expected.rejects)


# --------------------------------------------------------------------------------------------------
# the same tables as from files


def test_a_sqlite_file_gives_the_same_tables_as_the_files(tmp_path, from_files):
    write_sqlite(tmp_path / "crm.sqlite", tiny_export())
    # found by the contract tables' names; the path relative to the project root works too (here: absolute)
    inputs = load_inputs(sql_params(tmp_path, str(tmp_path / "crm.sqlite")))
    assert_same_tables(from_files, inputs)
    assert inputs.folder is None and inputs.database == str(tmp_path / "crm.sqlite")
    assert inputs.queries == {"reps": "reps", "accounts": "accounts", "opportunities": "opportunities",
                              "activities": "activities"}
    assert inputs.files["opportunities"] == ()
    assert set(inputs.provided) == set(from_files.provided)


def test_a_duckdb_file_of_typed_columns_gives_the_same_tables_as_the_files(tmp_path, from_files):
    write_duckdb(tmp_path / "crm.duckdb", typed(tiny_export()))
    inputs = load_inputs(sql_params(tmp_path, f"duckdb:///{tmp_path / 'crm.duckdb'}"))
    assert_same_tables(from_files, inputs)
    shown = inventory(inputs).set_index("table")["file"]
    assert shown["opportunities"] == "opportunities" and shown["leads"] == "not provided"


def test_a_query_is_mapped_like_a_file(tmp_path, from_files):
    """A query whose columns carry the CRM's names is mapped by data.columns and data.values, as a file is."""
    tables = tiny_export()
    deals = tables.pop("opportunities").rename(columns={"opportunity_id": "Deal Id", "stage": "Deal Stage"})
    deals["Deal Stage"] = deals["Deal Stage"].replace({"Closed Won": "Signed"})
    write_duckdb(tmp_path / "crm.duckdb", {**tables, "deals": deals.assign(deleted=False)})
    inputs = load_inputs(sql_params(
        tmp_path, str(tmp_path / "crm.duckdb"), {"opportunities": "SELECT * EXCLUDE (deleted) FROM deals\n"
                                                                  "WHERE NOT deleted ORDER BY \"Deal Id\""},
        columns={"opportunities": {"Deal Id": "opportunity_id", "Deal Stage": "stage"}},
        values={"opportunities": {"stage": {"Signed": "closed_won", "Closed Lost": "closed_lost"}}}))
    assert_same_tables(from_files, inputs)
    assert inventory(inputs).set_index("table").loc["opportunities", "file"] == (  # on one line
        'SELECT * EXCLUDE (deleted) FROM deals WHERE NOT deleted ORDER BY "Deal Id"')


def test_a_bad_row_is_named_by_the_table_or_query_and_its_row(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[2, "amount"] = "a lot"
    write_sqlite(tmp_path / "crm.sqlite", tables)
    with pytest.raises(DataError) as error:
        load_inputs(sql_params(tmp_path, str(tmp_path / "crm.sqlite"),
                               {"opportunities": "select * from opportunities order by opportunity_id"}))
    # the query's third row is row 4, as in a CSV export of the result with its header as row 1
    assert "the opportunities query, column 'amount'" in str(error.value)
    assert "row 4" in str(error.value)


def test_step_1_makes_the_same_artifacts_from_the_database_as_from_the_files(tmp_path, monkeypatch):
    from in_process import run_notebook, NOTEBOOKS

    export = write_export(tmp_path / "export", tiny_export())
    write_duckdb(tmp_path / "crm.duckdb", typed(tiny_export()))
    params = sql_params(tmp_path, str(tmp_path / "crm.duckdb"))
    params_path = tmp_path / "params-sql.yaml"
    pages = {}
    for name, data_dir in (("files", str(export)), ("database", "")):  # the data folder given comes first
        pages[name] = run_notebook(NOTEBOOKS[0], {"quarter": params.quarter, "params_path": str(params_path),
                                                  "data_dir": data_dir, "out_dir": str(tmp_path / name)}, monkeypatch)
    written = sorted(p.name for p in (tmp_path / "files").rglob("*.parquet"))
    assert written == sorted(p.name for p in (tmp_path / "database").rglob("*.parquet"))
    assert "table_opportunities.parquet" in written
    for name in written:
        [files_path] = (tmp_path / "files").rglob(name)
        [database_path] = (tmp_path / "database").rglob(name)
        pd.testing.assert_frame_equal(pd.read_parquet(database_path), pd.read_parquet(files_path), obj=name)
    said = [s for shown in pages["database"].shown for s in shown.sentences]
    assert any(f"read from the database {tmp_path / 'crm.duckdb'}" in s for s in said)


# --------------------------------------------------------------------------------------------------
# PostgreSQL: a real server, started by the tests


@pytest.fixture(scope="session")
def postgres():
    why = postgres_server.why_not()
    if why:
        pytest.skip(why)
    pytest.importorskip("psycopg", reason="psycopg 3 is not installed: pip install -e '.[sql,test]'")
    server = postgres_server.start()
    yield server
    postgres_server.stop(server)


def test_postgresql_gives_the_same_tables_as_the_files(tmp_path, from_files, postgres, monkeypatch):
    engine = sqlalchemy.create_engine(postgres.url().replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS crm CASCADE; CREATE SCHEMA crm")
        for name, frame in typed(tiny_export()).items():
            frame.to_sql(name, connection, schema="crm", index=False)
    engine.dispose()
    monkeypatch.setenv("SALESOPS_TEST_PG_PASSWORD", postgres_server.PASSWORD)
    url = postgres.url(password="${SALESOPS_TEST_PG_PASSWORD}")
    params = sql_params(tmp_path, url, {
        "reps": "crm.reps", "accounts": "crm.accounts",
        # an instant (timestamp with time zone): converted to the company's time zone, as an ISO time with Z is
        "activities": "select activity_id, rep_id, \"timestamp\" at time zone 'UTC' as \"timestamp\", type, "
                      "opportunity_id, duration_minutes from crm.activities",
        # a cast, a LIKE and exact decimals: the driver gets the query as written, the decimals come back as numbers
        "opportunities": "select opportunity_id, account_id, rep_id, created_date, close_date, stage, "
                         "amount::numeric(14, 2) as amount, forecast_category from crm.opportunities "
                         "where opportunity_id like 'O%' and amount::numeric >= 0 order by opportunity_id"})
    inputs = load_inputs(params)
    assert_same_tables(from_files, inputs)
    assert inputs.database == url  # the variable's name is shown, never its value
    report = check_data(params)
    assert report.ok, report.text()
    assert report.text().startswith(f"Database:\n  {url}\nTables and columns:\n")
    assert "opportunities (the opportunities query): canonical" in report.text()
    assert postgres_server.PASSWORD not in report.text()


def test_postgresql_refuses_a_wrong_password(tmp_path, postgres):
    with pytest.raises(DataError) as error:
        load_inputs(sql_params(tmp_path, postgres.url(password="wrong-password")))
    message = str(error.value)
    assert message.startswith(f"data.sql.url: cannot connect to postgresql://{postgres_server.USER}:***@127.0.0.1:")
    assert "refused the user or the password" in message and "wrong-password" not in message


def test_postgresql_names_a_missing_table_and_a_failing_query(tmp_path, postgres):
    params = sql_params(tmp_path, postgres.url(), {"opportunities": "crm.no_such_table",
                                                   "accounts": "select nothing_here from pg_class"})
    with pytest.raises(DataError) as error:
        load_inputs(params)
    assert str(error.value).startswith("data.sql.tables.accounts (select nothing_here from pg_class): the query "
                                       "failed in postgresql://salesops:***@")
    # salesops check lists both: the failed statement does not stop the next one
    problems = check_data(params).text()
    assert "data.sql.tables.opportunities (crm.no_such_table): postgresql://salesops:***@" in problems
    assert "has no table crm.no_such_table" in problems and "Fix: correct the name in data.sql.tables" in problems
    assert "data.sql.tables.accounts (select nothing_here from pg_class): the query failed in" in problems
    assert 'column "nothing_here" does not exist' in problems
    assert "Query: select nothing_here from pg_class. Fix: run the query in a SQL client" in problems


# --------------------------------------------------------------------------------------------------
# what goes wrong, each named


def test_an_unreachable_server_is_named_with_what_to_check(tmp_path):
    pytest.importorskip("psycopg", reason="psycopg 3 is not installed")
    port = postgres_server.free_port()  # nothing listens there
    params = sql_params(tmp_path, f"postgresql://analyst:hunter2@127.0.0.1:{port}/crm",
                        {"opportunities": "crm.opportunities"})
    with pytest.raises(DataError) as error:
        load_inputs(params)
    message = str(error.value)
    assert message.startswith(f"data.sql.url: cannot connect to postgresql://analyst:***@127.0.0.1:{port}/crm (")
    assert "could not be reached: check the host, the port and the database name" in message
    assert "hunter2" not in message
    report = check_data(params)
    assert not report.ok and message in report.text()
    # the runner's record of the inputs: the reason, so that step 1 runs and shows it; never the password
    part = fingerprint.inputs_part(params, ROOT, None)
    assert part["database"] == f"postgresql://analyst:***@127.0.0.1:{port}/crm" and part["error"] == message
    assert "hunter2" not in repr(part)


def test_a_password_variable_that_is_not_set(tmp_path, monkeypatch):
    monkeypatch.delenv("SALESOPS_NO_SUCH_VARIABLE", raising=False)
    with pytest.raises(DataError, match=r"takes its password from the environment variable SALESOPS_NO_SUCH_VARIABLE, "
                                        r"which is not set\. Fix: set SALESOPS_NO_SUCH_VARIABLE"):
        load_inputs(sql_params(tmp_path, "postgresql://analyst:${SALESOPS_NO_SUCH_VARIABLE}@db.example.com/crm"))


def test_a_missing_table_and_a_failing_query_in_a_file(tmp_path):
    write_sqlite(tmp_path / "crm.sqlite", tiny_export())
    with pytest.raises(DataError) as error:
        load_inputs(sql_params(tmp_path, str(tmp_path / "crm.sqlite"), {"accounts": "crm_accounts"}))
    assert str(error.value).startswith(
        f"data.sql.tables.accounts (crm_accounts): {tmp_path / 'crm.sqlite'} has no table crm_accounts (no such "
        "table: crm_accounts). Fix: correct the name")
    write_duckdb(tmp_path / "crm.duckdb", tiny_export())
    with pytest.raises(DataError) as error:
        load_inputs(sql_params(tmp_path, str(tmp_path / "crm.duckdb"), {"reps": "select * fro reps"}))
    assert str(error.value).startswith("data.sql.tables.reps (select * fro reps): the query failed in ")
    assert "Query: select * fro reps. Fix: run the query in a SQL client" in str(error.value)
    with pytest.raises(DataError, match=r"^data.sql.tables.reps \(select rep_id, \* from reps\): the result names "
                                        r"column 'rep_id' twice, .* Fix: give each column of the query its own name"):
        load_inputs(sql_params(tmp_path, str(tmp_path / "crm.sqlite"), {"reps": "select rep_id, * from reps"}))


def test_no_opportunities_and_missing_or_unknown_files(tmp_path):
    write_sqlite(tmp_path / "crm.sqlite", {"reps": tiny_export()["reps"]})
    with pytest.raises(DataError, match=r"no opportunities table in .*crm\.sqlite: data\.sql\.tables\.opportunities is "
                                        r"not set and the database has no table named opportunities\. Tables there: "
                                        r"reps\. Fix"):
        load_inputs(sql_params(tmp_path, str(tmp_path / "crm.sqlite")))
    with pytest.raises(DataError, match=r"names the DuckDB file warehouse/none\.duckdb, but there is no such file"):
        load_inputs(sql_params(tmp_path, "warehouse/none.duckdb"))
    with pytest.raises(DataError, match=r"'crm\.csv', which is neither a URL \(scheme://\.\.\.\) nor a database file"):
        load_inputs(sql_params(tmp_path, "crm.csv"))
    (tmp_path / "fake.duckdb").write_text("not a database", encoding="utf-8")
    with pytest.raises(DataError, match=r"fake\.duckdb cannot be opened as a DuckDB database"):
        load_inputs(sql_params(tmp_path, str(tmp_path / "fake.duckdb")))


def test_a_missing_package_names_the_extra_to_install(tmp_path, monkeypatch):
    write_sqlite(tmp_path / "crm.sqlite", tiny_export())
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # as if the sql extra were not installed
    with pytest.raises(DataError, match=r"data.source is 'sql': reading SQL databases needs the Python package "
                                        r"'sqlalchemy', which is not installed\. Fix: pip install -e '\.\[sql\]'"):
        load_inputs(sql_params(tmp_path, str(tmp_path / "crm.sqlite")))


def test_the_params_refuse_a_sql_source_without_a_database_or_with_files(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"data": {"source": "sql"}}), encoding="utf-8")
    with pytest.raises(ParamsError, match="data.source is 'sql' but data.sql is empty: set data.sql.url"):
        load_params("2027Q1", path, ROOT)
    path.write_text(yaml.safe_dump({"data": {"source": "sql", "sql": {"url": "crm.duckdb"},
                                             "files": {"opportunities": "deals.csv"}}}), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"data.files name files: tables read from a database are named in "
                                          r"data.sql.tables. Fix: remove data.files"):
        load_params("2027Q1", path, ROOT)
    path.write_text(yaml.safe_dump({"data": {"source": "sql", "sql": {"url": "crm.duckdb",
                                                                      "tables": {"deals": "x"}}}}), encoding="utf-8")
    with pytest.raises(ParamsError, match="deals"):
        load_params("2027Q1", path, ROOT)


# --------------------------------------------------------------------------------------------------
# the password is never shown; the fingerprint follows the rows


def test_the_password_is_hidden_wherever_the_url_is_shown(tmp_path):
    assert sql_url.redact("postgresql://analyst:s3cr%40t@db:5432/crm?sslmode=require") == (
        "postgresql://analyst:***@db:5432/crm?sslmode=require")
    assert sql_url.redact("postgresql://analyst:${PW}@db/crm") == "postgresql://analyst:${PW}@db/crm"
    assert sql_url.redact("postgresql://db/crm?user=a&password=x&sslpassword=y") == (
        "postgresql://db/crm?user=a&password=***&sslpassword=***")
    assert sql_url.redact("postgresql://analyst@db/crm") == "postgresql://analyst@db/crm"
    assert sql_url.redact("warehouse/crm.duckdb") == "warehouse/crm.duckdb"
    params = sql_params(tmp_path, "postgresql://analyst:hunter2@db.example.com/crm")
    assert params.data.sql.url.endswith("hunter2@db.example.com/crm")  # kept for connecting
    dumped = dump(params)  # what the manifest and the fingerprints record
    assert dumped["data"]["sql"]["url"] == "postgresql://analyst:***@db.example.com/crm"
    assert "hunter2" not in repr(dumped)


def test_a_password_from_the_environment_is_quoted_into_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_TEST_PW", "p@ss/w:rd")
    found = sql_url.database("postgres://analyst:${SALESOPS_TEST_PW}@db/crm", tmp_path)
    assert found.url == "postgresql+psycopg://analyst:p%40ss%2Fw%3Ard@db/crm"
    assert found.shown == "postgres://analyst:${SALESOPS_TEST_PW}@db/crm"


def test_step_1_inputs_part_follows_the_rows(tmp_path):
    database = write_sqlite(tmp_path / "crm.sqlite", tiny_export())
    params = sql_params(tmp_path, str(database), {"accounts": "select * from accounts"})
    first = fingerprint.inputs_part(params, ROOT, None)
    assert first["database"] == str(database) and first["data_given"] is False
    assert first["tables"]["accounts"]["query"] == "select * from accounts"
    assert first["tables"]["opportunities"]["rows"] == 5
    assert fingerprint.inputs_part(params, ROOT, None) == first  # the same rows: the same part
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE opportunities SET amount = '10001' WHERE opportunity_id = 'O1'")
    second = fingerprint.inputs_part(params, ROOT, None)
    changed = [table for table in first["tables"] if first["tables"][table] != second["tables"][table]]
    assert changed == ["opportunities"]
    assert fingerprint.digest(second) != fingerprint.digest(first)


def test_content_hash_sees_values_order_and_kinds():
    frame = pd.DataFrame({"id": pd.array(["a", "b"], dtype=schema.TEXT_DTYPE), "amount": [1.0, 2.0]})
    same = sql_source.content_hash(frame.copy())
    assert sql_source.content_hash(frame) == same
    assert sql_source.content_hash(frame.iloc[::-1].reset_index(drop=True)) != same
    assert sql_source.content_hash(frame.assign(amount=[1.0, 2.5])) != same
    assert sql_source.content_hash(frame.assign(amount=["1.0", "2.0"])) != same
