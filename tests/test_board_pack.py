"""The board pack's binding and its failures (the printing itself is checked in a real browser by
test_browser.py); the navigation header of the pages."""

from __future__ import annotations

import stat

from pypdf import PdfReader, PdfWriter

from salesops.report import board_pack, pages


def blank_pdf(path, count):
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(595, 842)
    writer.write(path)
    return path


def test_bind_puts_the_pages_in_order_each_a_bookmark(tmp_path):
    out = tmp_path / "pack.pdf"
    count = board_pack.bind([("Summary", blank_pdf(tmp_path / "a.pdf", 2)), ("Step 1", blank_pdf(tmp_path / "b.pdf", 3))],
                            out, "Acme · plan 2027Q1")
    pack = PdfReader(out)
    assert count == 5 and len(pack.pages) == 5 and pack.metadata.title == "Acme · plan 2027Q1"
    assert [(item.title, pack.get_destination_page_number(item)) for item in pack.outline] == [("Summary", 0),
                                                                                               ("Step 1", 2)]


def test_no_browser_makes_no_pack_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_BROWSER", "none")
    printer = board_pack.BoardPackPrinter()
    printer.add(tmp_path / "index.html")
    pack = printer.bind([("Summary", "index.html")], tmp_path / "pack.pdf")
    assert pack.path is None and pack.reason == "SALESOPS_BROWSER is set to none"
    assert not (tmp_path / "pack.pdf").exists()
    monkeypatch.setenv("SALESOPS_BROWSER", "no-such-browser")
    assert "names no-such-browser, which is not a command" in board_pack.BoardPackPrinter().problem
    monkeypatch.delenv("SALESOPS_BROWSER")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert board_pack.find_browser() is None
    assert "apt-get install chromium" in board_pack.no_browser_reason()


def test_a_browser_that_fails_makes_no_pack_and_says_why(tmp_path):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "index.html").write_text("<p>hi</p>")
    printer = board_pack.BoardPackPrinter(str(broken))
    printer.add(tmp_path / "index.html")
    pack = printer.bind([("Summary", "index.html")], tmp_path / "pack.pdf")
    assert pack.path is None
    assert pack.reason == f"{broken} did not print index.html (exit code 3: cannot open display)"


def test_navigation_links_the_summary_and_every_step_marking_the_current_page():
    steps = ["01_collect", "02_demand"]
    nav = pages.navigation("Acme", "2027Q1", steps, "02_demand")
    assert [(link.label, link.href, link.current) for link in nav.links] == [
        ("Summary", "index.html", False), ("Step 1 · Collect", "01_collect.html", False),
        ("Step 2 · Demand", "02_demand.html", True)]
    analyst = pages.navigation("Acme", "2027Q1", steps, "01_collect", analyst=True)
    assert analyst.links[0].href == "../index.html" and analyst.links[1].current
    assert [link.current for link in pages.navigation("Acme", "2027Q1", steps, None).links] == [True, False, False]
