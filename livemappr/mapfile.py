"""``map.json``: the map contract (DESIGN.md section 4), read and written.

Runs on: whichever thread writes a map (the session's writer, ``map``) or
reads one (``export``).

Writing is atomic (a temporary file renamed over the old one), so a reader or
a crash never sees half a map. Reading validates every field and names the
first bad one, so a hand-edited or foreign file is a one-line error.
"""

import json
import math
import os
import pathlib
from dataclasses import asdict, dataclass

from livemappr.errors import UsageError
from livemappr.textfile import read_parsed

FORMAT = "livemappr-map"
VERSION = 1
FILENAME = "map.json"


class MapFileError(UsageError):
    """A map.json that cannot be used."""


@dataclass(frozen=True)
class SnippetEntry:
    id: int
    source: str
    start: float
    end: float
    x: float
    y: float
    cluster: int


@dataclass(frozen=True)
class ClusterEntry:
    id: int
    key: str
    note: int
    size: int


@dataclass(frozen=True)
class MapFile:
    sample_rate: int
    snippets: tuple
    clusters: tuple

    def to_json(self):
        return {"format": FORMAT, "version": VERSION, "sample_rate": self.sample_rate,
                "snippets": [asdict(s) for s in self.snippets],
                "clusters": [asdict(c) for c in self.clusters]}


def write(directory, mapfile):
    """Write ``directory/map.json`` atomically. Returns its path."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILENAME
    tmp = directory / (FILENAME + ".tmp")
    tmp.write_text(json.dumps(mapfile.to_json(), indent=1, allow_nan=False))
    os.replace(tmp, path)
    return path


def _field(where, value, kind, lo=None):
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        "str": isinstance(value, str),
    }[kind]
    if ok and lo is not None and value < lo:
        ok = False
    if not ok:
        allowed = {"int": "a whole number", "number": "a finite number", "str": "a string"}[kind]
        if lo is not None:
            allowed += f" >= {lo}"
        raise MapFileError(f"{where} must be {allowed}, got {value!r}")
    return value


def _objects(name, key, items):
    """``(where, item)`` for each entry of the list ``items``, each checked to be an object."""
    for i, item in enumerate(items):
        where = f"{name}: {key}[{i}]"
        if not isinstance(item, dict):
            raise MapFileError(f"{where} must be an object, got {item!r}")
        yield where, item


def read(directory_or_file):
    """Read and validate a map.json (a directory holding one, or the file)."""
    path = pathlib.Path(directory_or_file)
    if path.is_dir():
        path = path / FILENAME
    data = read_parsed(path, json.loads, json.JSONDecodeError, MapFileError, subject=str(path), fmt="JSON",
                       missing=" (make a map with livemappr map)")
    name = path.name
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise MapFileError(f"{name}: format must be {FORMAT!r}, got {data.get('format') if isinstance(data, dict) else data!r}")
    if data.get("version") != VERSION:
        raise MapFileError(f"{name}: version must be {VERSION}, got {data.get('version')!r}")
    rate = _field(f"{name}: sample_rate", data.get("sample_rate"), "int", 1)
    snippets, clusters = data.get("snippets"), data.get("clusters")
    if not isinstance(snippets, list) or not isinstance(clusters, list):
        raise MapFileError(f"{name}: snippets and clusters must be lists")
    out_snippets = []
    for w, s in _objects(name, "snippets", snippets):
        start = _field(f"{w}.start", s.get("start"), "number", 0)
        entry = SnippetEntry(
            _field(f"{w}.id", s.get("id"), "int", 0), _field(f"{w}.source", s.get("source"), "str"),
            float(start), float(_field(f"{w}.end", s.get("end"), "number", start)),
            float(_field(f"{w}.x", s.get("x"), "number")), float(_field(f"{w}.y", s.get("y"), "number")),
            _field(f"{w}.cluster", s.get("cluster"), "int", -1))
        out_snippets.append(entry)
    out_clusters = []
    for w, c in _objects(name, "clusters", clusters):
        note = _field(f"{w}.note", c.get("note"), "int", 0)
        if note > 127:
            raise MapFileError(f"{w}.note must be a MIDI note 0..127, got {note}")
        out_clusters.append(ClusterEntry(_field(f"{w}.id", c.get("id"), "int", 0),
                                         _field(f"{w}.key", c.get("key"), "str"), note,
                                         _field(f"{w}.size", c.get("size"), "int", 0)))
    return MapFile(rate, tuple(out_snippets), tuple(out_clusters))
