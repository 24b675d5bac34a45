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

from livemappr.audio import devices as _devices
from livemappr.audio.devices import choose, list_devices, refresh_devices, resolve_device  # noqa: F401
from livemappr.audio.engine import Engine
from livemappr.errors import DeviceError, UsageError
from livemappr.audio.offline import render
from livemappr.realtime import meters as _m
from livemappr.realtime import callback as _cb
from livemappr.realtime.callback import compile_callback

COMMON_RATES = (22050, 32000, 44100, 48000, 88200, 96000)

def check_settings(choice, config):
    """Raise :class:`DeviceError` unless the devices of ``choice`` (a
    :class:`~livemappr.audio.devices.Choice`) can run ``config``."""
    sd = _devices.sd
    out = choice.output["index"]
    inp = out if choice.input is None else choice.input["index"]

    def ok(rate):
        try:
            if choice.input is not None:
                sd.check_input_settings(inp, channels=choice.input_channels, dtype="float32", samplerate=rate)
            sd.check_output_settings(out, channels=config.out_channels, dtype="float32", samplerate=rate)
            return True
        except (sd.PortAudioError, ValueError):
            return False

    if not ok(config.samplerate):
        rates = [r for r in COMMON_RATES if ok(r)]
        names = f"{out} {choice.output['name']!r}" if inp == out else (
            f"{inp} {choice.input['name']!r} with {out} {choice.output['name']!r}")
        allowed = ", ".join(map(str, rates)) if rates else "none of " + ", ".join(map(str, COMMON_RATES))
        raise DeviceError(f"sample rate {config.samplerate} is not supported by device {names}; "
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
        Index or part of a name (see ``livemappr devices``), for input and
        output; default JACK's when a server runs, else the system's.
    input_device, output_device : int or str, optional
        One side each, winning over ``device``: one host API for both.
    input_channel : int, optional
        The input device's channel (1-based) the mic is on (default 1).
    need_input : bool
        False when the engine's mic is a file: without an input device (none
        named, none by default) the stream is output-only.

    Attributes
    ----------
    choice : livemappr.audio.devices.Choice
        The devices opened; ``choice.describe()`` says which, in one line.
    """

    def __init__(self, engine, device=None, input_device=None, output_device=None, input_channel=None,
                 need_input=True):
        cfg = engine.config
        if cfg.blocksize > cfg.max_block:
            raise UsageError(f"blocksize must be in 1..{cfg.max_block}, got {cfg.blocksize}")
        self.engine = engine
        self.choice = choose(device, input_device, output_device, input_channel,
                             in_channels=cfg.in_channels, out_channels=cfg.out_channels, need_input=need_input)
        self.device = self.choice.output["index"]
        check_settings(self.choice, cfg)
        self._callback = compile_kernels()
        self._table = engine.table  # keeps the pointers' target alive with the stream
        # what the callback takes out of the device's input (before it runs)
        engine.state.config[_cb.CFG_DEVICE_IN_CHANNELS] = self.choice.input_channels
        engine.state.config[_cb.CFG_DEVICE_IN_FIRST] = self.choice.input_channel - 1
        sd = _devices.sd
        # Under JACK the server's period is the block size. Asking PortAudio
        # for a fixed size there makes it buffer one more block (measured: a
        # voice at frame F left the JACK port one period late); unspecified
        # (0) hands us JACK's buffers directly.
        self.blocksize = 0 if "JACK" in self.choice.output["hostapi"] else cfg.blocksize
        if self.choice.input is None:  # output only: the callback records silence (the mic is a file)
            kind, devices, channels = "output", self.choice.output["index"], cfg.out_channels
        else:
            kind, devices = "duplex", (self.choice.input["index"], self.choice.output["index"])
            channels = (self.choice.input_channels, cfg.out_channels)
        try:
            self._stream = sd._StreamBase(
                kind=kind, samplerate=cfg.samplerate, blocksize=self.blocksize,
                device=devices, channels=channels,
                dtype="float32", latency="low",
                callback=sd._ffi.cast("PaStreamCallback *", self._callback.address),
                userdata=sd._ffi.cast("void *", self._table.ctypes.data))
        except sd.PortAudioError as e:
            raise DeviceError(f"cannot open {self.choice.describe()}: {e}") from None

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
