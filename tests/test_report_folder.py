"""Which folders a run may replace, the lock between runs of one folder, build folders and the final swap:
on small folders, without running any notebook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from salesops.errors import StepError
from salesops.runner import report_folder
from salesops.runner.report_folder import MARKER, OutputFolderError, check_output_folder
from salesops.runner.run import run_quarter

from builders import ROOT, tiny_export, write_export


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def report(folder: Path, marker: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("old report", encoding="utf-8")
    if marker:
        (folder / MARKER).write_text("made by the workbook", encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    data = write_export(tmp_path / "exports", tiny_export())
    return root, data


@pytest.mark.parametrize("out, relation", [
    (lambda root, data: data, "is the data folder"),
    (lambda root, data: data / "report", "lies inside the data folder"),
    (lambda root, data: data.parent, "contains the data folder"),
    (lambda root, data: root, "is the project folder"),
    (lambda root, data: root.parent.parent, "contains"),
])
def test_a_report_folder_that_would_destroy_inputs_or_the_project_is_refused(project, out, relation):
    root, data = project
    with pytest.raises(OutputFolderError, match=relation):
        check_output_folder(out(root, data), data, root)


def test_a_non_empty_folder_the_workbook_did_not_make_is_refused(project, tmp_path):
    root, data = project
    mine = tmp_path / "my documents"
    mine.mkdir()
    (mine / "budget.xlsx").write_text("precious", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="holds files the workbook did not make"):
        check_output_folder(mine, data, root)
    (tmp_path / "a file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="is a file, not a folder"):
        check_output_folder(tmp_path / "a file", data, root)


def test_new_empty_and_workbook_made_folders_are_accepted(project, tmp_path):
    root, data = project
    (tmp_path / "empty").mkdir()
    old = report(tmp_path / "old")
    legacy = tmp_path / "legacy"  # a report made before the marker existed: it holds a manifest
    legacy.mkdir()
    (legacy / "manifest.json").write_text("{}", encoding="utf-8")
    for folder in (tmp_path / "new", tmp_path / "empty", old, legacy, root / "reports" / "2027Q1"):
        assert check_output_folder(folder, data, root) == folder.resolve()


def test_run_refuses_out_equal_to_data_and_touches_nothing(project):
    root, data = project
    before = tree(data.parent)
    with pytest.raises(OutputFolderError, match="is the data folder"):
        run_quarter("2027Q1", data_dir=data, out_dir=data, root=ROOT, log=lambda _: None)
    with pytest.raises(OutputFolderError, match="contains the project folder"):
        run_quarter("2027Q1", data_dir=data, out_dir=ROOT.parent, root=ROOT, log=lambda _: None)
    assert tree(data.parent) == before


def test_cli_refuses_out_dot_with_a_message_and_no_traceback(project, tmp_path):
    root, data = project
    result = subprocess.run([sys.executable, "-m", "salesops", "run", "2027Q1", "--data", str(data), "--out", "."],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "is the project folder" in result.stderr and "Traceback" not in result.stderr
    assert (ROOT / "pyproject.toml").exists()


def test_an_unwritable_report_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not a folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="cannot write the report folder .*give --out a folder you can"):
        report_folder.prepare_parent(blocker / "reports" / "2027Q1")


def test_a_second_run_of_the_same_folder_stops_at_once_naming_the_first(tmp_path):
    final = tmp_path / "reports" / "2027Q1"
    final.parent.mkdir()
    with report_folder.exclusive_run(final, "2027Q1"):
        with pytest.raises(StepError, match=rf"another run of 2027Q1 into .*2027Q1 is in progress \(pid {os.getpid()}\)"):
            with report_folder.exclusive_run(final, "2027Q1"):
                pass
    with report_folder.exclusive_run(final, "2027Q1"):  # released: the next run goes ahead
        pass


def test_the_lock_of_a_killed_run_is_released(tmp_path):
    final = tmp_path / "2027Q1"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from salesops.runner import report_folder\n"
        f"with report_folder.exclusive_run(Path({str(final)!r}), '2027Q1'):\n"
        "    print('locked', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StepError, match=f"pid {holder.pid}"):
            with report_folder.exclusive_run(final, "2027Q1"):
                pass
    finally:
        holder.kill()
        holder.wait()
    with report_folder.exclusive_run(final, "2027Q1"):
        pass


def test_each_build_is_private_marked_and_stale_unfinished_builds_are_removed(tmp_path):
    final = tmp_path / "2027Q1"
    stale = report_folder.new_build_folder(final)
    finished = report_folder.new_build_folder(final)
    (finished / "manifest.json").write_text("{}", encoding="utf-8")  # complete but never swapped in: kept
    foreign = tmp_path / f".build-{final.name}-mine"
    foreign.mkdir()  # not marked: not the workbook's to remove
    build = report_folder.new_build_folder(final)
    assert (build / MARKER).is_file() and build.parent == tmp_path and build.name.startswith(".build-2027Q1-")
    assert not stale.exists() and finished.exists() and foreign.exists()


def test_publish_replaces_the_old_report_only_when_the_new_one_is_in_place(tmp_path):
    final = report(tmp_path / "2027Q1")
    build = report_folder.new_build_folder(final)
    (build / "index.html").write_text("new report", encoding="utf-8")
    report_folder.publish(build, final)
    assert (final / "index.html").read_text() == "new report" and not build.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2027Q1"]  # no .old- folder left


def test_a_failed_swap_loses_neither_report(tmp_path, monkeypatch):
    final = report(tmp_path / "2027Q1")
    build = report_folder.new_build_folder(final)
    (build / "index.html").write_text("new report", encoding="utf-8")
    real_rename = Path.rename

    def refuse_build(self, target):
        if self == build:
            raise PermissionError(13, "Permission denied")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse_build)
    with pytest.raises(OutputFolderError) as error:
        report_folder.publish(build, final)
    assert "Nothing is lost" in str(error.value) and str(build) in str(error.value)
    assert (final / "index.html").read_text() == "old report"  # the previous report is back in place
    assert (build / "index.html").read_text() == "new report"  # and the finished one is kept
    assert not list(tmp_path.glob(".old-*"))


def test_failed_evidence_never_replaces_a_folder_the_workbook_did_not_make(tmp_path):
    final = tmp_path / "plan"
    theirs = tmp_path / "plan.failed"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine", encoding="utf-8")
    build = report_folder.new_build_folder(final)
    assert report_folder.keep_failed(build, final) == build
    report_folder.clear_failed(final)
    assert (theirs / "notes.txt").read_text() == "mine"
