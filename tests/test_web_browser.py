"""The web view in a real browser (Debian chromium, headless, over the
DevTools protocol) against a live session on a private JACK server, the
bundled demo take as the mic: points appear as snippets arrive, clicking a
point and pressing a key sound in the engine's JACK output, the phone-width
layout shows the 16 pads, and the offline map page draws its map.

Screenshots go to the test's temporary folder; with
LIVEMAPPR_SCREENSHOTS=livemappr/web/screenshots they replace the README's, web-view.png and
web-view-phone.png there."""

import json
import os
import pathlib
import time

import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.control.surfaces import Surfaces
from livemappr.session.session import Session, SessionConfig
from livemappr.web import WebView, write_offline_html
from tests.jackserver import Recorder, engine_ports, wait_until
from tests.web import cdp

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = ROOT / "livemappr" / "data" / "demo_mic.flac"


def shots(tmp_path):
    """Where screenshots go: LIVEMAPPR_SCREENSHOTS when asked (to refresh the README's), else the test's folder."""
    if os.environ.get("LIVEMAPPR_SCREENSHOTS") == "docs":
        (ROOT / "docs").mkdir(exist_ok=True)
        return ROOT / "docs"
    return tmp_path

pytestmark = pytest.mark.skipif(not cdp.available(), reason="Debian chromium is not installed on this platform")


def live_rig(jack_server, calls=None):
    """A session, its surfaces and a WebView; with ``calls``, every session hook the page calls is
    appended there as (name, args...) before the session carries it out."""
    session = Session(EngineConfig(samplerate=jack_server.samplerate, blocksize=jack_server.period),
                      SessionConfig(device="system", input=str(DEMO), osc_port=0, midi=False), log=lambda m: None)
    session.start()
    surfaces = Surfaces(session.engine, session.snapshots, osc_port=None, midi=False).start()
    hooks = {"record": session.set_recording}
    if calls is not None:
        def recorded(name, hook):
            return lambda *args: (calls.append((name, *args)), hook(*args))[1]

        # (a click on the map also asks for its neighbours: those searches are not recorded)
        hooks = {name: hook if name == "similar" else recorded(name, hook) for name, hook in session.hooks().items()}
    view = WebView(surfaces.trigger, status=session.status, hooks=hooks, host="127.0.0.1", port=0).start()
    return session, surfaces, view


def stop_rig(session, surfaces, view):
    view.close()
    surfaces.close()
    session.stop()


def heard(data, after):
    """Peak of the recorded output from frame ``after`` on."""
    return float(np.abs(data[after:]).max()) if data.shape[0] > after else 0.0


def test_live_map_fills_and_clicks_and_keys_sound_in_the_output(jack_server, tmp_path):
    rig = rec = None
    try:
        # The browser first: the 20 s take gives about 60 snippets, and a browser
        # that took 20 s to start on a loaded machine would see most of them at once.
        with cdp.Browser(1280, 800) as b:
            rig = session, surfaces, view = live_rig(jack_server)
            rec = Recorder("web-test-rec", engine_ports("out"), 60, jack_server.samplerate)
            b.goto(view.url)
            # Points appear as snippets arrive: a few early, more later.
            b.wait("window.livemappr.n >= 3", 30)
            early = b.eval("window.livemappr.n")
            assert wait_until(lambda: session.analysis.stats["snippets"] >= early + 10, 30)
            b.wait(f"window.livemappr.n >= {early + 10}", 10)
            assert b.eval("window.livemappr.version") >= 2
            status = b.eval("window.livemappr.status")
            assert status["snippets"] >= early and 0 <= status["xruns"] <= session.engine.meters()["xruns"], status
            # Nothing played yet: the engine's output is silent (the mic is not monitored).
            assert heard(rec.data[:rec.n], 0) == 0.0
            i = int(np.flatnonzero(np.asarray(session.snapshots.get().slots) >= 0)[0])
            x, y = b.eval(f"window.livemappr.screenOf({i})")
            before = rec.n
            b.click(x, y)
            assert wait_until(lambda: heard(rec.data[:rec.n], before) > 1e-3, 5), "a click on a point made no sound"
            assert b.eval("window.livemappr.stats.plays") >= 1
            # A key plays the cluster on that letter: wait for silence, then press "a".
            assert wait_until(lambda: rec.n > before + jack_server.samplerate
                              and heard(rec.data[:rec.n], rec.n - 2048) == 0.0, 10)
            snap = session.snapshots.get()
            assert snap.n_clusters >= 1 and snap.members[0].size
            before = rec.n
            b.key("a")
            assert wait_until(lambda: heard(rec.data[:rec.n], before) > 1e-3, 5), "key a made no sound"
            b.key("a", down=False)
            assert view.errors.counts() == {}
            assert b.console_errors() == []
            assert wait_until(lambda: session.analysis.stats["snippets"] >= 40, 30)
            b.wait("window.livemappr.n >= 40", 10)
            b.wait("window.livemappr.peaks > 20", 5)
            time.sleep(1.0)  # the waveform strip and the last map settle
            assert b.screenshot(shots(tmp_path) / "web-view.png").stat().st_size > 20_000
    finally:
        if rec is not None:
            rec.close()
        if rig is not None:
            stop_rig(*rig)


def test_phone_width_shows_16_pads_and_a_tap_plays(jack_server, tmp_path):
    calls = []
    session, surfaces, view = live_rig(jack_server, calls)
    try:
        with cdp.Browser(390, 844, mobile=True) as b:
            b.goto(view.url)
            layout = b.eval("""(() => {
                const pads = [...document.querySelectorAll('.pad')].map(p => p.getBoundingClientRect());
                const map = document.getElementById('map').getBoundingClientRect();
                return {n: pads.length, visible: pads.filter(r => r.width > 0 && r.bottom <= innerHeight).length,
                        w: Math.min(...pads.map(r => r.width)), h: Math.min(...pads.map(r => r.height)),
                        mapH: map.height, width: innerWidth};
            })()""")
            assert layout["width"] == 390
            assert layout["n"] == 16 and layout["visible"] == 16, layout
            assert layout["w"] >= 70 and layout["h"] >= 55, layout  # large enough for a thumb
            assert layout["mapH"] >= 150, layout
            b.wait("window.livemappr.n >= 20", 40)
            b.wait("document.querySelector('.pad.full') !== null", 10)
            # A tap on pad 1 reaches the trigger: its cluster's sound plays.
            played = session.engine.meters()["commands"]
            x, y = b.eval("(() => { const r = document.querySelector('.pad[data-n=\"0\"]').getBoundingClientRect();"
                          " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
            b.tap(x, y)
            assert wait_until(lambda: session.engine.meters()["commands"] > played, 5)
            assert b.eval("window.livemappr.stats.pads") == 1
            time.sleep(1.0)
            assert b.screenshot(shots(tmp_path) / "web-view-phone.png").stat().st_size > 20_000
            # A finger held on the pad teaches it (a touch long press opens no menu), lifting it lets go.
            assert calls == []
            b.touch(x, y, True)
            assert wait_until(lambda: calls == [("pad_learn", 0, True)], 3), calls
            b.touch(x, y, False)
            assert wait_until(lambda: calls == [("pad_learn", 0, True), ("pad_learn", 0, False)], 3), calls
            assert b.console_errors() == []
            assert view.errors.counts() == {}
    finally:
        stop_rig(session, surfaces, view)


CENTRE = "(() => { const r = %s.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"


def test_long_press_teaches_a_pad_a_short_press_plays_and_a_pad_is_named_and_forgotten(jack_server, tmp_path):
    calls = []
    session, surfaces, view = live_rig(jack_server, calls)
    try:
        with cdp.Browser(1280, 800) as b:
            b.goto(view.url)
            b.eval("document.getElementById('view').click()")  # the pads beside the map
            b.wait("window.livemappr.n >= 20", 40)
            b.wait("document.querySelector('.pad.full') !== null", 10)
            session.set_recording(False)  # no more sounds: the map holds still, nothing is taught by chance
            c = b.eval("+document.querySelector('.pad.full').dataset.n")
            pad = f"document.querySelector('.pad[data-n=\"{c}\"]')"
            x, y = b.eval(CENTRE % pad)
            # A short press plays, as ever, and teaches nothing.
            played = session.engine.meters()["commands"]
            b.click(x, y)
            assert wait_until(lambda: session.engine.meters()["commands"] > played, 5)
            time.sleep(0.9)  # past the long press: still nothing taught
            assert calls == []
            # A long press holds the pad for teaching until let go, and the pad shows it.
            played = session.engine.meters()["commands"]
            b.mouse(x, y, True)
            assert wait_until(lambda: calls == [("pad_learn", c, True)], 3), calls
            assert session.mapper.learning == c
            assert b.eval(f"{pad}.classList.contains('learning')")
            assert session.engine.meters()["commands"] > played  # it played when pressed
            time.sleep(1.0)
            b.screenshot(tmp_path / "learning.png")
            assert calls == [("pad_learn", c, True)]
            b.mouse(x, y, False)
            assert wait_until(lambda: len(calls) == 2, 3) and calls[1] == ("pad_learn", c, False), calls
            assert session.mapper.learning is None
            assert not b.eval(f"{pad}.classList.contains('learning')")
            # Double-click: a name field; Enter names the pad, and the name comes back on it.
            b.click(x, y, count=2)
            b.wait(f"document.activeElement === {pad}.querySelector('input')", 3)
            b.type("kick")
            b.enter()
            assert wait_until(lambda: ("pad_name", c, "kick") in calls, 3), calls
            b.wait(f"{pad}.querySelector('em').textContent === 'kick'", 10)
            assert b.eval(f"{pad}.querySelector('form')") is None
            # ... and its forget button forgets the pad.
            b.click(x, y, count=2)
            fx, fy = b.eval(CENTRE % f"{pad}.querySelector('.forget')")
            b.click(fx, fy)
            assert wait_until(lambda: ("pad_forget", c) in calls, 3), calls
            b.wait(f"{pad}.querySelector('em').textContent === ''", 10)
            # A long press on a pad's cluster in the map teaches that pad too.
            b.eval("document.getElementById('view').click()")
            time.sleep(1.0)  # the view eases to the wider canvas (the points keep moving a little: t-SNE refines)
            i = b.eval("""(() => { const L = window.livemappr;
                for (let i = 0; i < L.n; i++) if (L.clusterOf(i) >= 0 && L.clusterOf(i) < 16) return i;
                return -1; })()""")
            assert i >= 0
            mx, my = b.eval(f"window.livemappr.screenOf({i})")
            del calls[:]
            b.mouse(mx, my, True)
            assert wait_until(lambda: len(calls) == 1, 3), calls
            k = b.eval("window.livemappr.learning")
            assert calls == [("pad_learn", k, True)] and 0 <= k < 16
            b.wait(f"window.livemappr.labels().some(l => l.c === {k} && l.text.endsWith('learning'))", 3)
            b.mouse(mx, my, False)
            assert wait_until(lambda: calls == [("pad_learn", k, True), ("pad_learn", k, False)], 3), calls
            assert b.eval("window.livemappr.learning") == -1
            assert view.errors.counts() == {}
            assert b.console_errors() == []
    finally:
        stop_rig(session, surfaces, view)


def test_offline_map_page_draws_the_embedded_map(tmp_path):
    rng = np.random.default_rng(1)
    snippets = [{"id": i, "source": "kit/a </script> b.wav", "start": 0.0, "end": 0.2, "x": float(x), "y": float(y),
                 "cluster": int(i % 5)} for i, (x, y) in enumerate(rng.normal(size=(300, 2)) * 4)]
    clusters = [{"id": c, "key": "abcde"[c], "note": 36 + c, "size": 60} for c in range(5)]
    page = write_offline_html(tmp_path / "map.html", {"format": "livemappr-map", "version": 1, "sample_rate": 48000,
                                                     "snippets": snippets, "clusters": clusters})
    with cdp.Browser(900, 700) as b:
        b.goto(page.as_uri())
        assert b.eval("window.livemappr.n") == 300
        assert "300 snippets" in b.eval("document.getElementById('status').textContent")
        # The record and loop controls belong to a live engine: hidden here.
        assert b.eval("getComputedStyle(document.getElementById('rec')).display") == "none"
        # The page drew points in the palette's colours (the PNG's).
        from livemappr.files.picture import PALETTE

        b.wait("window.livemappr.settled()", 5)
        colours = b.eval("""(() => { const c = document.getElementById('map');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = {};
            for (let i = 0; i < d.length; i += 4) { const k = d[i] + ',' + d[i + 1] + ',' + d[i + 2]; seen[k] = (seen[k] || 0) + 1; }
            return seen; })()""")
        for c in range(5):
            assert colours.get(",".join(map(str, PALETTE[c])), 0) >= 20, (c, PALETTE[c])
        assert b.console_errors() == []
    assert json.dumps(snippets[0]["source"]) not in page.read_text()  # "</script>" could not end the script
