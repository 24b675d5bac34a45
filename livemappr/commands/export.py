"""``livemappr export``: a map's clusters as a sample kit.

Runs on: the main thread.

For every cluster: its snippets as WAV files in a folder of their own, and
one ``.sfz`` instrument that puts each cluster on its MIDI note with the
snippets as round-robin regions (hitting the key steps through the cluster,
as the engine's round-robin trigger does). File names are built only from
``[a-z0-9_-]``, never a reserved device name, and every path is checked to
lie inside the kit folder: nothing in a map can make export write elsewhere.

Every SFZ region is ``loop_mode=one_shot``: a hit plays to its end whatever
the note-off does (a pad's note-off arrives a few ms after its note-on).
Beside the ``.sfz`` a Decent Sampler ``.dspreset`` maps the same files to the
same notes: one ``<group>`` per cluster, round robin, ``trigger="attack"``,
no loop, and a release as long as the group's longest sound (Decent Sampler
has no one-shot switch: a note-off then fades nothing audible away).

The WAVs are mono at ``rate`` Hz (default the map's) and ``bits`` bits (16 or
24 integer PCM, 32 float). Sources are read straight at the kit's rate (one
band-limited resampling, soxr, before the cut, so a snippet's edges are not
filtered twice); integer PCM is clipped to full scale.
``hardware=True`` writes what hardware samplers and their SD cards take: mono
16-bit at 44.1 or 48 kHz, folders ``01_name`` .. and files ``01.wav`` ..,
every name at most 8 characters plus a 3-letter extension.

A session folder's patterns (``pattern_<n>.mid``, written by the live
session's ``/livemappr/export``) go to ``patterns/`` with each cluster's note
(a pad's, 36 up) moved to the key the kit gives it, so they play the kit.
"""

import math
import pathlib
import re
from xml.etree import ElementTree

import numpy as np
import soundfile

from livemappr.control import midifile
from livemappr.control.addresses import MIDI
from livemappr.files import audiofile, mapfile
from livemappr.session.sources import MapSources

from livemappr.errors import UsageError

_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
FADE_SECONDS = 0.002  # the end of a snippet is a cut: fade it
RATES = (22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000)
HARDWARE_RATES = (44100, 48000)
SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
PATTERN_FILE = re.compile(r"pattern_(\d{1,3})\.mid")  # what a session's /livemappr/export writes
MAX_PATTERN_BYTES = 1 << 20


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


def check_format(rate, bits, hardware, map_rate):
    """The kit's ``(rate, bits)``; a one-line :class:`ExportError` for what no sampler should get."""
    if hardware:
        if bits not in (None, 16):
            raise ExportError(f"--hardware writes 16-bit WAVs; --bits {bits} asks for another")
        if rate is None:
            rate = map_rate if map_rate in HARDWARE_RATES else 48000
        elif rate not in HARDWARE_RATES:
            raise ExportError(f"--hardware writes 44100 or 48000 Hz; --rate {rate} is neither")
        return rate, 16
    rate = map_rate if rate is None else rate
    bits = 24 if bits is None else bits
    if rate not in RATES:
        raise ExportError(f"--rate must be one of {', '.join(map(str, RATES))}; got {rate}")
    if bits not in SUBTYPES:
        raise ExportError(f"--bits must be 16, 24 or 32 (float); got {bits}")
    return rate, bits


def _dspreset(groups):
    """A Decent Sampler preset: ``groups`` is ``[(cluster, [(path, seconds), ...]), ...]``."""
    root = ElementTree.Element("DecentSampler", minVersion="1.0.0")
    xml_groups = ElementTree.SubElement(root, "groups")
    for c, samples in groups:
        release = math.ceil(max(seconds for _, seconds in samples) * 1000) / 1000
        group = ElementTree.SubElement(
            xml_groups, "group", name=f"cluster {c.id} {safe_name(c.key, 'key')}" + (f" {c.name}" if c.name else ""),
            seqMode="round_robin",
            seqLength=str(len(samples)), trigger="attack", loopEnabled="false",
            attack="0", decay="0", sustain="1", release=f"{release:g}")
        for i, (path, _) in enumerate(samples):
            ElementTree.SubElement(group, "sample", path=path, rootNote=str(c.note), loNote=str(c.note),
                                   hiNote=str(c.note), seqPosition=str(i + 1), trigger="attack",
                                   loopEnabled="false")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _patterns(map_dir, kit_dir, clusters, hardware, skipped):
    """The session's exported patterns, their notes moved to the kit's keys; returns the paths written."""
    found = sorted((int(m.group(1)), p) for p in map_dir.iterdir()
                   if (m := PATTERN_FILE.fullmatch(p.name)) and p.is_file())
    notes = {MIDI.first_note + c.id: c.note for c in clusters if 0 <= MIDI.first_note + c.id <= 127}
    written = []
    for index, path in found:
        try:
            if path.stat().st_size > MAX_PATTERN_BYTES:
                raise midifile.MidiFileError(f"larger than {MAX_PATTERN_BYTES} bytes")
            data = midifile.remap_notes(path.read_bytes(), notes)
        except (OSError, midifile.MidiFileError) as e:
            skipped.append(f"{path.name}: {e}")
            continue
        folder = _inside(kit_dir, kit_dir / "patterns")
        folder.mkdir(exist_ok=True)
        name = f"pat{index + 1:02d}.mid" if hardware else f"pattern_{index}.mid"
        out = _inside(kit_dir, folder / name)
        out.write_bytes(data)
        written.append(out)
    return written


def export(map_dir, kit_dir, force=False, log=print, *, rate=None, bits=None, hardware=False):
    """Write the kit. Returns the path of the ``.sfz`` file.

    ``rate`` (Hz, default the map's) and ``bits`` (16, 24 or 32 float; default
    24) of the WAVs; ``hardware``: mono 16-bit at 44.1 or 48 kHz, 8.3 names.
    """
    map_dir, kit_dir = pathlib.Path(map_dir), pathlib.Path(kit_dir)
    m = mapfile.read(map_dir)
    rate, bits = check_format(rate, bits, hardware, m.sample_rate)
    if kit_dir.exists() and any(kit_dir.iterdir()) and not force:
        raise ExportError(f"{kit_dir} is not empty; choose another --out or add --force")
    kit_dir.mkdir(parents=True, exist_ok=True)
    sources = MapSources(map_dir, m.sample_rate, rate)
    by_cluster = {}
    for s in m.snippets:
        by_cluster.setdefault(s.cluster, []).append(s)
    fade = max(1, int(FADE_SECONDS * rate))
    lines = ["// livemappr kit: one key per cluster, round robin through its sounds", ""]
    groups = []
    written, skipped = 0, []
    for c in sorted(m.clusters, key=lambda c: c.note):
        members = sorted(by_cluster.get(c.id, []), key=lambda s: s.id)
        # a taught (or --report) name travels with the kit: 00_a_kick, hardware 01_kick
        if hardware:
            folder_name = f"{len(groups) + 1:02d}_{safe_name(c.name or c.key, 'k', limit=5)}"[:8].rstrip("_-")
        else:
            folder_name = f"{c.id:02d}_{safe_name(c.key, 'key')}" + (f"_{safe_name(c.name)}" if c.name else "")
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
            if bits != 32:
                np.clip(audio, -1.0, 1.0, out=audio)  # not left to the libsndfile build's conversion
            folder.mkdir(exist_ok=True)
            if hardware:
                name = f"{len(regions) + 1:02d}.wav"
            else:
                name = f"{s.id:05d}_{safe_name(pathlib.Path(s.source).stem, 'snippet')}.wav"
            soundfile.write(_inside(kit_dir, folder / name), audio, rate, subtype=SUBTYPES[bits])
            regions.append((f"{folder_name}/{name}", audio.shape[0] / rate))
            written += 1
        if not regions:
            continue
        groups.append((c, regions))
        lines += [f"// cluster {c.id}: key {c.key!r}" + (f", {c.name}" if c.name else "") + f", {len(regions)} sound(s)",
                  f"<group> key={c.note} seq_length={len(regions)}"]
        lines += [f"<region> sample={r} seq_position={i + 1} loop_mode=one_shot" for i, (r, _) in enumerate(regions)]
        lines.append("")
    stem = safe_name(map_dir.resolve().name, "kit", limit=8 if hardware else 40)[:8 if hardware else None]
    sfz = _inside(kit_dir, kit_dir / f"{stem}.sfz")
    sfz.write_text("\n".join(lines))
    preset = _inside(kit_dir, kit_dir / f"{stem}.dspreset")
    preset.write_text(_dspreset(groups), encoding="utf-8")
    patterns = _patterns(map_dir, kit_dir, m.clusters, hardware, skipped)
    for message in skipped[:5]:
        log(f"  skipped {message}")
    if len(skipped) > 5:
        log(f"  ... and {len(skipped) - 5} more skipped")
    log(f"wrote {written} sounds ({rate} Hz, {bits}-bit{' float' if bits == 32 else ''}, mono) in {len(groups)} "
        f"clusters to {kit_dir}; instruments: {sfz}, {preset.name}"
        + (f"; {len(patterns)} pattern(s) in {kit_dir / 'patterns'}" if patterns else ""))
    return sfz
