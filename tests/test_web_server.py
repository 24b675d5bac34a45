"""The web view's server without a browser: frames, the page, bad input,
slow and many clients. (In a browser: test_web_browser.py; with the audio
running: test_web_load.py.)"""

import contextlib
import json
import re
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from livemappr.control.playable import PlayableMap, SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.errors import UsageError
from livemappr.files.picture import PALETTE
from livemappr.web import WebView, frames, write_offline_html
from livemappr.web.page import live_page
from tests.control_helpers import engine_with_snippets
from tests.jackserver import wait_until
from tests.web.clients import stuck_client


class SpyTrigger(Trigger):
    """The real trigger, remembering what it was asked to play."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.calls = []

    def play_snippet(self, snippet, velocity=1.0, **k):
        played = super().play_snippet(snippet, velocity, **k)  # raises on a bad value: not recorded
        self.calls.append(("snippet", snippet))
        return played

    def play_cluster(self, cluster, velocity=1.0, **k):
        played = super().play_cluster(cluster, velocity, **k)
        self.calls.append(("cluster", cluster, k.get("key")))
        return played

    def release(self, key, **k):
        self.calls.append(("release", key))
        return super().release(key, **k)


def random_map(n, version, seed=0, slots=None):
    rng = np.random.default_rng(seed)
    slots = np.full(n, -1) if slots is None else slots
    return PlayableMap(rng.random((n, 2)), rng.integers(-1, 16, n), slots, version)


@pytest.fixture
def rig():
    e, slots = engine_with_snippets(32, frames=500)
    ref = SnapshotRef(random_map(32, 1, slots=slots))
    t = SpyTrigger(e, ref)
    hooks = {"record": lambda on: t.calls.append(("record", on))}
    view = WebView(t, host="127.0.0.1", port=0, hooks=hooks, max_pending_bytes=300_000, stall_seconds=1.5).start()
    try:
        yield view, t, ref
    finally:
        view.close()
    assert not [th for th in threading.enumerate() if th.name == "livemappr-web"]


def ws_url(view):
    return f"ws://127.0.0.1:{view.port}/ws"


def next_frame(ws, timeout=5.0):
    end = time.monotonic() + timeout
    while True:
        m = ws.recv(timeout=max(0.01, end - time.monotonic()))
        if isinstance(m, bytes):
            return frames.decode(m)


def test_frames_carry_what_changed_and_rebuild_the_map():
    state = frames.MapState()
    rng = np.random.default_rng(3)
    u, c = rng.random((1000, 2)), rng.integers(-1, 20, 1000)
    full = frames.decode(state.update(u, c, 1))
    assert full["kind"] == frames.FULL and full["n"] == 1000 and len(full["x"]) == 1000
    assert len(state.full()) == 24 + 5 * 1000  # 5 bytes a point
    np.testing.assert_allclose(full["x"], u[:, 0], atol=1 / 65535)
    np.testing.assert_array_equal(full["cluster"], c)
    # Ten points move, five arrive: a diff of fifteen.
    u2, c2 = np.vstack([u, rng.random((5, 2))]), np.concatenate([c, [1, 2, 3, 4, 5]])
    u2[10:20] += 0.01
    d = frames.decode(state.update(u2, c2, 2))
    assert d["kind"] == frames.DIFF and d["base"] == 1 and d["version"] == 2 and d["n"] == 1005
    assert sorted(d["index"].tolist()) == list(range(10, 20)) + list(range(1000, 1005))
    # Applying it to the first frame gives the new map.
    x = np.zeros(1005)
    x[:1000] = full["x"]
    x[d["index"]] = d["x"]
    np.testing.assert_allclose(x, np.clip(u2[:, 0], 0, 1), atol=1 / 65535)
    # Everything moved (t-SNE settling): the full frame is smaller, so it goes instead.
    assert frames.decode(state.update(u2 * 0.9, c2, 3))["kind"] == frames.FULL
    assert state.update(u2 * 0.9, c2, 4) is None  # nothing a client sees changed


def test_the_page_needs_no_other_file_and_uses_the_png_colours():
    html = live_page()
    assert not re.search(r"""(src|href)\s*=|https?://|@import|url\(""", html), "the page must load nothing else"
    assert "/*LIVEMAPPR_" not in html
    assert json.dumps(PALETTE.tolist(), separators=(",", ":")) in html


def test_offline_page_embeds_the_map_and_rejects_a_bad_one(tmp_path):
    m = {"snippets": [{"id": 0, "source": "a.wav", "start": 0, "end": 1, "x": 1.5, "y": -2, "cluster": 0}],
         "clusters": [{"id": 0, "key": "a", "note": 36, "size": 1}]}
    html = write_offline_html(tmp_path / "map.html", m).read_text()
    assert '"mode":"offline"' in html and '"x":1.5' in html
    with pytest.raises(ValueError, match=r"snippets\[0\]\.x must be a number, got 'no'"):
        write_offline_html(tmp_path / "bad.html", {"snippets": [dict(m["snippets"][0], x="no")]})


def test_page_and_websocket_get_the_map_and_play_through_the_trigger(rig):
    view, t, ref = rig
    page = urllib.request.urlopen(view.url, timeout=5)
    assert page.headers["Content-Type"].startswith("text/html") and b"<canvas" in page.read()
    with connect(ws_url(view)) as ws:
        f = next_frame(ws)
        assert f["kind"] == frames.FULL and f["n"] == 32 and f["version"] == 1
        ref.publish(random_map(40, 2, seed=1, slots=np.r_[np.arange(32), -np.ones(8, int)]))
        f = next_frame(ws)
        assert f["version"] == 2 and f["n"] == 40
        for m in ({"t": "snippet", "i": 3}, {"t": "key", "k": "b", "down": True}, {"t": "key", "k": "b", "down": False},
                  {"t": "pad", "n": 2, "down": True}, {"t": "record", "on": False}, {"t": "hold", "on": True}):
            ws.send(json.dumps(m))
        assert wait_until(lambda: len(t.calls) >= 5, 5)
        assert wait_until(lambda: t.hold, 5)
    # The pad still held when the page went away is let go.
    assert wait_until(lambda: any(c[0] == "release" and c[1][2] == "pad" for c in t.calls), 5)
    kinds = [c[:2] if c[0] != "release" else c[0] for c in t.calls]
    assert kinds[:5] == [("snippet", 3), ("cluster", 1), "release", ("cluster", 2), ("record", False)]
    assert view.errors.counts() == {}


BAD = ["not json", "[1, 2]", "{}", '{"t": "nope"}', '{"t": "snippet"}', '{"t": "snippet", "i": "3"}',
       '{"t": "snippet", "i": 99999}', '{"t": "snippet", "i": true}', '{"t": "key", "k": "ab", "down": true}',
       '{"t": "key", "k": "7", "down": true}', '{"t": "pad", "n": 16, "down": true}', '{"t": "pad", "n": 1}',
       '{"t": "xy", "x": 2, "y": 0}', '{"t": "loop", "action": "explode"}', '{"t": "snippet", "i": 1, "v": 9}',
       "\u0000" * 100, '{"t": ' * 500]


def test_malformed_messages_are_counted_and_the_connection_plays_on(rig):
    view, t, ref = rig
    with connect(ws_url(view)) as ws:
        for m in BAD:
            ws.send(m)
        ws.send(b"\x00\x01binary")
        ws.send(json.dumps({"t": "snippet", "i": 5}))
        assert wait_until(lambda: ("snippet", 5) in t.calls, 5)
    counts = view.errors.counts()
    assert sum(counts.values()) == len(BAD) + 1, counts
    assert set(counts) == {"malformed", "unknown_message", "wrong_argument_type", "out_of_range", "binary"}, counts
    assert t.calls == [("snippet", 5)]
    messages = view.errors.first_messages()
    assert messages["unknown_message"].startswith("t must be one of snippet, xy, key, pad")
    # An oversized message closes only that connection (1009); the server goes on.
    with connect(ws_url(view)) as ws:
        with pytest.raises(ConnectionClosed):
            ws.send("x" * 100_000)
            while True:
                ws.recv(timeout=5)
        assert ws.close_code == 1009
    with connect(ws_url(view)) as ws:
        assert next_frame(ws)["n"] == 32


def test_allow_list_and_foreign_pages_are_refused():
    e, slots = engine_with_snippets(4, frames=100)
    t = Trigger(e, SnapshotRef(random_map(4, 1, slots=slots)))
    with WebView(t, host="127.0.0.1", port=0, allow=["10.0.0.0/8"]) as view:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(view.url, timeout=5)
        assert err.value.code == 403
        assert view.errors.counts() == {"not_allowed": 1}
    with WebView(t, host="127.0.0.1", port=0) as view:
        with pytest.raises(InvalidStatus, match="403"):
            with connect(ws_url(view), origin="http://evil.example", open_timeout=5):
                pass
        with connect(ws_url(view), origin=f"http://127.0.0.1:{view.port}") as ws:
            assert next_frame(ws)["n"] == 4
    with pytest.raises(UsageError, match="web allow-list: 'not-an-address' does not appear to be an IPv4"):
        WebView(t, allow=["not-an-address"])


def test_a_port_in_use_is_a_one_line_error():
    e, _ = engine_with_snippets(1, frames=100)
    with WebView(Trigger(e), host="127.0.0.1", port=0) as view:
        with pytest.raises(UsageError, match=rf"cannot serve the web view on 127.0.0.1:{view.port}: .*--web-port"):
            WebView(Trigger(e), host="127.0.0.1", port=view.port).start()


def raw_client_that_never_reads(port):
    """A WebSocket handshake, then silence: the client never reads again
    (once it has seen the server switch protocols)."""
    s = stuck_client(port)
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def test_a_client_that_never_reads_is_dropped_and_the_others_keep_up(rig):
    view, t, ref = rig
    stuck = raw_client_that_never_reads(view.port)
    try:
        with connect(ws_url(view), max_size=None) as ws:
            assert wait_until(lambda: view.clients == 2, 5)
            v = 1
            end = time.monotonic() + 6
            while time.monotonic() < end and view.stats["dropped"] == 0:
                v += 1
                ref.publish(random_map(5000, v, seed=v))
                f = next_frame(ws)
                while f["version"] < v:
                    f = next_frame(ws)
                assert f["n"] == 5000
            assert view.stats["dropped"] == 1, view.stats
            assert wait_until(lambda: view.clients == 1, 5)
            assert set(view.errors.counts()) == {"slow_client"}
            # Still live for the client that reads.
            ref.publish(random_map(5000, v + 1, seed=v + 1))
            f = next_frame(ws)
            while f["version"] < v + 1:
                f = next_frame(ws)
    finally:
        stuck.close()


def test_a_silent_client_on_a_small_map_is_dropped_when_it_misses_a_ping():
    e, slots = engine_with_snippets(4, frames=100)
    t = Trigger(e, SnapshotRef(random_map(4, 1, slots=slots)))
    with WebView(t, host="127.0.0.1", port=0, ping_seconds=0.5) as view:
        stuck = raw_client_that_never_reads(view.port)
        try:
            with connect(ws_url(view), max_queue=None) as ws:  # this one reads (and answers pings)
                assert wait_until(lambda: view.stats["dropped"] == 1, 5)
                time.sleep(1.5)
                assert next_frame(ws)["n"] == 4 and view.clients == 1
            assert view.errors.counts() == {"slow_client": 1}
        finally:
            stuck.close()


def test_twenty_clients_get_every_map_change(rig):
    view, t, ref = rig
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(ws_url(view), max_size=None)) for _ in range(20)]
        assert wait_until(lambda: view.clients == 20, 10)
        for v in range(2, 6):
            ref.publish(random_map(2000, v, seed=v))
            for ws in clients:
                f = next_frame(ws)
                while f["version"] < v:
                    f = next_frame(ws)
                assert f["version"] == v
        assert view.stats["dropped"] == 0 and view.errors.counts() == {}
    assert wait_until(lambda: view.clients == 0, 5)


def test_cluster_names_pass_through_to_the_page_only_when_the_map_has_them(rig):
    assert frames.cluster_names(None) == {}
    assert frames.cluster_names(["kick", None, "", "  open\nhat "]) == {"0": "kick", "3": "open hat"}
    assert frames.cluster_names({2: "x" * 99, -1: "noise"}) == {"2": "x" * frames.NAME_CHARS}
    view, t, ref = rig

    def names_messages(ws, until):
        seen, end = [], time.monotonic() + 5
        while time.monotonic() < end:
            m = ws.recv(timeout=max(0.01, end - time.monotonic()))
            if isinstance(m, str) and json.loads(m)["t"] == "names":
                seen.append(json.loads(m)["names"])
            elif isinstance(m, bytes) and frames.decode(m)["version"] >= until:
                return seen
        return seen

    with connect(ws_url(view)) as ws:
        assert names_messages(ws, 1) == []  # a map without names: no message, the page shows letters
        ref.publish(PlayableMap(np.random.default_rng(3).random((32, 2)), np.arange(32) % 4, np.full(32, -1), 2,
                                cluster_names={1: "kick"}))
        assert names_messages(ws, 2) == [{"1": "kick"}]
    with connect(ws_url(view)) as ws:  # a new page gets them first thing
        assert names_messages(ws, 2) == [{"1": "kick"}]


def test_a_page_that_goes_away_while_teaching_a_pad_lets_go_of_it():
    calls = []
    e, slots = engine_with_snippets(4, frames=500)
    t = Trigger(e, SnapshotRef(random_map(4, 1, slots=slots)))
    view = WebView(t, hooks={"pad_learn": lambda n, on: calls.append((n, on))}, host="127.0.0.1", port=0).start()
    try:
        with connect(ws_url(view)) as ws:
            ws.send(json.dumps({"t": "learn", "n": 4, "on": True}))
            assert wait_until(lambda: calls == [(4, True)], 5)
        # the page is gone without letting go: the server lets go for it
        assert wait_until(lambda: calls == [(4, True), (4, False)], 5), calls
        assert view.errors.counts() == {}
    finally:
        view.close()
