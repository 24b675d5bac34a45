"""``map.json``: the map contract (docs/map-json.md), read and written.

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

import numpy as np

from livemappr.errors import UsageError
from livemappr.files.textfile import loads_json, read_parsed

FORMAT = "livemappr-map"
VERSION = 1
FILENAME = "map.json"

#: Bounds on every number a map.json holds (docs/map-json.md): what the
#: engine can act on without overflowing an int64 frame count or taking more
#: memory than the map itself.
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1000, 768000
MAX_SECONDS = 1e7  # times in a source: 116 days
MAX_SNIPPET_ID = 2 ** 31 - 1
MAX_CLUSTER_ID = 1023  # the engine has at most 64 clusters
MAX_SIZE = 2 ** 31 - 1
MAX_SOURCE = 4096  # characters of a path


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


@dataclass(frozen=True, eq=False)
class SnippetColumns:
    """Snippets from one source as arrays: a live session's thousands without
    an object each. Reads like a tuple of :class:`SnippetEntry`."""

    source: str
    id: np.ndarray
    start: np.ndarray
    end: np.ndarray
    x: np.ndarray
    y: np.ndarray
    cluster: np.ndarray

    def __post_init__(self):
        lengths = {len(getattr(self, name)) for name in ("id", "start", "end", "x", "y", "cluster")}
        if len(lengths) != 1:
            raise ValueError(f"SnippetColumns: columns of different lengths {sorted(lengths)}")

    def __len__(self):
        return len(self.id)

    def __getitem__(self, i):
        return SnippetEntry(int(self.id[i]), self.source, float(self.start[i]), float(self.end[i]),
                            float(self.x[i]), float(self.y[i]), int(self.cluster[i]))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def rows(self, a, b):
        """Rows ``a`` to ``b`` as tuples of plain numbers: id, start, end, x, y, cluster."""
        return zip(self.id[a:b].tolist(), self.start[a:b].tolist(), self.end[a:b].tolist(),
                   self.x[a:b].tolist(), self.y[a:b].tolist(), self.cluster[a:b].tolist())


KEYS = "abcdefghijklmnopqrstuvwxyz"
FIRST_PAD_NOTE = 36


@dataclass(frozen=True)
class ClusterEntry:
    id: int
    key: str
    note: int
    size: int
    name: str | None = None  # a taught name or the dominant type, where one is known

    @classmethod
    def of(cls, cid, size, name=None):
        """Cluster ``cid``'s entry: its key letter (a-z, then none) and MIDI
        note (pads from 36, GM kick, up)."""
        return cls(cid, KEYS[cid] if 0 <= cid < len(KEYS) else "", min(FIRST_PAD_NOTE + cid, 127), size,
                   name)

    def to_json(self):
        d = asdict(self)
        if self.name is None:
            del d["name"]  # absent, not null: the contract's "no name"
        return d


MAX_PAD_EXAMPLES = 32  # analysis/teach.py's MAX_EXAMPLES
MAX_PAD_VALUES = 1024  # values in one example vector
MAX_SPACE = 64


@dataclass(frozen=True)
class PadEntry:
    """A taught (or only named) pad: ``id`` is the cluster id it plays, its
    examples are vectors in the feature space ``space`` names."""

    id: int
    name: str | None = None
    examples: tuple = ()
    space: str | None = None
    attack: tuple = ()  # the examples' attack-window vectors (playing by voice), where known
    attack_space: str | None = None

    @property
    def label(self):
        """What a snippet on this pad carries as its ``pad``: the name, or "pad N"."""
        return self.name or f"pad {self.id + 1}"

    def to_json(self):
        d = {"id": self.id}
        if self.name is not None:
            d["name"] = self.name
        d["examples"] = [list(e) for e in self.examples]
        if self.space is not None:
            d["space"] = self.space
        if self.attack:
            d["attack"] = [list(e) for e in self.attack]
            if self.attack_space is not None:
                d["attack_space"] = self.attack_space
        return d


@dataclass(frozen=True)
class MapFile:
    sample_rate: int
    snippets: tuple
    clusters: tuple
    pads: tuple = ()  # PadEntry: the taught pads, where any is

    def pad_labels(self):
        """``{cluster id: label}`` of the taught pads (those with examples)."""
        return {p.id: p.label for p in self.pads if p.examples}

    def to_json(self):
        d = {"format": FORMAT, "version": VERSION, "sample_rate": self.sample_rate,
             # by hand: dataclasses.asdict deep-copies, 34 us a snippet (3.4 s at 100,000)
             "snippets": [{"id": s.id, "source": s.source, "start": s.start, "end": s.end, "x": s.x, "y": s.y,
                           "cluster": s.cluster} for s in self.snippets],
             "clusters": [c.to_json() for c in self.clusters]}
        if self.pads:
            labels = self.pad_labels()
            for s in d["snippets"]:
                s["pad"] = labels.get(s["cluster"])
            d["pads"] = [p.to_json() for p in self.pads]
        return d


#: Snippets formatted and written at a time: what a write holds in memory
#: does not grow with the map (a session rewrites map.json every second).
_CHUNK = 512
#: Times to the microsecond (a frame is 21 us at 48 kHz, 5 us at 192 kHz),
#: positions to 7 significant digits: half the time of Python's shortest
#: round-trip form (5.5 vs 12.5 ms for 7,243 snippets).
_SNIPPET = '{"id": %d, "source": SOURCE, "start": %.6f, "end": %.6f, "x": %.7g, "y": %.7g, "cluster": %d}'


def write(directory, mapfile):
    """Write ``directory/map.json`` atomically. Returns its path.

    ``ValueError`` for a time or position JSON cannot hold (NaN, infinity).
    7,243 snippets as :class:`SnippetColumns` take ~7 ms.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILENAME
    tmp = directory / (FILENAME + ".tmp")
    snippets = mapfile.snippets
    columns = isinstance(snippets, SnippetColumns)
    if columns:
        bad = ~(np.isfinite(snippets.start) & np.isfinite(snippets.end) & np.isfinite(snippets.x)
                & np.isfinite(snippets.y))
        if bad.any():
            raise ValueError(f"snippet {snippets[int(np.argmax(bad))]}: times and position must be finite")
        template = _SNIPPET.replace("SOURCE", json.dumps(snippets.source).replace("%", "%%"))
    head = {"format": FORMAT, "version": VERSION, "sample_rate": mapfile.sample_rate}
    labels = {c: json.dumps(name) for c, name in mapfile.pad_labels().items()} if mapfile.pads else None
    try:
        with open(tmp, "w") as f:
            f.write(json.dumps(head)[:-1] + ',\n "snippets": [')
            for a in range(0, len(snippets), _CHUNK):
                b = min(a + _CHUNK, len(snippets))
                if columns:
                    lines = [template % r for r in snippets.rows(a, b)]
                    clusters_of = snippets.cluster[a:b].tolist()
                else:
                    lines = [_entry_line(e) for e in snippets[a:b]]
                    clusters_of = [e.cluster for e in snippets[a:b]]
                if labels is not None:  # "pad": the taught pad's name, or null
                    lines = [line[:-1] + ', "pad": ' + labels.get(c, "null") + "}"
                             for line, c in zip(lines, clusters_of)]
                f.write(("\n  " if a == 0 else ",\n  ") + ",\n  ".join(lines))
            clusters = ",\n  ".join(json.dumps(c.to_json()) for c in mapfile.clusters)
            f.write('\n ],\n "clusters": [' + (f"\n  {clusters}\n ]" if clusters else "]"))
            if mapfile.pads:
                f.write(',\n "pads": [\n  ' + ",\n  ".join(json.dumps(p.to_json()) for p in mapfile.pads)
                        + "\n ]")
            f.write("\n}\n")
    except BaseException:
        tmp.unlink(missing_ok=True)  # the old map.json stays as it was
        raise
    os.replace(tmp, path)
    return path


def _entry_line(e):
    if not all(math.isfinite(v) for v in (e.start, e.end, e.x, e.y)):
        raise ValueError(f"snippet {e}: times and position must be finite")
    template = _SNIPPET.replace("SOURCE", json.dumps(e.source).replace("%", "%%"))
    return template % (int(e.id), float(e.start), float(e.end), float(e.x), float(e.y), int(e.cluster))


def _is_number(value):
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float)
                                                                        and math.isfinite(value))


def _field(where, value, kind, lo=None, hi=None):
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": _is_number(value),
        "str": isinstance(value, str),
    }[kind]
    if ok and kind == "str" and hi is not None:
        ok = len(value) <= hi
    elif ok and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        ok = False
    if not ok:
        allowed = {"int": "a whole number", "number": "a finite number", "str": "a string"}[kind]
        if kind == "str" and hi is not None:
            allowed += f" of at most {hi} characters"
        else:  # the bound a number broke; both for a value of the wrong kind
            low = [f">= {lo}"] if lo is not None else []
            high = [f"<= {hi:g}"] if hi is not None else []
            if _is_number(value):
                bounds = low if lo is not None and value < lo else high
            else:
                bounds = low + high
            if bounds:
                allowed += " " + " and ".join(bounds)
        raise MapFileError(f"{where} must be {allowed}, got {_show(value)}")
    return value


def _show(value):
    """``repr`` of a value, cut short: a 4,000-digit number or a huge string stays one short line."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 30:
        return f"a number of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _objects(name, key, items):
    """``(where, item)`` for each entry of the list ``items``, each checked to be an object."""
    for i, item in enumerate(items):
        where = f"{name}: {key}[{i}]"
        if not isinstance(item, dict):
            raise MapFileError(f"{where} must be an object, got {item!r}")
        yield where, item


def read(directory_or_file):
    """Read and validate a map.json (a directory holding one, or the file).

    Every failure is a :class:`MapFileError` naming the file and the first
    bad field: a missing, unreadable, too large or malformed file (nesting,
    number length and ``NaN`` limited, see :mod:`livemappr.files.textfile`)
    and any number outside the bounds in docs/map-json.md.
    """
    path = pathlib.Path(directory_or_file)
    if path.is_dir():
        path = path / FILENAME
    data = read_parsed(path, loads_json, json.JSONDecodeError, MapFileError, subject=str(path), fmt="JSON",
                       missing=" (make a map with livemappr map)")
    name = path.name
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, dict) else data
        raise MapFileError(f"{name}: format must be {FORMAT!r}, got {_show(got)}")
    if data.get("version") != VERSION:
        raise MapFileError(f"{name}: version must be {VERSION}, got {_show(data.get('version'))}")
    rate = _field(f"{name}: sample_rate", data.get("sample_rate"), "int", MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
    snippets, clusters = data.get("snippets"), data.get("clusters")
    if not isinstance(snippets, list) or not isinstance(clusters, list):
        raise MapFileError(f"{name}: snippets and clusters must be lists")
    out_snippets = []
    for w, s in _objects(name, "snippets", snippets):
        start = _field(f"{w}.start", s.get("start"), "number", 0, MAX_SECONDS)
        entry = SnippetEntry(
            _field(f"{w}.id", s.get("id"), "int", 0, MAX_SNIPPET_ID),
            _field(f"{w}.source", s.get("source"), "str", hi=MAX_SOURCE),
            float(start), float(_field(f"{w}.end", s.get("end"), "number", start, MAX_SECONDS)),
            float(_field(f"{w}.x", s.get("x"), "number")), float(_field(f"{w}.y", s.get("y"), "number")),
            _field(f"{w}.cluster", s.get("cluster"), "int", -1, MAX_CLUSTER_ID))
        out_snippets.append(entry)
    out_clusters = []
    for w, c in _objects(name, "clusters", clusters):
        note = _field(f"{w}.note", c.get("note"), "int", 0)
        if note > 127:
            raise MapFileError(f"{w}.note must be a MIDI note 0..127, got {_show(note)}")
        cname = c.get("name")
        if cname is not None:
            cname = _field(f"{w}.name", cname, "str")
            if len(cname) > 40:
                raise MapFileError(f"{w}.name must be at most 40 characters, got {len(cname)}")
        out_clusters.append(ClusterEntry(_field(f"{w}.id", c.get("id"), "int", 0, MAX_CLUSTER_ID),
                                         _field(f"{w}.key", c.get("key"), "str", hi=40), note,
                                         _field(f"{w}.size", c.get("size"), "int", 0, MAX_SIZE), cname))
    return MapFile(rate, tuple(out_snippets), tuple(out_clusters), _pads(name, data.get("pads", [])))


def _pads(name, pads):
    if not isinstance(pads, list):
        raise MapFileError(f"{name}: pads must be a list")
    out, seen, width, attack_width = [], set(), None, None
    for w, p in _objects(name, "pads", pads):
        pid = _field(f"{w}.id", p.get("id"), "int", 0, MAX_CLUSTER_ID)
        if pid in seen:
            raise MapFileError(f"{w}.id: pad {pid} is listed twice")
        seen.add(pid)
        pname = p.get("name")
        if pname is not None:
            pname = _field(f"{w}.name", pname, "str", hi=40)
            if not pname.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in pname):
                raise MapFileError(f"{w}.name must be 1..40 printable characters, got {_show(pname)}")
        space, attack_space = (None if p.get(k) is None else _field(f"{w}.{k}", p.get(k), "str", hi=MAX_SPACE)
                               for k in ("space", "attack_space"))
        rows, width = _vectors(f"{w}.examples", p.get("examples", []), width)
        attack, attack_width = _vectors(f"{w}.attack", p.get("attack", []), attack_width)
        out.append(PadEntry(pid, pname, rows, space, attack, attack_space))
    return tuple(out)


def _vectors(where, items, width):
    """A pad's list of example vectors, all of one length (``width`` when the
    pads before gave one). Returns (rows, width)."""
    if not isinstance(items, list) or len(items) > MAX_PAD_EXAMPLES:
        raise MapFileError(f"{where} must be a list of at most {MAX_PAD_EXAMPLES} vectors")
    rows = []
    for j, e in enumerate(items):
        at = f"{where}[{j}]"
        if not isinstance(e, list) or not 1 <= len(e) <= MAX_PAD_VALUES:
            raise MapFileError(f"{at} must be a list of 1..{MAX_PAD_VALUES} numbers")
        if width is not None and len(e) != width:
            raise MapFileError(f"{at} has {len(e)} values; the other examples have {width}")
        width = len(e)
        rows.append(tuple(float(_field(f"{at}[{i}]", v, "number")) for i, v in enumerate(e)))
    return tuple(rows), width
