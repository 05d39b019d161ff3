"""The artifact catalog (``salesops.data.catalog``) against the code: every artifact name written or read in
the notebooks or the library is declared, each declared artifact is written by its producer and read by each
declared consumer — so a renamed artifact fails here in a second, not in a whole-quarter run — and a frame
that does not match its declaration is stopped at the write with a message naming artifact and column."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from salesops.collect import pipeline_history, plan_review
from salesops.contract import schema
from salesops.contract.validation import REJECT_COLUMNS
from salesops.data import catalog
from salesops.errors import DataError
from salesops.runner.step import SUMMARY_COLUMNS, Step

from builders import ROOT

LIB = ROOT / "lib" / "salesops"
#: Where each reader of artifacts lives: a step's notebook and its package; the index page's builder.
SOURCES: dict[str, list[Path]] = {
    catalog.COLLECT: [ROOT / "notebooks" / "01_collect.ipynb", LIB / "collect"],
    catalog.DEMAND: [ROOT / "notebooks" / "02_demand.ipynb", LIB / "demand"],
    catalog.SUPPLY: [ROOT / "notebooks" / "03_supply.ipynb", LIB / "supply"],
    catalog.ALIGN: [ROOT / "notebooks" / "04_align.ipynb", LIB / "align"],
    catalog.INDEX: [LIB / "runner" / "run.py"],
}
WRITE_CALLS = {"write", "write_artifact"}
READ_CALLS = {"read", "read_optional", "read_artifact", "read_optional_artifact"}
ALL_TABLES = tuple(catalog.table_artifact(name) for name in schema.TABLES)
SUMMARIES = tuple(catalog.summary_artifact(step) for step in catalog.STEPS)


def _code(path: Path) -> str:
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return path.read_text(encoding="utf-8")


def _files(paths: list[Path]) -> list[Path]:
    return [f for p in paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]


def _strings(node) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _dict_keys(node: ast.Dict) -> list[str]:
    return [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]


def _calls(tree, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            yield node


def uses(source: str, step: str | None = None) -> tuple[set[str], set[str]]:
    """The artifact names ``source`` writes and reads: string arguments of ``write``/``read`` calls, keys of the
    dicts a step writes (looped over with ``.write``, passed to ``write_all``, or returned by a function named
    ``artifacts``), keys of a module-level ``*_ARTIFACTS`` dict (read from an earlier report), the tables of
    ``write_tables``/``read_tables``, and the summary of ``write_summary``."""
    tree = ast.parse(source)
    written, read = set(), set()
    for call in _calls(tree, WRITE_CALLS):
        written |= {a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    for call in _calls(tree, READ_CALLS):
        read |= {a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    for call in _calls(tree, {"write_all"}):
        written |= {k for a in call.args if isinstance(a, ast.Dict) for k in _dict_keys(a)}
    for call in _calls(tree, {"write_tables"}):
        written |= set(ALL_TABLES) | {"rejects"}
    for call in _calls(tree, {"read_tables"}):
        read |= ({catalog.table_artifact(n) for n in _strings(call.args[0])} if call.args else set(ALL_TABLES))
    if step is not None and any(True for _ in _calls(tree, {"write_summary"})):
        written.add(catalog.summary_artifact(step))
    if any(True for _ in _calls(tree, {"summary_artifact"})):
        read |= set(SUMMARIES)
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Attribute) \
                and isinstance(node.iter.func.value, ast.Dict) and any(True for _ in _calls(node, WRITE_CALLS)):
            written |= set(_dict_keys(node.iter.func.value))
        if isinstance(node, ast.FunctionDef) and node.name == "artifacts":
            written |= {k for d in ast.walk(node) if isinstance(d, ast.Dict) for k in _dict_keys(d)}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id.endswith("_ARTIFACTS") for t in targets):
                read |= set(_dict_keys(node.value))
    return written, read


def _uses_by_reader() -> dict[str, tuple[set[str], set[str]]]:
    found = {}
    for reader, paths in SOURCES.items():
        written, read = set(), set()
        for path in _files(paths):
            w, r = uses(_code(path), reader if reader in catalog.STEPS else None)
            written |= w
            read |= r
        found[reader] = (written, read)
    return found


USES = _uses_by_reader()


def test_every_artifact_written_or_read_anywhere_is_declared():
    everywhere = set()
    for path in [*_files([LIB]), *sorted((ROOT / "notebooks").glob("*.ipynb"))]:
        written, read = uses(_code(path))
        everywhere |= written | read
    for written, read in USES.values():
        everywhere |= written | read
    assert sorted(everywhere - set(catalog.CATALOG)) == []


@pytest.mark.parametrize("name", sorted(catalog.CATALOG))
def test_each_artifact_is_written_by_its_producer_and_read_by_its_consumers(name):
    declared = catalog.CATALOG[name]
    assert name in USES[declared.producer][0], f"{declared.producer} does not write {name}"
    for consumer in declared.consumers:
        assert name in USES[consumer][1], f"{consumer} does not read {name}"


def test_each_step_writes_only_its_own_artifacts_and_reads_only_what_declares_it_a_consumer():
    for reader, (written, read) in USES.items():
        assert sorted(n for n in written if catalog.CATALOG[n].producer != reader) == []
        assert sorted(n for n in read if reader not in catalog.CATALOG[n].consumers) == []


def test_the_uses_finder_sees_loops_write_all_tables_and_summaries():
    source = ('for name, frame in {"quotas": q, "actions": a}.items():\n    step.write(frame, name)\n'
              'step.write_all({"onboarding": o})\nstep.read("hiring_plan")\nstep.read_tables(("reps",))\n'
              'step.write_summary(m, f)\nstep.read_optional("coaching")\n')
    written, read = uses(source, catalog.ALIGN)
    assert written == {"quotas", "actions", "onboarding", "summary_04_align"}
    assert read == {"hiring_plan", "table_reps", "coaching"}


def test_declarations_match_the_code_that_builds_those_frames():
    assert catalog.CATALOG["rejects"].column_names == REJECT_COLUMNS
    for step in catalog.STEPS:
        assert catalog.CATALOG[catalog.summary_artifact(step)].column_names == SUMMARY_COLUMNS
    assert catalog.CATALOG["plan_review_forecast"].column_names == list(plan_review.FORECAST_REVIEW_COLUMNS)
    assert catalog.CATALOG["plan_review_attainment"].column_names == list(plan_review.ATTAINMENT_COLUMNS)
    assert catalog.CATALOG["plan_review_attainment_team"].column_names == list(plan_review.TEAM_COLUMNS)
    assert catalog.CATALOG["plan_review_hires"].column_names == list(plan_review.HIRES_REVIEW_COLUMNS)
    assert catalog.CATALOG["pipeline_snapshots"].column_names == list(pipeline_history.SNAPSHOT_COLUMNS)
    assert catalog.CATALOG["table_opportunities"].column_names == schema.TABLES["opportunities"].column_names
    assert not catalog.CATALOG["table_opportunities"].optional and catalog.CATALOG["table_leads"].optional
    assert all(column.kind in catalog.KINDS for a in catalog.CATALOG.values() for column in a.columns)
    assert all(c in catalog.STEPS + (catalog.INDEX,) for a in catalog.CATALOG.values() for c in a.consumers)


def _target(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({"quarter": ["2027Q1"], "target": [1_000_000.0], "basis": ["params"]})
    return frame.assign(**changes)


def test_a_frame_matching_its_declaration_passes_whole_numbers_for_floats_and_empty_columns_for_any_kind():
    catalog.check_frame("planning_target", _target())
    catalog.check_frame("planning_target", _target(target=[1_000_000]))  # int64 where float is declared
    catalog.check_frame("planning_target", _target(basis=[None]))  # all missing: object dtype, no kind
    catalog.check_frame("icp_segments", pd.DataFrame(columns=catalog.CATALOG["icp_segments"].column_names + ["country"]))


@pytest.mark.parametrize("frame, expected", [
    (_target().drop(columns="target"), "artifact planning_target (written by 01_collect, declared in "
                                       "salesops.data.catalog) lacks column(s) target: expected "
                                       "['quarter', 'target', 'basis'], found ['quarter', 'basis']"),
    (_target(extra=[1]), "has undeclared column(s) extra: expected only ['quarter', 'target', 'basis']"),
    (_target(target=["1m"]), "column target should hold float values, found dtype object (text)"),
    (_target(quarter=[pd.Timestamp("2027-01-01")]), "column quarter should hold text values, found dtype "
                                                    "datetime64[ns] (datetime)"),
])
def test_a_frame_not_matching_its_declaration_is_stopped_naming_artifact_column_expected_and_found(frame, expected):
    with pytest.raises(DataError) as error:
        catalog.check_frame("planning_target", frame)
    assert expected in str(error.value)


def test_an_undeclared_name_is_an_error_that_says_where_to_declare_it():
    with pytest.raises(DataError, match="artifact 'planing_target' is not declared in salesops.data.catalog"):
        catalog.artifact("planing_target")


def test_step_writes_and_reads_through_the_catalog(tmp_path):
    step = Step(catalog.COLLECT, None, None, tmp_path, None)
    step.write(_target(), "planning_target")
    pd.testing.assert_frame_equal(step.read("planning_target"), _target())
    assert step.read_optional("coaching") is None
    with pytest.raises(DataError, match="lacks column"):
        step.write(_target().drop(columns="basis"), "planning_target")
    with pytest.raises(DataError, match="not declared"):
        step.write(_target(), "planning_targets")
    with pytest.raises(DataError, match="not declared"):
        step.read_optional("coachng")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["planning_target.parquet"]
