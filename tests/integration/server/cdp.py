"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

Chromium reads commands from its fd 3 and writes answers to its fd 4, each a JSON
message ended by a NUL byte. That is enough to drive a real page (navigate, type
into a form, submit, read the DOM, take a screenshot) with no WebSocket library and
no browser download: Debian's ``chromium`` package is the only requirement.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any


def _high_pipe() -> tuple[int, int]:
    """A pipe whose ends are above fd 4, so that moving them to fds 3 and 4 clobbers neither."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return ends[0], ends[1]


class CdpError(AssertionError):
    """Chromium answered with an error, died, or did not answer in time."""


class Browser:
    """One headless Chromium with one page, driven through the debugging pipe."""

    def __init__(self, chromium: Path, timeout: float = 60.0) -> None:
        self._timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="secloop-cdp-")
        to_child, self._command_fd = _high_pipe()
        self._answer_fd, from_child = _high_pipe()
        args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,1800", "--hide-scrollbars", "--remote-debugging-pipe",
            f"--user-data-dir={self._profile.name}", "about:blank",
        ]  # fmt: skip
        # bash (dash takes single-digit fds only) moves the pipe ends where Chromium expects
        # them: fd 3 in, fd 4 out.
        self._process = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{to_child} 4>&{from_child}', chromium, *args],
            pass_fds=(to_child, from_child), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: close() ends every helper process
        )  # fmt: skip
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]
        self.call("Page.enable")
        self.call("Page.setBypassCSP", {"enabled": True})  # lets Runtime.evaluate run

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        os.close(self._command_fd)
        group = self._process.pid  # the group id: the process leads its own session
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        os.close(self._answer_fd)
        # Chromium's helper processes (zygote, utility, crash handler) can outlive the
        # browser process for a moment and still write into the profile: end them all
        # before removing it, or the removal races their writes.
        _end_group(group)
        self._profile.cleanup()

    def _send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._command_fd, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + self._timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise CdpError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self._process.poll() is not None:
                raise CdpError("Chromium did not answer in time (or exited)")
            ready, _, _ = select.select([self._answer_fd], [], [], left)
            if ready:
                chunk = os.read(self._answer_fd, 1 << 20)
                if not chunk:
                    raise CdpError("Chromium closed the debugging pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command to the page's session."""
        return self._send(method, params, self._session)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise CdpError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> None:
        """Poll until ``expression`` is truthy in the page (after a load or a submit)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except CdpError:  # the page is between documents
                pass
            time.sleep(0.1)
        raise CdpError(f"timed out waiting for {expression}")

    def goto(self, url: str) -> str:
        """Load ``url``, wait for it, and return the DOM as HTML."""
        self.call("Page.navigate", {"url": url})
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")
        return self.dom()

    def dom(self) -> str:
        return str(self.evaluate("document.documentElement.outerHTML"))

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def _end_group(group: int, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL, every process left in ``group``; return once none is (or,
    where nothing reaps orphans and they linger as zombies, once the time is up)."""
    deadline = time.monotonic() + timeout
    sig = signal.SIGTERM
    while True:
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        time.sleep(0.05)
        if time.monotonic() > deadline:
            if sig is signal.SIGKILL:
                return
            sig, deadline = signal.SIGKILL, time.monotonic() + timeout
