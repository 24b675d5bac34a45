"""Labelled drum one-shots from Debian's hydrogen kits (``drumkits.KITS``), with stand-in features.

The features are a deliberately simple stand-in (mean and std over frames of librosa
log-mel bands of the first 0.5 s of each file) until the numba features from
``livemappr.analysis`` land; then this module should call those instead.
Results are cached as ``.npz`` under ``$LIVEMAPPR_CACHE`` (default
``~/.cache/livemappr``) keyed by the file list, so only the first run pays for
decoding ~800 files.

Used by tests/test_mapping_hydrogen.py and benchmarks/bench_map.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

if __package__:
    from .drumkits import KITS_DIR as DRUMKITS, kit_files
else:  # the benchmarks put tests/ on sys.path
    from drumkits import KITS_DIR as DRUMKITS, kit_files
CLASSES = ("kick", "snare", "hihat", "tom", "cymbal")

# Order matters: "Snare Roll" is a snare, "Ride Bell" a cymbal, "Hi-Hat" before "hat".
_RULES = (
    ("hihat", re.compile(r"hi[- ]?hat|\b[oc]?hh\b|\bhat\b|hats?\b", re.I)),
    ("kick", re.compile(r"kick|bass ?drum|bassdrum", re.I)),
    ("snare", re.compile(r"snare", re.I)),
    ("tom", re.compile(r"\btom|floor tom|tom\d", re.I)),
    ("cymbal", re.compile(r"crash|ride|cymbal|splash|china", re.I)),
)


def label_of(instrument_name: str) -> str | None:
    """Drum class of a hydrogen instrument name, or None for anything else."""
    for label, pattern in _RULES:
        if pattern.search(instrument_name):
            return label
    return None


def _local(tag: str) -> str:
    # Older kits have no XML namespace, newer ones do.
    return tag.rsplit("}", 1)[-1]


def list_one_shots(root: Path = DRUMKITS) -> list[tuple[str, str, Path]]:
    """(kit, label, path) for every labelled sample file of the kits in
    ``drumkits.KITS``, sorted."""
    rows = []
    for xml in kit_files(root):
        kit = xml.parent.name
        tree = ET.parse(xml)
        for inst in tree.iter():
            if _local(inst.tag) != "instrument":
                continue
            name = next((c.text or "" for c in inst if _local(c.tag) == "name"), "")
            label = label_of(name)
            if label is None:
                continue
            for fn in inst.iter():
                if _local(fn.tag) == "filename" and fn.text:
                    path = xml.parent / fn.text
                    if path.is_file():
                        rows.append((kit, label, path))
    return sorted(set(rows), key=lambda r: (r[0], r[1], str(r[2])))


def _features_of(path: Path, sr: int = 22050, seconds: float = 0.5) -> np.ndarray:
    import librosa

    y, _ = librosa.load(path, sr=sr, mono=True, duration=seconds)
    n = int(sr * seconds)
    if y.size < n:
        y = np.pad(y, (0, n - y.size))
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=256, n_mels=64)
    logmel = librosa.power_to_db(mel, ref=1.0, top_db=None)
    return np.concatenate([logmel.mean(axis=1), logmel.std(axis=1)]).astype(np.float32)


def load_hydrogen(cache_dir: str | os.PathLike | None = None):
    """Features, labels and kit names of all labelled hydrogen one-shots.

    Returns
    -------
    X : ndarray of shape (n_files, 128), float32
        Mean and std of 64 log-mel bands (dB) over the first 0.5 s.
    labels : ndarray of shape (n_files,), str
        One of ``CLASSES``.
    kits : ndarray of shape (n_files,), str
        Drum kit (folder) of each file: neighbours from the same kit are often
        velocity layers of the same drum, so evaluations group by kit.
    """
    rows = list_one_shots()
    if not rows:
        raise FileNotFoundError(f"no labelled one-shots under {DRUMKITS}")
    key = hashlib.sha1("\n".join(str(r[2]) for r in rows).encode()).hexdigest()[:16]
    cache = Path(cache_dir or os.environ.get("LIVEMAPPR_CACHE", Path.home() / ".cache/livemappr"))
    file = cache / f"hydrogen_stand_in_{key}.npz"
    if file.is_file():
        data = np.load(file)
        X = data["X"]
    else:
        X = np.stack([_features_of(r[2]) for r in rows])
        cache.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp.npz")
        np.savez(tmp, X=X)
        os.replace(tmp, file)
    labels = np.array([r[1] for r in rows])
    kits = np.array([r[0] for r in rows])
    return X, labels, kits
