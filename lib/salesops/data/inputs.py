"""Find, read and validate the input tables of a run: the sample company, a folder of files or a database."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from salesops import deals, fiscal_calendar
from salesops.contract import assembly, derive, quarantine, schema
from salesops.contract.validation import Chunks, MappingRules, RawTable, validate_tables
from salesops.data import files, sql_source
from salesops.errors import DataError
from salesops.paths import project_paths

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params


@dataclass
class Inputs:
    """Validated canonical tables, the rows set aside, the file(s) each table came from (several when
    ``data.files.<table>`` lists several; none for a table read from a database), and the documented rules applied
    to them (derived tables, unified spellings, collapsed rows: ``derive.py`` and its neighbours). Tables read from a
    database (``data.source: sql``): ``database`` as shown (its password hidden) and ``queries``, per table the
    table name or query of ``data.sql.tables``; ``folder`` is then None."""

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    files: dict[str, tuple[Path, ...]]
    folder: Path | None
    adjustments: pd.DataFrame
    database: str | None = None
    queries: dict[str, str] = field(default_factory=dict)

    @property
    def provided(self) -> dict[str, pd.DataFrame]:
        """The tables read from files (derived ones left out: their gaps are not the data's fault)."""
        return {name: frame for name, frame in self.tables.items() if name in self.files}

    @property
    def derived(self) -> set[str]:
        """Tables built from the opportunities because no file held them, and ``"table.column"`` of each column
        of a provided table derived on every row (``derive.derived_columns``): neither counts as provided."""
        return (set(self.tables) - set(self.files)) | derive.derived_columns(self.adjustments)


def reads_database(params: Params, data_dir: Path | str | None = None) -> bool:
    """Whether the run's tables come from a database (``data.source: sql``; a data folder given on the command
    line comes first)."""
    return params.data.source == "sql" and not data_dir


def input_folder(params: Params, root: Path | None = None, data_dir: Path | str | None = None) -> Path | None:
    """The folder of input files (:func:`data_folder`), or None when the tables come from a database."""
    return None if reads_database(params, data_dir) else data_folder(params, root, data_dir)


def data_folder(params: Params, root: Path | None = None, data_dir: Path | str | None = None) -> Path:
    """The folder of input tables: ``data_dir`` if given, else ``data.dir``, else the sample cache
    (the sample company is generated there on first use)."""
    paths = project_paths(root)
    if data_dir:
        return Path(data_dir).resolve()
    if params.data.source == "folder":
        folder = Path(params.data.dir)
        return folder if folder.is_absolute() else (paths.root / folder).resolve()
    return ensure_sample(params, root)


def ensure_sample(params: Params, root: Path | None = None) -> Path:
    """Generate the sample company into the cache (once per seed, scale and end date)."""
    cfg = params.sample
    end = params.data_end
    key = f"seed{cfg.seed}_scale{cfg.scale:g}_years{cfg.history_years}_end{end:%Y-%m-%d}"
    folder = project_paths(root).sample_cache / key
    if not (folder / ".complete").exists():
        from salesops.data import sample

        # each process writes its own copy and moves it in whole: two runs (or test workers) never write into
        # one folder, and the one that comes second keeps the first one's copy
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{key}.partial-", dir=folder.parent))
        sample.write_sample(partial, end_date=end, scale=cfg.scale, seed=cfg.seed, history_years=cfg.history_years)
        (partial / ".complete").write_text("ok\n")
        if folder.exists() and not (folder / ".complete").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a copy left half-written by a killed run
        try:
            partial.rename(folder)
        except OSError:  # another process moved its copy in first
            shutil.rmtree(partial, ignore_errors=True)
    return folder


def locate_files(params: Params, root: Path | None = None, data_dir: Path | str | None = None
                 ) -> tuple[Path, dict[str, tuple[Path, ...]], bool]:
    """The data folder, the file(s) of each table found in it (``data.files.<table>`` may list several), and
    whether it is the sample company.

    Raises DataError when the folder, a named file or the opportunities table is missing."""
    folder = data_folder(params, root, data_dir)
    if not folder.is_dir():
        raise DataError(f"the data folder {folder} does not exist: set data.dir in the params or pass --data DIR")
    using_sample = params.data.source == "sample" and not data_dir
    table_files: dict[str, tuple[Path, ...]] = {}
    for table in schema.TABLES:
        names = () if using_sample else params.data.table_files(table)
        paths = [files.find_table_file(folder, table, name) for name in names or (None,)]
        if paths[0] is not None:
            table_files[table] = tuple(paths)
    if "opportunities" not in table_files:
        present = ", ".join(sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))) or "none"
        raise DataError(
            f"no opportunities table in {folder}: expected a file named opportunities.csv, opportunities.parquet "
            f"or opportunities.xlsx, or one named in data.files.opportunities. Files there: {present}."
        )
    return folder, table_files, using_sample


def mapping_rules(params: Params, using_sample: bool) -> MappingRules:
    """The sample company is canonical already; any other folder is read through the params' mapping.
    Both are read with the params' currency, time zone, separators and bounds: amounts at most
    ``data.max_amount_ratio`` times their column's median, closed deals closed by the end of the planning
    horizon (:func:`planning_horizon_end`); reps without a quota take the planned quarter's from a quotas table."""
    horizon_end = planning_horizon_end(params)
    reason = (f"the end of the planning horizon ({params.quarter} and the {params.forecast.horizon_quarters} "
              "quarters after it, forecast.horizon_quarters)")
    reading = MappingRules.reading(params.data, params.currency, params.timezone, horizon_end, reason)
    rules = MappingRules(**reading) if using_sample else MappingRules.from_params(
        params.data, params.currency, params.timezone, horizon_end, reason)
    return replace(rules, quarter=params.quarter, as_of=params.data_end,
                   fiscal_year_start_month=params.fiscal_year_start_month)


@dataclass
class RawInputs:
    """The input files read as they are (``read_raw``): per table its ``RawTable`` (the parts of a table read
    from several files, each with the joins applied), each table's ``sources`` (file names, for messages),
    ``unreadable`` (table → why it could not be read or joined) and ``joined`` (table → one line per join
    applied, with how many rows found a match, for ``salesops check``)."""

    tables: dict[str, RawTable]
    sources: dict[str, str]
    unreadable: dict[str, str]
    joined: dict[str, list[str]]


#: A table of one Parquet file of more rows than this, without joins, is read and typed this many rows at a time
#: (``validation.Chunks``) when a run loads its inputs: the activities at scale 100 are 34 million rows.
CHUNK_ROWS = 250_000


def read_raw(table_files: dict[str, tuple[Path, ...]], params: Params, using_sample: bool = False,
             chunk_rows: int | None = None) -> RawInputs:
    """Read each table's file(s) (a file feeding two tables is read once) and apply the table's joins
    (``data.joins``) to each of its files; a table whose file cannot be read or joined is ``unreadable``. With
    ``chunk_rows``, a table of one Parquet file of more rows than that, without joins, is left to be read in slices
    of that many rows as it is typed (``validation.Chunks``)."""
    cache: dict[Path, pd.DataFrame] = {}

    def read(path: Path) -> pd.DataFrame:
        if path not in cache:
            cache[path] = files.read_table_file(path, params.data.encoding)
        return cache[path]

    raw = RawInputs({}, {}, {}, {})
    for table, paths in table_files.items():
        raw.sources[table] = " + ".join(path.name for path in paths)
        joins = () if using_sample else params.data.joins.get(table, ())
        if chunk_rows and len(paths) == 1 and not joins and (files.parquet_rows(paths[0]) or 0) > chunk_rows:
            raw.tables[table] = Chunks(partial(files.read_table_chunks, paths[0], chunk_rows))
            raw.joined[table] = []
            continue
        try:
            parts = [(path.name, read(path)) for path in paths]
            notes = []
            for position, join in enumerate(joins):
                where = f"data.joins.{table}[{position}]"
                path = paths[0].parent / join.file
                if not path.is_file():
                    raise DataError(f"{where} joins {join.file!r}, but there is no such file in {path.parent}. Files "
                                    f"there: {', '.join(sorted(p.name for p in path.parent.iterdir()))}.")
                joined, matched = [], 0
                for name, frame in parts:
                    frame, found = assembly.join_file(frame, read(path), path.name, join.key, join.matched_on,
                                                      join.columns, where)
                    joined.append((name, frame))
                    matched += found
                if not any(join.key in frame.columns for _, frame in parts):
                    raise DataError(
                        f"{raw.sources[table]}: {where} joins on column {join.key!r}, which no file of the table has "
                        f"(after the joins before it). Found columns: "
                        f"{', '.join(dict.fromkeys(str(c) for _, f in parts for c in f.columns))}. Fix: correct key "
                        f"in {where}, or put the join that adds the column before it.")
                parts = joined
                rows = sum(len(frame) for _, frame in parts)
                notes.append(f"joined {path.name} on {join.key}"
                             + (f" = {join.matched_on}" if join.matched_on != join.key else "")
                             + f" ({', '.join(join.columns)}): {matched:,} of {rows:,} rows matched")
        except DataError as error:
            raw.unreadable[table] = str(error)
            continue
        raw.tables[table] = parts[0][1] if len(parts) == 1 else parts
        raw.joined[table] = notes
    return raw


@dataclass
class Source:
    """Where the tables were read from: ``folder`` and each table's ``files`` (the sample company's when
    ``using_sample``), or the ``database`` as shown and each table's ``queries`` (``data.sql.tables``)."""

    folder: Path | None
    files: dict[str, tuple[Path, ...]]
    using_sample: bool = False
    database: str | None = None
    queries: dict[str, str] = field(default_factory=dict)

    @property
    def described(self) -> tuple[str, str]:
        """A heading and what it names, for ``salesops check``: the data folder, or the database."""
        return ("Data folder:", str(self.folder)) if self.database is None else ("Database:", self.database)


def read_inputs(params: Params, root: Path | None = None, data_dir: Path | str | None = None,
                leave_out: tuple[str, ...] = (), chunk_rows: int | None = None) -> tuple[Source, RawInputs]:
    """Find and read the tables of the run as they are (those of ``leave_out`` left out): each table's file(s) in
    the data folder (:func:`locate_files`, :func:`read_raw`, large Parquet files in slices of ``chunk_rows``), or its table or query in the database of
    ``data.sql`` (``sql_source.read_tables``). Raises DataError when the folder or database cannot be used or holds
    no opportunities; a table that cannot be read is in ``unreadable``."""
    if not reads_database(params, data_dir):
        folder, table_files, using_sample = locate_files(params, root, data_dir)
        table_files = {table: paths for table, paths in table_files.items() if table not in leave_out}
        return Source(folder, table_files, using_sample), read_raw(table_files, params, using_sample, chunk_rows)
    read = sql_source.read_tables(params.data.sql, project_paths(root).root, leave_out)
    queries = {table: query.given for table, query in read.queries.items()}
    raw = RawInputs(tables=dict(read.frames), sources={table: query.source for table, query in read.queries.items()},
                    unreadable=dict(read.unreadable), joined={table: [] for table in read.queries})
    return Source(None, {table: () for table in read.queries}, False, read.shown, queries), raw


def planning_horizon_end(params: Params) -> pd.Timestamp:
    """Last day of the planning horizon: the end of the planned quarter plus ``forecast.horizon_quarters``."""
    last = fiscal_calendar.shift_quarter(params.quarter, params.forecast.horizon_quarters)
    return fiscal_calendar.quarter_end(last, params.fiscal_year_start_month).normalize()


def load_inputs(params: Params, root: Path | None = None, data_dir: Path | str | None = None) -> Inputs:
    """Read every table present in the data folder or the database and validate them against the contract."""
    source, raw = read_inputs(params, root, data_dir, chunk_rows=CHUNK_ROWS)
    if raw.unreadable:
        raise DataError(next(iter(raw.unreadable.values())))
    result = validate_tables(
        raw.tables, raw.sources, mapping_rules(params, source.using_sample),
        on_row_error=params.data.on_row_error, max_reject_share=params.data.max_reject_share,
    )
    tables, adjustments = derive_segments(result.tables, result.adjustments, params)
    return inputs_from(source, tables, result.rejects, adjustments)


def inputs_from(source: Source, tables: dict[str, pd.DataFrame], rejects: pd.DataFrame, adjustments: pd.DataFrame
                ) -> Inputs:
    """The ``Inputs`` of validated ``tables`` read from ``source``."""
    return Inputs(tables, rejects, source.files, source.folder, adjustments, source.database, dict(source.queries))


def derive_segments(tables: dict[str, pd.DataFrame], adjustments: pd.DataFrame, params: Params
                    ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """``derive.derive_rep_segments`` over the last four complete fiscal quarters to the end of known data
    (``params.data_end``), its adjustment appended to ``adjustments``."""
    last = deals.last_complete_quarter(params.data_end, params.fiscal_year_start_month)
    first = last - 3
    window = (f"the four quarters {fiscal_calendar.quarter_label(first)} to {fiscal_calendar.quarter_label(last)}")
    tables, made = derive.derive_rep_segments(tables, first.start_time.normalize(), last.end_time.normalize(), window)
    if not len(made):
        return tables, adjustments
    return tables, pd.concat([adjustments, made], ignore_index=True) if len(adjustments) else made


#: Per table: the date column that spans its history, and what the table makes possible.
TABLE_ROLES: dict[str, tuple[str | None, str]] = {
    "opportunities": ("created_date", "bookings, win rates, cycle, funnel, pipeline coverage"),
    "reps": ("hire_date", "segments and regions of reps, quotas, team capacity"),
    "accounts": ("created_date", "segments by company size and industry, duplicate accounts"),
    "leads": ("created_date", "lead volume, conversion and lead scoring"),
    "activities": ("timestamp", "activity KPIs: emails, calls, meetings, demos, proposals, selling time"),
    "products": (None, "product mix and hardware inventory"),
    "orders": ("order_date", "unit demand of physical products"),
    "forecast_submissions": ("submitted_date", "forecast accuracy of the reps"),
    "opportunity_history": ("changed_at", "the open pipeline at past quarter starts, to backtest the pipeline forecast"),
    "currency_rates": ("start_date", "deals entered in other currencies, converted to the company currency"),
    "quotas": ("start_date", "quota attainment per rep and quarter; the quota of reps that carry none"),
    "opportunity_lines": (None, "the product of each deal and the products sold, when deals carry none"),
}


def inventory(inputs: Inputs) -> pd.DataFrame:
    """One row per canonical table: the file it came from (the table name or query of a database; or that it was
    not provided), rows kept, rows set aside, the span of its main date column, and what it is used for."""
    rows = []
    for table, (date_column, used_for) in TABLE_ROLES.items():
        frame = inputs.tables.get(table)
        if frame is None:
            rows.append((table, "not provided", 0, 0, pd.NaT, pd.NaT, used_for))
            continue
        dates = frame[date_column] if date_column and date_column in frame.columns else pd.Series(dtype="datetime64[ns]")
        source = (" ".join(inputs.queries[table].split()) if table in inputs.queries  # a query on one line
                  else " + ".join(path.name for path in inputs.files[table]) if table in inputs.files
                  else "derived from line items" if table == "products" and "opportunity_lines" in inputs.tables
                  else "derived from opportunities")
        rows.append((table, source, len(frame), quarantine.rows_set_aside(inputs.rejects, table),
                     dates.min(), dates.max(), used_for))
    return pd.DataFrame(rows, columns=["table", "file", "rows", "rows_set_aside", "from", "to", "used_for"]).astype(
        {"rows": "int64", "rows_set_aside": "int64", "from": "datetime64[ns]", "to": "datetime64[ns]"})
