"""No valid data crashes a step: the sample company with each optional table left out in turn, every optional
column left out once (a few columns of different tables per run: ``column_groups``) and a few seeded random
combinations, and every run completes all four steps, each section that shows nothing saying why.

A run here executes the four step notebooks' own code in this process, cell by cell, with the displays
(``present`` and ``plots``) replaced by recorders: every analysis, workflow helper and argument the pages compute
runs; only the drawing and the HTML are left out. So there is no kernel, and a new section of a notebook is
covered without a change here. One real run with kernels (marked e2e) renders the pages of an aggressive
combination and finds each sentence the in-process run recorded on its page.

**Explained** means: a section that shows nothing — ``present.section`` without content, or an empty table,
list of sentences, cards or chart — either shows its own reason (the callout of ``present.section``), or
follows, in the same part of the page (under the same heading), a reason or sentences shown before it (a
callout or a non-empty list of sentences: the lead-scoring part says why once, and its seven sections follow).
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from salesops.contract import analyses, schema
from salesops.report.labels import plain_text
from salesops.data.sample import SAMPLE_TABLES, generate_sample
from salesops.plan_params import load_params
from salesops.runner.run import run_quarter

from builders import ROOT
from in_process import FAST_PARAMS, Page, run_in_process

QUARTER = "2027Q1"
SCALE = 0.05  # 12 reps, 1,440 opportunities, 5,400 leads, 25,600 activities: every table, in seconds
#: The sample company's optional tables and columns (it holds neither a stage history, nor exchange rates, nor a
#: quota history, nor line items: their rules are tested on hand-made files).
OPTIONAL_TABLES = [name for name in SAMPLE_TABLES if not schema.TABLES[name].required]
OPTIONAL_COLUMNS = [(name, column.name) for name in SAMPLE_TABLES
                    for column in schema.TABLES[name].columns if not column.required]
RANDOM_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Variant:
    """The sample company without ``tables`` and without ``columns`` (``table.column``)."""

    tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()

    def apply(self, sample: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        kept = {name: frame for name, frame in sample.items() if name not in self.tables}
        for table, column in (c.split(".") for c in self.columns):
            if table in kept:
                kept[table] = kept[table].drop(columns=column)
        return kept


def random_variant(seed: int) -> Variant:
    """Each optional table left out with a chance of 1 in 4, each optional column of the rest 3 in 10."""
    rng = random.Random(seed)
    tables = tuple(t for t in OPTIONAL_TABLES if rng.random() < 0.25)
    columns = tuple(f"{t}.{c}" for t, c in OPTIONAL_COLUMNS if t not in tables and rng.random() < 0.3)
    return Variant(tables, columns)


#: Reps and leads with little else (the columns the earlier crashes needed among them): the kernel run renders it.
AGGRESSIVE = Variant(("accounts", "activities", "products", "forecast_submissions"),
                     ("reps.segment", "reps.region", "reps.hire_date", "reps.quota", "reps.ote", "leads.converted",
                      "leads.converted_date", "leads.owner_rep_id", "opportunities.lead_id",
                      "opportunities.forecast_category", "opportunities.max_stage", "opportunities.product"))


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """The fast params file and the sample company (canonical tables) whose history ends on its last day."""
    base = tmp_path_factory.mktemp("optional")
    params_path = base / "params.yaml"
    params_path.write_text(yaml.safe_dump({"data": {"source": "folder", "dir": str(base)}, **FAST_PARAMS}),
                           encoding="utf-8")  # each run names its own folder
    sample = generate_sample(load_params(QUARTER, params_path, ROOT).data_end, scale=SCALE)
    return params_path, sample


def write_variant(variant: Variant, sample: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, frame in variant.apply(sample).items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def test_an_empty_section_is_explained_by_its_own_reason_or_by_words_before_it_in_its_part():
    page = Page()
    page.part = "Lead scoring"
    page.section(None, "There is no leads table.")  # its own callout
    page.table(pd.DataFrame())  # explained by the callout above, in the same part
    page.part = "Forecast accuracy"
    page.record("chart", pd.DataFrame())  # nothing said yet in this part
    page.bullets(["No submissions in the last 8 quarters."])
    page.section([], "")  # an empty list of sentences, after the bullets: explained
    page.part = "Tools"
    page.section(None, "")  # shows nothing and says nothing
    page.bullets([])
    assert page.unexplained() == ["chart in part 'Forecast accuracy'", "section in part 'Tools'",
                                  "bullets in part 'Tools'"]


def test_the_sample_has_every_optional_table_and_column_to_leave_out(company):
    _, sample = company
    assert set(OPTIONAL_TABLES) <= set(sample)
    assert [(t, c) for t, c in OPTIONAL_COLUMNS if c not in sample[t].columns] == []


#: How many runs leave out every optional column: column i in run i mod COLUMN_GROUPS, so each is left out once,
#: with a few of other tables (one column per run was 54 runs, 2.5 minutes on 2 cores, over the suite's budget).
COLUMN_GROUPS = 8


def column_groups(groups: int = COLUMN_GROUPS) -> list[Variant]:
    """Every optional column left out exactly once, in ``groups`` runs of columns of different tables mostly."""
    return [Variant(columns=tuple(f"{table}.{column}" for i, (table, column) in enumerate(OPTIONAL_COLUMNS)
                                  if i % groups == group)) for group in range(groups)]


#: Each optional table left out, a few random combinations and the aggressive one: the fast loop's share (about
#: 25 s). Every optional column left out once, in COLUMN_GROUPS runs (about 25 s more): marked e2e so that the
#: fast loop stays fast (no kernel, but whole quarters too).
VARIANTS = ([pytest.param(Variant((table,)), id=f"-{table}") for table in OPTIONAL_TABLES]
            + [pytest.param(random_variant(seed), id=f"random {seed}") for seed in RANDOM_SEEDS]
            + [pytest.param(AGGRESSIVE, id="aggressive")]
            + [pytest.param(variant, id=f"columns {group}", marks=pytest.mark.e2e)
               for group, variant in enumerate(column_groups())])


def test_every_optional_column_is_left_out_in_one_of_the_column_runs():
    left_out = [column for variant in column_groups() for column in variant.columns]
    assert sorted(left_out) == sorted(f"{t}.{c}" for t, c in OPTIONAL_COLUMNS) and len(set(left_out)) == len(left_out)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_step_completes_and_says_why_a_section_shows_nothing(variant, company, tmp_path, monkeypatch):
    params_path, sample = company
    data = write_variant(variant, sample, tmp_path / "data")
    pages = run_in_process(monkeypatch, params_path, data, tmp_path / "out")
    assert {step: page.unexplained() for step, page in pages.items() if page.unexplained()} == {}
    # the index lists, for every analysis that needs a table left out, what it would show and what to add
    skipped = pd.read_parquet(tmp_path / "out" / "summary_01_collect.parquet").query("kind == 'skipped'")
    needing = [a.name for a in analyses.ANALYSES if any(table in variant.tables for table, _ in a.needs)]
    assert [name for name in needing if not skipped["display"].str.startswith(f"{name} would show").any()] == []


@pytest.mark.e2e
def test_an_aggressive_combination_renders_every_page_with_its_reasons(company, tmp_path, monkeypatch):
    params_path, sample = company
    data = write_variant(AGGRESSIVE, sample, tmp_path / "data")
    expected = run_in_process(monkeypatch, params_path, data, tmp_path / "in-process")
    monkeypatch.undo()
    index = run_quarter(QUARTER, params_path=params_path, data_dir=data, out_dir=tmp_path / "report",
                        log=lambda _: None)
    missing = {}
    for step, page in expected.items():
        text = html.unescape((index.parent / f"{step}.html").read_text(encoding="utf-8"))
        reasons = {s for shown in page.shown if shown.call == "section" and shown.empty for s in shown.sentences}
        assert reasons, step  # the combination leaves every page something to explain
        missing[step] = [r for r in sorted(reasons) if plain_text(r) not in text]  # as pages word params keys
    assert missing == {step: [] for step in expected}
