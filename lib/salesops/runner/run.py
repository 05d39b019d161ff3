"""Run a quarter: every step notebook in order with papermill, render the pages, write the manifest
and the index page.

A run builds in a private folder beside the final one and swaps it in only when every step has
succeeded, so the last good report of the quarter stays in place until a new run succeeds; which folders
a run may replace, and the lock that keeps two runs of one folder apart, are in ``report_folder``. A
failed run keeps its evidence in ``reports/<QUARTER>.failed/``: the executed notebook with the error and
its rendered pages. Every file of a report is byte-identical between two runs of the same inputs, params
and code, except ``timings.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

import pandas as pd

from salesops import fiscal_calendar
from salesops.data import artifacts, catalog
from salesops.errors import DataError, StepError
from salesops.formats import money
from salesops.paths import ProjectPaths, project_paths
from salesops.report import board_pack, pages
from salesops.runner import fingerprint, report_folder, reuse
from salesops.runner.ahead import ahead_code
from salesops.runner.timeline import Timeline, cell_seconds, step_phase
from salesops.runner.requirements import ensure_data_can_run
from salesops.plan_params import load_params
from salesops.settings.loader import dump, params_files

KERNEL_NAME = "salesops"
#: The step whose summary is the quarter's executive summary on the index page.
SUMMARY_STEP = "04_align"

@dataclass
class StepResult:
    step: str
    seconds: float
    page: str
    analyst_page: str
    reused: bool = False  # taken from the previous report, not run


def ensure_kernel() -> None:
    """Make sure the kernel papermill uses, ``salesops``, runs this Python (installed into this
    environment when missing)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        spec = None
    if spec is not None:
        if Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return
        if not Path(spec.resource_dir).resolve().is_relative_to(Path(sys.prefix).resolve()):
            raise StepError(
                f"a kernel named {KERNEL_NAME!r} in {spec.resource_dir} runs {spec.argv[0]}, not this "
                f"environment's Python: remove it (jupyter kernelspec remove {KERNEL_NAME}) and run again."
            )
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name="Python (salesops)", prefix=sys.prefix)


def run_quarter(quarter: str, params_path: str | Path | None = None, data_dir: str | Path | None = None,
                out_dir: str | Path | None = None, root: Path | None = None,
                log: Callable[[str], None] = print, from_step: str | None = None, only: str | None = None,
                force: bool = False) -> Path:
    """Run the steps of ``quarter`` and return the path of its ``index.html``.

    A step whose dependencies (``fingerprint``) are those the quarter's previous report records for it is taken from
    that report, not run again; ``from_step`` runs that step and the later ones whatever they depend on, ``only``
    runs one step alone on the earlier steps' artifacts, ``force`` runs every step (``reuse``). The log names each
    step reused, and why each step that runs does.

    Raises ParamsError before anything runs when the params are invalid; OutputFolderError (a StepError) before
    anything is written when the report folder must not or cannot be used (``report_folder``); RunInProgressError
    (a StepError) when another run of the same folder is in progress; RerunError (a StepError) before any step runs
    when ``only`` names a step whose earlier steps are missing or out of date in the previous report; DataError
    before the first step when the data cannot make a plan (``requirements``, as ``salesops check`` says); StepError
    naming the step and the page that shows the error when a step fails.
    """
    paths = project_paths(root)
    params = load_params(quarter, params_path, paths.root)  # fail fast, before any kernel starts
    notebooks = paths.step_notebooks()
    if not notebooks:
        raise StepError(f"no step notebooks (NN_name.ipynb) in {paths.notebooks}")
    chosen = reuse.selection([n.stem for n in notebooks], from_step, only, force)
    from salesops.data.inputs import input_folder

    final = report_folder.check_output_folder(Path(out_dir) if out_dir else paths.report_dir(quarter),
                                              input_folder(params, paths.root, data_dir), paths.root)
    report_folder.prepare_parent(final)
    with report_folder.exclusive_run(final, quarter):
        return _run_locked(quarter, params, params_path, data_dir, final, notebooks, paths, log, chosen)


def _run_locked(quarter, params, params_path, data_dir, final: Path, notebooks: list[Path], paths: ProjectPaths,
                log: Callable[[str], None], chosen: reuse.Selection) -> Path:
    set_up = time.perf_counter()
    build = report_folder.new_build_folder(final)
    (build / "notebooks").mkdir()
    os.environ["SALESOPS_ROOT"] = str(paths.root)
    parameters = {
        "quarter": quarter,
        "params_path": str(Path(params_path).resolve()) if params_path else "",
        "data_dir": str(Path(data_dir).resolve()) if data_dir else "",
        # relative to the build folder, the notebooks' working folder: no temporary path in them
        "out_dir": artifacts.ARTIFACT_FOLDER,
    }
    previous = reuse.previous_report(final) if chosen.mode != "force" else None
    steps = [n.stem for n in notebooks]
    dumped = dump(params)
    library, package_versions = fingerprint.library_hash(), fingerprint.versions()
    inputs = _inputs_part(params, paths, data_dir)
    results: list[StepResult] = []
    records: dict[str, dict] = {}
    produced: dict[str, str] = {}  # artifact name -> SHA-256, of every step taken or run so far
    started = time.perf_counter()
    timeline = Timeline()
    kernels = _NextKernel(build, timeline, parameters)
    renders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")  # pages render while the next step runs
    printer = board_pack.BoardPackPrinter()  # and are printed for the board pack there too
    rendered = []
    drafts = {n.stem: _draft(n, params, dumped, inputs, library, package_versions, build) for n in notebooks}
    try:
        # the first step sure to run: its kernel starts and imports while the earlier steps are taken
        first = chosen.step or (steps[0] if chosen.mode == "force" else
                                reuse.first_to_run(list(drafts.values()), previous))
        if first is not None:
            ensure_kernel()  # the kernel papermill uses must run this Python
            kernels.warm(notebooks[steps.index(first)])
        timeline.add("set-up", time.perf_counter() - set_up)  # hashing what each step depends on
        for number, notebook in enumerate(notebooks, start=1):
            step = notebook.stem
            began = time.perf_counter()
            depends = drafts[step].with_upstream(produced)
            forced = chosen.forces(step, steps)
            stale = "" if forced else reuse.why_stale(depends, previous, dumped)
            if not forced and stale is None:
                produced.update(reuse.take(previous, step, build))
                records[step] = {**previous.record(step), "depends_on": depends.record()}
                results.append(StepResult(step, 0.0, *page_names(step), reused=True))
                rendered.append(renders.submit(_print, printer, build / page_names(step)[0], timeline))  # the copy
                log(f"[{number}/{len(notebooks)}] {pages.step_title(step)}: reused from the previous report "
                    "(unchanged)")
                continue
            if chosen.mode == "only" and step != chosen.step:
                if steps.index(step) < steps.index(chosen.step):
                    raise reuse.only_needs(chosen.step, step, stale, quarter)
                log(f"[{number}/{len(notebooks)}] {pages.step_title(step)}: left out of the report, out of date "
                    f"after --only {chosen.step} ({stale}); run --from {step} to bring it back")
                continue
            why = f"asked for by {chosen.describe()}" if forced else stale
            if first is None and not any(not r.reused for r in results):
                ensure_kernel()  # the first step to run, not known before: as above
            if step in fingerprint.READS_INPUTS:
                kernels.warm(notebook)  # the kernel starts while the data is checked
                with timeline.measure("check"):
                    ensure_data_can_run(params, paths.root, data_dir)  # what a plan needs, as salesops check says
            if not any(not r.reused for r in results):  # while the first kernel to be used starts
                with timeline.measure("imports for the pages"):
                    _import_for_pages()
            with timeline.measure(step_phase(step, "waiting for kernel")):
                kernel = kernels.take(notebook)
            if number < len(notebooks) and chosen.mode != "only":
                # the next step's kernel starts and imports while this one runs, and does its work ahead when this
                # step reads the input files that work starts from (``ahead``)
                kernels.warm(notebooks[number], ahead=step in fingerprint.READS_INPUTS)
            before = reuse.snapshot(build)
            with timeline.measure(step_phase(step, "notebook")):
                error = execute_notebook(notebook, build / "notebooks" / notebook.name, parameters, build, kernel, timeline)
            seconds = time.perf_counter() - began
            if error is None:
                rendered.append(renders.submit(_render, build, step, False, params, steps, printer, timeline))
                page, analyst = page_names(step)
            else:
                kernels.discard()
                for job in rendered:
                    job.result()
                page, analyst = _render(build, step, True, params, steps)
                evidence = report_folder.keep_failed(build, final)
                raise StepError(
                    f"step {step} failed after {seconds:.1f} s:\n{error}\n"
                    f"The page showing the error: {evidence / analyst}\n"
                    f"The last good report of {quarter}, if any, is unchanged in {final}."
                )
            records[step] = _ran_record(build, notebook, depends, before, produced)
            results.append(StepResult(step, seconds, page, analyst))
            log(f"[{number}/{len(notebooks)}] {pages.step_title(step)}: done in {seconds:.1f} s ({why})")
        # the index, written and printed while the last step's pages render and print
        with timeline.measure("index"):
            context = _index_context(build, params, results, paths)
            pages.write_index(build / pages.INDEX_PAGE, {**context, "board_pack": board_pack.BOARD_PACK})
        with timeline.measure("index print"):
            printer.add(build / pages.INDEX_PAGE)
        with timeline.measure("waiting for pages"):
            for job in rendered:
                job.result()  # a page that failed to render fails the run here
    except (DataError, reuse.RerunError):
        kernels.discard()
        renders.shutdown(wait=True)
        printer.close()
        if not any(not r.reused for r in results):
            shutil.rmtree(build, ignore_errors=True)  # stopped before any step ran: nothing to keep
        raise
    except BaseException:
        printer.close()
        raise
    finally:
        kernels.discard()
        renders.shutdown(wait=True)
    if printer.problem:
        printer.close()
    (build / KERNEL_LOG).unlink(missing_ok=True)  # the kernels' own log lines: kept only as a failure's evidence
    for record in records.values():
        if isinstance(record["files"], list):  # a step that ran: its files' hashes, now that its pages are written
            record["files"] = {relative: artifacts.file_sha256(build / relative) for relative in sorted(record["files"])}
    with timeline.measure("manifest"):
        _write_manifest(build, params, params_path, data_dir, list(records.values()), paths, package_versions, inputs)
    with timeline.measure("board pack"):
        pack = _board_pack(build, printer, results, f"{params.company} · sales operations plan {params.quarter}", log)
    if pack.path is None:
        pages.write_index(build / pages.INDEX_PAGE, {**context, "board_pack_reason": pack.reason})
    total = time.perf_counter() - started
    _write_timings(build, results, total, timeline)
    report_folder.publish(build, final)
    report_folder.clear_failed(final)
    ran = [r.step for r in results if not r.reused]
    log(f"Quarter {quarter} done in {total:.1f} s: {len(ran)} step(s) run"
        + (f", reused {', '.join(r.step for r in results if r.reused)}" if len(ran) < len(results) else "") + ".")
    return final / "index.html"


KERNEL_LOG = "kernel.log"


def _import_for_pages() -> None:
    """Import what rendering the pages and the index needs (nbconvert, the index's chart: two to three seconds of
    the command's start otherwise), while the first kernel starts. In this thread: importing a package in two
    threads at once can fail, and the page renderer's thread and the kernels' warm-up threads import too."""
    pages.import_renderer()
    from salesops.align import overview  # noqa: F401 - the index's chart


def _draft(notebook: Path, params, dumped: dict, inputs: dict, library: str, package_versions: dict[str, str],
           build: Path) -> fingerprint.Fingerprint:
    """The fingerprint of ``notebook``'s step as far as it is known before any step runs (its upstream part is
    added once the earlier steps ran or were taken)."""
    return fingerprint.fingerprint(
        notebook.stem, fingerprint.code_part(library, notebook, package_versions), dumped, inputs, {},
        fingerprint.earlier_reports(notebook.stem, artifacts.artifact_folder(build), params.quarter,
                                    params.fiscal_year_start_month))


def _ran_record(build: Path, notebook: Path, depends: fingerprint.Fingerprint, before: dict,
                produced: dict[str, str]) -> dict:
    """The manifest's record of a step that just ran: its pages, what it depends on and the files it wrote (their
    hashes are taken once its pages are rendered); the artifacts among them are added to ``produced``."""
    page, analyst = page_names(notebook.stem)
    written = reuse.written_since(build, before, {report_folder.MARKER, KERNEL_LOG})
    produced.update({name: artifacts.file_sha256(build / relative) for relative in written
                     if (name := reuse.artifact_name(relative)) is not None})
    return {"step": notebook.stem, "page": page, "analyst_page": analyst, "depends_on": depends.record(),
            "files": [*written, f"notebooks/{notebook.name}", page, analyst]}


def _inputs_part(params, paths: ProjectPaths, data_dir) -> dict:
    """What step 1 reads (``fingerprint.inputs_part``)."""
    return fingerprint.inputs_part(params, paths.root, data_dir)


def _kernel_manager_class(log_path: Path):
    """A kernel manager whose kernel writes its own log lines to ``log_path``, not to the terminal, and whose
    clients are asynchronous: papermill's client waits for a cell's output on the event loop that also checks the
    kernel is alive, and a blocking client's wait would stop that loop (a kernel killed mid-step, e.g. for memory,
    left the run waiting for ever)."""
    from jupyter_client.manager import KernelManager
    from traitlets import DottedObjectName

    class LoggingKernelManager(KernelManager):
        client_class = DottedObjectName("jupyter_client.asynchronous.AsyncKernelClient")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            with open(log_path, "ab") as log_file:
                kw.setdefault("stderr", log_file)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggingKernelManager


def notebook_imports(notebook: Path) -> str:
    """The import statements of a step notebook's code cells (top level only), as one block of code."""
    import ast

    lines = []
    for cell in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]:  # nbformat 4, not imported
        if cell["cell_type"] != "code" or "parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(lines)


class _NextKernel:
    """The kernel of the next step, started and warmed up while the current step runs.

    Each step still runs in a kernel of its own (steps share no state): the next one is only launched early and
    made to import the libraries its notebook imports (silently: no output, no execution count), which takes a
    few seconds of a kernel's start that would otherwise wait for the current step to finish; with ``ahead`` it
    first does the step's work that can be done before the current step ends (``runner.ahead``). ``take`` waits
    for both.
    """

    def __init__(self, build: Path, timeline: Timeline | None = None, parameters: dict | None = None):
        self.build = build
        self.timeline = timeline or Timeline()
        self.parameters = parameters or {}  # the notebooks' parameters, for the work done ahead
        self.pending = None  # (notebook, kernel manager, warm-up thread, event that stops the thread's waiting)

    def warm(self, notebook: Path, ahead: bool = False) -> None:
        """Start the kernel of ``notebook`` (nothing when it is started already; one started for another notebook
        is shut down); with ``ahead``, it also does the step's work that can be done ahead (``runner.ahead``)."""
        import threading

        from jupyter_client.blocking import BlockingKernelClient  # the warm-up waits in its own thread

        if self.pending is not None and self.pending[0] == notebook:
            return
        self.discard()
        manager = _kernel_manager_class(self.build / KERNEL_LOG)(kernel_name=KERNEL_NAME)
        work = [("kernel imports", notebook_imports(notebook))]
        if ahead and self.parameters:  # first: the notebook's imports (charts, tables) are not needed for it
            work.insert(0, ("work ahead", ahead_code(notebook.stem, self.parameters)))

        stop = threading.Event()

        def start() -> None:
            try:
                with self.timeline.measure(step_phase(notebook, "kernel start")):
                    manager.start_kernel(cwd=str(self.build))
                    client = BlockingKernelClient(parent=manager, connection_file=manager.connection_file,
                                                  **manager.get_connection_info(session=True))
                    client.start_channels()
                try:
                    with self.timeline.measure(step_phase(notebook, "kernel start")):
                        client.wait_for_ready(timeout=60)
                    for phase, code in work:
                        if code:
                            with self.timeline.measure(step_phase(notebook, phase)):
                                _run_silently(client, manager, code, stop)
                finally:
                    client.stop_channels()
            except Exception:  # noqa: BLE001 - a kernel that cannot warm up is started again by papermill
                pass

        thread = threading.Thread(target=start, name=f"warm {notebook.stem}", daemon=True)
        thread.start()
        self.pending = (notebook, manager, thread, stop)

    def take(self, notebook: Path):
        """The kernel warmed for ``notebook``, for papermill, or None (papermill then starts a kernel itself); a
        kernel warmed for another notebook (the step it was for was reused) is shut down."""
        if self.pending is None or self.pending[0] != notebook:
            self.discard()
            return None
        _, manager, thread, _ = self.pending
        self.pending = None
        thread.join()  # the kernel has imported and done its work ahead
        return manager if manager.has_kernel and manager.is_alive() else None

    def discard(self) -> None:
        if self.pending is not None:
            _, manager, thread, stop = self.pending
            self.pending = None
            stop.set()  # no waiting for its imports or work ahead: the kernel is shut down
            thread.join()
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)


def _run_silently(client, manager, code: str, stop) -> None:
    """Run ``code`` in the kernel of ``client`` without output, and wait until it has run, the kernel has died or
    ``stop`` (a ``threading.Event``) is set."""
    from queue import Empty

    asked = client.execute(code, silent=True, store_history=False)
    while not stop.is_set():
        try:
            if client.get_shell_msg(timeout=0.5)["parent_header"].get("msg_id") == asked:
                return
        except Empty:
            if not manager.is_alive():
                return


def execute_notebook(notebook: Path, output: Path, parameters: dict, build: Path, kernel=None,
                     timeline: Timeline | None = None) -> str | None:
    """Run one notebook in ``build`` (its working folder), in the started kernel ``kernel`` when given (shut down
    when the notebook has run); return None on success, else the error as the reader should see it. The executed notebook is left without run times or
    temporary paths; the seconds of its cells go to ``timeline`` (``timeline.cell_seconds``)."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    error = None
    options = {"km": kernel} if kernel is not None else {
        "kernel_manager_class": _kernel_manager_class(build / KERNEL_LOG)}
    try:
        pm.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name=KERNEL_NAME,
            cwd=str(build), progress_bar=False, log_output=False,
            # written once, when the notebook has run or failed (not twice a cell: a second or two of a step)
            request_save_on_cell_execute=False, **options,
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except DeadKernelError:
        error = KERNEL_DIED
        if not output.exists():  # papermill writes nothing when the kernel dies: the failure page needs a notebook
            _write_stopped(notebook, output, error)
    finally:
        # papermill shuts down only the kernels it started: a warmed one would keep the step's tables in memory
        # until the run ends (6 GB of step 1's at 100 times the sample, while step 4 ran)
        if kernel is not None and kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
    if output.exists():
        seconds = _drop_run_metadata(output)
        for kind, spent in seconds.items():
            (timeline or Timeline()).add(step_phase(notebook, kind), spent)
    return error


def _write_stopped(notebook: Path, output: Path, error: str) -> None:
    """``notebook`` as it is, under a first cell saying the step stopped and why, written to ``output``."""
    import nbformat

    stopped = nbformat.read(notebook, as_version=4)
    stopped.cells.insert(0, nbformat.v4.new_markdown_cell(f"**This step stopped before it finished:** {error}."))
    nbformat.write(stopped, output)


#: The error of a step whose kernel ended while it ran (killed by the system, most often for lack of memory).
KERNEL_DIED = ("the step's Python process stopped while the step ran: something ended it, most often the system "
               "when the machine ran out of memory. Run the quarter again; if it stops again, free memory or plan "
               "from less data (docs/scale.md)")

_MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
#: What papermill and nbclient record about one execution (times, temporary paths): not part of the report.
_RUN_METADATA = ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables")


def _drop_run_metadata(path: Path) -> dict[str, float]:
    """Remove run times and paths from an executed notebook, so a rerun writes the same bytes; return the seconds
    its cells took by kind, read before they are removed (``timeline.cell_seconds``)."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    seconds = cell_seconds(notebook)
    for key in _RUN_METADATA:
        notebook.metadata.get("papermill", {}).pop(key, None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain")
            if text:  # "<pandas.io.formats.style.Styler at 0x7f8d87e15850>": a memory address
                output["data"]["text/plain"] = _MEMORY_ADDRESS.sub("", text if isinstance(text, str) else "".join(text))
    nbformat.write(notebook, path)
    return seconds


def page_names(step: str) -> tuple[str, str]:
    """The executive page and the analyst page of ``step``, relative to the report folder."""
    return f"{step}.html", f"analyst/{step}.html"


def _board_pack(build: Path, printer: board_pack.BoardPackPrinter, results: list[StepResult], title: str,
                log: Callable[[str], None]) -> board_pack.BoardPack:
    """Bind the index and the step pages printed during the run; never fails the run."""
    began = time.perf_counter()
    pack = printer.bind([("Summary", pages.INDEX_PAGE)] + [(pages.step_title(r.step), r.page) for r in results],
                        build / board_pack.BOARD_PACK, title)
    if pack.path is None:
        log(f"The board pack was not made: {pack.reason}.")
    else:
        log(f"Board pack: {pack.pages} pages, bound in {time.perf_counter() - began:.1f} s.")
    return pack


def _render(build: Path, step: str, failed: bool, params, steps: list[str],
            printer: board_pack.BoardPackPrinter | None = None, timeline: Timeline | None = None) -> tuple[str, str]:
    timeline = timeline or Timeline()
    executed = build / "notebooks" / f"{step}.ipynb"
    page, analyst = page_names(step)
    title = pages.step_title(step)
    with timeline.measure(step_phase(step, "render")):
        pages.render_page(executed, build / page, executive=True, title=title, failed=failed,
                          nav=pages.navigation(params.company, params.quarter, steps, step))
        pages.render_page(executed, build / analyst, executive=False, title=f"{title} (with code)", failed=failed,
                          nav=pages.navigation(params.company, params.quarter, steps, step, analyst=True))
    if printer is not None:
        _print(printer, build / page, timeline)
    return page, analyst


def _print(printer: board_pack.BoardPackPrinter, page: Path, timeline: Timeline) -> None:
    """Print ``page`` for the board pack, its time under its step's ``print`` phase."""
    with timeline.measure(step_phase(page, "print")):
        printer.add(page)


def code_version(root: Path) -> str:
    """``git describe`` of the checkout when there is one, else the package version."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"], cwd=root, capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout.strip()
        return f"git {described}"
    except (OSError, subprocess.SubprocessError):
        return f"salesops {metadata.version('salesops')}"


def _relative(path: Path, root: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _write_manifest(build, params, params_path, data_dir, steps: list[dict], paths: ProjectPaths,
                    package_versions: dict[str, str], inputs: dict) -> None:
    """What the report was made from: code, params, input files (or the database, its password hidden, and each
    table's table name or query and rows' hash), packages; each step's pages, the hashes of what it depends on
    (``fingerprint``) and of every file it wrote; every artifact's hash; and the run's own ``--params`` and
    ``--data`` (None when not given), which a notebook opened in JupyterLab uses as its defaults."""
    from salesops.data.inputs import input_folder

    folder = input_folder(params, paths.root, data_dir)
    manifest = {
        "quarter": params.quarter,
        "code_version": code_version(paths.root),
        "params_files": [_relative(p, paths.root) for p in params_files(params.quarter, params_path, paths.root)],
        "params": dump(params),
        "inputs": ({"folder": _relative(folder, paths.root), "files": dict(inputs["files"])} if folder is not None
                   else {key: inputs[key] for key in ("database", "tables")}),
        "packages": dict(package_versions),
        "run": {"params": _relative(params_path, paths.root) if params_path else None,
                "data": _relative(data_dir, paths.root) if data_dir else None},
        "steps": steps,
        "artifacts": {p.name: artifacts.file_sha256(p)
                      for p in artifacts.artifact_files(artifacts.artifact_folder(build))},
    }
    artifacts.write_json(manifest, build / "manifest.json")


#: The one file of a report that differs between two runs of the same inputs, params and code.
TIMINGS_FILE = "timings.json"


def _write_timings(build: Path, results: list[StepResult], total_seconds: float,
                   timeline: Timeline | None = None) -> None:
    """When the run happened, how long each step took and where the time went (``phases``: ``timeline``): kept
    apart from the manifest and the pages, so that every other file of a rerun is byte-identical."""
    artifacts.write_json({
        "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "total_seconds": round(total_seconds, 2),
        "steps": {r.step: round(r.seconds, 2) for r in results if not r.reused},
        "reused": [r.step for r in results if r.reused],
        "phases": timeline.record() if timeline is not None else {},
    }, build / TIMINGS_FILE)


def run_outcome(report: Path) -> dict:
    """What a finished run did, from its report folder: the steps it ran and those it took from the previous report
    (``timings.json``), and the plan's headline figures by their stable keys (``plan_facts``: ``forecast_base``,
    ``target``, ``gap_to_target``, ``pipeline_coverage``, ``capacity_vs_target``, ``hires``, ``cost_total`` …;
    money in the company currency; empty when step 4 is not in the report)."""
    timings = json.loads((Path(report) / TIMINGS_FILE).read_text(encoding="utf-8"))
    facts = artifacts.read_optional_artifact(artifacts.artifact_folder(report), "plan_facts")
    headline = {} if facts is None else {
        str(row.key): (None if pd.isna(row.value) else float(row.value)) for row in facts.itertuples()}
    return {"steps_run": list(timings.get("steps", {})), "steps_reused": list(timings.get("reused", [])),
            "headline": headline}


def _index_context(build: Path, params, results: list[StepResult], paths: ProjectPaths) -> dict:
    """What the index shows: step 4's executive summary (cards, sentences, top actions) when it ran, else
    every step's headline numbers; skipped analyses; the pages."""
    folder = artifacts.artifact_folder(build)
    steps = []
    for result in results:
        summary = artifacts.read_optional_artifact(folder, catalog.summary_artifact(result.step))
        if summary is None:
            summary = pd.DataFrame(columns=["kind", "label", "display", "note"])
        metrics = summary[summary["kind"] == "metric"].fillna("").to_dict("records")
        findings = summary.loc[summary["kind"] == "finding", "display"].tolist()
        skipped = summary.loc[summary["kind"] == "skipped", "display"].tolist()
        steps.append({"title": pages.step_title(result.step), "page": result.page,
                      "analyst_page": result.analyst_page,
                      "metrics": metrics, "findings": findings, "skipped": skipped})
    # step 4's summary: its cards are the plan's facts already (``align.overview.summary_metrics``)
    summary = next((s for s in steps if s["title"] == pages.step_title(SUMMARY_STEP)), None)
    from salesops.align import overview as align_overview
    from salesops.report import plots

    facts = artifacts.read_optional_artifact(folder, "plan_facts")
    chart = None
    if summary is not None and facts is not None:
        figure = align_overview.index_chart(facts, artifacts.read_optional_artifact(folder, "growth_quarterly"),
                                            artifacts.read_optional_artifact(folder, "plan_review_forecast"), params)
        if figure is not None:
            image, width, alt = plots.image_data(figure)
            chart = {"image": image, "width": width, "alt": alt}
    actions = artifacts.read_optional_artifact(folder, "actions")
    top_actions = []
    if summary is not None and actions is not None:
        top_actions = [{"title": a.title, "owner": a.owner, "due": f"{a.due_date:%d %b %Y}", "metric": a.metric,
                        "effect": a.expected_effect} for a in actions[actions["on_summary"]].itertuples()]
    bridge = artifacts.read_optional_artifact(folder, "gap_bridge")
    bridge_rows = [] if summary is None or bridge is None else [
        {"step": row.step, "amount": money(row.amount, params.currency, compact=True), "how": row.how}
        for row in bridge.itertuples()]
    return {
        "summary": summary, "top_actions": top_actions, "bridge": bridge_rows, "chart": chart,
        "workbook": "plan.xlsx" if (build / "plan.xlsx").exists() else None,
        "company": params.company, "quarter": params.quarter, "currency": params.currency,
        "quarter_start": f"{params.quarter_start:%d %b %Y}", "quarter_end": f"{params.quarter_end:%d %b %Y}",
        "data_end": f"{params.data_end:%d %b %Y}", "steps": steps,
        "nav": pages.navigation(params.company, params.quarter, [r.step for r in results], None),
        "code_version": code_version(paths.root),
    }


def default_quarter(today: dt.date | None = None, fiscal_year_start_month: int = 1) -> str:
    """The quarter after the one containing ``today``: the one being planned."""
    period = pd.Timestamp(today or dt.date.today()).to_period(fiscal_calendar.quarter_freq(fiscal_year_start_month))
    return fiscal_calendar.quarter_label(period + 1)
