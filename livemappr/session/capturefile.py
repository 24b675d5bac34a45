"""A session's capture journal as a reader finds it: ``capture.json`` checked first.

Runs on: the main thread (``export``, a resume). It lives with the journal it
reads (session/), which files/ may not import.

The journal (:mod:`livemappr.session.journal`) writes ``capture.json`` beside
the raw frames of ``capture.f32``. A reader trusts neither: the manifest is
parsed within the limits of :mod:`livemappr.files.textfile` and every number
in it checked (a sample rate in 1000..768000 Hz, 1..256 channels) before the
frames are mapped, so a broken or hand-edited manifest is a one-line
:class:`CaptureFileError`, never a ``ZeroDivisionError`` or a traceback.
"""

import json
import pathlib

from livemappr.errors import UsageError
from livemappr.files.textfile import loads_json, read_parsed
from livemappr.session import journal

MIN_SAMPLERATE, MAX_SAMPLERATE = 1000, 768000
MAX_CHANNELS = 256


class CaptureFileError(UsageError):
    """A capture journal that cannot be used."""


def _number(path, manifest, key, lo, hi):
    value = manifest.get(key)
    if not (isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise CaptureFileError(f"{path}: {key} must be a whole number in {lo}..{hi}, got {shown}")
    return value


def read_manifest(directory):
    """``directory``'s checked ``capture.json``, or None where there is none."""
    path = pathlib.Path(directory) / journal.MANIFEST
    if not path.exists():
        return None
    manifest = read_parsed(path, loads_json, json.JSONDecodeError, CaptureFileError, subject=str(path),
                           fmt="JSON")
    if not isinstance(manifest, dict) or manifest.get("format") != journal.FORMAT:
        raise CaptureFileError(f"{path}: not a livemappr capture journal (format must be {journal.FORMAT!r})")
    _number(path, manifest, "samplerate", MIN_SAMPLERATE, MAX_SAMPLERATE)
    _number(path, manifest, "channels", 1, MAX_CHANNELS)
    return manifest


def load(directory):
    """``(samples, manifest)`` as :func:`livemappr.session.journal.load` gives them,
    the manifest checked first; None where the directory has no journal."""
    if read_manifest(directory) is None:
        return None
    try:
        return journal.load(directory)
    except FileNotFoundError:  # gone since the check
        return None
    except (OSError, ValueError) as e:
        raise CaptureFileError(f"cannot read the capture journal in {directory}: {e}") from None
