"""Load a page in headless Chromium, offline, and report what it did: the DevTools protocol over a pipe.

Shared by the browser tests of the HTML report and by ``report_screenshot.py``, which makes
the README's picture the same way. It drives the system's Chromium (Debian's ``chromium``)
through ``--remote-debugging-pipe``: no driver to download, no port to open. Chromium runs
with a fresh profile and every background service off (no component updates, sync, field
trials or QUIC), so the only requests are the ones the page makes, and each one is recorded.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """The Chromium binary on PATH (Debian's package installs ``chromium``), or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Loaded:
    """What a page load did: every request URL, the load time, console errors, values asked for."""

    requests: list[str] = field(default_factory=list)
    load_ms: float = 0.0
    console_errors: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


class BrowserError(RuntimeError):
    """Chromium did not start, answer or load the page in time."""


class Chromium:
    """One headless Chromium process; use as a context manager."""

    def __init__(self, binary: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="tokenlint-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # the child keeps fds 3 and 4, which _as_fds sets up
            preexec_fn=lambda: _as_fds(to_browser_r, from_browser_w),  # noqa: PLW1509 (one thread)
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):  # it may be gone already
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self._events.append(answer)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event ``method`` (already arrived or next to arrive)."""
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method:
                    del self._events[i]
                    return event
            self._events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise BrowserError(f"no answer from Chromium in {self.timeout:.0f} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the pipe (did it start?)")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def load(
        self,
        page: Path,
        width: int = 1280,
        height: int = 900,
        evaluate: dict[str, str] | None = None,
        screenshot: Path | None = None,
        until: str | None = None,
        scripts: bool = True,
    ) -> Loaded:
        """Open ``page`` in a new tab, wait for its load event, evaluate expressions, take a screenshot.

        The screenshot covers the whole page (``height`` only sets the window), or the page
        down to the bottom of the element that the CSS selector ``until`` finds. ``scripts=False`` loads the page as a
        reader with scripts disabled sees it.
        """
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session)
        self.send(
            "Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1, mobile=False
        )
        if not scripts:
            self.send("Emulation.setScriptExecutionDisabled", session, value=True)
        self._events.clear()
        started = time.perf_counter()
        self.send("Page.navigate", session, url=page.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        loaded = Loaded(load_ms=(time.perf_counter() - started) * 1000)
        for name, expression in (evaluate or {}).items():
            answer = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
            if "exceptionDetails" in answer:
                raise BrowserError(f"{name}: {answer['exceptionDetails']}")
            loaded.values[name] = answer["result"].get("value")
        if screenshot is not None:
            size = self.send("Page.getLayoutMetrics", session)["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": width, "height": min(size["height"], 16000), "scale": 1}
            if until is not None:
                bottom = f"document.querySelector({json.dumps(until)}).getBoundingClientRect().bottom + 12"
                clip["height"] = self.send("Runtime.evaluate", session, expression=bottom)["result"]["value"]
            shot = self.send("Page.captureScreenshot", session, format="png", clip=clip, captureBeyondViewport=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        for event in self._events:
            params = event.get("params", {})
            if event.get("method") == "Network.requestWillBeSent":
                loaded.requests.append(params["request"]["url"])
            elif event.get("method") == "Runtime.exceptionThrown":
                loaded.console_errors.append(json.dumps(params.get("exceptionDetails", {}).get("text")))
            elif event.get("method") == "Log.entryAdded" and params["entry"].get("level") == "error":
                loaded.console_errors.append(params["entry"].get("text", ""))
            elif event.get("method") == "Page.javascriptDialogOpening":
                loaded.console_errors.append(f"dialog: {params.get('message')}")
        self.send("Target.closeTarget", targetId=target)
        return loaded


def _as_fds(read_end: int, write_end: int) -> None:
    """In the child: the pipe ends become fds 3 and 4, where ``--remote-debugging-pipe`` reads
    commands and writes answers (moved above 10 first, so that neither overwrites the other)."""
    high_read = fcntl.fcntl(read_end, fcntl.F_DUPFD, 10)
    high_write = fcntl.fcntl(write_end, fcntl.F_DUPFD, 10)
    os.dup2(high_read, 3)
    os.dup2(high_write, 4)
