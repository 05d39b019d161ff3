"""Render executed notebooks to self-contained HTML pages, and write the quarter's index page.

Each step is rendered twice: an executive page (narrative, charts and tables only: no code, no
prompts, no printed output, warnings, logs or tracebacks) and an analyst page (with code).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from jinja2 import Environment, FileSystemLoader, select_autoescape
from nbconvert import HTMLExporter

from salesops.report.present import printable

TEMPLATES = Path(__file__).parent / "templates"


def _exporter(executive: bool) -> HTMLExporter:
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


def render_page(notebook_path: Path, html_path: Path, executive: bool, title: str, failed: bool = False) -> Path:
    """Render one executed notebook to ``html_path``."""
    notebook = nbformat.read(notebook_path, as_version=4)
    if executive:
        notebook = executive_view(notebook, failed=failed)
    notebook.metadata["title"] = title
    body, _ = _exporter(executive).from_notebook_node(notebook)
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
        finalize=printable,
        keep_trailing_newline=True,
    )
    page = env.get_template("index.html.j2").render(**context)
    path.write_text(page, encoding="utf-8")
    return path
