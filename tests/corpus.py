"""A labelled development corpus of one-shots, grouped by source (issue 15).

Test and benchmark helper (never imported by livemappr). Three groups, each a
``Corpus`` of mono float32 one-shots at 22050 Hz, each at most 1.0 s long and
starting at its onset, with a label, a *source* (the unit a
leave-one-source-out split holds out) and a name:

``drums``
    The Hydrogen kits of ``tests.drumkits.KITS`` (Debian hydrogen-drumkits and
    hydrogen-data), up to 3 velocity layers per instrument, labelled by
    instrument name as drumkits.py does (kick/snare/hihat/tom/cymbal/clap; an
    open hi-hat is a hihat). Source: the kit. The kits of Debian
    hydrogen-drumkits-effects are not used: that package installs one kit,
    belofilms_GuitarStrums, guitar chords with no drum instrument in it.
``gm_kits``
    The General MIDI drum kits (bank 128) of three soundfonts, found by reading
    each file's ``phdr`` chunk, rendered by the ``fluidsynth`` program from a
    Standard MIDI File written here: every labelled GM note at velocities 100
    and 60, 1.5 s apart, cut out at its known time. Labelled by GM note
    (``GM_NOTES``); open hi-hat (46) is a ``hihat`` like the drums group's
    open hats, its name ("n46 ...") tells it apart. Source: "<soundfont>/<kit>".
    A soundfont's kits share many samples (and soundfonts some): a one-shot
    that repeats one of an earlier kit (same label, same sound, ``same_sound``)
    is left out, so a held-out kit holds only its own sounds.
    Only the regular files named in ``SOUNDFONTS`` are read (an allow-list:
    no alternatives symlink, no other soundfont; DEVELOPERS.md names the
    material kept aside for evaluation).
``vocal_proxy``
    A PROXY for vocal percussion (beatboxing), of which Debian packages no
    labelled recordings: ``espeak-ng`` speaking phoneme strings
    (``VOCAL_PHONEMES``: "b@" for a kick, "kS" for a snare's "ksh", "ts" for a
    hi-hat, "tsss" for an open hat, ...) in 16 voices ("performers", each a
    source), each at 3 speeds/pitches. Synthetic speech is not a human
    beatboxer: use it to develop, never to claim anything about real voices.
    Labels kick/snare/hihat/openhat. A string a voice renders silent or
    shorter than 20 ms (its language lacks the phoneme) is left out. espeak-ng
    plays unvoiced consonants (k, t, s, S, ...) from stored samples, the same
    in every voice and at every pitch: a one-shot that repeats an earlier one
    of its label (``same_sound``) is left out, so most of the snares and
    hi-hats come from the first voices and speeds, and what differs across
    performers is mostly the voiced part and the length.

A built group is cached as one .npz under
``$XDG_CACHE_HOME/livemappr/corpus-v1/`` (default ~/.cache), named by a hash
of ``VERSION``, the Debian package versions and the paths it read and the
Python libraries that shaped it, and rebuilt when missing.
``python tests/corpus.py [--rebuild] [--summary]`` builds all groups and
prints counts per group, source and label.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: python tests/corpus.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livemappr.control.midifile import _vlq  # noqa: E402  (the engine's own SMF writer's)
from tests import drumkits  # noqa: E402

VERSION = "corpus-v1.0"
SR = 22050
MAX_SECONDS = 1.0
GROUPS = ("drums", "gm_kits", "vocal_proxy")
TRIM_DB = -60.0  # leading samples under this (re the one-shot's peak) are silence
ONSET_DB = -30.0  # a one-shot's onset: its first sample this close to the peak
MAX_LEAD_S = 0.005  # at most this much before the onset is kept
SILENT_PEAK = 10 ** (-60 / 20)  # a render whose peak is under -60 dBFS is silent

# ---------------------------------------------------------------- gm_kits

# The only soundfonts read, and the Debian package of each: regular files,
# never a symlink (an alternatives link may point anywhere).
SOUNDFONTS = {
    "TimGM6mb": ("/usr/share/sounds/sf2/TimGM6mb.sf2", "timgm6mb-soundfont"),
    "sf_GMbank": ("/usr/share/sounds/sf2/sf_GMbank.sf2", "csound-soundfont"),
    "OPL-3_FM_128M": ("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2", "opl3-soundfont"),
}
# The GM kits (bank 128 programs) rendered where a soundfont has them.
GM_KIT_PROGRAMS = {0: "standard", 8: "room", 16: "power", 24: "electronic", 25: "tr808",
                   32: "jazz", 40: "brush", 48: "orchestra"}
GM_NOTES = {
    35: "kick", 36: "kick",
    38: "snare", 40: "snare",  # not 37, side stick
    39: "clap",
    42: "hihat", 44: "hihat", 46: "hihat",  # closed, pedal, open
    41: "tom", 43: "tom", 45: "tom", 47: "tom", 48: "tom", 50: "tom",
    49: "cymbal", 51: "cymbal", 52: "cymbal", 55: "cymbal", 57: "cymbal", 59: "cymbal",
}
GM_VELOCITIES = (100, 60)
GM_SPACING_S = 1.5
GM_LEAD_S = 0.5  # silence before the first note


@dataclass
class Corpus:
    """One group's one-shots: ``audio[i]`` is labelled ``labels[i]``, comes
    from ``sources[i]`` and is called ``names[i]`` there."""

    audio: list[np.ndarray]
    labels: np.ndarray
    sources: np.ndarray
    names: np.ndarray
    group: str

    def __len__(self) -> int:
        return len(self.audio)

    def counts(self) -> dict[str, dict[str, int]]:
        """{source: {label: count}}."""
        out: dict[str, dict[str, int]] = {}
        for s, lab in zip(self.sources, self.labels):
            out.setdefault(str(s), Counter())[str(lab)] += 1
        return {s: dict(sorted(c.items())) for s, c in sorted(out.items())}


def onset_index(x: np.ndarray) -> int:
    """A one-shot's onset: its first sample within ``ONSET_DB`` of its peak."""
    return drumkits.attack_index(x, ONSET_DB)


def shape(x: np.ndarray, sr: int = SR, trim_db: float = TRIM_DB) -> np.ndarray | None:
    """``x`` as a one-shot: mono float32 from its first sample within
    ``trim_db`` of its peak (but at most ``MAX_LEAD_S`` before its onset) to
    its last one, at most ``MAX_SECONDS`` long, a cut tail faded out over
    20 ms; None when it is silent or not finite."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.size < 64 or not np.all(np.isfinite(x)):
        return None
    a = np.abs(x)
    peak = float(a.max())
    if peak < SILENT_PEAK:
        return None
    start = int(np.argmax(a >= peak * 10 ** (trim_db / 20)))
    start = max(start, onset_index(x) - int(MAX_LEAD_S * sr))
    end = x.size - int(np.argmax(a[::-1] >= peak * 10 ** (trim_db / 20)))
    y = x[start:min(end, start + int(MAX_SECONDS * sr))].astype(np.float32)
    fade = min(y.size // 4, int(0.02 * sr))
    if fade > 0 and start + y.size < end:  # only a cut tail clicks
        y[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return y if y.size >= 64 else None


# ---------------------------------------------------------------- drums

def build_drums() -> Corpus:
    audio, labels, sources, names = [], [], [], []
    for s in drumkits.one_shots(sr=SR, per_instrument=3, max_seconds=MAX_SECONDS + 0.1):
        # drumkits trims at -50 dB; shape applies this corpus' rule on top.
        y = shape(s.audio)
        if y is None:
            continue
        audio.append(y)
        labels.append(s.label)
        sources.append(s.kit)
        names.append(f"{s.instrument}/{s.path.name}")
    return _corpus("drums", audio, labels, sources, names)


# ---------------------------------------------------------------- gm_kits

def check_soundfont(path: str) -> str:
    """``path`` if it is one of ``SOUNDFONTS`` and a regular file that resolves
    to itself; raises ValueError otherwise."""
    allowed = {p for p, _ in SOUNDFONTS.values()}
    if path not in allowed:
        raise ValueError(f"{path}: not one of the corpus' soundfonts")
    if os.path.islink(path) or not os.path.isfile(path) or os.path.realpath(path) != path:
        raise ValueError(f"{path}: not a regular file (a symlink or missing)")
    return path


def sf2_presets(path: str) -> list[tuple[int, int, str]]:
    """(bank, program, name) of every preset in a SoundFont 2 file's ``phdr``
    chunk (pdta list), the terminal EOP record left out."""
    with open(path, "rb") as f:
        riff, size, kind = struct.unpack("<4sI4s", f.read(12))
        if riff != b"RIFF" or kind != b"sfbk":
            raise ValueError(f"{path}: not a SoundFont 2 file")
        end = 8 + size
        while f.tell() < end:
            cid, csize = struct.unpack("<4sI", f.read(8))
            if cid == b"LIST" and f.read(4) == b"pdta":
                list_end = f.tell() + csize - 4
                while f.tell() < list_end:
                    sid, ssize = struct.unpack("<4sI", f.read(8))
                    if sid == b"phdr":
                        data = f.read(ssize)
                        out = []
                        for i in range(0, ssize - 38, 38):  # 38-byte records, the last is EOP
                            name, program, bank = struct.unpack_from("<20sHH", data, i)
                            out.append((bank, program, name.split(b"\0")[0].decode("latin-1").strip()))
                        return out
                    f.seek(ssize + (ssize & 1), 1)
            elif cid == b"LIST":
                f.seek(csize - 4 + (csize & 1), 1)
            else:
                f.seek(csize + (csize & 1), 1)
    raise ValueError(f"{path}: no phdr chunk")


def gm_kits(path: str) -> list[tuple[int, str]]:
    """(program, kit name) of the GM drum kits (bank 128) in a soundfont."""
    return sorted({(p, GM_KIT_PROGRAMS[p]) for b, p, _ in sf2_presets(path)
                   if b == 128 and p in GM_KIT_PROGRAMS})


def smf(events: list[tuple[float, bytes]], ticks_per_s: int = 960) -> bytes:
    """A format-0 Standard MIDI File of (seconds, MIDI message) events at
    120 bpm (480 ticks a quarter note: ``ticks_per_s`` 960)."""
    track = b"\x00\xff\x51\x03\x07\xa1\x20"  # tempo 500000 us a quarter
    now = 0
    for t, msg in sorted(events, key=lambda e: e[0]):
        tick = int(round(t * ticks_per_s))
        track += _vlq(tick - now) + msg
        now = tick
    track += b"\x00\xff\x2f\x00"  # end of track
    return (b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks_per_s // 2)
            + b"MTrk" + struct.pack(">I", len(track)) + track)


def gm_song(programs: list[int]) -> tuple[bytes, list[tuple[int, int, int, float]]]:
    """One SMF playing every kit of ``programs`` in turn on channel 10, and
    its notes as (program, note, velocity, seconds)."""
    ch = 9
    events: list[tuple[float, bytes]] = []
    notes = []
    t = GM_LEAD_S
    for prog in programs:
        # Bank select (fluidsynth puts channel 10 in the drum bank 128 itself:
        # a 7-bit CC 0 cannot say 128), then the kit's program.
        events += [(t - 0.3, bytes([0xB0 | ch, 0, 0])), (t - 0.3, bytes([0xB0 | ch, 32, 0])),
                   (t - 0.2, bytes([0xC0 | ch, prog]))]
        for note in sorted(GM_NOTES):
            for vel in GM_VELOCITIES:
                events += [(t, bytes([0x90 | ch, note, vel])),
                           (t + 1.0, bytes([0x80 | ch, note, 0])),
                           # all sound off: a ringing cymbal must not reach the next cut
                           (t + GM_SPACING_S - 0.1, bytes([0xB0 | ch, 120, 0]))]
                notes.append((prog, note, vel, t))
                t += GM_SPACING_S
        t += 0.5
    events.append((t + 0.5, bytes([0xB0 | ch, 123, 0])))
    return smf(events), notes


def fluidsynth_command(soundfont: str, midi: str, wav: str, config: str) -> list[str]:
    """The render command: fast render to a float WAV at ``SR``, no reverb nor
    chorus, gain 1; ``config`` (an empty file) stands in for ~/.fluidsynth so
    no user or system configuration can load another soundfont."""
    return ["fluidsynth", "-q", "-n", "-i", "-f", config, "-R", "0", "-C", "0", "-g", "1.0",
            "-r", str(SR), "-T", "wav", "-O", "float", "-F", wav, check_soundfont(soundfont), midi]


def render_soundfont(name: str, tmp: str, run=subprocess.run) -> tuple[list, list, list, list]:
    import soundfile as sf

    path, _ = SOUNDFONTS[name]
    check_soundfont(path)
    kits = gm_kits(path)
    song, notes = gm_song([p for p, _ in kits])
    mid, wav, cfg = (os.path.join(tmp, f"{name}.{ext}") for ext in ("mid", "wav", "cfg"))
    Path(mid).write_bytes(song)
    Path(cfg).write_text("")
    run(fluidsynth_command(path, mid, wav, cfg), check=True, capture_output=True, timeout=300)
    y, sr = sf.read(wav, dtype="float32", always_2d=True)
    assert sr == SR, f"fluidsynth rendered {sr} Hz, not {SR}"
    y = y.mean(axis=1)
    kit_name = dict(kits)
    audio, labels, sources, names = [], [], [], []
    for prog, note, vel, t in notes:
        i = int(round(t * SR))
        x = shape(y[i:i + int((GM_SPACING_S - 0.1) * SR)])
        if x is None:  # the kit lacks this note
            continue
        audio.append(x)
        labels.append(GM_NOTES[note])
        sources.append(f"{name}/{kit_name[prog]}")
        names.append(f"n{note} v{vel}")
    return audio, labels, sources, names


def same_sound(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two one-shots are one sample played the same (correlation of
    their first 4096 samples over 0.999): a soundfont's kits share many."""
    n = min(len(a), len(b), 4096)
    if n < 64 or abs(len(a) - len(b)) > 0.01 * SR:
        return False
    a, b = a[:n].astype(np.float64), b[:n].astype(np.float64)
    den = np.sqrt((a @ a) * (b @ b))
    return den > 0 and (a @ b) / den > 0.999


def _drop_copies(audio, labels, sources, names, within_source: bool = False):
    """Without the one-shots that repeat an earlier one of the same label
    from another source (in program order: the standard kit keeps its own),
    so that no one-shot held out with its source is also in the training
    sources; with ``within_source`` copies within a source go too (else a
    softer velocity of a kit stays, even where it is the same sample)."""
    keep = []
    for i in range(len(audio)):
        if not any(labels[j] == labels[i] and (within_source or sources[j] != sources[i])
                   and same_sound(audio[i], audio[j]) for j in keep):
            keep.append(i)
    return tuple([v[i] for i in keep] for v in (audio, labels, sources, names))


def build_gm_kits() -> Corpus:
    if shutil.which("fluidsynth") is None:
        raise FileNotFoundError("fluidsynth is not installed (Debian fluidsynth; make test-deps)")
    with tempfile.TemporaryDirectory(prefix="livemappr-corpus-") as tmp, ThreadPoolExecutor(3) as pool:
        parts = list(pool.map(lambda n: render_soundfont(n, tmp), SOUNDFONTS))
    # Copies across soundfonts too: TimGM6mb and sf_GMbank share samples.
    return _corpus("gm_kits", *_drop_copies(*([v for part in parts for v in part[k]] for k in range(4))))


# ---------------------------------------------------------------- vocal_proxy

# espeak-ng phoneme mnemonics ([[...]] input): ksh, psh, tch for a snare, a
# long hiss for an open hat.
VOCAL_PHONEMES = {
    "kick": ("b@", "bU", "pU", "bm"),
    "snare": ("k", "kS", "pS", "tS"),
    "hihat": ("t", "ts", "tT"),
    "openhat": ("tss", "tsss", "sss"),
}
# 16 "performers": a language voice with a voice variant.
VOICES = ("en+m1", "en-us+m3", "en-gb-scotland+f2", "en-029+m2", "de+m4", "de+f3",
          "fr+m1", "fr+f1", "es+m3", "es-419+f4", "it+m5", "nl+m6", "sv+f2",
          "pt+m7", "pl+f5", "da+m2")
# (words a minute, pitch 0-99): each performer at 3 speeds and pitches.
VOCAL_SETTINGS = ((175, 50), (130, 35), (230, 70))
# Shorter is a lone release burst (a language without the vowel): no kick.
VOCAL_MIN_SECONDS = 0.02


def espeak_command(voice: str, speed: int, pitch: int, phonemes: str, wav: str) -> list[str]:
    return ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", wav, f"[[{phonemes}]]"]


def _speak(job: tuple[str, int, int, str, str, str]):
    import soundfile as sf

    voice, speed, pitch, label, phonemes, tmp = job
    wav = os.path.join(tmp, f"{voice}-{speed}-{pitch}-{phonemes}.wav")
    subprocess.run(espeak_command(voice, speed, pitch, phonemes, wav), check=True,
                   capture_output=True, timeout=60)
    x, sr = sf.read(wav, dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if sr != SR:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(SR, sr)
        x = resample_poly(x, SR // g, sr // g).astype(np.float32)
    return shape(x)


def build_vocal_proxy() -> Corpus:
    if shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng is not installed (Debian espeak-ng; make test-deps)")
    jobs, meta = [], []
    with tempfile.TemporaryDirectory(prefix="livemappr-corpus-") as tmp:
        for voice in VOICES:
            for speed, pitch in VOCAL_SETTINGS:
                for label, strings in VOCAL_PHONEMES.items():
                    for ph in strings:
                        jobs.append((voice, speed, pitch, label, ph, tmp))
                        meta.append((label, voice, f"{ph} s{speed} p{pitch}"))
        with ThreadPoolExecutor(4) as pool:
            shots = list(pool.map(_speak, jobs))
    keep = [i for i, x in enumerate(shots) if x is not None and len(x) >= VOCAL_MIN_SECONDS * SR]
    parts = _drop_copies([shots[i] for i in keep], [meta[i][0] for i in keep],
                         [meta[i][1] for i in keep], [meta[i][2] for i in keep], within_source=True)
    return _corpus("vocal_proxy", *parts)


# ---------------------------------------------------------------- cache

def _corpus(group, audio, labels, sources, names) -> Corpus:
    return Corpus(list(audio), np.array(labels, dtype=str), np.array(sources, dtype=str),
                  np.array(names, dtype=str), group)


BUILDERS = {"drums": build_drums, "gm_kits": build_gm_kits, "vocal_proxy": build_vocal_proxy}
PACKAGES = {
    "drums": ("hydrogen-drumkits", "hydrogen-data"),
    "gm_kits": ("fluidsynth", "libfluidsynth3") + tuple(p for _, p in SOUNDFONTS.values()),
    "vocal_proxy": ("espeak-ng", "espeak-ng-data", "libespeak-ng1"),
}


def _package_versions(packages) -> dict[str, str]:
    out = {}
    for p in packages:
        try:
            r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", p],
                               capture_output=True, text=True, timeout=30)
            out[p] = r.stdout.strip() if r.returncode == 0 else "missing"
        except FileNotFoundError:  # not a Debian system
            out[p] = "unknown"
    return out


def cache_key(group: str) -> dict:
    """What a cached group depends on: this module's ``VERSION`` and source
    (and drumkits.py's), the Debian packages and paths it read, the Python
    libraries that shaped it."""
    import librosa
    import scipy
    import soundfile

    if group == "drums":
        paths = sorted(str(p) for p in drumkits.kit_files())
        params = {"kits": sorted(drumkits.KITS)}
    elif group == "gm_kits":
        paths = sorted(p for p, _ in SOUNDFONTS.values())
        params = {"programs": GM_KIT_PROGRAMS, "notes": GM_NOTES, "velocities": GM_VELOCITIES}
    elif group == "vocal_proxy":
        paths = []
        params = {"phonemes": VOCAL_PHONEMES, "voices": VOICES, "settings": VOCAL_SETTINGS,
                  "min_seconds": VOCAL_MIN_SECONDS}
    else:
        raise ValueError(f"unknown corpus group {group!r}; one of {GROUPS}")
    # The code that builds it: an edit rebuilds without anyone bumping VERSION.
    code = hashlib.sha1(Path(__file__).read_bytes() + Path(drumkits.__file__).read_bytes()).hexdigest()
    return {"version": VERSION, "code": code, "group": group, "sr": SR, "max_seconds": MAX_SECONDS,
            "trim_db": TRIM_DB, "packages": _package_versions(PACKAGES[group]), "paths": paths,
            "params": json.loads(json.dumps(params)),
            "python": {"numpy": np.__version__, "librosa": librosa.__version__,
                       "scipy": scipy.__version__, "soundfile": soundfile.__version__}}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "livemappr" / "corpus-v1"


def cache_path(group: str) -> Path:
    digest = hashlib.sha1(json.dumps(cache_key(group), sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir() / f"{group}-{digest}.npz"


def save(corpus: Corpus, path: Path, key: dict) -> None:
    lengths = np.array([len(a) for a in corpus.audio], dtype=np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez_compressed(tmp, audio=np.concatenate(corpus.audio) if corpus.audio else np.zeros(0, np.float32),
                        lengths=lengths, labels=corpus.labels, sources=corpus.sources,
                        names=corpus.names, group=np.array(corpus.group), key=np.array(json.dumps(key)))
    os.replace(tmp, path)  # readers never see half a file
    for old in path.parent.glob(f"{corpus.group}-*.npz"):  # older versions of the group
        if old != path:
            old.unlink(missing_ok=True)


def read(path: Path) -> Corpus:
    with np.load(path, allow_pickle=False) as z:
        ends = np.cumsum(z["lengths"])
        flat = z["audio"]
        audio = [a for a in np.split(flat, ends[:-1])] if len(ends) else []
        return Corpus(audio, z["labels"], z["sources"], z["names"], str(z["group"]))


def load(group: str, rebuild: bool = False) -> Corpus:
    """The ``group`` corpus (one of ``GROUPS``), from the cache or built."""
    if group not in BUILDERS:
        raise ValueError(f"unknown corpus group {group!r}; one of {GROUPS}")
    key = cache_key(group)
    path = cache_path(group)
    if not rebuild and path.is_file():
        return read(path)
    corpus = BUILDERS[group]()
    save(corpus, path, key)
    return read(path)


def load_all(rebuild: bool = False) -> dict[str, Corpus]:
    """Every group, by name; missing ones built side by side."""
    with ThreadPoolExecutor(len(GROUPS)) as pool:
        return dict(zip(GROUPS, pool.map(lambda g: load(g, rebuild), GROUPS)))


def summary(corpora: dict[str, Corpus]) -> str:
    lines = []
    for group, c in corpora.items():
        labels = sorted(set(c.labels.tolist()))
        lines.append(f"{group}: {len(c)} one-shots, {len(set(c.sources.tolist()))} sources; "
                     + ", ".join(f"{lab} {int((c.labels == lab).sum())}" for lab in labels))
        for source, counts in c.counts().items():
            lines.append(f"  {source:40s} " + " ".join(f"{lab}={counts.get(lab, 0)}" for lab in labels))
    return "\n".join(lines)


def main(argv=None) -> int:
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rebuild", action="store_true", help="build every group again")
    ap.add_argument("--summary", action="store_true", help="counts per source and label too")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    corpora = load_all(rebuild=args.rebuild)
    took = time.perf_counter() - t0
    if args.summary:
        print(summary(corpora))
    else:
        for group, c in corpora.items():
            print(f"{group}: {len(c)} one-shots, {len(set(c.sources.tolist()))} sources, "
                  + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c.labels.tolist()).items())))
    print(f"({took:.1f} s; cache {cache_dir()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
