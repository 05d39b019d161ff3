"""The sample quarter's pages in a real browser (headless Chromium, driven by ``browser.py``): every page loads
with no console error and no request leaving the machine; the executive set prints to at most
``PAGE_BUDGET`` A4 pages; the board pack opens on the summary; the index reads at 1440 px and on a 390 px
phone. Screenshots and printed pages are kept in ``test-artifacts/browser/`` for a person to look at.

Skipped, saying so, where no Chromium is installed (``.ci/run`` installs Debian's). The report is the one
sample run the test session shares (``sample_project`` in conftest.py).
"""

from __future__ import annotations

import io
import shutil

import pytest
from pypdf import PdfReader

from salesops.report.board_pack import BOARD_PACK, BROWSERS

from browser import Browser
from builders import ROOT

CHROMIUM = next((path for path in map(shutil.which, BROWSERS) if path), None)
pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium browser installed (looked for: "
                                 + ", ".join(BROWSERS) + "); on Debian: apt-get install chromium")]

#: The most A4 pages the index and the four executive pages may print to, together.
PAGE_BUDGET = 20
EXECUTIVE = ["index.html", "01_collect.html", "02_demand.html", "03_supply.html", "04_align.html"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def report(sample_project):
    assert sample_project["result"].returncode == 0, sample_project["result"].stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return sample_project["out"]


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def printed(report, browser):
    """Each executive page printed as a reader's browser prints it: name → PDF bytes."""
    pdfs = {}
    for name in EXECUTIVE:
        tab = browser.open((report / name).as_uri())
        pdfs[name] = tab.print_pdf()
        tab.close()
        (ARTIFACTS / name.replace(".html", ".pdf")).write_bytes(pdfs[name])
    return pdfs


def test_every_page_loads_with_no_console_error_and_no_outside_request(report, browser):
    pages = sorted(report.rglob("*.html"))
    assert len(pages) == 9, pages  # the index, four executive pages and four analyst pages
    for page in pages:
        tab = browser.open(page.as_uri())
        assert tab.requests, f"{page.name}: the browser saw no request: the check would pass on nothing"
        assert tab.errors() == [], f"{page.relative_to(report)}: {tab.errors()}"
        assert tab.outside_requests() == [], f"{page.relative_to(report)}: {tab.outside_requests()}"
        tab.close()


def test_the_executive_set_prints_within_the_page_budget(printed):
    pages = {name: len(PdfReader(io.BytesIO(pdf)).pages) for name, pdf in printed.items()}
    assert all(count >= 1 for count in pages.values()), pages
    assert sum(pages.values()) <= PAGE_BUDGET, pages
    first = PdfReader(io.BytesIO(printed["04_align.html"])).pages[0]
    assert abs(float(first.mediabox.width) - 595) < 2 and abs(float(first.mediabox.height) - 842) < 2  # A4


def test_printed_pages_are_numbered_and_leave_out_the_appendix(printed, report):
    collect = PdfReader(io.BytesIO(printed["01_collect.html"]))
    count = len(collect.pages)
    assert f"Page {count} of {count}" in collect.pages[-1].extract_text()
    text = "".join(page.extract_text() for page in collect.pages)
    assert "How this was computed" in text  # the appendix's heading says what print leaves out ...
    assert "Every check that was run" in (report / "01_collect.html").read_text()  # ... which is on screen
    assert "Every check that was run" not in text


def test_board_pack_opens_on_the_summary_then_each_step(report):
    pack = PdfReader(report / BOARD_PACK)
    assert 5 <= len(pack.pages) <= PAGE_BUDGET
    assert "Sales operations plan for 2027Q1" in pack.pages[0].extract_text()
    assert [item.title for item in pack.outline] == ["Summary", "Step 1 · Collect", "Step 2 · Demand",
                                                     "Step 3 · Supply", "Step 4 · Align"]
    assert f'href="{BOARD_PACK}"' in (report / "index.html").read_text(encoding="utf-8")


def test_every_page_has_the_navigation_header_with_its_own_link_marked(report, browser):
    for name, current in [("index.html", "Summary"), ("02_demand.html", "Step 2 · Demand"),
                          ("analyst/04_align.html", "Step 4 · Align")]:
        tab = browser.open((report / name).as_uri())
        links = tab.evaluate("[...document.querySelectorAll('nav.so-nav a')].map(a => [a.textContent, "
                             "a.getAttribute('aria-current'), a.href])")
        tab.close()
        assert [label for label, _, _ in links] == ["Summary", "Step 1 · Collect", "Step 2 · Demand",
                                                    "Step 3 · Supply", "Step 4 · Align"], name
        assert [label for label, marked, _ in links if marked == "page"] == [current], name
        assert all((report / href.removeprefix(report.as_uri() + "/")).exists()
                   for _, _, href in links), links  # every link leads to a page of the report


def test_index_at_desktop_and_phone_width(report, browser):
    tab = browser.open((report / "index.html").as_uri())
    for width, mobile in ((1440, False), (390, True)):
        (ARTIFACTS / f"index-{width}px.png").write_bytes(tab.screenshot(width, mobile=mobile))
        page_width = tab.evaluate("document.documentElement.scrollWidth")
        lefts = tab.evaluate("[...document.querySelectorAll('.card')].map(c => c.getBoundingClientRect().left)")
        assert page_width <= width, f"at {width} px the page scrolls sideways ({page_width} px wide)"
        assert len(lefts) >= 2
        if width == 390:
            assert len(set(lefts)) == 1, f"cards do not stack on a phone: {lefts}"  # one column
        else:
            assert len(set(lefts)) > 1, f"cards do not sit side by side at {width} px: {lefts}"
    tab.close()
