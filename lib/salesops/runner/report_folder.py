"""The report folder of a run: which folder a run may write, the lock that keeps two runs of one folder
apart, the private build folder each run fills, and the swap that publishes it.

The guarantees (``docs/safety.md``):

- A run only ever deletes or replaces folders the workbook made itself: a report folder (it holds the
  ``.salesops-report`` marker, or the ``manifest.json`` of a report made before the marker existed), its own
  build folders and the ``<name>.failed`` evidence of an earlier failed run. It refuses an output folder that is,
  contains or lies inside the data folder, that is or contains the project root, or that is a non-empty folder
  it did not make — before anything is written.
- One run at a time per output folder: a second run stops at once with a message naming the first one's pid.
- Each run builds in a folder of its own beside the final one and swaps it in only when every step succeeded;
  a run killed half-way leaves the last good report as it was, and the next run removes its build folder.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from salesops.errors import StepError

#: The file every folder the workbook builds carries: proof that the workbook may replace it.
MARKER = ".salesops-report"
MARKER_TEXT = "A report folder made by the sales-ops planning workbook: `salesops run` may replace it.\n"


class OutputFolderError(StepError):
    """The output folder cannot be used: the run would destroy something, or it cannot be written."""


class RunInProgressError(StepError):
    """Another run of the same report folder holds its lock."""


def made_by_workbook(folder: Path) -> bool:
    """Whether ``folder`` is one the workbook made: it holds the marker, or a report's ``manifest.json``."""
    folder = Path(folder)
    return folder.is_dir() and ((folder / MARKER).is_file() or (folder / "manifest.json").is_file())


def _within(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def check_output_folder(final: Path, data_folder: Path | None, project_root: Path) -> Path:
    """Refuse an output folder a run must not replace; return it resolved.

    ``final`` is refused when it is, contains or lies inside ``data_folder`` (the inputs); when it is or contains
    the project root; when it exists and is a file; and when it is a non-empty folder the workbook did not make.
    Nothing is created or touched.
    """
    final = Path(final).resolve()
    root = Path(project_root).resolve()
    how = "Choose a folder of its own for the report, e.g. reports/<QUARTER> (the default)."
    if data_folder is not None:
        data = Path(data_folder).resolve()
        if _within(final, data) or _within(data, final):
            relation = "is" if final == data else ("lies inside" if _within(final, data) else "contains")
            raise OutputFolderError(
                f"the report folder {final} {relation} the data folder {data}: a run replaces its report folder "
                f"as a whole, so it must stay apart from the input files. {how}")
    if _within(root, final):
        relation = "is" if final == root else "contains"
        raise OutputFolderError(
            f"the report folder {final} {relation} the project folder {root}: a run replaces its report folder as "
            f"a whole. {how}")
    if final.exists() and not final.is_dir():
        raise OutputFolderError(f"the report folder {final} is a file, not a folder. {how}")
    if final.is_dir() and any(final.iterdir()) and not made_by_workbook(final):
        raise OutputFolderError(
            f"the report folder {final} already holds files the workbook did not make (it has no {MARKER} or "
            f"manifest.json): a run replaces its report folder as a whole, so it will not use this one. "
            f"Empty it or move it away, or {how[0].lower() + how[1:]}")
    return final


def _lock_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.lock")


@contextmanager
def exclusive_run(final: Path, quarter: str) -> Iterator[None]:
    """Hold the lock of report folder ``final`` for the duration, or stop at once when another run holds it.

    The lock is an advisory ``flock`` on ``.<name>.lock`` beside the folder: the operating system releases it
    when the holding process ends, however it ends, so a killed run never leaves a stale lock.
    """
    path = _lock_path(final)
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunInProgressError(
                f"another run of {quarter} into {final} is in progress (pid {holder}): wait for it to finish, "
                f"or give this run another --out folder.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock


def new_build_folder(final: Path) -> Path:
    """A fresh, private build folder beside ``final`` (``.build-<name>-<random>``), marked as the workbook's.

    Build folders of earlier runs that never finished (killed, or crashed) are removed first; the caller
    holds the lock, so none of them belongs to a live run. A finished build that could not be swapped in (it
    holds ``manifest.json``) is kept: it is the only copy of that report.
    """
    for stale in final.parent.glob(f".build-{final.name}-*"):
        if stale.is_dir() and (stale / MARKER).is_file() and not (stale / "manifest.json").exists():
            shutil.rmtree(stale, ignore_errors=True)
    build = Path(tempfile.mkdtemp(prefix=f".build-{final.name}-", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    build.chmod(0o777 & ~umask)  # mkdtemp makes it private to its owner; a report is read by others too
    (build / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return build


def prepare_parent(final: Path) -> None:
    """Create the folder that will hold the report folder; a clear error when it cannot be written."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=final.parent, prefix=".salesops-probe-")
        probe.close()
    except OSError as error:
        raise OutputFolderError(
            f"cannot write the report folder {final}: {error.strerror or error} ({error.filename or final.parent}). "
            f"Fix: give --out a folder you can write to.") from None


def keep_failed(build: Path, final: Path) -> Path:
    """Keep a failed build as the evidence ``<name>.failed`` beside ``final`` (replacing an older one the
    workbook made; a folder of that name it did not make is left alone and the build keeps its own name)."""
    failed = final.with_name(f"{final.name}.failed")
    if failed.exists():
        if not made_by_workbook(failed):
            return build
        shutil.rmtree(failed)
    build.rename(failed)
    return failed


def clear_failed(final: Path) -> None:
    """Remove the evidence of an earlier failed run, once a run has succeeded (only if the workbook made it)."""
    failed = final.with_name(f"{final.name}.failed")
    if made_by_workbook(failed):
        shutil.rmtree(failed, ignore_errors=True)


def publish(build: Path, final: Path) -> None:
    """Swap the finished ``build`` in as ``final``; the previous report is removed only once the new one is in
    place. When the swap fails, the previous report is put back and the finished build stays where it is, named
    in the error, so nothing is lost."""
    previous = None
    try:
        if final.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
            final.rename(previous)  # onto the empty folder just made: atomic, and the name is ours
        build.rename(final)
    except OSError as error:
        kept = ""
        if previous is not None and final.exists():  # the old report never moved: drop the empty name
            shutil.rmtree(previous, ignore_errors=True)
            kept = f" and the previous one is unchanged in {final}"
        elif previous is not None:
            try:
                previous.rename(final)
                kept = f" and the previous one is unchanged in {final}"
            except OSError:
                kept = f" and the previous one is in {previous}"
        raise OutputFolderError(
            f"the finished report could not replace {final}: {error.strerror or error}. Nothing is lost: the new "
            f"report is complete in {build}{kept}. Fix: make the folder writable (or free the name), then move "
            f"the new report there or run again.") from None
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
