"""Engine configuration: one frozen dataclass, validated once.

Runs on: the main thread, before anything starts.
"""

import math
from dataclasses import dataclass, fields

from livemappr.errors import ConfigError

STEAL_MODES = ("oldest", "quietest")


def _check_int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"engine.{name}", value, f"a whole number in {lo}..{hi}")


def _check_float(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (lo <= value <= hi):
        raise ConfigError(f"engine.{name}", value, f"a number in {lo}..{hi}")


def _power_of_two(name, value, lo, hi):
    _check_int(name, value, lo, hi)
    if value & (value - 1):
        raise ConfigError(f"engine.{name}", value, f"a power of two in {lo}..{hi}")


@dataclass(frozen=True)
class EngineConfig:
    """Sizes of everything the audio thread preallocates.

    Attributes
    ----------
    samplerate : int
        Frames per second of the stream.
    blocksize : int
        Frames per callback (PortAudio ``framesPerBuffer``).
    in_channels, out_channels : int
        Interleaved channels captured and played.
    max_voices : int
        Voices sounding at once; a new one beyond steals per ``steal``.
    steal : str
        ``"oldest"`` or ``"quietest"``.
    fade_ms : float
        Length of the fades that keep starts, stops and ends from clicking.
    ring_seconds : float
        Capture ring length (rounded up to a power of two of frames: the
        default 30 s is 43.7 s at 48 kHz, 8 MiB). The analysis worker and the
        journal read it; either may fall this far behind before audio is
        missed (and counted).
    bank_seconds : float
        Audio the sample bank holds: mono, 16 bits per sample scaled to each
        sound's peak, so the default 30 minutes at 48 kHz is 165 MiB (sized
        for a 2 GB Raspberry Pi: a whole live session, bank included, is
        about 450 MB resident). The bank never grows beyond this. When it
        (or ``bank_slots``) is full, new snippets still go on the map and
        stay in the session journal (and in exports), but get no slot to
        play from in this run: they are silent, and the analysis worker
        counts them in ``stats["bank_full"]``.
    bank_slots : int
        Sounds the bank holds (40 bytes each; a 30-minute set at 4 hits a
        second is 7200). A live session also takes the map's memory for this
        many sounds when it starts (about 2 KB each, up to 65,536 sounds).
    command_capacity, event_capacity, pending_capacity : int
        Records in the command queue, the event queue, and commands waiting
        on the audio thread for their frame.
    loop_tracks : int
        Tracks of the audio looper.
    loop_seconds : float
        Longest loop (each track preallocates two buffers of it).
    input_seconds : float
        Longest file the input player holds (``--input``); 0 for none.
    output_ring_seconds : float
        What the engine played, kept for ``--output``'s writer.
    max_block : int
        Largest chunk the callback processes in one go (longer blocks are
        split; the output does not change).
    """

    samplerate: int = 48000
    blocksize: int = 128
    in_channels: int = 1
    out_channels: int = 2
    max_voices: int = 32
    steal: str = "oldest"
    fade_ms: float = 2.0
    ring_seconds: float = 30.0
    bank_seconds: float = 1800.0
    bank_slots: int = 16384
    command_capacity: int = 1024
    event_capacity: int = 4096
    pending_capacity: int = 256
    loop_tracks: int = 4
    loop_seconds: float = 32.0
    input_seconds: float = 0.0
    output_ring_seconds: float = 4.0
    max_block: int = 8192

    def __post_init__(self):
        _check_int("samplerate", self.samplerate, 8000, 384000)
        _check_int("blocksize", self.blocksize, 1, self.max_block)
        _check_int("in_channels", self.in_channels, 1, 64)
        _check_int("out_channels", self.out_channels, 1, 64)
        _check_int("max_voices", self.max_voices, 1, 512)
        if self.steal not in STEAL_MODES:
            raise ConfigError("engine.steal", self.steal, f"one of {', '.join(STEAL_MODES)}")
        _check_float("fade_ms", self.fade_ms, 0.0, 100.0)
        _check_float("ring_seconds", self.ring_seconds, 1.0, 3600.0)
        _check_float("bank_seconds", self.bank_seconds, 0.01, 36000.0)
        _check_int("bank_slots", self.bank_slots, 1, 1 << 20)
        _power_of_two("command_capacity", self.command_capacity, 2, 1 << 20)
        _power_of_two("event_capacity", self.event_capacity, 2, 1 << 20)
        _check_int("pending_capacity", self.pending_capacity, 1, 1 << 16)
        _check_int("loop_tracks", self.loop_tracks, 1, 16)
        _check_float("loop_seconds", self.loop_seconds, 0.01, 600.0)
        _check_float("input_seconds", self.input_seconds, 0.0, 7200.0)
        _check_float("output_ring_seconds", self.output_ring_seconds, 0.5, 600.0)
        _check_int("max_block", self.max_block, 16, 1 << 16)

    @property
    def ring_frames(self):
        """Capture ring capacity in frames: a power of two."""
        need = max(int(math.ceil(self.ring_seconds * self.samplerate)), 4 * self.max_block)
        return 1 << (need - 1).bit_length()

    @property
    def output_ring_frames(self):
        need = max(int(math.ceil(self.output_ring_seconds * self.samplerate)), 4 * self.max_block)
        return 1 << (need - 1).bit_length()

    @property
    def bank_frames(self):
        return int(math.ceil(self.bank_seconds * self.samplerate))

    @property
    def loop_frames(self):
        return int(math.ceil(self.loop_seconds * self.samplerate))

    @property
    def fade_frames(self):
        return max(1.0, self.fade_ms * self.samplerate / 1000.0)

    def replace(self, **changes):
        """A copy with ``changes`` (validated)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise ConfigError("engine", sorted(unknown)[0], f"one of {', '.join(values)}")
        values.update(changes)
        return EngineConfig(**values)
