"""A headless Debian chromium driven over the DevTools protocol, from Python.

Runs on: the test's thread. Chromium is started with a fresh profile and
``--remote-debugging-port=0`` on loopback; the port it picked is read from
the profile's ``DevToolsActivePort`` file and one page target is driven over
a WebSocket (the ``websockets`` sync client the web view's dependency
brings). No node, no browser download: /usr/bin/chromium or nothing.
The browser and its children are one process group, stopped by its pid.
"""

import base64
import itertools
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--no-default-browser-check",
         "--disable-extensions", "--mute-audio", "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0")


def available():
    return os.access(CHROMIUM, os.X_OK)


class CdpError(RuntimeError):
    pass


class Browser:
    """One chromium, one page.

    Parameters
    ----------
    width, height : int
        The window (CSS pixels).
    mobile : bool
        Emulate a phone (touch, device pixel ratio 2).
    """

    def __init__(self, width=1280, height=800, mobile=False):
        self.profile = tempfile.mkdtemp(prefix="livemappr-chromium-")
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}",
                                      f"--window-size={width},{height}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self._ids = itertools.count(1)
        self.events = []
        try:
            port = self._port(30.0)
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
            page = next(t for t in targets if t["type"] == "page")
            from websockets.sync.client import connect

            self._connection = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
            self.ws = self._connection.__enter__()
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.viewport(width, height, mobile)
        except BaseException:
            self.close()
            raise

    def _port(self, timeout):
        path = pathlib.Path(self.profile) / "DevToolsActivePort"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise CdpError(f"chromium exited with {self.proc.returncode}: {self.proc.stderr.read()[-2000:]!r}")
            try:
                text = path.read_text().split()
                if text:
                    return int(text[0])
            except OSError:
                pass
            time.sleep(0.05)
        raise CdpError(f"chromium did not open its DevTools port in {timeout} s")

    def call(self, method, timeout=30.0, **params):
        """One protocol command; returns its result (events meanwhile go to ``events``)."""
        i = next(self._ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise CdpError(f"{method}: no answer in {timeout} s")
            m = json.loads(self.ws.recv(timeout=left))
            if m.get("id") == i:
                if "error" in m:
                    raise CdpError(f"{method}: {m['error']}")
                return m.get("result", {})
            if len(self.events) < 10000:
                self.events.append(m)

    def viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        self.call("Emulation.setTouchEmulationEnabled", enabled=mobile)

    def goto(self, url):
        self.call("Page.navigate", url=url)
        self.wait("document.readyState === 'complete' && window.livemappr !== undefined", 20)

    def eval(self, expression):
        """The value of a JavaScript expression (JSON-able), awaited if it is a promise."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise CdpError(f"{expression}: {r['exceptionDetails'].get('exception', r['exceptionDetails'])}")
        return r["result"].get("value")

    def wait(self, expression, timeout=10.0, step=0.05):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.eval(f"!!({expression})"):
                return True
            time.sleep(step)
        raise CdpError(f"waited {timeout} s for {expression}")

    def click(self, x, y, count=1):
        """A mouse move to (x, y), then press and release there (CSS pixels); ``count`` 2 is a double click."""
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y, button="none", clickCount=0)
        for c in range(1, count + 1):
            self.mouse(x, y, True, c)
            self.mouse(x, y, False, c)

    def mouse(self, x, y, down, count=1):
        """Press (``down``) or release the left button at (x, y): a long press is one, a wait, the other."""
        self.call("Input.dispatchMouseEvent", type="mousePressed" if down else "mouseReleased", x=x, y=y,
                  button="left", clickCount=count)

    def type(self, text):
        """Type ``text`` into the focused field."""
        self.call("Input.insertText", text=text)

    def enter(self):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                      **({"text": "\r"} if kind == "keyDown" else {}))

    def tap(self, x, y):
        self.touch(x, y, True)
        self.touch(x, y, False)

    def touch(self, x, y, down):
        """A finger on (``down``) or off the screen at (x, y): a long press is one, a wait, the other."""
        self.call("Input.dispatchTouchEvent", type="touchStart" if down else "touchEnd",
                  touchPoints=[{"x": x, "y": y}] if down else [])

    def key(self, letter, down=True):
        code = f"Key{letter.upper()}"
        vk = ord(letter.upper())
        if down:
            self.call("Input.dispatchKeyEvent", type="keyDown", key=letter, code=code, text=letter,
                      windowsVirtualKeyCode=vk)
        else:
            self.call("Input.dispatchKeyEvent", type="keyUp", key=letter, code=code, windowsVirtualKeyCode=vk)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))
        return path

    def console_errors(self):
        out = []
        for m in self.events:
            if m.get("method") == "Runtime.exceptionThrown":
                out.append(str(m["params"]["exceptionDetails"]))
            elif m.get("method") == "Runtime.consoleAPICalled" and m["params"].get("type") == "error":
                out.append(str(m["params"].get("args")))
        return out

    def close(self):
        connection = getattr(self, "_connection", None)
        if connection is not None:
            try:
                connection.__exit__(None, None, None)
            except Exception:  # the browser may already be gone; it is stopped below anyway
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group this browser leads: its own pid
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
