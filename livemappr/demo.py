"""``livemappr demo``: the main job on built-in sounds, no sound card needed.

Runs on: the main thread.

Until slicing and the map exist (issues 3-7) the demo is the engine core: a
small drum kit synthesised here (so nothing needs downloading or licensing)
goes into the sample bank, and a scripted two-bar performance plays it
through the same compiled callback the live stream runs: offsets, pitch,
reverse, a choked hi-hat and voice stealing included. The remix is written as
a WAV; with a sound card it is also played live.
"""

import pathlib

import numpy as np
import soundfile

from livemappr.config import EngineConfig
from livemappr.engine import Engine
from livemappr.errors import LivemapprError
from livemappr.offline import render

SAMPLERATE = 48000
BPM = 112.0


def synth_kit(sr=SAMPLERATE, seed=1):
    """Five one-shots as float32 mono arrays: kick, snare, closed hat, open hat, tom."""
    rng = np.random.default_rng(seed)

    def t(seconds):
        return np.arange(int(seconds * sr)) / sr

    def env(x, tau):
        return np.exp(-x / tau)

    x = t(0.45)
    kick = np.sin(2 * np.pi * (45 * x + 90 * 0.04 * (1 - np.exp(-x / 0.04)))) * env(x, 0.12)
    x = t(0.3)
    snare = 0.6 * rng.standard_normal(x.size) * env(x, 0.06) + 0.4 * np.sin(2 * np.pi * 190 * x) * env(x, 0.05)
    x = t(0.08)
    noise = rng.standard_normal(x.size)
    hat = np.diff(noise, prepend=0.0) * env(x, 0.015) * 0.35
    x = t(0.5)
    noise = rng.standard_normal(x.size)
    open_hat = np.diff(noise, prepend=0.0) * env(x, 0.15) * 0.3
    x = t(0.5)
    tom = np.sin(2 * np.pi * (110 * x + 40 * 0.1 * (1 - np.exp(-x / 0.1)))) * env(x, 0.18)
    kit = {"kick": kick, "snare": snare, "hat": hat, "open_hat": open_hat, "tom": tom}
    return {k: (0.5 * v / np.max(np.abs(v))).astype(np.float32) for k, v in kit.items()}


def performance(engine, slots, bars=2, start=0):
    """The scripted commands: a groove, then a variation with pitch and reverse."""
    step = int(round(SAMPLERATE * 60.0 / BPM / 4))  # a sixteenth note
    cmds = []
    for bar in range(bars):
        for s in range(16):
            at = start + (bar * 16 + s) * step
            if s in (0, 7, 10):
                cmds.append(engine.play_command(slots["kick"], at=at, gain=1.0 if s == 0 else 0.8))
            if s in (4, 12):
                cmds.append(engine.play_command(slots["snare"], at=at, gain=0.9))
            if s % 2 == 0:
                cmds.append(engine.play_command(slots["hat"], at=at, gain=0.5 + 0.2 * (s % 4 == 0), choke=1))
            if s == 14:
                cmds.append(engine.play_command(slots["open_hat"], at=at, gain=0.5, choke=1))
            if bar % 2 == 1 and s in (13, 14, 15):
                cmds.append(engine.play_command(slots["tom"], at=at, gain=0.7, rate=1.5 - 0.15 * (s - 13)))
            if bar % 2 == 1 and s == 8:
                cmds.append(engine.play_command(slots["snare"], at=at - 4 * step, gain=0.6, reverse=True,
                                                offset=int(0.1 * SAMPLERATE)))
    length = start + bars * 16 * step + SAMPLERATE // 2
    return cmds, length


def run(out_dir="out", play=True, log=print):
    """Render the demo to ``out_dir/demo.wav``; play it live if a card exists."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = Engine(EngineConfig(samplerate=SAMPLERATE, ring_seconds=8, bank_seconds=4, bank_slots=16))
    kit = synth_kit()
    slots = {name: engine.bank.add(sound) for name, sound in kit.items()}
    cmds, length = performance(engine, slots, bars=4)
    audio = render(engine, length, commands=cmds)
    path = out_dir / "demo.wav"
    soundfile.write(path, audio, SAMPLERATE, subtype="PCM_16")
    m = engine.meters()
    log("livemappr demo: engine core only (slicing, the map and live input arrive with later issues).")
    log(f"  {len(kit)} synthesised sounds, {len(cmds)} scripted hits through the real-time callback "
        f"(p99 {m['p99_share']:.3f} of the block budget, {m['steals']} voices stolen)")
    log(f"  wrote {path} ({length / SAMPLERATE:.1f} s, peak {np.abs(audio).max():.2f})")
    if play:
        log("  " + _play_live(kit, length))
    return path


def _play_live(kit, length):
    """Play the performance through the default sound card, if there is one."""
    import time

    try:
        import sounddevice as sd

        from livemappr.stream import AudioStream

        if not any(d["max_output_channels"] > 0 for d in sd.query_devices()):
            return "no sound card: wrote the file only"
        engine = Engine(EngineConfig(samplerate=SAMPLERATE, ring_seconds=8, bank_seconds=4, bank_slots=16))
        slots = {name: engine.bank.add(sound) for name, sound in kit.items()}
        with AudioStream(engine) as stream:
            start = engine.frame + SAMPLERATE // 4
            cmds, _ = performance(engine, slots, bars=4, start=start)
            for c in cmds:
                engine.send(c)
            time.sleep((length + SAMPLERATE // 4) / SAMPLERATE)
            xruns = engine.meters()["xruns"]
        return f"played live on device {stream.device} ({xruns} xruns)"
    except (LivemapprError, OSError) as e:
        return f"could not play live ({e}): wrote the file only"
