"""Which steps a run executes and which it takes from the quarter's previous report, and the taking.

A step is reused when the previous report (the quarter's finished report folder, which the run replaces) records
the same fingerprint for it (``fingerprint``: code, params it reads, input files, upstream artifacts, earlier
quarters' reports) and every file it wrote there is still the one recorded (a notebook run by hand in JupyterLab
writes into the same folder). Its artifacts, executed notebook, pages and other files (``plan.xlsx``) are copied
into the new report; nothing is re-rendered.

What the command line asks (``Selection``):

* nothing: every step whose fingerprint is unchanged is reused, the others run (like make);
* ``--from STEP``: that step and the later ones run; earlier steps are reused when unchanged, else run;
* ``--only STEP``: that step runs alone; earlier steps must be reusable (else ``RerunError``, before anything
  runs), later steps are kept when they are still up to date and otherwise left out of the report;
* ``--force``: every step runs.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from salesops.data import artifacts
from salesops.errors import StepError
from salesops.runner.fingerprint import Fingerprint, changed_params

MANIFEST = "manifest.json"
#: How each part of a fingerprint is named when it changed.
PART_WORDS = {"code": "the code (library, notebook or package versions) changed",
              "inputs": "the input files changed",
              "upstream": "the artifacts of an earlier step changed",
              "earlier_reports": "the reports of earlier quarters it reads changed"}


class RerunError(StepError):
    """``--only`` cannot run its step alone: an earlier step's artifacts are missing or out of date."""


class StepChoiceError(StepError):
    """``--from`` or ``--only`` names no step, or they are combined: the command line is wrong."""


@dataclass(frozen=True)
class Selection:
    """What the command line asks of the run: ``mode`` is ``auto`` (reuse what is unchanged), ``from``, ``only``
    or ``force``, and ``step`` the step named by ``--from`` or ``--only``."""

    mode: str = "auto"
    step: str | None = None

    def forces(self, step: str, steps: list[str]) -> bool:
        """Whether ``step`` runs whatever the previous report holds."""
        if self.mode == "force":
            return True
        if self.mode == "from":
            return steps.index(step) >= steps.index(self.step)
        return self.mode == "only" and step == self.step

    def describe(self) -> str:
        """The command-line option this is (``--from 04_align``), or "" for none."""
        return {"auto": "", "force": "--force"}.get(self.mode, f"--{self.mode} {self.step}")


def selection(steps: list[str], from_step: str | None = None, only: str | None = None,
              force: bool = False) -> Selection:
    """The ``Selection`` of the command line's ``--from``, ``--only`` and ``--force`` (at most one of them), each
    step name checked against ``steps`` (``align``, ``4``, ``04`` and ``04_align`` all name step 4)."""
    given = [flag for flag, value in (("--from", from_step), ("--only", only), ("--force", force)) if value]
    if len(given) > 1:
        raise StepChoiceError(f"{' and '.join(given)} cannot be combined: give one of them")
    if force:
        return Selection("force")
    if from_step:
        return Selection("from", step_name(from_step, steps))
    if only:
        return Selection("only", step_name(only, steps))
    return Selection()


def step_name(text: str, steps: list[str]) -> str:
    """The step of ``steps`` that ``text`` names: its full name (``04_align``), its name without the number
    (``align``) or its number (``4``, ``04``)."""
    wanted = str(text).strip().lower()
    for step in steps:
        number, _, name = step.partition("_")
        if wanted in (step, name) or (wanted.isdigit() and int(wanted) == int(number)):
            return step
    names = ", ".join(f"{s} ({s.partition('_')[2]})" for s in steps)
    raise StepChoiceError(f"no step named {text!r}: the steps are {names}")


@dataclass(frozen=True)
class Previous:
    """The quarter's previous report: its folder and its manifest."""

    folder: Path
    manifest: dict[str, Any]

    def record(self, step: str) -> dict[str, Any] | None:
        return next((s for s in self.manifest.get("steps", []) if s.get("step") == step), None)


def previous_report(folder: Path) -> Previous | None:
    """The finished report in ``folder`` (the one the run will replace), or None when there is none or its
    manifest cannot be read."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Previous(Path(folder), manifest) if isinstance(manifest, dict) else None


def why_stale(fingerprint: Fingerprint, previous: Previous | None, params: Mapping[str, Any]) -> str | None:
    """Why the step of ``fingerprint`` cannot be taken from ``previous`` (a sentence), or None when it can: the
    previous report records the same fingerprint for it and holds every file it wrote, unchanged. ``params`` is
    this run's params as ``fingerprint.dump`` gives them, to name the keys that changed."""
    step = fingerprint.step
    if previous is None:
        return "no previous report of this quarter"
    record = previous.record(step)
    if record is None or "depends_on" not in record:
        return f"the previous report has no record of {step}'s dependencies"
    before = record["depends_on"].get("parts", {})
    if record["depends_on"].get("hash") != fingerprint.digest:
        reasons = []
        for part, value in fingerprint.parts.items():
            if before.get(part) == value:
                continue
            if part == "params":
                keys = changed_params(step, previous.manifest.get("params", {}), params)
                reasons.append(f"params {', '.join(keys)} changed" if keys else "the params it reads changed")
            else:
                reasons.append(PART_WORDS[part])
        return "; ".join(reasons) or "its dependencies changed"
    files = record.get("files")
    if not isinstance(files, dict) or not all(isinstance(p, str) and is_inside(p) for p in files):
        return f"the previous report's manifest does not list {step}'s files as files inside the report"
    for relative, sha in files.items():
        path = previous.folder / relative
        if not path.is_file():
            return f"{relative} is missing from the previous report"
        if artifacts.file_sha256(path) != sha:
            return f"{relative} changed since the previous run wrote it (a notebook run by hand?)"
    return None


def first_to_run(drafts: list[Fingerprint], previous: Previous | None) -> str | None:
    """The first step sure to run, known before any step is taken: the first of ``drafts`` (fingerprints in run
    order, their upstream part not yet known) whose other parts differ from those the previous report records (or
    that it has no record of); None when every step may still be reused."""
    for draft in drafts:
        record = previous.record(draft.step) if previous is not None else None
        before = (record or {}).get("depends_on", {}).get("parts", {})
        if record is None or any(before.get(part) != value for part, value in draft.parts.items()
                                 if part != "upstream"):
            return draft.step
    return None


def take(previous: Previous, step: str, build: Path) -> dict[str, str]:
    """Copy every file ``step`` wrote in the previous report into ``build`` (once :func:`why_stale` found them intact
    and inside the report); return the artifacts among them (name -> SHA-256), as the later steps' fingerprints
    count them."""
    record = previous.record(step) or {}
    taken = {}
    for relative, sha in record.get("files", {}).items():
        target = Path(build) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(previous.folder / relative, target)
        name = artifact_name(relative)
        if name is not None:
            taken[name] = sha
    return taken


def is_inside(relative: str) -> bool:
    """Whether ``relative`` names a file inside a report folder: a relative path without ``..``."""
    path = Path(relative)
    return bool(relative) and not path.is_absolute() and ".." not in path.parts


def artifact_name(relative: str) -> str | None:
    """The artifact a report file is (``data/quotas.parquet`` -> ``quotas``), or None for another file."""
    path = Path(relative)
    if len(path.parts) == 2 and path.parts[0] == artifacts.ARTIFACT_FOLDER and path.suffix == ".parquet":
        return path.stem
    return None


def written_since(build: Path, before: Mapping[str, tuple[int, int]], ignore: set[str]) -> list[str]:
    """The files of ``build`` (relative paths) that are new or changed since ``before`` (:func:`snapshot`), but
    those of ``ignore`` and the pages other steps render meanwhile."""
    now = snapshot(build)
    return sorted(p for p, stat in now.items() if before.get(p) != stat and p not in ignore and not is_page(p))


def snapshot(build: Path) -> dict[str, tuple[int, int]]:
    """Each file of ``build`` (relative path) with its size and modification time (a file removed while the folder
    is read, a kernel's temporary file, is left out)."""
    build = Path(build)
    found = {}
    for path in build.rglob("*"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if path.is_file():
            found[path.relative_to(build).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


def is_page(relative: str) -> bool:
    """Whether ``relative`` is a step's page or executed notebook (each recorded with its step, by name)."""
    parts = Path(relative).parts
    return (len(parts) == 1 and relative.endswith(".html")) or parts[0] in ("analyst", "notebooks")


def only_needs(step: str, stale: str, reason: str, quarter: str) -> RerunError:
    """The error of ``--only step`` when the earlier step ``stale`` cannot be reused."""
    return RerunError(
        f"--only {step} runs {step} alone on the artifacts of the earlier steps from the previous report, but "
        f"{stale} is out of date there: {reason}. Run `salesops run {quarter} --from {stale}` (or without --only) to "
        f"bring it up to date.")

