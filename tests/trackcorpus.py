"""Labelled drum *tracks* in a few styles, made reproducibly (issue 18 item 5).

Test and benchmark helper (never imported by livemappr). Debian packages no
labelled songs, so the tracks are made here: a style (its label) is a tempo
range, a swing range and a drum pattern with its variations (fills, ghost
notes, crashes at phrase starts, hat rolls); a *source* is a drum kit that
plays it:

- the Hydrogen kits of ``tests.drumkits`` (hydrogen-drumkits, hydrogen-data):
  their samples mixed here at the pattern's times, a velocity layer drawn
  a hit, the gain following the velocity;
- the General MIDI kits of the soundfonts of ``tests.corpus.SOUNDFONTS``
  (TimGM6mb, csound's sf_GMbank, OPL-3), played by ``fluidsynth`` from a
  Standard MIDI File of the patterns (one render a soundfont, every track
  of its kits in turn, cut out at their known times).

With ``with_band`` the GM kits' tracks also have a bass and a second part
(``BAND``: chords, stabs or a tune on each style's instruments, from the
same soundfont, over a 4-bar minor progression in a key drawn per track):
styles then differ in instruments too, as genres do; without it only in
rhythm and tempo.

Every track is ``seconds`` long (drawn per track), mono 16-bit WAV at 22050 Hz
(enough for drums, half the disk of 44.1 kHz). Timing jitter, velocities, the
tempo inside the style's range and the variations are drawn from a seeded
generator: the same arguments make the same files. The *group* a track is
held out with in a leave-one-source-out split is its Hydrogen kit, or its
soundfont (a soundfont's kits share samples).

``python tests/trackcorpus.py [--out DIR] [--band]`` builds the full set
(all kits, 7 styles, 20-40 s; ``--band``: the GM kits with their bands) and writes ``labels.csv`` (``path,label``, the format of
``livemappr map --report``) and ``sources.csv`` beside the WAVs.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: python tests/trackcorpus.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import corpus, drumkits  # noqa: E402

SR = 22050


@dataclass(frozen=True)
class Style:
    """A label: tempo range (bpm), steps a beat (4: sixteenths, 3: triplets),
    swing range (the share of a step pair the first step takes; 0.5 straight),
    and the pattern a bar: role -> ((step, velocity), ...)."""

    bpm: tuple
    steps: int
    swing: tuple
    bar: dict
    jitter_ms: float = 2.0


STYLES = {
    "house": Style((118, 128), 4, (0.5, 0.54), {
        "kick": ((0, 1.0), (4, 1.0), (8, 1.0), (12, 1.0)), "clap": ((4, 0.9), (12, 0.9)),
        "open": ((2, 0.7), (6, 0.7), (10, 0.7), (14, 0.7)), "closed": ((0, 0.3), (4, 0.3), (8, 0.3), (12, 0.3))},
        jitter_ms=0.5),
    "rock": Style((96, 132), 4, (0.5, 0.5), {
        "kick": ((0, 1.0), (8, 1.0), (10, 0.7)), "snare": ((4, 1.0), (12, 1.0)),
        "closed": tuple((s, 0.8 if s % 4 == 0 else 0.6) for s in range(0, 16, 2))}),
    "boombap": Style((84, 96), 4, (0.58, 0.65), {
        "kick": ((0, 1.0), (7, 0.7), (10, 0.9)), "snare": ((4, 1.0), (12, 1.0)),
        "closed": tuple((s, 0.7 if s % 4 == 0 else 0.45) for s in range(0, 16, 2)), "open": ((14, 0.5),)}),
    "dnb": Style((165, 178), 4, (0.5, 0.52), {
        "kick": ((0, 1.0), (10, 0.9)), "snare": ((4, 1.0), (12, 1.0), (15, 0.3)),
        "closed": tuple((s, 0.7 if s % 2 == 0 else 0.3) for s in range(16))}, jitter_ms=1.0),
    "trap": Style((130, 150), 4, (0.5, 0.5), {
        "kick": ((0, 1.0), (3, 0.8), (11, 0.9)), "clap": ((8, 1.0),),
        "closed": tuple((s, 0.6) for s in range(16))}, jitter_ms=0.5),
    "dembow": Style((88, 100), 4, (0.5, 0.52), {
        "kick": ((0, 1.0), (4, 1.0), (8, 1.0), (12, 1.0)), "snare": ((3, 0.9), (6, 0.9), (11, 0.9), (14, 0.9)),
        "closed": tuple((s, 0.4) for s in range(0, 16, 2))}),
    "jazz": Style((120, 200), 3, (0.5, 0.5), {
        "ride": ((0, 0.8), (3, 0.9), (5, 0.6), (6, 0.8), (9, 0.9), (11, 0.6)), "pedal": ((3, 0.6), (9, 0.6)),
        "kick": ((0, 0.25), (3, 0.25), (6, 0.25), (9, 0.25))}, jitter_ms=4.0),
}
ROLES = ("kick", "snare", "clap", "closed", "pedal", "open", "ride", "crash", "tom")
GM_NOTE = {"kick": 36, "snare": 38, "clap": 39, "closed": 42, "pedal": 44, "open": 46, "ride": 51,
           "crash": 49, "tom": 45}
GM_PROGRAMS = {p: n for p, n in corpus.GM_KIT_PROGRAMS.items() if n != "orchestra"}  # timpani, no kit


@dataclass(frozen=True)
class Track:
    path: Path
    label: str
    source: str
    group: str


def hits(style, seconds, rng, meter=None):
    """(seconds, role, velocity 0..1) of one track of ``style``; ``meter``, a
    dict, is given the track's ``step`` (s), ``per_bar`` and ``swing``."""
    s = STYLES[style]
    bpm = rng.uniform(*s.bpm)
    swing = rng.uniform(*s.swing)
    step = 60.0 / bpm / s.steps
    per_bar = 4 * s.steps
    if meter is not None:
        meter.update(step=step, per_bar=per_bar, swing=swing)
    out = []
    bar, t0 = 0, 0.05
    while t0 < seconds:
        fill = bar % 4 == 3 and rng.random() < 0.6
        notes = [(st, role, v) for role, pat in s.bar.items() for st, v in pat
                 if not (fill and st >= per_bar // 2 and role != "kick")]
        if bar % 8 == 0:
            notes.append((0, "crash", 0.9))
        if fill:  # toms down the second half of the bar
            notes += [(st, "tom", 0.8) for st in range(per_bar // 2, per_bar, 2 if s.steps == 4 else 3)]
        if style == "trap" and rng.random() < 0.5:  # a hat roll: 32nds over one beat
            b = int(rng.integers(0, 4)) * s.steps
            notes += [(b + k / 2, "closed", 0.5) for k in range(1, 2 * s.steps, 2)]
        notes += [(int(st), "snare", 0.2) for st in rng.integers(0, per_bar, 2) if rng.random() < 0.5]
        for st, role, v in notes:
            whole, frac = divmod(st, 1)
            pos = whole + frac + (swing - 0.5) * 2 * (whole % 2) if s.steps == 4 else st
            t = t0 + pos * step + rng.normal(0, s.jitter_ms / 1000)
            if 0 <= t < seconds:
                out.append((t, role, float(np.clip(v * rng.uniform(0.85, 1.1), 0.05, 1.0))))
        bar += 1
        t0 += per_bar * step
    return sorted(out)


# ------------------------------------------------------------ the band

#: With ``band``: what else plays each style (GM programs of a bass and a
#: second part: chords, stabs or a tune), the bass's and the part's steps in a
#: bar, and the part's kind. As a genre's instruments, not its rhythm alone.
BAND = {
    "house": (38, 4, (2, 6, 10, 14), (2, 6, 10, 14), "stab"),  # synth bass, electric piano stabs
    "rock": (33, 30, tuple(range(0, 16, 2)), tuple(range(0, 16, 2)), "power"),  # finger bass, distortion guitar
    "boombap": (32, 4, (0, 7, 10), (0,), "chord"),  # upright bass, electric piano
    "dnb": (39, 89, (0,), (0,), "pad"),  # synth bass 2, warm pad
    "trap": (38, 10, (0, 11), (0, 3, 6, 8, 11, 14), "tune"),  # synth bass, music box
    "dembow": (39, 81, (0, 3, 8, 11), (3, 6, 11, 14), "stab"),  # synth bass 2, saw lead
    "jazz": (32, 0, (0, 3, 6, 9), (2, 5, 8, 11), "comp"),  # upright bass walking, piano comping
}
_MINOR = (0, 2, 3, 5, 7, 8, 10)


def band(style, seconds, meter, rng):
    """(seconds, channel, note, velocity 1..127, duration s) of the bass
    (channel 0) and the second part (channel 1) of one track: a 4-bar minor
    progression in a key drawn per track."""
    bass_prog, part_prog, bass_steps, part_steps, kind = BAND[style]
    step, per_bar = meter["step"], meter["per_bar"]
    key = 36 + int(rng.integers(0, 12))
    degrees = (0, 5, 2, 6) if style != "jazz" else (1, 4, 0, 0)  # i-VI-III-VII; ii-V-I
    out, bar, t0 = [], 0, 0.05
    while t0 < seconds:
        deg = degrees[bar % 4]
        root = key + _MINOR[deg]
        chord = [root + 12 + _MINOR[(deg + k) % 7] - _MINOR[deg] + 12 * ((deg + k) // 7) for k in (0, 2, 4)]
        for i, st in enumerate(bass_steps):
            walk = _MINOR[(deg + i) % 7] - _MINOR[deg] if kind == "comp" else 0
            length = (bass_steps[i + 1] if i + 1 < len(bass_steps) else per_bar) - st
            out.append((t0 + st * step, 0, root + walk, 100, 0.9 * length * step))
        for st in part_steps:
            if kind == "comp" and rng.random() < 0.5:
                continue
            length = {"pad": per_bar, "chord": per_bar, "stab": 1, "power": 2, "tune": 2, "comp": 2}[kind] * step
            notes = {"power": [chord[0], chord[0] + 7], "tune": [chord[int(rng.integers(0, 3))] + 12]}.get(kind, chord)
            out += [(t0 + st * step, 1, n, 80, 0.9 * length) for n in notes]
        bar += 1
        t0 += per_bar * step
    return [(t, ch, n, v, d) for t, ch, n, v, d in out if t < seconds]


# ------------------------------------------------------------ Hydrogen kits

_ROLE_RULES = (("open", r"open"), ("pedal", r"pedal"), ("ride", r"ride"), ("crash", r"crash|china|splash"),
               ("clap", r"clap"))


def _kit_roles(kit):
    """role -> sample files of one Hydrogen kit (missing roles borrowed: a
    clap or a tom from the snare, a ride from the crash or a hat, an open or
    pedal hat from the closed one)."""
    roles = {}
    for inst in drumkits.instruments():
        if inst.kit != kit:
            continue
        name = inst.name.lower()
        role = {"kick": "kick", "snare": "snare", "tom": "tom", "clap": "clap", "cymbal": "crash",
                "hihat": "closed"}[inst.label]
        for r, pattern in _ROLE_RULES:
            if re.search(pattern, name) and (inst.label in ("hihat", "cymbal") or r == "clap"):
                role = r
                break
        roles.setdefault(role, []).extend(inst.files)
    for role, fallbacks in (("clap", "snare"), ("ride", "crash open closed"), ("crash", "ride open closed"),
                            ("open", "closed"), ("pedal", "closed"), ("tom", "snare")):
        for fallback in fallbacks.split():
            if role not in roles and fallback in roles:
                roles[role] = roles[fallback]
    return roles


def hydrogen_kits():
    """The Hydrogen kits with a kick, a snare and a hat."""
    kits = sorted({i.kit for i in drumkits.instruments()})
    return [k for k in kits if {"kick", "snare", "closed"} <= set(_kit_roles(k))]


def render_hydrogen(kit, style, seconds, rng):
    roles = _kit_roles(kit)
    y = np.zeros(int((seconds + 2.5) * SR))
    for t, role, v in hits(style, seconds, rng):
        files = roles[role]
        x = drumkits.load(files[int(rng.integers(len(files)))], SR, 2.0)
        x = x[drumkits.attack_index(x, -50.0):]
        i = int(t * SR)
        y[i:i + x.size] += v * v * 0.5 / max(float(np.abs(x).max()), 1e-4) * x
    return y[:int(seconds * SR)]


# ------------------------------------------------------------ GM soundfonts

def render_soundfont(name, jobs, tmp, with_band=False):
    """Every ``(style, seconds, rng, program)`` of ``jobs`` on soundfont ``name``:
    one render; ``with_band``: the bass and second part of ``BAND`` too."""
    import soundfile as sf

    path, _ = corpus.SOUNDFONTS[name]
    events, spans, t = [], [], 1.0
    for style, seconds, rng, program in jobs:
        events += [(t - 0.5, bytes([0xB9, 0, 0])), (t - 0.5, bytes([0xB9, 32, 0])), (t - 0.4, bytes([0xC9, program]))]
        meter = {}
        for h, role, v in hits(style, seconds, rng, meter):
            note = GM_NOTE[role]
            events += [(t + h, bytes([0x99, note, max(1, int(v * 127))])), (t + h + 0.2, bytes([0x89, note, 0]))]
        if with_band:
            events += [(t - 0.4, bytes([0xC0, BAND[style][0]])), (t - 0.4, bytes([0xC1, BAND[style][1]]))]
            for h, ch, note, v, d in band(style, seconds, meter, rng):
                events += [(t + h, bytes([0x90 | ch, note, v])), (t + h + d, bytes([0x80 | ch, note, 0]))]
        spans.append((t, seconds))
        t += seconds
        # all sound off: no tail into the next track
        events += [(t, bytes([0xB0 | ch, 120, 0])) for ch in (0, 1, 9)]
        t += 1.5
    mid, wav, cfg = (os.path.join(tmp, f"{name}.{ext}") for ext in ("mid", "wav", "cfg"))
    Path(mid).write_bytes(corpus.smf(events))
    Path(cfg).write_text("")
    subprocess.run(corpus.fluidsynth_command(path, mid, wav, cfg), check=True, capture_output=True, timeout=600)
    y, sr = sf.read(wav, dtype="float32", always_2d=True)
    assert sr == SR, f"fluidsynth rendered {sr} Hz, not {SR}"
    y = y.mean(axis=1)
    return [y[int(a * SR):int((a + s) * SR)] for a, s in spans]


# ------------------------------------------------------------ the set

def build(out, *, styles=tuple(STYLES), kits=None, soundfonts=tuple(corpus.SOUNDFONTS), programs=None,
          seconds=(20.0, 40.0), seed=0, with_band=False):
    """Write the tracks into ``out`` (a folder) and return their :class:`Track`s.

    ``kits``: Hydrogen kits (default all of :func:`hydrogen_kits`);
    ``soundfonts`` and ``programs`` (GM kit programs, default all but the
    orchestra kit): the GM sources. One track a source and style.
    ``with_band``: the GM sources' tracks have a bass and a second part
    (``BAND``: a genre's instruments, from the same soundfont).
    """
    import soundfile as sf

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    kits = hydrogen_kits() if kits is None else kits
    tracks = []

    def write(y, style, source, group):
        name = re.sub(r"[^A-Za-z0-9]+", "_", source).strip("_") + f"-{style}.wav"
        y = np.asarray(y, np.float64)
        peak = float(np.abs(y).max())
        sf.write(out / name, (0.9 / max(peak, 1e-9) * y).astype(np.float32), SR, subtype="PCM_16")
        tracks.append(Track(out / name, style, source, group))

    for k, kit in enumerate(kits):
        for s, style in enumerate(styles):
            rng = np.random.default_rng([seed, 0, k, s])
            write(render_hydrogen(kit, style, rng.uniform(*seconds), rng), style, kit, kit)
    with tempfile.TemporaryDirectory(prefix="livemappr-tracks-") as tmp:
        for f, sfname in enumerate(soundfonts):
            progs = [p for p, _ in corpus.gm_kits(corpus.SOUNDFONTS[sfname][0]) if p in (programs or GM_PROGRAMS)]
            jobs, names = [], []
            for p in progs:
                for s, style in enumerate(styles):
                    rng = np.random.default_rng([seed, 1, f, p, s])
                    jobs.append((style, rng.uniform(*seconds), rng, p))
                    names.append((style, f"{sfname}/{corpus.GM_KIT_PROGRAMS[p]}"))
            for y, (style, source) in zip(render_soundfont(sfname, jobs, tmp, with_band), names):
                write(y, style, source, sfname)
    with open(out / "labels.csv", "w", newline="") as f:
        csv.writer(f).writerows([str(t.path), t.label] for t in tracks)
    with open(out / "sources.csv", "w", newline="") as f:
        csv.writer(f).writerows([str(t.path), t.source, t.group] for t in tracks)
    return tracks


def read(folder):
    """The :class:`Track`s of a built folder (its ``sources.csv`` and ``labels.csv``)."""
    folder = Path(folder)
    with open(folder / "labels.csv", newline="") as f:
        labels = {row[0]: row[1] for row in csv.reader(f)}
    with open(folder / "sources.csv", newline="") as f:
        return [Track(Path(path), labels[path], source, group) for path, source, group in csv.reader(f)]


def cached(**kwargs):
    """:func:`build` ``(**kwargs)`` in a folder of the cache named by a hash of
    the arguments, then one of this module's and its helpers' code and the
    Debian packages read; built when missing (and the same arguments' older
    builds removed). Returns ``(folder, tracks)``."""
    import hashlib
    import json
    import shutil

    here = Path(__file__).resolve().parent
    code = b"".join((here / f).read_bytes() for f in ("trackcorpus.py", "corpus.py", "drumkits.py"))
    args = json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in sorted(kwargs.items())},
                      sort_keys=True, default=str)
    made = json.dumps({"code": hashlib.sha1(code).hexdigest(),
                       "packages": corpus._package_versions(corpus.PACKAGES["drums"] + corpus.PACKAGES["gm_kits"])},
                      sort_keys=True)
    name = hashlib.sha1(args.encode()).hexdigest()[:12]
    folder = corpus.cache_dir().parent / "tracks-v1" / f"{name}-{hashlib.sha1(made.encode()).hexdigest()[:12]}"
    if not (folder / "sources.csv").is_file():
        for old in folder.parent.glob(f"{name}-*"):  # the same set made by older code: never read again
            shutil.rmtree(old, ignore_errors=True)
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        build(tmp, **kwargs)
        for name in ("labels.csv", "sources.csv"):  # the paths as they will be
            text = (tmp / name).read_text().replace(str(tmp), str(folder))
            (tmp / name).write_text(text)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)  # readers never see half a set
    return folder, read(folder)


def main(argv=None):
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(corpus.cache_dir().parent / "tracks"), help="folder to write")
    ap.add_argument("--band", action="store_true", help="the GM kits' tracks with a bass and a second part")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    tracks = build(args.out, kits=[], with_band=True) if args.band else build(args.out)
    print(f"{len(tracks)} tracks, {len({t.source for t in tracks})} sources in {args.out} "
          f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
