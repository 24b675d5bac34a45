"""Where sessions are kept when nobody said where: dated folders under the user's data directory.

Runs on: the main thread (``livemappr live`` choosing a folder, ``livemappr sessions``).

``livemappr live`` without ``--session`` keeps its session in
``$XDG_DATA_HOME/livemappr/sessions/YYYY-MM-DD-HHMMSS`` (``~/.local/share``
when ``XDG_DATA_HOME`` is unset or not absolute, as the XDG base directory
spec says), a new folder each run, so forgetting ``--session`` loses nothing.
:func:`describe` reads what ``livemappr sessions`` shows of one folder,
trusting nothing in it.
"""

import datetime
import json
import os
import pathlib
from typing import NamedTuple

from livemappr.errors import LivemapprError
from livemappr.files.textfile import loads_json, read_parsed
from livemappr.session import capturefile, journal, take

#: map.json is read for its snippet count; a bigger one is refused, not read.
MAX_MAP_BYTES = 256 * 1024 * 1024


class FolderError(LivemapprError):
    """No folder for a session could be made (the data directory is missing or read-only)."""


def sessions_root(environ=None):
    """``$XDG_DATA_HOME/livemappr/sessions`` (default ``~/.local/share/livemappr/sessions``)."""
    environ = os.environ if environ is None else environ
    data = environ.get("XDG_DATA_HOME", "")
    if not data or not os.path.isabs(data):
        home = environ.get("HOME") or os.path.expanduser("~")
        if not home or not os.path.isabs(home):
            raise FolderError("no data directory: neither XDG_DATA_HOME nor HOME names an absolute path")
        data = os.path.join(home, ".local", "share")
    return pathlib.Path(data) / "livemappr" / "sessions"


def new_folder(root=None, now=None):
    """Make and return a new dated folder under ``root`` (``-2``, ``-3`` .. when the second is taken)."""
    root = sessions_root() if root is None else pathlib.Path(root)
    stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for k in range(1, 1000):
            path = root / (stamp if k == 1 else f"{stamp}-{k}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as e:
        raise FolderError(f"cannot make a session folder in {root}: {e.strerror or e}") from None
    raise FolderError(f"cannot make a session folder in {root}: {stamp} and 998 more are taken")


def remove_if_empty(path):
    """Remove a folder :func:`new_folder` made if the session left nothing in it but its lock."""
    path = pathlib.Path(path)
    try:
        if {p.name for p in path.iterdir()} <= {journal.LOCK_FILE}:
            (path / journal.LOCK_FILE).unlink(missing_ok=True)
            path.rmdir()
    except OSError:
        pass  # an empty folder left behind costs nothing


class Summary(NamedTuple):
    """What ``livemappr sessions`` shows of a session folder."""

    path: pathlib.Path
    started: datetime.datetime
    seconds: float
    snippets: int


def describe(path):
    """A :class:`Summary` of session folder ``path``; ``LivemapprError`` (one line) if it cannot be read."""
    path = pathlib.Path(path)
    manifest = capturefile.read_manifest(path)
    if manifest is None:
        if {p.name for p in path.iterdir()} <= {journal.LOCK_FILE}:  # stopped before anything was recorded
            return Summary(path, _named_time(path), 0.0, 0)
        raise capturefile.CaptureFileError(f"{path}: not a livemappr session (no capture.json in it)")
    created = manifest.get("created")
    if isinstance(created, (int, float)) and not isinstance(created, bool) and 0 < created < 1e11:
        started = datetime.datetime.fromtimestamp(created)
    else:
        started = _named_time(path)
    snippets = 0
    map_path = path / "map.json"
    if map_path.exists():
        data = read_parsed(map_path, loads_json, json.JSONDecodeError, capturefile.CaptureFileError,
                           subject=str(map_path), fmt="JSON", max_bytes=MAX_MAP_BYTES)
        if not isinstance(data, dict) or not isinstance(data.get("snippets"), list):
            raise capturefile.CaptureFileError(f"{map_path}: not a livemappr map (no list of snippets)")
        snippets = len(data["snippets"])
    return Summary(path, started, take.seconds(path), snippets)


def _named_time(path):
    """When a folder's session started: its dated name, else when it last changed."""
    try:
        return datetime.datetime.strptime(path.name[:17], "%Y-%m-%d-%H%M%S")
    except ValueError:
        return datetime.datetime.fromtimestamp(path.stat().st_mtime)


def listing(root=None):
    """``(summaries, errors)`` for every folder under ``root``, newest first; ``errors`` are one-line texts."""
    root = sessions_root() if root is None else pathlib.Path(root)
    try:
        folders = [p for p in root.iterdir() if p.is_dir()]
    except FileNotFoundError:
        return [], []
    except OSError as e:
        return [], [f"cannot read {root}: {e.strerror or e}"]
    summaries, errors = [], []
    for p in folders:
        try:
            summaries.append(describe(p))
        except (LivemapprError, OSError, ValueError, OverflowError) as e:
            text = " ".join(str(getattr(e, "strerror", None) or e).split())
            errors.append(text if str(p) in text else f"{p}: {text}")
    summaries.sort(key=lambda s: (s.started, s.path.name), reverse=True)
    return summaries, sorted(errors)
