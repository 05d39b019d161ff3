"""The board pack: the index and the executive pages printed to one PDF, ``board-pack.pdf``, summary first.

The pages are printed by headless Chromium, the browser the pages are checked in (``tests/test_browser.py``),
so the pack is the pages as their print stylesheet lays them out, page numbers and all; the printed pages are
bound into one file by pypdf (pure Python), each page a bookmark. Chromium is looked for on the PATH; where
there is none, the pack is not made, the run goes on and says why (a plan never fails over its PDF).
WeasyPrint was the other candidate: it needs Pango, which a fresh Debian lacks as surely as a browser, and it
lays pages out differently from the browser readers use.

Each step's page is printed as soon as it is rendered, while the next step runs; only the index is printed at
the end (about 1.5 s a page on two cores).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: The board pack's file name in the report folder.
BOARD_PACK = "board-pack.pdf"
#: Browser commands tried in turn (Debian's package installs ``chromium``).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Headless Chromium that talks to nobody: no sync, updates, background or QUIC traffic.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions")
#: Seconds one page may take to print before it counts as failed.
PRINT_TIMEOUT_SECONDS = 120
def no_browser_reason() -> str:
    """Why ``find_browser`` found none, and what to do."""
    named = os.environ.get(BROWSER_VARIABLE, "").strip()
    if named.lower() == "none":
        return f"{BROWSER_VARIABLE} is set to none"
    if named:
        return f"{BROWSER_VARIABLE} names {named}, which is not a command or file here"
    return ("no Chromium browser was found on this machine (looked for: " + ", ".join(BROWSERS) + "); "
            "install one (on Debian: apt-get install chromium) and run again to have it")


class PrintError(RuntimeError):
    """A page could not be printed to PDF."""


#: Environment variable naming the browser to print with (a command or a path), or ``none`` to make no pack.
BROWSER_VARIABLE = "SALESOPS_BROWSER"


def find_browser() -> str | None:
    """The browser named by ``$SALESOPS_BROWSER`` (None when it says ``none``), else the first of ``BROWSERS``
    on the PATH, or None."""
    named = os.environ.get(BROWSER_VARIABLE, "").strip()
    if named.lower() == "none":
        return None
    if named:
        return shutil.which(named)
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def print_to_pdf(browser: str, page: Path, pdf: Path, timeout: float = PRINT_TIMEOUT_SECONDS) -> Path:
    """Print the HTML file ``page`` to ``pdf`` with headless ``browser``, in a profile of its own that is
    removed afterwards. Raises PrintError when the browser fails, hangs or writes nothing."""
    with tempfile.TemporaryDirectory(prefix="salesops-browser-") as profile:
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   f"--print-to-pdf={pdf}",
                   Path(page).resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise PrintError(f"printing {Path(page).name} took more than {timeout:.0f} s") from error
        except OSError as error:
            raise PrintError(f"{browser} could not be started: {error}") from error
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PrintError(f"{browser} did not print {Path(page).name} (exit code {done.returncode}: {last})")
    return pdf


def page_count(pdf: Path) -> int:
    """How many pages ``pdf`` has."""
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def bind(pdfs: list[tuple[str, Path]], out: Path, title: str = "") -> int:
    """Bind the PDFs, in order, into ``out`` (its document title ``title``), each one's first page a bookmark
    with its title; returns the number of pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for heading, pdf in pdfs:
        start = len(writer.pages)
        writer.append(str(pdf))
        writer.add_outline_item(title=heading, page_number=start)
    writer.add_metadata({"/Title": title or out.stem, "/Producer": "salesops"})
    with out.open("wb") as file:
        writer.write(file)
    return len(writer.pages)


@dataclass(frozen=True)
class BoardPack:
    """What became of the board pack: its path and page count, or None and the reason it was not made."""

    path: Path | None
    pages: int
    reason: str = ""


class BoardPackPrinter:
    """Prints pages one at a time as a run renders them, then binds them with the index first.

    Never raises over a page: the first problem is kept, and ``bind`` then returns it as the reason the pack
    was not made.
    """

    def __init__(self, browser: str | None = None):
        self.browser = browser if browser is not None else find_browser()
        self.problem = "" if self.browser else no_browser_reason()
        self._folder = Path(tempfile.mkdtemp(prefix="salesops-board-pack-"))
        self._printed: dict[str, Path] = {}

    def add(self, page: Path) -> None:
        """Print the HTML file ``page`` (unless an earlier page failed or there is no browser)."""
        if self.problem:
            return
        try:
            self._printed[page.name] = print_to_pdf(self.browser, page, self._folder / f"{page.stem}.pdf")
        except PrintError as error:
            self.problem = str(error)

    def bind(self, titled_pages: list[tuple[str, str]], out: Path, title: str = "") -> BoardPack:
        """Bind the printed pages named in ``titled_pages`` ((title, file name) pairs, in order) into ``out``."""
        try:
            missing = [name for _, name in titled_pages if name not in self._printed]
            if self.problem or missing:
                return BoardPack(None, 0, self.problem or f"{', '.join(missing)} was not printed")
            pages = bind([(page_title, self._printed[name]) for page_title, name in titled_pages], out, title)
            return BoardPack(out, pages)
        except Exception as error:  # noqa: BLE001 — a broken PDF must not fail the plan: the run says why
            return BoardPack(None, 0, f"binding the pages failed: {error}")
        finally:
            self.close()

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)
