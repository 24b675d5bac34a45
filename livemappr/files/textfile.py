"""Reading a text file a user named (JSON, TOML), every failure a one-line error.

Runs on: whichever thread reads the file (the main thread for settings, the
map's reader for ``map.json``).

A hostile or damaged file cannot take the reader down: the file's size is
checked before it is read (:data:`MAX_BYTES`), JSON is parsed with a limit on
nesting (:data:`MAX_DEPTH`, checked by a scan before the parser recurses) and
on the digits of a number (:data:`MAX_DIGITS`); ``NaN``, ``Infinity`` and
``1e400`` come through as floats for the reader's own checks to refuse by
the field's name. Anything the parser still raises (``ValueError``, ``RecursionError``)
becomes the caller's one-line error.
"""

import json
import os
import re

import numpy as np

#: The largest file read: map.json of a long session is a few MB.
MAX_BYTES = 64 * 1024 * 1024
#: The deepest nesting of JSON arrays and objects (map.json needs 3).
MAX_DEPTH = 64
#: The most characters of one JSON number (an int64 has 19 digits).
MAX_DIGITS = 40

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class JSONLimitError(ValueError):
    """JSON past one of this module's limits."""


def _depth(text):
    """The deepest nesting of ``[`` and ``{`` in JSON ``text`` (strings left out)."""
    raw = _STRING.sub(b"", text.encode("utf-8", "surrogatepass"))
    b = np.frombuffer(raw, np.uint8)
    steps = ((b == ord("[")) | (b == ord("{"))).astype(np.int32) - ((b == ord("]")) | (b == ord("}")))
    return int(np.cumsum(steps).max()) if steps.size else 0


def _int(text):
    if len(text) > MAX_DIGITS:
        raise JSONLimitError(f"a number of {len(text)} digits (at most {MAX_DIGITS})")
    return int(text)


def _float(text):
    if len(text) > MAX_DIGITS:
        raise JSONLimitError(f"a number of {len(text)} characters (at most {MAX_DIGITS})")
    return float(text)  # 1e400 is inf, as NaN stays NaN: the reader's field checks refuse them, by name


def loads_json(text, max_depth=MAX_DEPTH):
    """``json.loads`` within the limits: :class:`JSONLimitError` past them."""
    depth = _depth(text)
    if depth > max_depth:
        raise JSONLimitError(f"nested {depth} deep (at most {max_depth})")
    return json.loads(text, parse_int=_int, parse_float=_float)


def read_parsed(path, parse, parse_error, error, *, subject, fmt, missing="", max_bytes=MAX_BYTES):
    """``parse(path.read_text())``; a missing, unreadable, too large or malformed file raises ``error``.

    Parameters
    ----------
    path : pathlib.Path
    parse : callable(str) -> object
        :func:`loads_json`, ``tomllib.loads``.
    parse_error : exception type
        What ``parse`` raises for bad content.
    error : exception type
        Raised with the message (a :class:`~livemappr.errors.UsageError`).
    subject : str
        How the messages name the file: ``"config file x.toml"``.
    fmt : str
        The format's name for the message: ``"JSON"``.
    missing : str
        Added to the "does not exist" message: what to do about it.
    max_bytes : int
        Larger files are refused before they are read.
    """
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise error(f"{subject} is {size} bytes; at most {max_bytes} allowed")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{subject} does not exist{missing}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"cannot read {subject}: {getattr(e, 'strerror', None) or e}") from None
    try:
        return parse(text)
    except RecursionError:
        raise error(f"{subject} is not valid {fmt}: nested too deeply") from None
    except (parse_error, ValueError) as e:  # ValueError: past a limit (digits of an int, ours)
        raise error(f"{subject} is not valid {fmt}: {e}") from None
