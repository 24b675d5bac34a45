"""Standard MIDI files: a pattern written as a type-0 file a DAW opens.

Runs on: the caller's thread (the OSC server on ``/livemappr/pattern/export``).

The format is small enough to write by hand (a header chunk, one track chunk
of delta-timed events, variable-length quantities), so no dependency. Notes go
to MIDI channel 10 (index 9), General MIDI's drum channel, each cluster on the
note that plays it from a pad (:data:`livemappr.control.addresses.MIDI`), so
the file plays the same clusters back through livemappr.

:func:`remap_notes` reads such a file back (any well-formed SMF) only to move
its notes to other keys, for ``livemappr export``'s kits.
"""

import struct
from fractions import Fraction

from livemappr.validate import number, whole

PPQ = 480  # ticks per quarter note: divisible by 3 and 16, so triplets and 1/64s are exact
DRUM_CHANNEL = 9


def _vlq(n):
    """A variable-length quantity: 7 bits a byte, high bit set on all but the last."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def encode(notes, bpm, *, length_beats=None, beats_per_bar=4, ppq=PPQ, channel=DRUM_CHANNEL, name="livemappr"):
    """A type-0 standard MIDI file as bytes.

    Parameters
    ----------
    notes : sequence of (beat, note, velocity, duration_beats)
        ``beat`` from 0 (a Fraction or float), ``note`` 0..127,
        ``velocity`` 1..127.
    bpm : float
        Written as the file's tempo.
    length_beats : float, optional
        Where the track ends (the pattern's length), so a DAW loops it whole.
    """
    bpm = number("bpm", bpm, 1.0, 1000.0)
    channel = whole("channel", channel, 0, 15)
    events = []  # (tick, order, bytes): note-offs before note-ons at the same tick
    for beat, note, velocity, duration in notes:
        note = whole("note", note, 0, 127)
        velocity = whole("velocity", velocity, 1, 127)
        start = round(Fraction(beat) * ppq)
        if start < 0:
            raise ValueError(f"beat must be >= 0, got {beat}")
        end = start + max(1, round(Fraction(duration) * ppq))
        events.append((start, 1, bytes([0x90 | channel, note, velocity])))
        events.append((end, 0, bytes([0x80 | channel, note, 0])))
    events.sort(key=lambda e: (e[0], e[1]))
    body = bytearray()
    title = name.encode("ascii", "replace")[:127]
    body += b"\x00\xff\x03" + _vlq(len(title)) + title
    body += b"\x00\xff\x51\x03" + round(60_000_000 / bpm).to_bytes(3, "big")
    body += b"\x00\xff\x58\x04" + bytes([beats_per_bar, 2, 24, 8])  # n/4, 24 clocks a click
    tick = 0
    for t, _, data in events:
        body += _vlq(t - tick) + data
        tick = t
    end = tick if length_beats is None else max(tick, round(Fraction(length_beats) * ppq))
    body += _vlq(end - tick) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, ppq)
    return header + b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def write(path, notes, bpm, **options):
    """Write :func:`encode`'s file to ``path``; returns the path."""
    data = encode(notes, bpm, **options)
    with open(path, "wb") as f:
        f.write(data)
    return path


class MidiFileError(ValueError):
    """Bytes that are not a standard MIDI file this module can read."""


def _read_vlq(data, i, end):
    n = 0
    for _ in range(4):
        if i >= end:
            raise MidiFileError("a delta time or length runs past its chunk")
        byte = data[i]
        i += 1
        n = (n << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return n, i
    raise MidiFileError("a variable-length number longer than 4 bytes")


def remap_notes(data, notes):
    """A standard MIDI file (bytes) with its note numbers changed by ``notes`` ({old: new}).

    Note on, note off and polyphonic pressure on every channel; other notes and
    every other byte stay as they are (the file keeps its length and timing).
    Anything that is not a well-formed SMF is a :class:`MidiFileError`.
    """
    data = bytearray(data)
    if data[:4] != b"MThd" or len(data) < 14:
        raise MidiFileError("not a standard MIDI file (no MThd header)")
    length, _, tracks, _ = struct.unpack(">IHHH", bytes(data[4:14]))
    if length < 6:
        raise MidiFileError(f"MThd length {length}, at least 6")
    i = 8 + length
    for _ in range(tracks):
        if i + 8 > len(data):
            raise MidiFileError("fewer track chunks than the header says")
        kind, size = bytes(data[i:i + 4]), struct.unpack(">I", bytes(data[i + 4:i + 8]))[0]
        i += 8
        end = i + size
        if end > len(data):
            raise MidiFileError("a chunk runs past the end of the file")
        if kind == b"MTrk":
            _remap_track(data, i, end, notes)
        i = end
    return bytes(data)


def _remap_track(data, i, end, notes):
    status = None
    while i < end:
        _, i = _read_vlq(data, i, end)
        if i >= end:
            raise MidiFileError("an event runs past its track")
        if data[i] & 0x80:
            status = data[i]
            i += 1
        elif status is None or status >= 0xF0:
            raise MidiFileError("running status without a status byte")
        if status == 0xFF:  # meta: type, length, data
            if i >= end:
                raise MidiFileError("an event runs past its track")
            length, i = _read_vlq(data, i + 1, end)
            i += length
            status = None
        elif status in (0xF0, 0xF7):  # sysex: length, data
            length, i = _read_vlq(data, i, end)
            i += length
            status = None
        elif status >= 0xF0:
            raise MidiFileError(f"status byte {status:#04x} in a track")
        else:
            size = 1 if status & 0xF0 in (0xC0, 0xD0) else 2
            if i + size > end:
                raise MidiFileError("an event runs past its track")
            if status & 0xF0 in (0x80, 0x90, 0xA0) and data[i] in notes:
                data[i] = notes[data[i]]
            i += size
    if i > end:
        raise MidiFileError("an event runs past its track")
