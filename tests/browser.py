"""A small driver of headless Chromium over the DevTools protocol, for the browser tests.

The protocol runs over a pair of pipes (``--remote-debugging-pipe``: the browser reads commands on its file
descriptor 3 and writes answers and events on 4, each message JSON ending in a NUL byte), so the driver needs
nothing but the standard library and opens no port. One ``Browser`` starts one Chromium; ``open(url)`` loads a
page in a new tab and returns a ``Tab`` that has kept every console message, uncaught error and network
request of the load.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from salesops.report.board_pack import CHROMIUM_FLAGS

#: Seconds to wait for one answer or event before giving up.
TIMEOUT = 60.0


class BrowserError(RuntimeError):
    pass


@dataclass
class Tab:
    browser: "Browser"
    session: str
    console: list[dict] = field(default_factory=list)  # console messages, uncaught errors and browser log entries
    requests: list[str] = field(default_factory=list)  # every URL the page requested
    target: str = ""

    def call(self, method: str, **params) -> dict:
        return self.browser.call(method, params, self.session)

    def errors(self) -> list[str]:
        """The console messages and log entries of level error, and uncaught exceptions, as text."""
        return [entry["text"] for entry in self.console if entry["level"] == "error"]

    def outside_requests(self) -> list[str]:
        """Requested URLs that would leave the machine: anything but the page's files and inline data."""
        return [url for url in self.requests if not url.startswith(("file:", "data:", "about:", "blob:"))]

    def print_pdf(self) -> bytes:
        """The page printed as the browser's print dialog would with its defaults, the page's own @page size
        (A4) and margins, and backgrounds."""
        answer = self.call("Page.printToPDF", preferCSSPageSize=True, printBackground=True,
                           displayHeaderFooter=False)
        return base64.b64decode(answer["data"])

    def screenshot(self, width: int, mobile: bool = False) -> bytes:
        """The whole page as a PNG at ``width`` CSS pixels."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=mobile)
        height = self.call("Runtime.evaluate", expression="document.documentElement.scrollHeight",
                           returnByValue=True)["result"]["value"]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=int(height), deviceScaleFactor=1,
                  mobile=mobile)
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def close(self) -> None:
        self.browser.call("Target.closeTarget", {"targetId": self.target})


class Browser:
    """One headless Chromium driven over pipes; use as a context manager."""

    def __init__(self, executable: str):
        self._profile = tempfile.TemporaryDirectory(prefix="salesops-test-browser-")
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()
        # the child must find them on 3 and 4: move them out of the way first, so that placing one cannot close
        # the other
        child_in = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)

        def place_pipes():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self._process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile.name}",
             "--hide-scrollbars"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=place_pipes, pass_fds=(3, 4))
        for fd in (to_browser_read, from_browser_write, child_in, child_out):
            os.close(fd)
        self._write = to_browser_write
        self._read = from_browser_read
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.call("Browser.close", {})
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise BrowserError("the browser did not answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise BrowserError("the browser closed its pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def _wait_for(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    del self._events[i]
                    return
            self._events.append(self._message(deadline))

    def open(self, url: str, settle_seconds: float = 0.3) -> Tab:
        """Load ``url`` in a new tab and wait for its load event (and ``settle_seconds`` more for late requests)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tab = Tab(self, session, target=target)
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.call(f"{domain}.enable")
        tab.call("Page.navigate", url=url)
        self._wait_for("Page.loadEventFired", session)
        end = time.monotonic() + settle_seconds
        while time.monotonic() < end:
            if select.select([self._read], [], [], max(end - time.monotonic(), 0))[0] or b"\0" in self._buffer:
                self._events.append(self._message(time.monotonic() + TIMEOUT))
        for event in [e for e in self._events if e.get("sessionId") == session]:
            self._events.remove(event)
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                tab.console.append({"level": "error" if params["type"] in ("error", "assert") else params["type"],
                                    "text": text})
            elif event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                tab.console.append({"level": "error",
                                    "text": details.get("exception", {}).get("description", details["text"])})
            elif event["method"] == "Log.entryAdded":
                entry = params["entry"]
                tab.console.append({"level": entry["level"], "text": f"{entry.get('url', '')}: {entry['text']}"})
            elif event["method"] == "Network.requestWillBeSent":
                tab.requests.append(params["request"]["url"])
        return tab
