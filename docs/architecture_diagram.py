"""Draw docs/architecture.svg: the packages of lib/salesops and the artifacts flowing between the steps.

Both halves are read from the code, so the picture follows it: the packages and their modules from the files
under ``lib/salesops``, the artifacts, their producing step and their consumers from the artifact catalog
(``salesops.data.catalog.CATALOG``). Run it again after adding a module or an artifact:

    .venv/bin/python docs/architecture_diagram.py
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from salesops.data import catalog  # noqa: E402

DOCS = Path(__file__).resolve().parent
LIB = DOCS.parent / "lib" / "salesops"
OUT = DOCS / "architecture.svg"

STEP_TITLES = {catalog.COLLECT: "01 collect", catalog.DEMAND: "02 demand", catalog.SUPPLY: "03 supply",
               catalog.ALIGN: "04 align"}
STEP_PACKAGES = {catalog.COLLECT: "collect", catalog.DEMAND: "demand", catalog.SUPPLY: "supply",
                 catalog.ALIGN: "align"}
#: The packages in the lower half, row by row from the top; each row's packages use those of the rows below.
PACKAGE_ROWS = [
    [("runner", "runs the notebooks, publishes the report, writes the index page; salesops check")],
    [("collect", "step 1"), ("demand", "step 2"), ("supply", "step 3"), ("align", "step 4")],
    [("report", "pages, charts, plan.xlsx"), ("contract", "tables, validation, presets"),
     ("data", "files, artifacts, catalog"), ("settings", "field types, base, loader")],
]
#: Modules at the top of the package, shown as one box.
TOP_LEVEL = "top level"
FILL = {"step": "#dbe9f6", "io": "#e6f2dc", "shared": "#f4ecd8", "runner": "#eadcf2", "report": "#f8dedd",
        "artifact": "#ffffff"}
KIND = {"runner": "runner", "collect": "step", "demand": "step", "supply": "step", "align": "step",
        "report": "report", "contract": "io", "data": "io", "settings": "shared", TOP_LEVEL: "shared"}


def modules(package: str) -> list[str]:
    """The modules of ``package`` (a sub-package counts as one, written ``name/``); for ``TOP_LEVEL``
    the modules at the top of ``salesops``."""
    folder = LIB if package == TOP_LEVEL else LIB / package
    names = [path.stem for path in folder.glob("*.py") if not path.stem.startswith("_")]
    if package != TOP_LEVEL:
        names += [f"{path.name}/" for path in folder.iterdir()
                  if path.is_dir() and (path / "__init__.py").exists()]
    return sorted(names)


def box(ax, x, y, width, height, title, body, kind, title_size=11, body_size=8.2):
    ax.add_patch(FancyBboxPatch((x, y), width, height, boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=FILL[kind], edgecolor="#555555", linewidth=1))
    ax.text(x + 0.12, y + height - 0.12, title, ha="left", va="top", fontsize=title_size, fontweight="bold")
    if body:
        ax.text(x + 0.12, y + height - 0.48, body, ha="left", va="top", fontsize=body_size, family="monospace",
                linespacing=1.25)


def arrow(ax, start, end, rad=0.0, dashed=False, color="#333333"):
    ax.add_patch(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                 mutation_scale=13, linewidth=1.1, color=color,
                                 linestyle=(0, (4, 3)) if dashed else "solid", shrinkA=2, shrinkB=2))


def label(ax, x, y, names, width=34, size=7.6, va="center"):
    text = "\n".join(textwrap.wrap(", ".join(names), width))
    ax.text(x, y, text, ha="center", va=va, fontsize=size, family="monospace",
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "#bbbbbb", "linewidth": 0.6})


def artifacts_between() -> dict[tuple[str, str], list[str]]:
    """(producer, consumer) -> artifact names, the input tables (``table_*``) written as one ``table_*``."""
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for artifact in catalog.CATALOG.values():
        for consumer in artifact.consumers:
            name = artifact.name
            if name.startswith(catalog.TABLE_PREFIX):
                name = catalog.TABLE_PREFIX + "*"
            if name not in pairs[(artifact.producer, consumer)]:
                pairs[(artifact.producer, consumer)].append(name)
    return pairs


def kept_only(step: str) -> int:
    """How many of ``step``'s artifacts no other step reads (the report's record of the step)."""
    return sum(1 for artifact in catalog.CATALOG.values()
               if artifact.producer == step and not artifact.consumers)


def draw_flow(ax, top: float) -> float:
    """The upper half: input files → the four steps → the index page, with the artifacts on the arrows; returns
    the lowest y drawn."""
    steps = list(catalog.STEPS)
    width, height, gap = 2.75, 1.35, 1.6
    xs = {step: 3.0 + i * (width + gap) for i, step in enumerate(steps)}
    y = top - 5.9
    ax.text(0.2, top, "Data between the steps: the artifacts in reports/<quarter>/data/ "
            "(declared in data/catalog.py: producer, columns, consumers)", fontsize=13, fontweight="bold",
            va="top")
    box(ax, 0.2, y, 2.0, height, "input files", "CSV, Parquet,\nExcel, SQL or\nthe sample", "io", body_size=7.6)
    arrow(ax, (2.2, y + height / 2), (xs[steps[0]], y + height / 2))
    for step in steps:
        box(ax, xs[step], y, width, height, STEP_TITLES[step],
            f"notebooks/\n  {step}.ipynb\n{kept_only(step)} more kept as record", "step", body_size=7.4)
    pairs = artifacts_between()
    # neighbours: straight arrows, the artifacts below them
    for left, right in zip(steps, steps[1:]):
        arrow(ax, (xs[left] + width, y + height / 2), (xs[right], y + height / 2))
        middle = (xs[left] + width + xs[right]) / 2
        ax.plot([middle] * 2, [y + height / 2, y - 0.3], color="#bbbbbb", linewidth=0.6)
        label(ax, middle, y - 0.3, pairs[(left, right)], width=16, va="top")
    # a step that skips the next one: arcs above, the artifacts at the top of each arc
    skips = sorted(((a, b) for (a, b) in pairs if a in xs and b in xs and steps.index(b) > steps.index(a) + 1),
                   key=lambda pair: (steps.index(pair[1]) - steps.index(pair[0]), steps.index(pair[0])))
    for number, (a, b) in enumerate(skips):
        start = (xs[a] + width * (0.35 + 0.3 * (number % 2)), y + height)
        end = (xs[b] + width * (0.3 + 0.2 * number), y + height)
        rad = -(0.22 + 0.1 * number)
        arrow(ax, start, end, rad=rad)
        peak = y + height + abs(rad) * (end[0] - start[0]) / 2
        label(ax, (start[0] + end[0]) / 2, peak, pairs[(a, b)], width=60)
    # the index page and plan.xlsx
    index_x = xs[steps[-1]] + width + gap
    box(ax, index_x, y, 2.3, height, "index.html", "the summary page;\nplan.xlsx is\nwritten by step 4", "report",
        body_size=7.4)
    index_names = [name for step in steps for name in pairs.get((step, catalog.INDEX), [])]
    arrow(ax, (xs[steps[-1]] + width, y + height / 2), (index_x, y + height / 2))
    middle = xs[steps[-1]] + width + gap / 2
    ax.plot([middle] * 2, [y + height / 2, y - 0.3], color="#bbbbbb", linewidth=0.6)
    label(ax, middle, y - 0.3, ["summary_<step>", "of every step"] +
          [name for name in index_names if not name.startswith(catalog.SUMMARY_PREFIX)], width=16, va="top")
    # the next quarter's plan review reads this quarter's plan
    back = sorted({a for (a, b) in pairs if b == catalog.COLLECT and a in xs}, key=steps.index)
    review_top = y - 2.6
    box(ax, xs[steps[0]], review_top - 0.9, xs[steps[-1]] + width - xs[steps[0]], 0.9,
        "the next quarter's 01 collect (its plan review) reads from this report:",
        ", ".join(name for step in back for name in pairs[(step, catalog.COLLECT)]), "step", title_size=9.5,
        body_size=7.6)
    for step in back:
        x = xs[step] + width * 0.5
        arrow(ax, (x, y), (x, review_top), dashed=True, color="#777777")
    return review_top - 0.9


def draw_packages(ax, top: float) -> float:
    """The lower half: the packages of lib/salesops with their modules, users above what they use; returns the
    lowest y drawn."""
    ax.text(0.2, top, "The library, lib/salesops: one package per part (a row uses the rows below it)",
            fontsize=13, fontweight="bold", va="top")
    y = top - 0.55
    total_width, space = 22.6, 0.3
    chars_per_unit = 7.4  # monospace characters of the module lists per unit of width
    rows = PACKAGE_ROWS + [[(TOP_LEVEL, "shared by every package")]]
    for row in rows:
        unit = (total_width - space * (len(row) - 1)) / len(row)
        texts = ["\n".join(textwrap.wrap("  ".join(modules(name)), int(unit * chars_per_unit))) for name, _ in row]
        height = 0.75 + 0.2 * max(text.count("\n") + 1 for text in texts)
        for number, ((name, role), text) in enumerate(zip(row, texts)):
            left = 0.2 + number * (unit + space)
            box(ax, left, y - height, unit, height, f"{name}/" if name != TOP_LEVEL else "salesops/", text,
                KIND[name], title_size=10)
            ax.text(left + unit - 0.12, y - 0.14, role, ha="right", va="top", fontsize=7.6, style="italic",
                    color="#444444")
        y -= height + space
    return y


def main(out: Path = OUT) -> Path:
    plt.rcParams["svg.hashsalt"] = "salesops-architecture"  # the same drawing gives the same file
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable, selectable
    fig, ax = plt.subplots(figsize=(16, 14))
    ax.axis("off")
    bottom = draw_packages(ax, top=draw_flow(ax, top=19.8) - 0.6)
    ax.set_xlim(0, 23)
    ax.set_ylim(bottom, 20)
    fig.set_size_inches(16, 16 * (20 - bottom) / 23)
    fig.savefig(out, bbox_inches="tight", metadata={"Date": None} if out.suffix == ".svg" else None)
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(main().relative_to(DOCS.parent))
