"""``livemappr export``: a map's clusters as a sample kit.

Runs on: the main thread.

For every cluster: its snippets as WAV files in a folder of their own, and
one ``.sfz`` instrument that puts each cluster on its MIDI note with the
snippets as round-robin regions (hitting the key steps through the cluster,
as the engine's round-robin trigger does). File names are built only from
``[a-z0-9_-]``, never a reserved device name, and every path is checked to
lie inside the kit folder: nothing in a map can make export write elsewhere.
"""

import pathlib
import re

import numpy as np
import soundfile

from livemappr.files import audiofile, mapfile
from livemappr.session import capturefile

from livemappr.session import journal
from livemappr.errors import UsageError

_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
FADE_SECONDS = 0.002  # the end of a snippet is a cut: fade it


class ExportError(UsageError):
    """A kit that cannot be written."""


def safe_name(text, fallback="x", limit=40):
    """A file-name part safe on every file system: ``[a-z0-9_-]``, not reserved."""
    name = re.sub(r"[^a-z0-9_-]+", "_", str(text).lower()).strip("_-")[:limit].strip("_-")
    if not name or name in _RESERVED:
        name = f"{fallback}_{name}" if name else fallback
    return name


def _inside(root, path):
    root, resolved = root.resolve(), path.resolve()
    if root != resolved and root not in resolved.parents:
        raise ExportError(f"refusing to write {path}: outside {root}")
    return path


class _Sources:
    """Audio of the map's sources, each opened once."""

    def __init__(self, map_dir, samplerate):
        self.map_dir = map_dir
        self.samplerate = samplerate
        self._cache = {}

    def cut(self, source, start, end):
        audio = self._cache.get(source)
        if audio is None:
            audio = self._cache[source] = self._load(source)
        a, b = int(round(start * self.samplerate)), int(round(end * self.samplerate))
        return audio[a:min(b, audio.shape[0])]

    def _load(self, source):
        path = pathlib.Path(source)
        if not path.is_absolute():
            path = self.map_dir / path
        if path.name == journal.AUDIO_FILE and (path.parent / journal.MANIFEST).exists():
            samples, manifest = capturefile.load(path.parent) or (None, None)
            if samples is None:
                raise ExportError(f"{path}: the capture journal is gone")
            if manifest["samplerate"] != self.samplerate:
                raise ExportError(f"{path} is at {manifest['samplerate']} Hz; the map says {self.samplerate}")
            return np.asarray(samples, np.float32).mean(axis=1)
        return audiofile.read(path, samplerate=self.samplerate, channels=1).samples[:, 0]


def export(map_dir, kit_dir, force=False, log=print):
    """Write the kit. Returns the path of the ``.sfz`` file."""
    map_dir, kit_dir = pathlib.Path(map_dir), pathlib.Path(kit_dir)
    m = mapfile.read(map_dir)
    if kit_dir.exists() and any(kit_dir.iterdir()) and not force:
        raise ExportError(f"{kit_dir} is not empty; choose another --out or add --force")
    kit_dir.mkdir(parents=True, exist_ok=True)
    sources = _Sources(map_dir, m.sample_rate)
    by_cluster = {}
    for s in m.snippets:
        by_cluster.setdefault(s.cluster, []).append(s)
    fade = max(1, int(FADE_SECONDS * m.sample_rate))
    lines = ["// livemappr kit: one key per cluster, round robin through its sounds", ""]
    written, skipped = 0, []
    for c in sorted(m.clusters, key=lambda c: c.note):
        members = sorted(by_cluster.get(c.id, []), key=lambda s: s.id)
        folder_name = f"{c.id:02d}_{safe_name(c.key, 'key')}"
        folder = _inside(kit_dir, kit_dir / folder_name)
        regions = []
        for s in members:
            try:
                audio = np.array(sources.cut(s.source, s.start, s.end), np.float32)
            except UsageError as e:
                skipped.append(f"snippet {s.id}: {e}")
                continue
            if audio.shape[0] == 0:
                skipped.append(f"snippet {s.id}: no audio between {s.start} and {s.end} s")
                continue
            n = min(fade, audio.shape[0])
            audio[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
            folder.mkdir(exist_ok=True)
            name = f"{s.id:05d}_{safe_name(pathlib.Path(s.source).stem, 'snippet')}.wav"
            soundfile.write(_inside(kit_dir, folder / name), audio, m.sample_rate, subtype="PCM_24")
            regions.append(f"{folder_name}/{name}")
            written += 1
        if not regions:
            continue
        lines += [f"// cluster {c.id}: key {c.key!r}, {len(regions)} sound(s)",
                  f"<group> key={c.note} seq_length={len(regions)}"]
        lines += [f"<region> sample={r} seq_position={i + 1}" for i, r in enumerate(regions)]
        lines.append("")
    sfz = _inside(kit_dir, kit_dir / f"{safe_name(map_dir.resolve().name, 'kit')}.sfz")
    sfz.write_text("\n".join(lines))
    for message in skipped[:5]:
        log(f"  skipped {message}")
    if len(skipped) > 5:
        log(f"  ... and {len(skipped) - 5} more skipped")
    log(f"wrote {written} sounds in {sum(1 for line in lines if line.startswith('<group>'))} clusters to "
        f"{kit_dir}; instrument: {sfz}")
    return sfz
