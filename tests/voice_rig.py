"""Beatbox into the pads through a private JACK server: the rig of the voice
test and benchmark (issue #17).

Test and benchmark helper (never imported by livemappr). A JACK client plays a
vocal-percussion PROXY take (espeak-ng phonemes, tests/vocal_take.py) into a
live session's input: four "k" (pad 3 held to teach it), a pause, four "t"
(pad 6 held), a pause, then hits of k and t in a random order. The session
plays by voice (``voice=True``); a JACK client records its output. Each later
hit should sound at the output, a "k" from pad 3 and a "t" from pad 6, soon
after its onset in the input, measured in JACK's frame time on both sides.
"""

from __future__ import annotations

import socket

import numpy as np

from livemappr.analysis.attack import attack_extractor, attack_frames
from livemappr.analysis.teach import PadExamples
from livemappr.audio.config import EngineConfig
from livemappr.session.session import Session, SessionConfig
from tests import vocal_take
from tests.jackserver import Player, Recorder, engine_ports, wait_until

KICK_PAD, SNARE_PAD = 2, 5
N_TEACH = 4


def take(sr=48000, n_test=24, seed=0):
    """``(audio, [(onset sample, kind)], n_taught)``: the taught hits first."""
    rng = np.random.default_rng(seed)
    kinds = ["k"] * N_TEACH + [None] + ["t"] * N_TEACH + [None] + list(rng.choice(["k", "t"], n_test))
    y = np.zeros(int((2 + 0.5 * len(kinds)) * sr) + 4 * sr, np.float32)
    key, at = [], int(0.5 * sr)
    for kind in kinds:
        if kind is None:
            at += int(1.5 * sr)  # the held pad changes in this pause
            continue
        x = vocal_take.phoneme(kind, sr) * 0.5 * 10 ** (rng.uniform(-3, 0) / 20)
        y[at:at + x.size] += x
        key.append((at + vocal_take.attack_index(x), kind))
        at += int(rng.uniform(0.4, 0.55) * sr)
    return y[:at + sr], key, 2 * N_TEACH


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def onsets(x, sr=48000):
    """Frames where a sound starts in ``x``: from silence (the first sample over
    1e-4 after 100 ms under it), or over the tail of the one before (the
    engine's own fast detector, analysis/ampslice.py, a kit's kick rings on)."""
    from livemappr.analysis.ampslice import AmpSliceConfig, AmpSlicer

    loud = np.flatnonzero(np.abs(x) > 1e-4)
    if loud.size == 0:
        return loud
    quiet = [loud[0]] + [b for a, b in zip(loud[:-1], loud[1:]) if b - a > sr // 10]
    rises = AmpSlicer(AmpSliceConfig(sample_rate=sr, gate_db=-80.0)).feed(np.ascontiguousarray(x), 0)
    both = np.unique(np.concatenate([quiet, rises]).astype(np.int64))
    keep = [f for i, f in enumerate(both) if i == 0 or f - both[i - 1] > int(0.03 * sr)]
    return np.array(keep, np.int64)


def run(jack_server, seed=0, n_test=24, corpus=None):
    """Play the take through a session (its voice playing ``corpus``, a map
    folder, where given); returns a dict of what was heard: ``windows`` holds
    (kind sung, the output's first 5.8 ms from its onset, the output from 2 ms
    before to 20 ms after it) per later hit."""
    sr, period = jack_server.samplerate, jack_server.period
    y, key, n_taught = take(sr, n_test, seed)
    session = Session(EngineConfig(samplerate=sr, blocksize=period),
                      SessionConfig(device="system", osc_port=_free_port(), midi=False, web_port=0, voice=True,
                                    corpus=None if corpus is None else str(corpus)),
                      log=lambda m: None)
    session.start()
    rec = player = None
    try:
        rec = Recorder("voice-rec", engine_ports("out")[:1], y.shape[0] / sr + 3, sr)
        player = Player("voice-mic", y, engine_ports("in")[:1])
        session.learn_pad(KICK_PAD, True)
        player.armed.set()
        added = lambda n: wait_until(lambda: session.mapper.stats["added"] >= n, 30)  # noqa: E731
        ok = added(N_TEACH)
        session.learn_pad(KICK_PAD, False)
        session.learn_pad(SNARE_PAD, True)
        ok = ok and added(2 * N_TEACH)
        session.learn_pad(SNARE_PAD, False)
        ok = ok and wait_until(lambda: player.done, y.shape[0] / sr + 30)
        wait_until(lambda: False, 1.0)  # the last sound plays out
        taught = session.mapper.map.taught_attack
        rec_start = rec.start_frame
        out = rec.close()[:, 0]
        rec = None
        stats = dict(session.voice.stats)
        xruns = session.engine.meters()["xruns"]
    finally:
        for c in (player, rec):
            if c is not None:
                c.close()
        session.stop()
    heard = onsets(out, sr) + rec_start  # JACK frames where a sound starts at the output
    fe, w = attack_extractor(), attack_frames(sr)
    plain = PadExamples.from_json(taught.to_json(), taught.n_pads, None)  # nearest pad, no "like none"
    result = {"taught_in_time": bool(ok), "taught": taught.pads, "latency_ms": [], "right": [],
              "missed": 0, "stats": stats, "xruns": xruns, "period": period, "samplerate": sr, "windows": []}
    for onset, kind in key[n_taught:]:
        at = player.start_frame + onset  # JACK frame of the hit in the input
        after = heard[(heard >= at) & (heard < at + int(0.1 * sr))]
        if after.size == 0:
            result["missed"] += 1
            continue
        result["latency_ms"].append((after[0] - at) * 1000.0 / sr)
        i = int(after[0] - rec_start)
        result["windows"].append((kind, out[i:i + w].copy(), out[max(0, i - 96):i + int(0.02 * sr)].copy()))
        x = fe.vector(np.ascontiguousarray(out[i:i + w], dtype=np.float32), sr)
        result["right"].append(int(plain.classify(x)[0][0]) == (KICK_PAD if kind == "k" else SNARE_PAD))
    return result
