"""Labelled real drum audio from the Debian hydrogen-drumkits and hydrogen-data kits.

Test and benchmark helper (never imported by livemappr). Each kit's
``drumkit.xml`` names its instruments and their sample files; instrument names
are mapped to kick/snare/hihat/tom/cymbal/clap by whole-word rules, anything
else (cowbell, stick, conga, zap, ...) is skipped. Hydrogen's XML comes with and
without a namespace and with layer files nested at different depths, so the
parser strips namespaces and collects every ``filename`` under an instrument.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KITS_DIR = Path("/usr/share/hydrogen/data/drumkits")
# The kits the tests and benchmarks read, by folder: the thresholds were set on
# these 16, so a kit more (another Debian package installing into KITS_DIR, such
# as hydrogen-drumkits-effects) or a kit less changes the data, not the code.
KITS = (
    # hydrogen-drumkits
    "Audiophob", "BJA_Pacific", "ColomboAcousticDrumkit", "ElectricEmpireKit",
    "ForzeeStereo", "Gimme A Hand 1.0", "HardElectro1", "Millo-Drums_v.1",
    "Millo_MultiLayered2", "Millo_MultiLayered3", "The Black Pearl 1.0",
    "VariBreaks", "circAfrique v4", "rumpf_kit_z01_h2",
    # hydrogen-data
    "GMRockKit", "TR808EmulationKit",
)
LABELS = ("kick", "snare", "hihat", "tom", "cymbal", "clap")

# First matching rule wins: "snare rimshot" is a snare, "hi-hat" a hihat
# before anything else could claim "hat", a "stick" or "cowbell" is nothing.
_RULES = (
    ("clap", r"\bclaps?\b|\bhandclap"),
    ("hihat", r"\bhh\d*\b|\bhats?\b|\bhi ?hats?\b|\bhihats?\b|\bhh2\b"),
    ("kick", r"\bkick|\bbass ?drum|\bbd\d*\b"),
    ("snare", r"\bsnare|\bsd\d*\b"),
    ("tom", r"\btom|\bfloor ?tom"),
    ("cymbal", r"\bcrash|\bride\b|\bcymbal|\bchina\b|\bsplash\b"),
)


def label_for(name: str) -> str | None:
    """Drum label for an instrument name, or None when it is none of ours."""
    text = re.sub(r"[^a-z0-9]+", " ", name.lower())
    # "tomhi2" and friends: split letters from digits so \b rules see words.
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)
    for label, pattern in _RULES:
        if re.search(pattern, text):
            return label
    return None


@dataclass(frozen=True)
class Instrument:
    kit: str
    name: str
    label: str
    files: tuple[Path, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_kit(xml_path: Path) -> list[Instrument]:
    """Labelled instruments of one drumkit.xml whose sample files exist."""
    root = ET.parse(xml_path).getroot()
    kit = next((c.text or "" for c in root if _local(c.tag) == "name"), xml_path.parent.name)
    out = []
    for inst in root.iter():
        if _local(inst.tag) != "instrument":
            continue
        name = next((c.text or "" for c in inst if _local(c.tag) == "name"), "")
        label = label_for(name)
        # A roll is many onsets in one file: no use as a one-shot.
        if label is None or re.search(r"\broll", name.lower()):
            continue
        files = []
        for el in inst.iter():
            if _local(el.tag) == "filename" and el.text:
                p = xml_path.parent / el.text.strip()
                if p.is_file() and "empty" not in p.name.lower() and p not in files:
                    files.append(p)
        if files:
            out.append(Instrument(kit.strip(), name.strip(), label, tuple(files)))
    return out


def kit_files(root: Path = KITS_DIR) -> list[Path]:
    """The ``drumkit.xml`` of each kit of ``KITS``, sorted by folder; raises
    FileNotFoundError naming the missing kits (``make test`` installs them)."""
    files = [root / kit / "drumkit.xml" for kit in sorted(KITS)]
    missing = [f.parent.name for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(
            f"drum kits missing under {root}: {', '.join(missing)}; the Debian packages "
            "hydrogen-drumkits and hydrogen-data install them (make test-deps)")
    return files


@functools.cache
def instruments() -> tuple[Instrument, ...]:
    """Every labelled instrument of the kits in ``KITS``."""
    found = []
    for xml in kit_files():
        found.extend(parse_kit(xml))
    return tuple(found)


@functools.cache
def load(path: Path, sr: int, max_seconds: float = 2.0) -> np.ndarray:
    """Mono float32 audio of ``path`` at ``sr``, at most ``max_seconds`` long."""
    import soundfile as sf

    x, file_sr = sf.read(str(path), dtype="float32", always_2d=True,
                         frames=int(max_seconds * 48000) + 1)
    x = x.mean(axis=1)
    if file_sr != sr:
        import librosa

        x = librosa.resample(x, orig_sr=file_sr, target_sr=sr)
    x = np.ascontiguousarray(x[: int(max_seconds * sr)], dtype=np.float32)
    x.setflags(write=False)
    return x


def attack_index(x: np.ndarray, rel_db: float = -30.0) -> int:
    """First sample whose magnitude reaches ``rel_db`` under the peak."""
    a = np.abs(x)
    peak = float(a.max()) if a.size else 0.0
    if peak <= 0:
        return 0
    return int(np.argmax(a >= peak * 10 ** (rel_db / 20)))


@dataclass(frozen=True)
class OneShot:
    kit: str
    instrument: str
    label: str
    path: Path
    audio: np.ndarray


def single_onset(x: np.ndarray, sr: int) -> bool:
    """Whether librosa's onset detector, a peer of ours, finds exactly one
    onset in ``x`` padded with silence (some "one-shots" hold a flam, a
    double hit or a pedal chick before the hat)."""
    import librosa

    pad = np.zeros(sr // 4, dtype=np.float32)
    on = librosa.onset.onset_detect(y=np.concatenate([pad, x, pad]), sr=sr, units="samples")
    return len(on) <= 1


def one_shots(sr: int = 22050, per_instrument: int = 3, max_seconds: float = 1.0,
              min_peak_db: float = -50.0, only_single_onset: bool = False) -> list[OneShot]:
    """Labelled one-shots, up to ``per_instrument`` velocity layers each
    (spread over the layers), trimmed of leading silence, the last 20 ms of a
    cut tail faded out; with ``only_single_onset`` those that hold more than
    one onset (``single_onset``) are left out."""
    shots = []
    seen: set[Path] = set()
    for inst in instruments():
        files = inst.files
        pick = files if len(files) <= per_instrument else [
            files[i] for i in np.linspace(0, len(files) - 1, per_instrument).round().astype(int)]
        for p in pick:
            if p in seen:
                continue
            seen.add(p)
            x = load(p, sr, max_seconds + 0.1)
            if x.size == 0 or 20 * np.log10(np.abs(x).max() + 1e-12) < min_peak_db:
                continue
            x = x[attack_index(x, -50.0):][: int(max_seconds * sr)].copy()
            # Fade out a cut tail: an abrupt cut is a click, i.e. an onset.
            fade = min(x.size // 4, int(0.02 * sr))
            if fade > 0:
                x[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
            if x.size >= 64 and (not only_single_onset or single_onset(x, sr)):
                shots.append(OneShot(inst.kit, inst.name, inst.label, p, x))
    return shots


@dataclass(frozen=True)
class Sequence:
    """A mix of one-shots with known attack times (absolute samples)."""

    audio: np.ndarray
    onsets: np.ndarray
    labels: tuple[str, ...]
    sr: int


def sequence(shots: list[OneShot], n_hits: int, sr: int, seed: int = 0,
             min_gap_s: float = 0.08, max_gap_s: float = 0.5, lead_s: float = 0.3,
             noise_db: float | None = -70.0, gain_db: tuple[float, float] = (-12.0, 0.0),
             ghost_fraction: float = 0.0, ghost_db: float = -12.0) -> Sequence:
    """Hits drawn from ``shots`` at random gaps in ``[min_gap_s, max_gap_s]``.

    Each hit is normalised to a 0.7 peak, then scaled by a random gain in
    ``gain_db``; a ``ghost_fraction`` of them (drawn from their own random
    stream, so the other hits are those of ``ghost_fraction=0``) are ghost
    notes, ``ghost_db`` softer on top of that. Tails overlap the next hits (they are summed). A hit's onset is its
    placement plus the sample's own attack index at -30 dB from its peak.
    """
    rng = np.random.default_rng(seed)
    picks = [shots[i] for i in rng.integers(0, len(shots), n_hits)]
    gaps = rng.uniform(min_gap_s, max_gap_s, n_hits)
    starts = (lead_s * sr + np.concatenate([[0.0], np.cumsum(gaps[:-1])]) * sr).astype(np.int64)
    total = int(starts[-1] + max(len(s.audio) for s in picks) + sr * lead_s)
    y = np.zeros(total, dtype=np.float64)
    onsets = []
    ghost = np.random.default_rng([seed, 1]).uniform(size=n_hits) < ghost_fraction
    for st, s, soft in zip(starts, picks, ghost):
        gain = 10 ** (rng.uniform(*gain_db) / 20) * 0.7 / max(1e-6, float(np.abs(s.audio).max()))
        gain *= 10 ** (ghost_db / 20) if soft else 1.0
        y[st:st + len(s.audio)] += gain * s.audio
        onsets.append(st + attack_index(s.audio))
    if noise_db is not None:
        y += rng.standard_normal(total) * 10 ** (noise_db / 20)
    y = np.clip(y, -1.0, 1.0).astype(np.float32)
    return Sequence(y, np.array(onsets, dtype=np.int64), tuple(s.label for s in picks), sr)
