"""Raw MIDI bytes to channel messages, trusting nothing (moved out of midi.py, which uses it).

Runs on: the MIDI poller thread (or rtmidi's input thread under ALSA).

Running status (data bytes that reuse the last status byte), system
exclusive, real-time bytes between a message's data bytes, stray data bytes
and cut-off messages are all handled; what is not playable is counted per
kind in an :class:`~livemappr.control.report.ErrorCounts`.
"""

_DATA_BYTES = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
_COMMON_DATA = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0}


class MidiParser:
    """Bytes in, complete channel messages out: ``(status, data1, data2)``.

    Keeps running status across calls, as a MIDI cable does.
    """

    def __init__(self, errors):
        self.errors = errors
        self._running = 0  # last channel status byte, 0 for none
        self._in_sysex = False
        self.on_realtime = None  # callable(status byte) for 0xF8..0xFF
        self.on_song_position = None  # callable(sixteenths)

    def feed(self, data):
        """Parse ``data`` (a sequence of ints 0..255); returns a list of messages."""
        out = []
        i, n = 0, len(data)
        while i < n:
            b = data[i]
            if not isinstance(b, int) or not 0 <= b <= 255:
                self.errors.count("midi_malformed", f"byte {b!r} is not in 0..255")
                return out
            if b >= 0xF8:  # real-time (clock, start, stop) may sit anywhere
                if self.on_realtime is not None:
                    self.on_realtime(b)
                i += 1
                continue
            if self._in_sysex or b == 0xF0:
                if b == 0xF0:
                    self.errors.count("midi_sysex", "system exclusive message ignored")
                    self._in_sysex = True
                    i += 1
                    continue
                if b == 0xF7 or b < 0x80:
                    self._in_sysex = b != 0xF7
                    i += 1
                    continue
                self._in_sysex = False  # a status byte ends an unterminated sysex
            if b >= 0xF0:
                self._running = 0  # system common cancels running status
                if b == 0xF2 and self.on_song_position is not None:
                    body = data[i + 1:i + 3]
                    if len(body) == 2 and all(isinstance(x, int) and 0 <= x < 0x80 for x in body):
                        self.on_song_position(body[0] | body[1] << 7)
                    else:
                        self.errors.count("midi_malformed", f"song position needs 2 data bytes, got {list(body)}")
                i += 1 + _COMMON_DATA.get(b, 0)
                continue
            if b >= 0x80:
                status, i = b, i + 1
            elif self._running:
                status = self._running
                self.errors.count("midi_running_status", "running status (handled)")
            else:
                self.errors.count("midi_malformed", f"data byte {b} without a status byte")
                while i < n and isinstance(data[i], int) and 0 <= data[i] < 0x80:
                    i += 1  # one count for the whole stray run
                continue
            need = _DATA_BYTES[status & 0xF0]
            body, j = [], i
            while j < n and len(body) < need:
                x = data[j]
                if not isinstance(x, int) or x >= 0x80 and x < 0xF8 or x > 255 or x < 0:
                    break  # a new status byte (or garbage) cuts this message short
                if x < 0x80:
                    body.append(x)
                j += 1  # real-time bytes may sit between data bytes
            self._running = status
            i = j
            if len(body) < need:
                self.errors.count("midi_malformed", f"status {status:#x} needs {need} data bytes, got {body}")
                continue
            out.append((status, body[0], body[1] if need == 2 else 0))
        return out
