"""The live duplex audio stream, with the compiled callback.

Runs on: the main thread (opening, closing); PortAudio's audio thread then
runs :mod:`livemappr.realtime.callback` only.

The stream is opened through sounddevice's ``_StreamBase``, which accepts a C
function pointer and a ``userData`` pointer (as python-rtmixer does). That is
private API, so pyproject pins sounddevice's minor version and
``tests/test_stream.py`` checks the signature this module relies on.
"""

import sys

import numpy as np

from livemappr.audio.engine import Engine
from livemappr.errors import DeviceError, MissingLibrary, UsageError
from livemappr.audio.offline import render
from livemappr.realtime import meters as _m
from livemappr.realtime.callback import compile_callback

COMMON_RATES = (22050, 32000, 44100, 48000, 88200, 96000)

sd = None  # sounddevice, once _portaudio() has loaded it


def _portaudio():
    """sounddevice, loaded on first use. Without the PortAudio library a
    session still runs with no sound card, and ``devices`` says what to install."""
    global sd
    if sd is None:
        try:
            import sounddevice
        except OSError:  # sounddevice's "PortAudio library not found"
            raise MissingLibrary("PortAudio not found: install it with apt install libportaudio2") from None
        sd = sounddevice
    return sd


def refresh_devices():
    """Re-scan audio devices (PortAudio lists only what existed at start-up,
    e.g. a JACK server started later)."""
    _portaudio()
    sd._terminate()
    sd._initialize()


def list_devices():
    """Audio devices as dicts with ``index``, ``name``, ``hostapi``,
    ``inputs``, ``outputs`` and ``samplerate`` (the device default)."""
    _portaudio()
    apis = sd.query_hostapis()
    return [
        {"index": i, "name": d["name"], "hostapi": apis[d["hostapi"]]["name"],
         "inputs": d["max_input_channels"], "outputs": d["max_output_channels"],
         "samplerate": d["default_samplerate"]}
        for i, d in enumerate(sd.query_devices())
    ]


def has_sound_card():
    """True when a device can both record and play; False without PortAudio."""
    try:
        return any(d["inputs"] > 0 and d["outputs"] > 0 for d in list_devices())
    except DeviceError:
        return False


def _describe(devices):
    if not devices:
        return "no audio devices found (is a sound card or a JACK server there?)"
    return "available: " + "; ".join(f"{d['index']} {d['name']!r}" for d in devices)


def resolve_device(spec, *, inputs=1, outputs=1):
    """The index of the device ``spec`` names: a number, or part of a name.

    ``None`` picks the default device. Raises :class:`DeviceError` naming the
    devices that exist when ``spec`` matches none, more than one, or one
    without enough channels.
    """
    _portaudio()
    devices = list_devices()
    if spec is None or spec == "":
        try:
            index = sd.default.device[1] if outputs else sd.default.device[0]
            if index is None or index < 0:
                index = sd.query_devices(kind="output" if outputs else "input")["index"]
        except (sd.PortAudioError, ValueError):
            raise DeviceError("no default audio device; " + _describe(devices)) from None
        matches = [d for d in devices if d["index"] == index]
    elif isinstance(spec, int) or str(spec).strip().isdigit():
        matches = [d for d in devices if d["index"] == int(spec)]
        if not matches:
            raise DeviceError(f"device {spec} does not exist; " + _describe(devices))
    else:
        text = str(spec).lower()
        matches = [d for d in devices if text in d["name"].lower()]
        if not matches:
            raise DeviceError(f"no device name contains {spec!r}; " + _describe(devices))
        if len(matches) > 1:
            exact = [d for d in matches if d["name"].lower() == text]
            if len(exact) != 1:
                raise DeviceError(f"device {spec!r} is ambiguous; matches: "
                                  + "; ".join(f"{d['index']} {d['name']!r}" for d in matches))
            matches = exact
    d = matches[0]
    if d["inputs"] < inputs or d["outputs"] < outputs:
        raise DeviceError(
            f"device {d['index']} {d['name']!r} has {d['inputs']} input and {d['outputs']} output "
            f"channel(s); needs {inputs} and {outputs}; " + _describe(devices))
    return d["index"]


def check_settings(device, config):
    """Raise :class:`DeviceError` unless ``device`` can run ``config``."""
    def ok(rate):
        try:
            sd.check_input_settings(device, channels=config.in_channels, dtype="float32", samplerate=rate)
            sd.check_output_settings(device, channels=config.out_channels, dtype="float32", samplerate=rate)
            return True
        except (sd.PortAudioError, ValueError):
            return False

    if not ok(config.samplerate):
        rates = [r for r in COMMON_RATES if ok(r)]
        name = sd.query_devices(device)["name"]
        allowed = ", ".join(map(str, rates)) if rates else "none of " + ", ".join(map(str, COMMON_RATES))
        raise DeviceError(f"sample rate {config.samplerate} is not supported by device {device} {name!r}; "
                          f"supported: {allowed}")


def load_numba_numpy_support():
    """Load numba's NumPy support and extensions without their scipy probes.

    On the first compile or cache load numba imports its NumPy implementations
    and its extensions. ``numba.np.arraymath`` probes for BLAS by importing
    ``scipy.linalg``, and rocket-fft registers ``scipy.fft`` overloads when
    ``scipy.fft`` imports: 0.4 s and 22 MB here, for nothing, since our kernels
    call neither BLAS nor ``scipy.fft`` (they use ``np.fft``). Both probes are
    answered "absent" while those modules load, and the block is lifted at once:
    code that needs scipy later imports it normally (a jitted ``np.dot`` asks
    for BLAS again itself).
    """
    if "numba.np.arraymath" in sys.modules or "scipy.fft" in sys.modules or "scipy.linalg" in sys.modules:
        return
    probes = ("scipy.linalg.cython_blas", "scipy.fft")
    for name in probes:
        sys.modules[name] = None  # makes ``import name`` raise ImportError
    try:
        import numba.core.entrypoints
        import numba.np.arraymath  # noqa: F401

        numba.core.entrypoints.init_all()
    finally:
        for name in probes:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def compile_kernels():
    """Compile (or load from the numba cache) every kernel the engine runs.

    The audio thread must never compile: call this before opening a stream.
    It compiles the C callback and drives a small scratch engine through each
    control-side kernel with the same argument types the live engine uses.
    """
    from livemappr.audio.config import EngineConfig

    load_numba_numpy_support()
    callback = compile_callback()
    scratch = Engine(EngineConfig(ring_seconds=1.0, bank_seconds=0.1, bank_slots=2, max_block=64,
                                  blocksize=64, command_capacity=4, event_capacity=4, pending_capacity=2))
    slot = scratch.bank.add(np.zeros(16, np.float32))
    render(scratch, 64, commands=[scratch.play_command(slot, at=0)])
    scratch.stop(0)
    scratch.events()
    reader = scratch.ring_reader(0)
    reader.release(reader.read())
    reader.copy_range(0, 0)
    scratch.meters()
    _m.read_clock(scratch.state.meters)
    return callback


class AudioStream:
    """A duplex stream running the engine's compiled callback.

    Parameters
    ----------
    engine : Engine
    device : int or str, optional
        Index or part of a name (see ``livemappr devices``); default device if
        omitted.
    """

    def __init__(self, engine, device=None):
        cfg = engine.config
        if cfg.blocksize > cfg.max_block:
            raise UsageError(f"blocksize must be in 1..{cfg.max_block}, got {cfg.blocksize}")
        self.engine = engine
        self.device = resolve_device(device, inputs=cfg.in_channels, outputs=cfg.out_channels)
        check_settings(self.device, cfg)
        self._callback = compile_kernels()
        self._table = engine.table  # keeps the pointers' target alive with the stream
        hostapi = sd.query_hostapis(sd.query_devices(self.device)["hostapi"])["name"]
        # Under JACK the server's period is the block size. Asking PortAudio
        # for a fixed size there makes it buffer one more block (measured: a
        # voice at frame F left the JACK port one period late); unspecified
        # (0) hands us JACK's buffers directly.
        self.blocksize = 0 if "JACK" in hostapi else cfg.blocksize
        try:
            self._stream = sd._StreamBase(
                kind="duplex", samplerate=cfg.samplerate, blocksize=self.blocksize,
                device=(self.device, self.device), channels=(cfg.in_channels, cfg.out_channels),
                dtype="float32", latency="low",
                callback=sd._ffi.cast("PaStreamCallback *", self._callback.address),
                userdata=sd._ffi.cast("void *", self._table.ctypes.data))
        except sd.PortAudioError as e:
            raise DeviceError(f"cannot open device {self.device}: {e}") from None

    @property
    def samplerate(self):
        return self._stream.samplerate

    @property
    def latency(self):
        """(input, output) latency in seconds, as PortAudio reports it."""
        return self._stream.latency

    @property
    def active(self):
        return self._stream.active

    def start(self):
        self._stream.start()

    def stop(self):
        self._stream.stop()

    def close(self):
        self._stream.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        self.close()


class PacedStream:
    """The callback driven by a thread instead of a sound card.

    For machines without one (``livemappr demo``, CI): it runs the same
    compiled callback block by block at ``speed`` times real time (1: real
    time; more: a demo nobody hears; None: as fast as it can, a benchmark).
    It has no real-time priority: it is not for playing on stage.

    Faster than real time it does not outrun its ring readers (the journal
    and the analysis worker on the capture ring, ``--output`` on the output
    ring): it waits while one of ``readers`` is more than half its ring
    behind, so nothing captured or played is lost however fast it runs. It
    waits only on a reader that is reading: one whose cursor has not moved for
    ``stall_seconds`` (its thread died, or hangs on a disk) is left behind, as
    a sound card would leave it, and the engine plays on. Each such episode is
    counted in ``stalls`` and told to ``on_stall``; what the reader lost to
    the ring it counts itself (``RingReader.missed``) when it reads again.

    Parameters
    ----------
    engine : Engine
    speed : float or None
    readers : sequence of RingReader
    source : callable(frames) -> ndarray of shape (frames, in_channels), optional
        Streams the input block by block (a benchmark's endless performance);
        default silence (or the engine's input player).
    stall_seconds : float, optional
        How long a reader may not read before the stream goes on without it
        (default 1 s; 10 s with ``speed`` None, where waiting costs no one).
    names : sequence of str, optional
        The readers' names, for ``on_stall``.
    on_stall : callable(str), optional
        Told once each time a reader is left behind.
    """

    def __init__(self, engine, speed=1.0, readers=(), source=None, stall_seconds=None, names=None,
                 on_stall=None):
        from livemappr.threads import Daemon

        self.engine = engine
        self.speed = speed
        self.readers = list(readers)
        self.names = list(names) if names is not None else [f"reader {i}" for i in range(len(self.readers))]
        self.source = source
        self.stall_seconds = float(stall_seconds if stall_seconds is not None else (1.0 if speed else 10.0))
        self.on_stall = on_stall or (lambda message: None)
        self.stalls = 0  # episodes of a reader left behind
        self.device = None
        self.blocksize = engine.config.blocksize
        self._seen = [(r.cursor, None) for r in self.readers]  # (cursor, monotonic time it was last seen moving)
        self._left = [False] * len(self.readers)
        self._thread = Daemon("livemappr-paced-stream", self._run)
        self._stop = self._thread.stopping

    @property
    def active(self):
        return self._thread.alive

    def start(self):
        compile_kernels()
        self._thread.start()

    def _waits_on(self, i, now):
        """Whether to wait for reader ``i``: behind by more than half its ring
        and not stalled."""
        r = self.readers[i]
        cursor, since = self._seen[i]
        if r.cursor != cursor or since is None:
            self._seen[i] = (r.cursor, now)
            if self._left[i] and r.cursor != cursor:
                self._left[i] = False  # reading again: waited on again
        if r.available() <= r.capacity // 2:
            return False
        if self._left[i]:
            return False
        if now - self._seen[i][1] < self.stall_seconds:
            return True
        self._left[i] = True
        self.stalls += 1
        self.on_stall(f"the {self.names[i]} has not read for {self.stall_seconds:g} s: the engine plays on "
                      "without waiting for it (what the ring overwrites is counted)")
        return False

    def _run(self):
        import time

        period = self.blocksize / self.engine.config.samplerate / (self.speed or 1.0)
        next_at = time.monotonic()
        while not self._stop.is_set():
            while any([self._waits_on(i, time.monotonic()) for i in range(len(self.readers))]):
                if self._stop.wait(0.002):  # a reader is behind: let it catch up
                    return
            if self.source is None:
                render(self.engine, self.blocksize)
            else:
                render(self.engine, input=self.source(self.blocksize))
            if self.speed:
                next_at += period
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                elif delay < -0.5:  # far behind (a stall): do not race to catch up
                    next_at = time.monotonic()

    def stop(self):
        self._thread.stop()

    def close(self):
        self.stop()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
