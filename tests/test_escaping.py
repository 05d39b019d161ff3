"""Text from the params or the data is only ever text on a page: what ``present`` emits, rendered the way a
step page is rendered (nbconvert with the house template), has no element, attribute or link from the input."""

from __future__ import annotations

from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

from salesops.report import pages, present

MARK = "HOSTILEMARK"
HOSTILE = [
    f"<script data-{MARK}>alert(1)</script>",
    f"<img src=x onerror=alert(1) alt={MARK}>",
    f"[{MARK}](http://evil.example/{MARK})",
    f"see http://evil.example/{MARK} or www.evil.example/{MARK}",
    f"**{MARK}** _{MARK}_ `{MARK}` # {MARK}",
    f"{MARK}\x00nul",
]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(markup: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(markup)
    parser.close()
    return parser.tags


def injected(markup: str) -> list:
    """Start tags that came from the hostile input: the marker in an attribute, or a link to evil.example."""
    return [(tag, attrs) for tag, attrs in tags(markup)
            if any(MARK in (value or "") or "evil.example" in (value or "") or name.startswith("on")
                   for name, value in attrs.items())]


def rendered(displays: list, tmp_path, executive: bool = True) -> str:
    """``displays`` as outputs of one code cell, rendered to a page like a step's page."""
    formatter = DisplayFormatter()
    outputs = [nbformat.v4.new_output("display_data", data=formatter.format(d)[0]) for d in displays]
    cell = nbformat.v4.new_code_cell("x", outputs=outputs)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Page"), cell])
    source = tmp_path / "page.ipynb"
    nbformat.write(notebook, source)
    return pages.render_page(source, tmp_path / "page.html", executive, "Page").read_text(encoding="utf-8")


def test_header_line_shows_the_company_as_written():
    company = " ".join(HOSTILE)
    header = present.header_line(company, ("planning", "2027Q1"), "01 Jan 2027 – 31 Mar 2027",
                                 ("data up to", f"<b>{MARK}</b>"))
    assert [tag for tag, _ in tags(header.data)] == ["p", "strong", "strong", "strong"]
    assert "&lt;img src=x onerror=alert(1) alt=HOSTILEMARK&gt;" in header.data
    assert "planning <strong>2027Q1</strong> · 01 Jan 2027 – 31 Mar 2027 · data up to" in header.data
    assert "\x00" not in header.data and f"{MARK}\ufffdnul" in header.data


def test_bullets_are_html_text_not_markdown():
    shown = present.bullets(HOSTILE)
    assert not hasattr(shown, "_repr_markdown_")
    assert [tag for tag, _ in tags(shown.data)] == ["ul"] + ["li"] * len(HOSTILE)
    assert f"**{MARK}** _{MARK}_ `{MARK}` # {MARK}" in shown.data  # Markdown characters stay as written


def test_table_escapes_text_of_any_type_and_control_characters():
    frame = pd.DataFrame({"name": [HOSTILE[0], HOSTILE[1]], "tags": [[HOSTILE[1]], {"a": HOSTILE[0]}],
                          "note": [HOSTILE[5], None]})
    markup = present.table(frame, caption=HOSTILE[1], labels={"note": HOSTILE[0]}).to_html()
    assert injected(markup) == [] and "<script" not in markup and "<img" not in markup
    assert "[&#x27;&lt;img src=x onerror=alert(1) alt=HOSTILEMARK&gt;&#x27;]" in markup  # a list, as text
    assert f"{MARK}\ufffdnul" in markup and "\x00" not in markup


def test_text_html_escapes_and_replaces_control_characters():
    assert present.text_html('a<b>&"c"\x00\x07\n\t') == "a&lt;b&gt;&amp;&quot;c&quot;\ufffd\ufffd\n\t"
    assert present.text_html(None) == "–" and present.text_html(12) == "12"
    assert present.printable(3) == 3 and present.printable("a\x00") == "a\ufffd"


DISPLAYS = {
    "header line": lambda: present.header_line(" ".join(HOSTILE), ("planning", "2027Q1")),
    "bullets": lambda: present.bullets(HOSTILE),
    "cards": lambda: present.cards([present.Metric(h, 1.0, h, h) for h in HOSTILE]),
    "callout": lambda: present.callout(" ".join(HOSTILE)),
    "table": lambda: present.table(pd.DataFrame({"account": HOSTILE, "amount": range(len(HOSTILE))}),
                                   caption=" ".join(HOSTILE)),
}


@pytest.mark.parametrize("executive", [True, False], ids=["executive", "analyst"])
@pytest.mark.parametrize("kind", DISPLAYS)
def test_rendered_page_has_no_element_attribute_or_link_from_the_input(tmp_path, kind, executive):
    page = rendered([DISPLAYS[kind]()], tmp_path, executive)
    assert injected(page) == []  # e.g. nbconvert's Markdown autolinked a bare address into <a href=...>
    assert not [attrs for tag, attrs in tags(page) if tag == "a" and "evil.example" in attrs.get("href", "")]
    assert f"[{MARK}](http://evil.example/{MARK})" in page  # shown as text
    assert f"see http://evil.example/{MARK} or www.evil.example/{MARK}" in page
    assert "&lt;img src=x onerror=alert(1) alt=HOSTILEMARK&gt;" in page


def test_long_text_in_tables_and_cards_wraps_on_the_page(tmp_path):
    page = rendered([present.table(pd.DataFrame({"name": ["x" * 2000]}))], tmp_path)
    assert "body.jp-Notebook .jp-RenderedHTMLCommon td" in page
    assert "overflow-wrap: break-word; max-width: 32em;" in page  # cells wrap between words...
    assert "body.jp-Notebook .jp-OutputArea-output { overflow-x: auto; }" in page  # ...and a wider table scrolls
