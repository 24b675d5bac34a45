"""``livemappr demo``: the main job on the bundled default, no sound card needed.

Runs on: the main thread (the session starts the others).

The bundled take (``livemappr/data/demo_mic.flac``: 20 s of beatbox-like
sounds made by livemappr's own synthesis, CC0) plays as the mic of a live
session: every sound is cut out, analysed and placed on the map, which
clusters it. Then a scripted performance plays the clusters in time, as a
performer would from pads, and loops its first two bars on the audio looper.
The remix is written as WAV next to the map (map.json, map.png). With a sound
card it plays live in real time; without one it runs at 8 times real time,
since nobody is listening.
"""

import pathlib
import time

import numpy as np

from livemappr.audio.config import EngineConfig
from livemappr.audio.devices import choose
from livemappr.errors import DeviceError
from livemappr.session.session import Session, SessionConfig

MIC = pathlib.Path(__file__).parent.parent / "data" / "demo_mic.flac"
BPM = 92.0
SAMPLERATE = 48000


def _wait(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def perform(session, bars=4):
    """Schedule the scripted performance; returns the frame it ends at."""
    from livemappr.control.trigger import Trigger

    engine = session.engine
    snap = session.snapshots.get()
    ids = np.asarray(snap.cluster_ids)
    clusters = [int(c) for c in np.unique(ids[ids >= 0])]
    # Play the biggest clusters: they hold the sounds the take repeats most.
    clusters.sort(key=lambda c: -int((ids == c).sum()))
    # its own script, four bars ahead: past the horizon the performer's surfaces keep
    trigger = Trigger(engine, session.snapshots, choice="round_robin", max_ahead_seconds=None)
    step = int(round(SAMPLERATE * 60.0 / BPM / 4))  # a sixteenth
    start = engine.frame + SAMPLERATE // 2
    engine.set_param("master_gain", 0.5, at=start)  # hits and the loop together stay below full scale
    pattern = {0: 0, 3: 1, 4: 2, 6: 0, 8: 1, 10: 0, 11: 3, 12: 2, 14: 1}
    for bar in range(bars):
        for s, k in pattern.items():
            c = clusters[(k + (bar % 2) * (s % 3 == 0)) % len(clusters)]
            trigger.play_cluster(c, velocity=0.9 if s % 4 == 0 else 0.6, at=start + (bar * 16 + s) * step)
    two_bars = 32 * step
    engine.loop(0, "record", source="engine", at=start)
    engine.loop(0, "stop_record", at=start + two_bars)
    return start, start + bars * 16 * step + two_bars


def _trim(path, first_frame):
    """Keep the remix from just before the performance (the take itself is
    silent on the output: the engine does not echo the mic)."""
    import soundfile

    audio, sr = soundfile.read(path, dtype="float32")
    soundfile.write(path, audio[max(0, first_frame):], sr, subtype="PCM_24")


def run(out_dir="out", play=True, log=print):
    """Run the demo; returns the path of the remix."""
    import shutil

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remix = out_dir / "demo.wav"
    # The demo's session is its own scratch: a second run starts afresh
    # rather than resuming the first one's take.
    shutil.rmtree(out_dir / "session", ignore_errors=True)
    card = False
    if play:
        try:
            choose(need_input=False)  # the default output (JACK's when a server runs), as the session opens it
            card = True
        except DeviceError as e:
            log(f"livemappr demo: no sound card to play on: {e}")
    config = SessionConfig(directory=str(out_dir / "session"), input=str(MIC), output=str(remix),
                           device=None if card else "none", osc_port=0, midi=False, clusters=8, web_port=0,
                           speed=1.0 if card else 8.0)
    log(f"livemappr demo: {MIC.name} plays as the mic " + ("on the sound card" if card else
        "(no sound card: running 8x faster than real time, nobody is listening)"))
    session = Session(EngineConfig(samplerate=SAMPLERATE, blocksize=256), config, log=log)
    session.start()
    try:
        engine = session.engine
        _wait(lambda: not engine.input_active, 60)
        _wait(lambda: session.analysis.reader.available() == 0 and session.analysis.snippets.empty()
              and session.mapper.stats["added"] == session.analysis.stats["snippets"], 60)
        time.sleep(0.5 if not card else 1.0)  # the map settles
        s = session.status()
        log(f"  the map: {s['snippets']} sounds in {s['clusters']} clusters; now playing them")
        start, end = perform(session)
        _wait(lambda: engine.frame >= end, 120)
        m = engine.meters()
    finally:
        session.stop()
    _trim(remix, start - SAMPLERATE // 10)
    log(f"  wrote {remix} (the remix), {out_dir / 'session' / 'map.png'} (the map), "
        f"{out_dir / 'session' / 'map.json'}")
    log(f"  {m['commands']} hits played, {m['xruns']} xruns, callback p99 {m['p99_share']:.3f} of its budget")
    return remix
