"""``EXAMPLES.csv``: the examples ``livemappr map --teach`` teaches the pads from.

Runs on: the main thread of ``livemappr map``.

A header ``example,pad``, then one row an example::

    example,pad
    kit/kick-01.wav,kick
    kit/snare-03.wav,snare
    12.5,hihat

``example`` is an audio file (relative to the CSV's folder, or absolute) or
a time in seconds within the mapped track (the sound whose onset is nearest
it). ``pad`` is a name (pads get the next free number in the order names
first appear) or a pad number 1..16 (that pad, unnamed). Every failure is one
line naming the file, the row and the field.
"""

from __future__ import annotations

import csv
import math
import pathlib
from dataclasses import dataclass

from livemappr.errors import UsageError

__all__ = ["Example", "read_examples", "TeachFileError", "MAX_ROWS"]

MAX_ROWS = 10000
MAX_FIELD = 4096


class TeachFileError(UsageError):
    """An EXAMPLES.csv that cannot be used."""


@dataclass(frozen=True)
class Example:
    """One row: ``path`` (resolved) or ``seconds``, and the pad it teaches."""

    row: int
    pad_name: str | None
    pad_number: int | None  # 1-based, where the row gave a number
    path: pathlib.Path | None = None
    seconds: float | None = None


def read_examples(path, n_pads: int = 16) -> list[Example]:
    """Read and check ``path``. Returns the examples in file order."""
    path = pathlib.Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(_rows(f, path))
    except OSError as e:
        raise TeachFileError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise TeachFileError(f"{path}: not UTF-8 text (a CSV with a header example,pad)") from None
    except csv.Error as e:
        raise TeachFileError(f"{path}: not a CSV file ({e})") from None
    if not rows:
        raise TeachFileError(f"{path}: no examples (a header example,pad, then one row an example)")
    out = []
    for line, example, pad in rows:
        where = f"{path}: row {line}"
        if not example:
            raise TeachFileError(f"{where}: example is empty")
        if not pad or len(pad) > 40 or any(ord(c) < 32 or ord(c) == 127 for c in pad):
            raise TeachFileError(f"{where}: pad must be a name of 1..40 printable characters "
                                 f"or a number 1..{n_pads}, got {pad[:60]!r}")
        number = None
        if pad.isdigit():
            number = int(pad)
            if not 1 <= number <= n_pads:
                raise TeachFileError(f"{where}: pad must be a number 1..{n_pads} or a name, got {pad!r}")
        seconds, file = _example(example, path.parent, where)
        out.append(Example(line, None if number else pad, number, file, seconds))
    return out


def _rows(f, path):
    reader = csv.reader(f)
    header = None
    n = 0
    for row in reader:
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            if header[:2] != ["example", "pad"]:
                raise TeachFileError(f"{path}: the first line must be the header example,pad, "
                                     f"got {','.join(row)[:60]!r}")
            continue
        n += 1
        if n > MAX_ROWS:
            raise TeachFileError(f"{path}: more than {MAX_ROWS} examples")
        if len(row) < 2 or any(len(c) > MAX_FIELD for c in row):
            raise TeachFileError(f"{path}: row {reader.line_num} must be example,pad "
                                 f"(two fields of at most {MAX_FIELD} characters)")
        yield reader.line_num, row[0].strip(), row[1].strip()


def _example(text, folder, where):
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not (math.isfinite(seconds) and 0 <= seconds <= 1e7):
            raise TeachFileError(f"{where}: example time must be 0..10000000 seconds, got {text!r}")
        return seconds, None
    file = pathlib.Path(text)
    file = file if file.is_absolute() else folder / file
    if not file.is_file():
        raise TeachFileError(f"{where}: example {text!r}: no such audio file")
    return None, file.resolve()
