"""What each step depends on, as content hashes: the step reruns when one of them changed, and its artifacts and
pages are reused from the quarter's previous report when none did (like make).

A step depends on

* ``code``: the library's source files (every file of ``lib/salesops``), the step's notebook and the versions of
  Python and of the packages the run records (``PACKAGES``);
* ``params``: the params keys the step reads (``STEP_PARAMS``: whole sections, or ``section.key``), always with
  the shared keys every step reads (``SHARED_PARAMS``: quarter, calendar, company, currency, the data source);
* ``inputs`` (step 1 only): every input file of the data folder, by path and SHA-256, and whether the data folder
  was given on the command line (the sample company is read as canonical only when it was not); or, for tables read
  from a database (``data.source: sql``), each table's table name or query and the SHA-256 of the rows it gave
  (fetched once more before step 1: a database has no file to hash, and no cheaper sign of change that every
  database gives);
* ``upstream``: every artifact the earlier steps of this run wrote (all of them, not only those declared read: a
  step is reused only when nothing before it changed);
* ``earlier_reports``: the artifacts it reads from the reports of earlier quarters beside this one (step 1's
  review of last quarter's plan, step 2's backtest on the forecasts earlier reports made), found from the
  artifact catalog (an artifact read by a step that runs before or as the step that writes it is read from
  earlier reports).

Each part is hashed on its own (``Fingerprint.parts``), so a rerun can say which part changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

import salesops
from salesops.collect import plan_review
from salesops.data import artifacts, catalog, sql_source, sql_url
from salesops.data.inputs import data_folder, reads_database
from salesops.errors import DataError
from salesops.plan_params import Params, dump

#: The params every step reads (the quarter and its calendar, who and what currency the plan is for, where
#: the data comes from): a change to one reruns every step.
SHARED_PARAMS: tuple[str, ...] = ("quarter", "fiscal_year_start_month", "as_of", "company", "currency", "timezone",
                                  "data", "sample")
#: The params each step reads besides the shared ones: a section name for all of its keys, ``section.key`` for one.
#: Found by reading each step's workflow and notebook; ``tests/test_step_dependencies.py`` runs the four
#: notebooks with params that record every key read and fails on one not declared here.
STEP_PARAMS: dict[str, tuple[str, ...]] = {
    catalog.COLLECT: ("collect", "icp", "scoring", "performers", "accuracy",
                      "forecast.horizon_quarters", "forecast.freq"),  # the data's horizon and calendar
    catalog.DEMAND: ("forecast", "demand", "collect", "scoring"),
    catalog.SUPPLY: ("supply", "demand", "inventory", "forecast"),
    catalog.ALIGN: ("supply", "demand", "forecast", "quotas", "territories", "routing", "compensation",
                    "organisation", "tooling", "actions", "scoring", "icp"),
}
#: The steps that read the input files; the others read the tables step 1 wrote.
READS_INPUTS: tuple[str, ...] = (catalog.COLLECT,)
#: What makes the code: the library's files (not its caches) and the packages whose versions the run records.
PACKAGES = ("salesops", "pandas", "numpy", "pyarrow", "pydantic", "matplotlib", "seaborn", "scikit-learn",
            "statsforecast", "papermill", "nbconvert", "nbclient", "ipykernel", "openpyxl")
PARTS: tuple[str, ...] = ("code", "params", "inputs", "upstream", "earlier_reports")


@dataclass(frozen=True)
class Fingerprint:
    """One step's dependencies: the hash of each part (``PARTS``; ``None`` for a part the step does not have) and
    of them all (``digest``), as recorded in ``manifest.json``."""

    step: str
    parts: dict[str, str | None]

    @property
    def digest(self) -> str:
        return digest(self.parts)

    def record(self) -> dict[str, Any]:
        return {"hash": self.digest, "parts": dict(self.parts)}

    def with_upstream(self, produced: Mapping[str, str]) -> Fingerprint:
        """The same fingerprint with its ``upstream`` part from ``produced`` (artifact name -> hash of the artifacts
        written so far in the run), known only once the earlier steps ran or were taken."""
        return Fingerprint(self.step, {**self.parts, "upstream": digest(upstream_artifacts(self.step, produced))})


def digest(value: Any) -> str:
    """SHA-256 (64 hex digits) of ``value`` written as canonical JSON (sorted keys)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def versions() -> dict[str, str]:
    """The versions of Python and of ``PACKAGES`` ("not installed" for one that is not)."""
    found = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def library_hash(library: Path | None = None) -> str:
    """SHA-256 over the path and bytes of every file of the library (``lib/salesops``: sources, templates, styles),
    caches left out."""
    library = Path(library or Path(salesops.__file__).parent)
    files = sorted(p for p in library.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in (".pyc", ".pyo"))
    return digest({p.relative_to(library).as_posix(): artifacts.file_sha256(p) for p in files})


def code_part(library: str, notebook: Path, package_versions: Mapping[str, str]) -> str:
    """The code a step runs: the library's hash, its notebook's bytes and the package versions."""
    return digest({"library": library, "notebook": artifacts.file_sha256(notebook), "versions": dict(package_versions)})


def declared_params(step: str) -> tuple[str, ...]:
    """The params keys ``step`` depends on: the shared ones, then its own (``STEP_PARAMS``)."""
    return SHARED_PARAMS + STEP_PARAMS.get(step, tuple(Params.model_fields))  # an unknown step: every section


def params_values(step: str, dumped: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the keys ``step`` reads in ``dumped`` (params as ``dump`` gives them), by dotted key."""
    values = {}
    for key in declared_params(step):
        value: Any = dumped
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        values[key] = value
    return values


def changed_params(step: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The dotted keys ``step`` reads whose value differs between two dumps of the params (the leaves that
    changed, e.g. ``demand.slippage``)."""
    changed: list[str] = []

    def compare(key: str, old: Any, new: Any) -> None:
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            for name in sorted(set(old) | set(new)):
                compare(f"{key}.{name}", old.get(name), new.get(name))
        elif old != new:
            changed.append(key)

    old_values, new_values = params_values(step, before), params_values(step, after)
    for key in declared_params(step):
        compare(key, old_values[key], new_values[key])
    return changed


def input_files(folder: Path) -> dict[str, str]:
    """Every file of the data folder (subfolders too, hidden files left out) by its path there, with its SHA-256."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    return {p.relative_to(folder).as_posix(): artifacts.file_sha256(p) for p in files}


def inputs_part(params: Params, root: Path, data_dir: Path | str | None) -> dict[str, Any]:
    """What step 1 reads, as its ``inputs`` part hashes it and the manifest records it: every input file
    (:func:`input_files`) and whether the data folder was given; or the database (its password hidden) and, per
    table, the table name or query of ``data.sql.tables``, how many rows it gave and their hash
    (``sql_source.content_hash``: another row, value or order is another hash). A database that cannot be read is
    recorded with the reason, so step 1 runs and shows it."""
    if not reads_database(params, data_dir):
        return {"files": input_files(data_folder(params, root, data_dir)), "data_given": bool(data_dir)}
    try:
        read = sql_source.read_tables(params.data.sql, root)
    except DataError as error:
        return {"database": sql_url.redact(params.data.sql.url), "tables": {}, "error": str(error),
                "data_given": False}
    tables = {table: {"query": query.given, "rows": len(read.frames[table]),
                      "sha256": sql_source.content_hash(read.frames[table])} if table in read.frames
              else {"query": query.given, "error": read.unreadable[table]}
              for table, query in read.queries.items()}
    return {"database": read.shown, "tables": tables, "data_given": False}


def upstream_artifacts(step: str, produced: Mapping[str, str]) -> dict[str, str]:
    """Of ``produced`` (artifact name -> hash of the artifacts written so far in this run), those written by a step
    before ``step``."""
    before = catalog.STEPS[:catalog.STEPS.index(step)] if step in catalog.STEPS else catalog.STEPS
    return {name: sha for name, sha in sorted(produced.items())
            if name in catalog.CATALOG and catalog.CATALOG[name].producer in before}


def earlier_report_reads(step: str) -> tuple[str, ...]:
    """The artifacts ``step`` reads from the reports of earlier quarters: those it consumes that are written by
    itself or a later step (``demand_comparison`` for steps 1 and 2)."""
    if step not in catalog.STEPS:
        return ()
    order = catalog.STEPS.index(step)
    return tuple(name for name, a in catalog.CATALOG.items()
                 if step in a.consumers and a.producer in catalog.STEPS and catalog.STEPS.index(a.producer) >= order)


def earlier_reports(step: str, artifacts_folder: Path, quarter: str, fiscal_year_start_month: int
                    ) -> dict[str, dict[str, str]] | None:
    """The hashes of the artifacts ``step`` reads from the reports of earlier quarters beside this report (by
    quarter label, then artifact name), or None when the step reads none."""
    names = earlier_report_reads(step)
    if not names:
        return None
    found = {}
    for label, folder in plan_review.earlier_report_dirs(artifacts_folder, quarter, fiscal_year_start_month).items():
        present = {name: artifacts.file_sha256(path) for name in names
                   if (path := artifacts.artifact_path(folder, name)).exists()}
        if present:
            found[label] = present
    return found


def fingerprint(step: str, code: str, params: Params | Mapping[str, Any], inputs: Mapping[str, Any] | None,
                produced: Mapping[str, str], earlier: Mapping[str, Any] | None) -> Fingerprint:
    """The fingerprint of ``step`` from its parts: ``code`` (:func:`code_part`), the params (a ``Params`` or its
    dump), the input files (:func:`input_files` and how they were given; used only by ``READS_INPUTS``), the hashes
    of the artifacts written so far in the run, and what it reads from earlier reports (:func:`earlier_reports`)."""
    dumped = dump(params) if isinstance(params, Params) else params
    return Fingerprint(step, {
        "code": code,
        "params": digest(params_values(step, dumped)),
        "inputs": digest(inputs) if step in READS_INPUTS else None,
        "upstream": digest(upstream_artifacts(step, produced)),
        "earlier_reports": None if earlier is None else digest(earlier),
    })
