"""A quarter whose params and CRM text are hostile renders pages where every such text is only text.

One run of the whole quarter (a real kernel per step, marked e2e) is shared by the module. Every hostile string
carries the marker ``HOSTILEMARK``, and every element or attribute it would inject carries the marker in an attribute,
so a parse of each page with ``html.parser`` finds any text that became markup: an element, an attribute, a
link (Markdown ``[x](http://…)``, a bare web address autolinked) or a script. ``$…$`` in CRM text must not
stop a chart or turn into math, and 2,000-character values must not make charts thousands of pixels wide. A NUL
character reaches the pages from the params and from a Parquet table (shown as �); in a CSV file it is an error
naming the file and line, because the CSV parser would silently cut the value there.
"""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import pytest
import yaml
from PIL import Image

from salesops.data import files
from salesops.errors import DataError
from salesops.runner.run import run_quarter

from builders import ROOT, tiny_export, write_export

MARK = "HOSTILEMARK"
EVIL = "evil.example"
SCRIPT = f"<script data-{MARK}>alert('{MARK}')</script>"
EVENT = f"<img src=x onerror=alert(1) alt={MARK}>"
ELEMENT = f'<i title="{MARK}">{MARK}</i>'
MARKDOWN_LINK = f"[{MARK} click](http://{EVIL}/{MARK})"
BARE_LINK = f"see http://{EVIL}/{MARK} and www.{EVIL}/{MARK}"
BAD_MATH = f"Soft$\\notacommand${MARK}ware"
MATH = f"$\\alpha${MARK}"
LONG = MARK + "y" * 2000
NUL = f"{MARK}\x00nul"
#: The longest side of a chart on a page, in pixels (charts are at most 10 × 14 inches at 100 dpi).
MAX_CHART_PIXELS = 1600


def hostile_export() -> dict:
    """The tiny export with hostile text in every free-text column and in one rep id (used as a key); NUL
    characters only in the opportunities, which are written as Parquet."""
    tables = tiny_export()
    reps, accounts, opps, activities = (tables[t] for t in ("reps", "accounts", "opportunities", "activities"))
    hostile_rep = f"R2{ELEMENT}"
    reps["rep_id"] = reps["rep_id"].replace({"R2": hostile_rep})
    reps["name"] = [EVENT, BARE_LINK, MARKDOWN_LINK]
    reps["segment"] = [BAD_MATH, LONG, ""]
    reps["region"] = [MATH, f"EMEA {SCRIPT}", MATH]
    accounts["name"] = [SCRIPT, MARKDOWN_LINK, LONG]
    accounts["industry"] = [BAD_MATH, MATH, LONG]
    accounts["region"] = [MATH, f"EMEA {SCRIPT}", MATH]
    accounts["owner_rep_id"] = accounts["owner_rep_id"].replace({"R2": hostile_rep})
    opps["rep_id"] = opps["rep_id"].replace({"R2": hostile_rep})
    opps["product"] = [MARKDOWN_LINK, NUL, BAD_MATH, LONG, EVENT]
    activities["rep_id"] = activities["rep_id"].replace({"R2": hostile_rep})
    return tables


def hostile_params() -> dict:
    text = f"{SCRIPT} {EVENT} {MARKDOWN_LINK} {BARE_LINK} {MATH} {BAD_MATH} {NUL}"
    return {
        "company": f"{text} {LONG}",
        "tooling": {"tools": [{"name": SCRIPT, "category": "CRM", "annual_cost": 1200, "notes": BARE_LINK,
                               "works_well": False}]},
        "actions": {"extra": [{"title": f"{EVENT} {MARKDOWN_LINK}", "metric": BAD_MATH,
                               "expected_effect": f"{BARE_LINK} {NUL}", "owner": SCRIPT, "impact": 10 ** 9}]},
    }


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each script and style element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.code: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_code = tag in ("script", "style")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_code = False

    def handle_data(self, data):
        if self._in_code:
            self.code.append(data)


def parse(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    elements.close()
    return elements


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    tables = hostile_export()
    export = write_export(base / "export", {name: frame for name, frame in tables.items() if name != "opportunities"})
    write_export(export, {"opportunities": tables["opportunities"]}, suffix=".parquet")
    params = base / "hostile.yaml"
    params.write_text(yaml.safe_dump(hostile_params(), allow_unicode=True), encoding="utf-8")
    index = run_quarter("2027Q1", params_path=params, data_dir=export, out_dir=base / "report", log=lambda _: None)
    report = index.parent
    pages = {path.relative_to(report).as_posix(): path.read_text(encoding="utf-8")
             for path in sorted(report.rglob("*.html"))}
    return {"report": report, "pages": pages}


@pytest.mark.e2e
def test_every_page_of_the_report_is_checked(hostile_run):
    steps = [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    expected = {"index.html"} | {f"{s}.html" for s in steps} | {f"analyst/{s}.html" for s in steps}
    assert expected <= set(hostile_run["pages"]), sorted(hostile_run["pages"])


@pytest.mark.e2e
def test_no_element_attribute_or_link_comes_from_the_input(hostile_run):
    for name, page in hostile_run["pages"].items():
        elements = parse(page)
        for tag, attrs in elements.tags:
            assert MARK.lower() not in tag, (name, tag)
            for attribute, value in attrs:
                assert MARK.lower() not in attribute, (name, tag, attribute)
                assert MARK not in (value or ""), (name, tag, attribute, (value or "")[:120])
                assert EVIL not in (value or ""), (name, tag, attribute, (value or "")[:120])
                assert not attribute.startswith("on"), (name, tag, attribute)
        assert not any(MARK in code for code in elements.code), name


@pytest.mark.e2e
def test_hostile_text_is_shown_as_text(hostile_run):
    pages = hostile_run["pages"]
    for name in ["index.html"] + [n for n in pages if re.fullmatch(r"0\d_\w+\.html", n)]:
        page = pages[name]
        assert MARK in page, name  # the company's name, at least, is on every page ...
        assert "&lt;script data-HOSTILEMARK&gt;" in page, name  # ... escaped, as written
        assert f"[{MARK} click](http://{EVIL}/{MARK})" in page, name  # a Markdown link stays text
        assert "\x00" not in page, name
    align = pages["04_align.html"]
    assert "&lt;img src=x onerror=alert(1) alt=HOSTILEMARK&gt;" in align  # a hand-written action, escaped


@pytest.mark.e2e
def test_charts_stay_small_with_long_labels(hostile_run):
    sizes = []
    for name, page in hostile_run["pages"].items():
        for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
            sizes.append((name, Image.open(io.BytesIO(base64.b64decode(data))).size))
    assert sizes, "the pages carry no charts"
    too_big = [(name, size) for name, size in sizes if max(size) > MAX_CHART_PIXELS]
    assert not too_big, too_big


@pytest.mark.e2e
def test_long_text_wraps_on_every_page(hostile_run):
    for name, page in hostile_run["pages"].items():
        assert "overflow-wrap: anywhere" in page and "overflow-wrap: break-word" in page, name
        assert "overflow-x: auto" in page, name  # a table wider than the page scrolls in its own box


@pytest.mark.e2e
def test_input_text_with_dollars_reaches_a_chart(hostile_run):
    # The supply page draws one panel per segment: the segment named Soft$\notacommand$…ware is on a chart.
    assert "Capacity against demand" in hostile_run["pages"]["03_supply.html"]
    assert hostile_run["pages"]["03_supply.html"].count("data:image/png;base64") >= 1


def test_a_nul_character_in_a_csv_file_is_an_error_naming_file_and_line(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "reps.csv").write_text(f"rep_id,name\nR1,Ann\nR2,{NUL}\n", encoding="utf-8")
    before = (folder / "reps.csv").read_bytes()
    with pytest.raises(DataError, match=r"reps\.csv, line 3: a NUL character .*Fix: export the table again"):
        files.read_table_file(folder / "reps.csv")
    assert (folder / "reps.csv").read_bytes() == before
