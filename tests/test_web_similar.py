"""The map view's search by example: a click on a sound lights up its nearest sounds.

Without a browser: the WebSocket message and its answer (a real search,
session/neighbours.py, over known vectors), bad requests counted. In a real
headless Chromium: a live session on a private JACK server (the bundled take
as the mic) lights up what the session's own search finds, drawn on the
canvas; the offline map page lights up the neighbours it was given, else the
sounds nearest on the map.
"""

import json
import pathlib
import socket
import time

import numpy as np
import pytest
from websockets.sync.client import connect

from livemappr.audio.config import EngineConfig
from livemappr.control.playable import SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.session.session import Session, SessionConfig
from livemappr.web import WebView, write_offline_html
from tests.control_helpers import engine_with_snippets, grid_snapshot
from tests.jackserver import wait_until
from tests.similar_rig import one_shot_library, searched_snippets
from tests.test_web_browser import DEMO
from tests.web import cdp


def answer(ws, timeout=10.0):
    """The next ``similar`` text message from the view."""
    end = time.monotonic() + timeout
    while True:
        m = ws.recv(timeout=max(0.01, end - time.monotonic()))
        if isinstance(m, str) and json.loads(m).get("t") == "similar":
            return json.loads(m)


@pytest.fixture
def searching_view():
    """A web view over 32 sounds whose vectors are known, searched by the session's Neighbours."""
    e, X, near, trigger = searched_snippets(32, seed=3, frames=500)
    view = WebView(trigger, host="127.0.0.1", port=0, hooks={"similar": near.ask}).start()
    try:
        yield view, X
    finally:
        view.close()
        near.close()


def test_a_search_is_answered_to_the_page_that_asked_nearest_first(searching_view):
    view, X = searching_view
    d = np.sqrt(((X.astype(np.float64) - X[5]) ** 2).sum(axis=1))
    want = [int(j) for j in np.argsort(d, kind="stable") if j != 5][:4]
    d9 = np.sqrt(((X.astype(np.float64) - X[9]) ** 2).sum(axis=1))
    want9 = [int(j) for j in np.argsort(d9, kind="stable") if j != 9][:3]
    url = f"ws://127.0.0.1:{view.port}/ws"
    with connect(url) as ws, connect(url) as other:
        ws.send(json.dumps({"t": "similar", "i": 5, "n": 4}))
        got = answer(ws)
        assert got == {"t": "similar", "i": 5, "near": want, "library": []}
        other.send(json.dumps({"t": "snippet", "i": 1}))  # the other page gets no answer it did not ask for
        with pytest.raises(TimeoutError):
            answer(other, timeout=0.5)
        # two pages asking the same at once both get it (a question waiting is asked once)
        for _ in range(3):
            ws.send(json.dumps({"t": "similar", "i": 9, "n": 3}))
            other.send(json.dumps({"t": "similar", "i": 9, "n": 3}))
        for page in (ws, other):
            assert [answer(page)["near"] for _ in range(3)] == [want9] * 3
    assert view.errors.counts() == {}


@pytest.mark.parametrize("message, kind", [
    ({"t": "similar", "i": -1}, "out_of_range"),
    ({"t": "similar", "i": 1 << 24}, "out_of_range"),
    ({"t": "similar", "i": 1, "n": 0}, "out_of_range"),
    ({"t": "similar", "i": 1, "n": 101}, "out_of_range"),
    ({"t": "similar", "i": "3"}, "wrong_argument_type"),
    ({"t": "similar", "i": 1.5}, "wrong_argument_type"),
    ({"t": "similar"}, "wrong_argument_type"),
    ({"t": "similar", "i": 99}, "similar_failed"),  # no such snippet: the worker says so
])
def test_bad_searches_are_counted_in_one_line_and_the_page_plays_on(searching_view, message, kind):
    view, X = searching_view
    with connect(f"ws://127.0.0.1:{view.port}/ws") as ws:
        ws.send(json.dumps(message))
        assert wait_until(lambda: view.errors.counts().get(kind) == 1, 5), view.errors.counts()
        ws.send(json.dumps({"t": "similar", "i": 0, "n": 1}))
        assert len(answer(ws)["near"]) == 1
    assert "\n" not in view.errors.first_messages()[kind]


def test_a_view_without_search_says_so():
    e, slots = engine_with_snippets(4, frames=500)
    view = WebView(Trigger(e, SnapshotRef(grid_snapshot(slots, 2))), host="127.0.0.1", port=0).start()
    try:
        with connect(f"ws://127.0.0.1:{view.port}/ws") as ws:
            ws.send(json.dumps({"t": "similar", "i": 1}))
            assert wait_until(lambda: view.errors.counts() == {"unsupported": 1}, 5), view.errors.counts()
    finally:
        view.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lit(b, x, y):
    """How many of the canvas's pixels round (x, y) have the nearest neighbours' ring colour
    (255, 220, 110): no cluster's colour is near it (their yellows have far less blue)."""
    return b.eval(f"""(() => {{ const c = document.getElementById('map'), r = c.getBoundingClientRect();
        const k = c.width / r.width, x = Math.round(({x} - r.left) * k), y = Math.round(({y} - r.top) * k);
        const d = c.getContext('2d').getImageData(x - 10, y - 10, 21, 21).data; let hits = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 255) < 30 && Math.abs(d[i + 1] - 220) < 30 && Math.abs(d[i + 2] - 110) < 30) hits++;
        return hits; }})()""")


@pytest.mark.skipif(not cdp.available(), reason="Debian chromium is not installed on this platform")
def test_a_click_in_the_live_view_lights_up_what_the_session_finds(jack_server, tmp_path):
    library = one_shot_library(tmp_path, 12)
    cfg = SessionConfig(device="system", input=str(DEMO), osc_port=0, midi=False, web_port=free_port(),
                        web_host="127.0.0.1", quiet_db=0, library=str(library / "lib"))
    session = Session(EngineConfig(samplerate=jack_server.samplerate, blocksize=jack_server.period), cfg,
                      log=lambda m: None)
    session.start()
    try:
        with cdp.Browser(1280, 800) as b:
            b.goto(session.web.url)
            b.wait("window.livemappr.n >= 30", 60)
            session.set_recording(False)
            b.wait(f"window.livemappr.n === {len(session.neighbours.mirror)}", 10)
            time.sleep(1.5)  # the view settles
            x, y = b.eval("window.livemappr.screenOf(7)")
            b.click(x, y)
            b.wait("window.livemappr.near !== null", 10)
            got = b.eval("window.livemappr.near")
            i = got["of"]  # the point under the mouse (7, unless another lies on it)
            assert np.hypot(*np.subtract(b.eval(f"window.livemappr.screenOf({i})"), (x, y))) < 14
            found = session.neighbours.find(i, 8)
            want = [j for where, j, _, _ in found if where == "map"]
            assert got["idx"] == want
            # the library's nearest, listed beside the map by name
            assert [name for name, _ in got["library"]] == [name for where, _, _, name in found if where == "library"]
            assert len(got["library"]) == 8
            items = b.eval("[...document.querySelectorAll('#near li')].map(li => li.textContent)")
            assert items == [pathlib.Path(name).name for name, _ in got["library"]]
            assert b.eval("getComputedStyle(document.getElementById('near')).display") == "block"
            assert b.eval("window.livemappr.stats.similar") == 1
            # drawn: a ring round the nearest (the farther ones' fainter rings blend into the map)
            assert lit(b, *b.eval(f"window.livemappr.screenOf({want[0]})")) > 5
            b.screenshot(tmp_path / "neighbours.png")
            b.wait("window.livemappr.near === null", 10)  # they fade out
            time.sleep(0.2)
            assert lit(b, *b.eval(f"window.livemappr.screenOf({want[0]})")) == 0
            assert b.eval("getComputedStyle(document.getElementById('near')).display") == "none"
            assert session.web.errors.counts() == {}
            assert b.console_errors() == []
    finally:
        session.stop()


@pytest.mark.skipif(not cdp.available(), reason="Debian chromium is not installed on this platform")
def test_the_offline_page_lights_up_the_given_neighbours_or_the_nearest_on_the_map(tmp_path):
    rng = np.random.default_rng(2)
    xy = rng.normal(size=(120, 2)) * 4
    snippets = [{"id": i, "source": "a.wav", "start": 0.0, "end": 0.2, "x": float(x), "y": float(y),
                 "cluster": int(i % 4)} for i, (x, y) in enumerate(xy)]
    map_json = {"format": "livemappr-map", "version": 1, "sample_rate": 48000, "snippets": snippets,
                "clusters": [{"id": c, "key": "abcd"[c], "note": 36 + c, "size": 30} for c in range(4)]}
    given = [[int(j) for j in rng.permutation(120)[:8] if j != i][:6] for i in range(120)]
    with cdp.Browser(900, 700) as b:
        for neighbours in (given, None):
            page = write_offline_html(tmp_path / "map.html", map_json, neighbours=neighbours)
            b.goto(page.as_uri())
            b.wait("window.livemappr.settled()", 5)
            b.click(*b.eval("window.livemappr.screenOf(11)"))
            b.wait("window.livemappr.near !== null", 5)
            got = b.eval("window.livemappr.near")
            i = got["of"]
            if neighbours is not None:
                assert got["idx"] == given[i]
            else:
                d = ((xy - xy[i]) ** 2).sum(axis=1)
                assert got["idx"] == [int(j) for j in np.argsort(d, kind="stable") if j != i][:8]
        assert b.console_errors() == []
    with pytest.raises(ValueError, match="neighbours must hold"):
        write_offline_html(tmp_path / "bad.html", map_json, neighbours=[[500]] * 120)

