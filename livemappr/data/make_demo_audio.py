"""Make ``demo_mic.flac``: the bundled "mic" of ``livemappr demo``.

Runs on: a developer's machine, once (the FLAC is committed; CC0, made by
livemappr's own synthesis, no samples from anywhere).

Twenty seconds of a beatbox-like take at 92 BPM: kicks, snares, hats, claps
and sung vowels (a buzz through two formant resonators), with the variations
a person makes (timing, level, pitch), so the map has real neighbours and real
clusters to find.

    python -m livemappr.data.make_demo_audio
"""

import pathlib

import numpy as np
import soundfile

SR = 22050
BPM = 92.0


def _env(n, attack, decay, sr=SR):
    t = np.arange(n) / sr
    return np.minimum(t / max(attack, 1e-4), 1.0) * np.exp(-t / decay)


def _resonate(x, freq, bandwidth, sr=SR):
    """Two-pole resonator: a formant."""
    r = np.exp(-np.pi * bandwidth / sr)
    a1, a2 = -2 * r * np.cos(2 * np.pi * freq / sr), r * r
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i] - a1 * (y[i - 1] if i else 0.0) - a2 * (y[i - 2] if i > 1 else 0.0)
    return y


def kick(rng):
    n = int(0.35 * SR)
    t = np.arange(n) / SR
    f0 = rng.uniform(48, 60)
    phase = 2 * np.pi * (f0 * t + 70 * 0.03 * (1 - np.exp(-t / 0.03)))
    lip = rng.standard_normal(n) * _env(n, 0.0005, 0.004) * 0.3  # the "b" of a lip kick
    return np.sin(phase) * _env(n, 0.002, 0.09) + lip


def snare(rng):
    n = int(0.25 * SR)
    noise = rng.standard_normal(n)
    body = _resonate(noise, rng.uniform(1500, 2500), 900)
    return (0.5 * noise + 0.05 * body) * _env(n, 0.001, rng.uniform(0.04, 0.07))


def hat(rng):
    n = int(0.08 * SR)
    noise = np.diff(rng.standard_normal(n + 1)) * 0.5
    return _resonate(noise, rng.uniform(6500, 8500), 3000) * 0.08 * _env(n, 0.0005, 0.012)


def clap(rng):
    n = int(0.2 * SR)
    noise = rng.standard_normal(n)
    bursts = sum(_env(n, 0.0005, 0.004) * (np.arange(n) >= int(k * 0.008 * SR)) for k in range(3))
    return _resonate(noise, 1200, 1500) * 0.06 * (bursts + _env(n, 0.001, 0.05))


VOWELS = {"oo": (300, 870), "ah": (730, 1090), "ee": (270, 2290)}


def vowel(rng, name):
    n = int(rng.uniform(0.25, 0.4) * SR)
    f0 = rng.uniform(110, 160)
    t = np.arange(n) / SR
    buzz = np.sign(np.sin(2 * np.pi * f0 * t * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))))
    f1, f2 = VOWELS[name]
    y = _resonate(buzz, f1, 80) + 0.5 * _resonate(buzz, f2, 120)
    return y * _env(n, 0.02, 0.25)


def take(seed=7, seconds=20.0, events=None):
    """The take, float32 at SR; ``events``, a list, gets (onset seconds, kind) of each sound."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SR) + SR)
    beat = 60.0 / BPM
    grid = {0: "kick", 1: "hat", 2: "snare", 3: "hat", 4: "kick", 5: "kick", 6: "snare", 7: "clap"}
    t, step = 0.25, 0
    while t < seconds - 0.5:
        what = grid[step % 8]
        bar = step // 8
        if bar % 4 == 3 and step % 8 in (5, 7):  # every fourth bar the singer takes over
            what = ("oo", "ah", "ee")[(step // 2) % 3]
        sound = {"kick": kick, "snare": snare, "hat": hat, "clap": clap}.get(what)
        y = sound(rng) if sound else vowel(rng, what)
        y = y / (np.abs(y).max() + 1e-9) * rng.uniform(0.35, 0.7)
        start = int((t + rng.normal(0, 0.006)) * SR)
        out[start:start + y.size] += y
        if events is not None:
            events.append((start / SR, what))
        t += beat / 2
        step += 1
    out += rng.standard_normal(out.size) * 10 ** (-65 / 20)  # a room
    return np.clip(out[:int(seconds * SR)], -1, 1).astype(np.float32)


def main():
    path = pathlib.Path(__file__).with_name("demo_mic.flac")
    soundfile.write(path, take(), SR, subtype="PCM_16")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
