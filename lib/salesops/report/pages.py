"""Render executed notebooks to self-contained HTML pages, and write the quarter's index page.

Each step is rendered twice: an executive page (narrative, charts and tables only: no code, no
prompts, no printed output, warnings, logs or tracebacks) and an analyst page (with code).

nbconvert and nbformat are imported when a page is rendered (:func:`import_renderer`), not with this module:
the runner names steps and pages from the start of a run, and renders the first page only once step 1 is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape

from salesops.report.labels import plain_text
from salesops.report.present import printable

if TYPE_CHECKING:
    import nbformat
    from nbconvert import HTMLExporter

TEMPLATES = Path(__file__).parent / "templates"


def import_renderer() -> None:
    """Import what rendering a page needs (nbconvert, nbformat: about a second): the runner does it in the
    background while the first step runs."""
    import nbconvert  # noqa: F401
    import nbformat  # noqa: F401


def _exporter(executive: bool) -> HTMLExporter:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="salesops",
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
    )
    exporter.exclude_input = executive
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    return exporter


def executive_view(notebook: nbformat.NotebookNode, failed: bool = False) -> nbformat.NotebookNode:
    """A copy keeping only what an executive reads: markdown, rich displays and results.

    Printed text (stdout/stderr streams: logs, warnings, progress) is dropped. Error outputs are
    dropped too unless the step ``failed``, when the error stays visible so the reader knows why
    the page stops short.
    """
    import nbformat

    view = nbformat.from_dict(notebook)
    for cell in view.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                continue
            if output.output_type == "error" and not failed:
                continue
            kept.append(output)
        cell.outputs = kept
    return view


@dataclass(frozen=True)
class NavLink:
    """One link of a page's navigation header; ``current`` marks the page it is on."""

    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Navigation:
    """The header on every page: company, quarter, and links to the summary and each step."""

    company: str
    quarter: str
    links: list[NavLink] = field(default_factory=list)


#: The index page's file name, relative to the report folder.
INDEX_PAGE = "index.html"


def navigation(company: str, quarter: str, steps: list[str], current: str | None, analyst: bool = False) -> Navigation:
    """The header of one page: the summary, then every step of ``steps`` (``01_collect`` …), ``current`` marked
    (None: the summary). An analyst page (in ``analyst/``) links to the other analyst pages beside it and to the
    summary one folder up; an executive page to the pages beside it."""
    up = "../" if analyst else ""
    links = [NavLink("Summary", up + INDEX_PAGE, current is None)]
    links += [NavLink(step_title(step), f"{step}.html", step == current) for step in steps]
    return Navigation(printable(company), quarter, links)  # a NUL in a CRM name is shown as a browser would


def render_page(notebook_path: Path, html_path: Path, executive: bool, title: str, failed: bool = False,
                nav: Navigation | None = None) -> Path:
    """Render one executed notebook to ``html_path``, with ``nav`` as its header when given."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    if executive:
        notebook = executive_view(notebook, failed=failed)
    notebook.metadata["title"] = title
    body, _ = _exporter(executive).from_notebook_node(notebook, resources={"salesops_nav": nav})
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def step_title(step: str) -> str:
    """``01_collect`` → ``Step 1 · Collect``."""
    number, _, name = step.partition("_")
    return f"Step {int(number)} · {name.replace('_', ' ').capitalize()}"


def write_index(path: Path, context: dict) -> Path:
    """Write the quarter's executive summary page from ``templates/index.html.j2``.

    Every value is escaped by the template engine: CRM text cannot inject markup; control characters (a NUL
    in a CRM value) are shown as ``�``.
    """
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        finalize=lambda value: printable(plain_text(value)),  # params keys and model names in plain words
        keep_trailing_newline=True,
    )
    page = env.get_template("index.html.j2").render(**context)
    path.write_text(page, encoding="utf-8")
    return path
