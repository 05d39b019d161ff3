"""The sample quarter's executive pages in plain words: no internal name of ``report.labels.INTERNAL_NAMES``
anywhere on them, and the technical terms of ``APPENDIX_ONLY`` only in their appendix ("How this was
computed"). The report is the one sample run the test session shares (``sample_project`` in conftest.py)."""

from __future__ import annotations

import html
import re

import pytest

from salesops.report.labels import APPENDIX_ONLY, INTERNAL_NAMES

pytestmark = pytest.mark.e2e

EXECUTIVE = ["index.html", "01_collect.html", "02_demand.html", "03_supply.html", "04_align.html"]
APPENDIX_HEADING = "How this was computed"


def visible_text(page: str) -> str:
    """What a reader sees of ``page``: no styles, scripts, tags or embedded images; entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def found(names, text: str) -> list[str]:
    """Each of ``names`` in ``text`` with a little context; a name that is a word matches only as a word."""
    hits = []
    for name in names:
        if name.endswith("."):  # a params section: a key follows (``quotas.split``), not a space or a file name
            pattern = rf"(?<![\w.]){re.escape(name)}(?=[A-Za-z_])"
        elif name[-1].isalnum():
            pattern = rf"(?<![\w.]){re.escape(name)}(?!\w)"
        else:
            pattern = re.escape(name)
        hits += [f"{name!r} in “…{text[max(m.start() - 40, 0):m.end() + 40]}…”".replace("\n", " ")
                 for m in re.finditer(pattern, text)]
    return hits


def test_the_scan_finds_what_it_looks_for():
    text = visible_text("<p>Series <b>region=APAC/segment=ENT</b> uses AutoETS; set quotas.over_assignment.</p>")
    assert len(found(INTERNAL_NAMES, text)) == 4
    assert found(["ds"], "the ds column") and not found(["ds"], "the odds, thousands")
    assert not found(["quotas.", "collect."], "on ramped quotas. See 01_collect.html")


@pytest.fixture(scope="module")
def pages(sample_project):
    assert sample_project["result"].returncode == 0, sample_project["result"].stderr
    return {name: visible_text((sample_project["out"] / name).read_text(encoding="utf-8")) for name in EXECUTIVE}


@pytest.mark.parametrize("name", EXECUTIVE)
def test_no_internal_name_on_an_executive_page(pages, name):
    assert found(INTERNAL_NAMES, pages[name]) == []


@pytest.mark.parametrize("name", EXECUTIVE)
def test_technical_terms_only_in_the_appendix(pages, name):
    before_appendix = pages[name].split(APPENDIX_HEADING)[0]
    assert found(APPENDIX_ONLY, before_appendix) == []
