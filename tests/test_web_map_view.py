"""How the map view shows the clusters, in a real browser (headless Debian
chromium, as test_web_browser.py drives it) against a web view serving a
map of our making (no audio: a trigger on an engine that is never started):
the occupied part of the map fills the canvas at desktop and phone size,
cluster labels never overlap and stay on the canvas, and a cluster's name
from the server shows beside its letter."""

import contextlib

import numpy as np
import pytest

from livemappr.control.playable import PlayableMap, SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.web import WebView, write_offline_html
from tests.control_helpers import engine_with_snippets
from tests.web import cdp

pytestmark = pytest.mark.skipif(not cdp.available(), reason="Debian chromium is not installed on this platform")

SIZES = [pytest.param(1280, 800, False, id="1280x800"), pytest.param(390, 844, True, id="390x844")]


@contextlib.contextmanager
def served(snapshot):
    """A web view on loopback serving ``snapshot``; yields (view, ref)."""
    engine, _ = engine_with_snippets(2, frames=100)
    ref = SnapshotRef(snapshot)
    view = WebView(Trigger(engine, ref), host="127.0.0.1", port=0, peaks_per_second=0).start()
    try:
        yield view, ref
    finally:
        view.close()


def corner_blobs(seed=0, per=100):
    """Three tight blobs in one corner of the coordinate range, and three
    far outliers that make the range (what t-SNE does to a live map)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[5.0, 5.0], [12.0, 6.0], [8.0, 13.0]])
    pos = np.concatenate([c + rng.normal(scale=1.0, size=(per, 2)) for c in centres]
                         + [np.array([[100.0, 100.0], [100.0, 20.0], [30.0, 100.0]])])
    cid = np.r_[np.repeat(np.arange(3), per), -1, -1, -1]
    return pos, cid


def drawn(b):
    """Every point's screen position, and the canvas's rectangle (CSS px)."""
    return b.eval("""(() => { const r = document.getElementById('map').getBoundingClientRect();
        const p = []; for (let i = 0; i < window.livemappr.n; i++) p.push(window.livemappr.screenOf(i));
        return {p: p, rect: [r.left, r.top, r.width, r.height]}; })()""")


def next_frames(b):
    """Wait until the page has drawn twice more."""
    b.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def open_settled(b, url, n):
    """Open the page and wait until it shows all ``n`` points at rest (live:
    after the first status line, which can change the canvas's height)."""
    b.goto(url)
    b.wait(f"window.livemappr.n === {n}", 20)
    if url.startswith("http"):
        b.wait("window.livemappr.status !== null", 10)
    next_frames(b)
    b.wait("window.livemappr.settled()", 10)
    next_frames(b)


@pytest.mark.parametrize("width,height,mobile", SIZES)
def test_the_occupied_area_fills_the_canvas_at_one_scale(width, height, mobile):
    pos, cid = corner_blobs()
    snap = PlayableMap(pos, cid, np.full(len(pos), -1), 1)
    with served(snap) as (view, ref), cdp.Browser(width, height, mobile=mobile) as b:
        open_settled(b, view.url, len(pos))
        d = drawn(b)
        p = np.asarray(d["p"])
        left, top, w, h = d["rect"]
        blobs = p[cid >= 0]
        span = blobs.max(axis=0) - blobs.min(axis=0)
        filled = max(span[0] / w, span[1] / h)
        assert filled >= 0.75, f"the three blobs fill {filled:.0%} of the {w:.0f}x{h:.0f} canvas"
        # Every point, the outliers too, is drawn inside the canvas.
        assert (p[:, 0] >= left).all() and (p[:, 0] <= left + w).all(), p[cid < 0]
        assert (p[:, 1] >= top).all() and (p[:, 1] <= top + h).all(), p[cid < 0]
        # One scale for x and y: screen distances between blob points are map distances times one number.
        u = snap.unit[:300]
        i, j = np.argmin(u[:, 0]), np.argmax(u[:, 0])
        k, m = np.argmin(u[:, 1]), np.argmax(u[:, 1])
        kx = (p[j, 0] - p[i, 0]) / (u[j, 0] - u[i, 0])
        ky = (p[k, 1] - p[m, 1]) / (u[m, 1] - u[k, 1])  # y up on the map, down on the screen
        assert kx == pytest.approx(ky, rel=0.02)
        # More points landing inside the blobs (inside the map's range, so
        # their unit positions stay) do not move the view.
        pick = np.random.default_rng(5).integers(0, 300, 6)
        centre = np.array([pos[cid == c].mean(axis=0) for c in range(3)])
        more = np.concatenate([pos, (pos[pick] + centre[cid[pick]]) / 2])
        more_cid = np.r_[cid, cid[pick]]
        ref.publish(PlayableMap(more, more_cid, np.full(len(more), -1), 2))
        b.wait(f"window.livemappr.n === {len(more)}", 10)
        b.wait("window.livemappr.settled()", 10)
        after = np.asarray(drawn(b)["p"])[:len(pos)]
        assert np.abs(after - p).max() < 2.0, "the view moved when points landed inside it"
        assert b.console_errors() == []


def piled_clusters(k=16, per=20, seed=2):
    """``k`` clusters spread over the same cloud, their centres a hair apart."""
    base = np.random.default_rng(seed).normal(size=(per, 2))
    pos = np.concatenate([base + [0.01 * c, 0.005 * c] for c in range(k)])
    return pos, np.repeat(np.arange(k), per)


def overlaps(boxes):
    out = []
    for a in range(len(boxes)):
        for c in range(a + 1, len(boxes)):
            p, q = boxes[a], boxes[c]
            if min(p["x"] + p["w"], q["x"] + q["w"]) - max(p["x"], q["x"]) > 0.5 and \
                    min(p["y"] + p["h"], q["y"] + q["h"]) - max(p["y"], q["y"]) > 0.5:
                out.append((p["text"], q["text"]))
    return out


@pytest.mark.parametrize("width,height,mobile", SIZES)
def test_sixteen_piled_cluster_labels_do_not_overlap_and_stay_on_the_canvas(width, height, mobile):
    pos, cid = piled_clusters()
    with served(PlayableMap(pos, cid, np.full(len(pos), -1), 1)) as (view, ref), \
            cdp.Browser(width, height, mobile=mobile) as b:
        open_settled(b, view.url, len(pos))
        boxes = b.eval("window.livemappr.labels()")
        size = b.eval("(r => [r.width, r.height])(document.getElementById('map').getBoundingClientRect())")
        assert sorted(x["c"] for x in boxes) == list(range(16))
        centres = np.array([[x["ax"], x["ay"]] for x in boxes])
        assert np.ptp(centres, axis=0).max() < 40, "the clusters' centres should pile up on screen"
        assert overlaps(boxes) == []
        for x in boxes:
            assert x["w"] > 10 and x["h"] > 10, x
            assert x["x"] >= 0 and x["y"] >= 0 and x["x"] + x["w"] <= size[0] and x["y"] + x["h"] <= size[1], (x, size)
        # The labels keep their places (beside their centres) from one drawn frame to the next.
        b.eval("window.dispatchEvent(new Event('resize'))")
        b.wait("window.livemappr.settled()", 5)
        next_frames(b)
        offsets = lambda boxes: {x["c"]: (round(x["x"] - x["ax"], 3), round(x["y"] - x["ay"], 3)) for x in boxes}
        assert offsets(b.eval("window.livemappr.labels()")) == offsets(boxes)
        assert b.console_errors() == []


def test_a_cluster_name_from_the_server_shows_beside_its_letter(tmp_path):
    pos, cid = corner_blobs(per=30)
    snap = PlayableMap(pos, cid, np.full(len(pos), -1), 1, cluster_names={0: "kick", 2: "hat"})
    with served(snap) as (view, ref), cdp.Browser(900, 700) as b:
        open_settled(b, view.url, len(pos))
        b.wait("window.livemappr.labels().length === 3", 5)
        texts = {x["c"]: x["text"] for x in b.eval("window.livemappr.labels()")}
        assert texts[0].startswith("A") and "kick" in texts[0], texts
        assert "hat" in texts[2] and texts[1] == "B 2", texts  # no name known: the letter only
        # A new map with new names: the labels follow.
        ref.publish(PlayableMap(pos, cid, np.full(len(pos), -1), 2, cluster_names=["kick", "snare", None]))
        b.wait("window.livemappr.labels().some(x => x.text.includes('snare'))", 5)
        texts = {x["c"]: x["text"] for x in b.eval("window.livemappr.labels()")}
        assert "hat" not in texts[2] and "snare" in texts[1], texts
        assert b.console_errors() == []
    # The offline page shows the names map.json carries (clusters[].name).
    snippets = [{"id": i, "source": "a.wav", "start": 0.0, "end": 0.1, "x": float(x), "y": float(y), "cluster": int(c)}
                for i, ((x, y), c) in enumerate(zip(pos, cid))]
    clusters = [{"id": 0, "key": "a", "note": 36, "size": 30, "name": "kick"},
                {"id": 1, "key": "b", "note": 37, "size": 30}, {"id": 2, "key": "c", "note": 38, "size": 30}]
    page = write_offline_html(tmp_path / "map.html", {"format": "livemappr-map", "version": 1, "sample_rate": 48000,
                                                     "snippets": snippets, "clusters": clusters})
    with cdp.Browser(900, 700) as b:
        open_settled(b, page.as_uri(), len(pos))
        b.wait("window.livemappr.labels().length === 3", 5)
        texts = {x["c"]: x["text"] for x in b.eval("window.livemappr.labels()")}
        assert "kick" in texts[0] and texts[1] == "B 2", texts
