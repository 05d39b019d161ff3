"""What every step notebook does first: quiet the output, load and validate the params, and know
where its artifacts go. A notebook run by hand in JupyterLab with its default parameters does
exactly what the runner does.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from salesops import memory
from salesops.contract import privacy, schema
from salesops.data import artifacts, catalog
from salesops.data.inputs import Inputs, load_inputs
from salesops.paths import ProjectPaths, project_paths
from salesops.report import plots
from salesops.report.present import Metric
from salesops.runner import reuse
from salesops.plan_params import Params, load_params

SUMMARY_COLUMNS = ["kind", "label", "display", "value", "note"]


@dataclass
class Step:
    """One step's params and folders. ``out_dir`` holds the artifacts of every step of the run."""

    name: str
    params: Params
    paths: ProjectPaths
    out_dir: Path
    data_dir: Path | None

    @property
    def currency(self) -> str:
        return self.params.currency

    def load_inputs(self) -> Inputs:
        return load_inputs(self.params, self.paths.root, self.data_dir)

    def write(self, frame: pd.DataFrame, name: str) -> Path:
        """Write artifact ``name`` after checking ``frame`` against its declaration (``data.catalog``): a
        missing, undeclared or mistyped column stops here with a message naming artifact and column."""
        catalog.check_frame(name, frame)
        return artifacts.write_artifact(frame, self.out_dir, name)

    def write_all(self, frames: dict[str, pd.DataFrame | None]) -> None:
        """Write each artifact of ``frames`` (name -> frame) in order; a None frame (an analysis the data did not
        support) writes nothing."""
        for name, frame in frames.items():
            if frame is not None:
                self.write(frame, name)

    def read(self, name: str) -> pd.DataFrame:
        """Artifact ``name`` (declared in ``data.catalog``); a clear error when the step writing it has not run."""
        catalog.artifact(name)
        return artifacts.read_artifact(self.out_dir, name)

    def read_optional(self, name: str) -> pd.DataFrame | None:
        """Artifact ``name``, or None when no step wrote it (an analysis the data did not support)."""
        catalog.artifact(name)
        return artifacts.read_optional_artifact(self.out_dir, name)

    def write_tables(self, tables: dict[str, pd.DataFrame], rejects: pd.DataFrame) -> None:
        """The validated input tables (``table_<name>``) and the rows set aside (``rejects``), for the
        later steps, which never read the input files themselves. Each table keeps only the columns an
        analysis reads (:func:`artifact_columns`): no personal data, no unused export columns."""
        for name, frame in tables.items():
            self.write(frame[artifact_columns(name, frame.columns, self.params)], catalog.table_artifact(name))
        self.write(rejects, "rejects")

    def read_tables(self, names: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
        """The validated input tables step 1 wrote (``table_<name>``), keyed by table name: those of ``names``
        that exist, or all of them (activities, the largest, are worth leaving out when not needed)."""
        wanted = sorted(schema.TABLES) if names is None else sorted(set(names) & set(schema.TABLES))
        tables = {table: frame for table in wanted
                  if (frame := artifacts.read_optional_artifact(self.out_dir, catalog.table_artifact(table)))
                  is not None}
        if "opportunities" not in tables:
            self.read(catalog.table_artifact("opportunities"))  # raises: step 1 has not run
        return tables

    def write_summary(self, metrics: list[Metric], findings: list[str], skipped: list[str] = ()) -> Path:
        """The step's headline numbers, findings and skipped analyses (each with what to add), which
        the quarter's index page shows."""
        rows = [("metric", m.label, m.display, m.value, m.note) for m in metrics]
        rows += [("finding", "", text, None, "") for text in findings]
        rows += [("skipped", "", text, None, "") for text in skipped]
        frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS).astype(
            {"kind": "string", "label": "string", "display": "string", "value": "float64", "note": "string"})
        return self.write(frame, catalog.summary_artifact(self.name))


def artifact_columns(table: str, columns, params: Params) -> list[str]:
    """Those of ``columns`` of ``table`` that its artifact keeps, in their order: the canonical columns and
    the extra columns an analysis reads (a lead's model features and engagement counts named in
    ``scoring``, its ICP dimensions named in ``icp``), never a personal column (``privacy.is_personal``)."""
    canonical = set(schema.TABLES[table].column_names) if table in schema.TABLES else set()
    read = {"amount_basis"} if table == "opportunities" else set()  # how an open deal's amount was set
    if table == "leads":
        read |= {*params.scoring.numeric_features, *params.scoring.categorical_features,
                 *params.scoring.engagement_points}
        read |= set(params.icp.dimensions)  # e.g. country (size_band is read from employees, a canonical column)
    return [c for c in columns if (c in canonical or c in read) and not privacy.is_personal(table, str(c))]


def start(name: str, quarter: str, params_path: str = "", data_dir: str = "", out_dir: str = "") -> Step:
    """Set up a step notebook. Empty strings mean the defaults: ``reports/<quarter>/data`` for artifacts, and, when
    all three are empty (a notebook opened in JupyterLab), the params file and data folder the last run of that
    report was given (:func:`last_run_options`), else ``params/<quarter>.yaml`` over the defaults and the data
    source the params name."""
    memory.release_freed_memory()
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger().setLevel(logging.WARNING)
    pd.set_option("display.max_columns", 50)
    plots.set_theme()
    paths = project_paths()
    if not (params_path or data_dir or out_dir):
        params_path, data_dir = last_run_options(paths.report_dir(quarter), paths.root)
    params = load_params(quarter, params_path or None, paths.root)
    artifact_folder = Path(out_dir).resolve() if out_dir else artifacts.artifact_folder(paths.report_dir(quarter))
    artifact_folder.mkdir(parents=True, exist_ok=True)
    return Step(name, params, paths, artifact_folder, Path(data_dir) if data_dir else None)


def last_run_options(report: Path, root: Path) -> tuple[str, str]:
    """The ``--params`` file and ``--data`` folder the last run into ``report`` was given, as absolute paths, each ""
    when that run was not given it, when it no longer exists, or when there is no such run: a notebook opened in
    JupyterLab with its defaults then works on the last run's artifacts with the same params and data."""
    previous = reuse.previous_report(report)
    given = previous.manifest.get("run", {}) if previous is not None else {}
    found = []
    for key in ("params", "data"):
        path = Path(root) / given[key] if isinstance(given, dict) and given.get(key) else None
        found.append(str(path.resolve()) if path is not None and path.exists() else "")
    return found[0], found[1]
