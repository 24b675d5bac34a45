"""The engine's state and the control side's handle on it.

Runs on: control threads (OSC, MIDI, web, the session) and the analysis
worker. The audio thread only ever sees the arrays allocated here, through
:mod:`livemappr.realtime.callback`.

Several control threads may send commands; the command queue has exactly one
producer, so :meth:`Engine.send` serialises them with a lock. That lock is
never seen by the audio thread.
"""

import math
import threading
from typing import NamedTuple

import numpy as np

from livemappr.audio.config import STEAL_MODES, EngineConfig
from livemappr.errors import CommandQueueFull
from livemappr.validate import number, whole
from livemappr.realtime import callback as _cb
from livemappr.realtime import commands as _cmd
from livemappr.realtime import looper as _loop
from livemappr.realtime import meters as _m
from livemappr.realtime.bank import SampleBank, allocate_bank
from livemappr.realtime.ring import RingReader, allocate_ring, ring_written
from livemappr.realtime.voices import MAX_RATE, allocate_voices

ASAP = -1  # target frame meaning "as soon as the audio thread sees it"

EVENT_NAMES = {
    _cmd.EVT_VOICE_DONE: "voice_done",
    _cmd.EVT_SLOT_RELEASED: "slot_released",
    _cmd.EVT_XRUN: "xrun",
    _cmd.EVT_LATE_COMMAND: "late_command",
    _cmd.EVT_LOOP: "loop",
}
LOOP_ACTIONS = {
    "record": _loop.LOOP_RECORD,
    "stop_record": _loop.LOOP_STOP_RECORD,
    "overdub": _loop.LOOP_OVERDUB,
    "overdub_off": _loop.LOOP_OVERDUB_OFF,
    "mute": _loop.LOOP_MUTE,
    "play": _loop.LOOP_PLAY,
    "undo": _loop.LOOP_UNDO,
    "clear": _loop.LOOP_CLEAR,
    "gain": _loop.LOOP_GAIN,
}
LOOP_SOURCES = {"mic": _loop.SOURCE_MIC, "engine": _loop.SOURCE_ENGINE}
_LOOP_STATE_NAMES = {_loop.EMPTY: "empty", _loop.FIRST: "recording", _loop.LOOPING: "playing"}
PARAMS = {
    "master_gain": _cb.P_MASTER_GAIN,
    "fade_frames": _cb.P_FADE_FRAMES,
    "steal_mode": _cb.P_STEAL_MODE,
    "max_voices": _cb.P_MAX_VOICES,
}


class Event(NamedTuple):
    """Something the audio thread reports: ``kind`` names it, see EVENT_NAMES."""

    kind: str
    a: int
    b: int
    frame: int


class Command(NamedTuple):
    """A validated command record (the arguments of ``push_command``)."""

    kind: int
    slot: int
    tag: int
    choke: int
    flags: int
    target: int
    param: int
    gain: float
    rate: float
    offset: float
    value: float


def _simple(kind, at, slot=0, tag=0, param=0, value=0.0):
    return Command(kind, slot, tag, 0, 0, whole("at", at, ASAP), param, 0.0, 0.0, 0.0, value)


def allocate_state(config):
    """Allocate every array the audio thread uses, sized by ``config``."""
    ring_buf, ring_state = allocate_ring(config.ring_frames, config.in_channels, config.max_block)
    cmd_ints, cmd_floats, cmd_state = allocate_queue_pair(config.command_capacity)
    evt_ints, _, evt_state = _cmd.allocate_queue(config.event_capacity, _cmd.N_EVT_INTS, 1)
    pool, slot_state, slot_start, slot_len, slot_voices, slot_scale = allocate_bank(config.bank_frames,
                                                                                  config.bank_slots)
    v_ints, v_floats = allocate_voices(config.max_voices)
    params = np.zeros(_cb.N_PARAMS, np.float64)
    params[_cb.P_MASTER_GAIN] = 1.0
    params[_cb.P_MASTER_NOW] = 1.0
    params[_cb.P_FADE_FRAMES] = config.fade_frames
    params[_cb.P_STEAL_MODE] = STEAL_MODES.index(config.steal)
    params[_cb.P_MAX_VOICES] = config.max_voices
    params[_cb.P_LEVEL_DECAY] = math.exp(-1.0 / (0.05 * config.samplerate))  # 50 ms level follower
    cfg = np.zeros(_cb.N_CONFIG, np.int64)
    cfg[_cb.CFG_SAMPLERATE] = config.samplerate
    cfg[_cb.CFG_IN_CHANNELS] = config.in_channels
    cfg[_cb.CFG_OUT_CHANNELS] = config.out_channels
    meters, hist = _m.allocate_meters()
    loop_buf, loop_ints, loop_floats, loop_global = _loop.allocate_looper(config.loop_tracks, config.loop_frames)
    inj_frames = int(math.ceil(config.input_seconds * config.samplerate))
    inj_buf = np.zeros((inj_frames + config.max_block) * config.in_channels if inj_frames else 0, np.float32)
    out_buf, out_state = allocate_ring(config.output_ring_frames, config.out_channels, config.max_block)
    state = _cb.EngineState(
        ring_buf, ring_state,
        cmd_ints, cmd_floats, cmd_state,
        evt_ints, evt_state,
        np.zeros((config.pending_capacity, _cmd.N_CMD_INTS), np.int64),
        np.zeros((config.pending_capacity, _cmd.N_CMD_FLOATS), np.float64),
        np.zeros(2, np.int64),
        pool, slot_state, slot_start, slot_len, slot_voices, slot_scale,
        v_ints, v_floats,
        np.zeros(config.max_block, np.float32), params, cfg, meters, hist,
        loop_buf, loop_ints, loop_floats, loop_global,
        inj_buf, np.zeros(_cb.N_INJ, np.int64), out_buf, out_state,
        np.zeros(config.max_block * config.in_channels, np.float32),
    )
    for a in state:
        # np.zeros maps pages lazily; write them now so the audio thread never
        # takes a first-touch page fault.
        a.reshape(-1)[::512] = a.reshape(-1)[::512]
    return state


def allocate_queue_pair(capacity):
    return _cmd.allocate_queue(capacity, _cmd.N_CMD_INTS, _cmd.N_CMD_FLOATS)


class Engine:
    """The engine's preallocated state plus the API the control side uses.

    Parameters
    ----------
    config : EngineConfig, optional
    """

    def __init__(self, config=None):
        self.config = config or EngineConfig()
        self.state = allocate_state(self.config)
        self.table = _cb.state_table(self.state)
        st = self.state
        self.bank = SampleBank(st.pool, st.slot_state, st.slot_start, st.slot_len, st.slot_scale)
        self._lock = threading.Lock()
        self._event_buf = np.zeros((256, _cmd.N_EVT_INTS), np.int64)

    # -- time -----------------------------------------------------------------
    @property
    def frame(self):
        """Frames the audio thread has processed: the engine's clock."""
        return int(self.state.meters[_m.M_FRAMES])

    # -- commands ---------------------------------------------------------------
    def play_command(self, slot, *, gain=1.0, rate=1.0, offset=0, at=ASAP, tag=0, choke=0, reverse=False):
        """Validate a play command; see :meth:`play`."""
        slot = whole("slot", slot, 0, self.config.bank_slots - 1)
        return Command(
            _cmd.CMD_PLAY, slot, whole("tag", tag, 0), whole("choke", choke, 0, 1 << 30),
            _cmd.FLAG_REVERSE if reverse else 0, whole("at", at, ASAP), 0,
            number("gain", gain, 0.0, 16.0), number("rate", rate, 0.0, MAX_RATE, lo_open=True),
            number("offset", offset, 0.0, float(1 << 40)), 0.0)

    def play(self, slot, **options):
        """Play bank ``slot``.

        Parameters
        ----------
        slot : int
        gain : float, default 1.0
            Linear gain, 0..16.
        rate : float, default 1.0
            Playback rate, (0, 16]; 2.0 is an octave up.
        offset : float, default 0
            Frames into the sound to start from.
        at : int, default ASAP
            Engine frame to start at (see :attr:`frame`).
        tag : int, default 0
            Any number; :meth:`stop` with it releases this voice.
        choke : int, default 0
            Choke group: a new voice in a group > 0 fades out the others.
        reverse : bool, default False
        """
        self.send(self.play_command(slot, **options))

    def stop_command(self, tag, at=ASAP):
        return _simple(_cmd.CMD_STOP, at, tag=whole("tag", tag, 0))

    def stop(self, tag, at=ASAP):
        """Fade out every voice started with ``tag``."""
        self.send(self.stop_command(tag, at))

    def stop_all(self, at=ASAP):
        """Fade out every voice."""
        self.send(_simple(_cmd.CMD_STOP_ALL, at))

    def set_param_command(self, name, value, at=ASAP):
        if name not in PARAMS:
            raise ValueError(f"parameter must be one of {', '.join(PARAMS)}, got {name!r}")
        if name == "steal_mode" and value in STEAL_MODES:
            value = STEAL_MODES.index(value)
        return _simple(_cmd.CMD_SET_PARAM, at, param=PARAMS[name], value=number(name, value, 0.0, 1e9))

    def set_param(self, name, value, at=ASAP):
        """Set an audio-thread parameter (one of PARAMS) at a frame."""
        self.send(self.set_param_command(name, value, at))

    def release_slot(self, slot, at=ASAP):
        """Ask the audio thread to stop using ``slot`` so the bank can reuse it."""
        slot = whole("slot", slot, 0, self.config.bank_slots - 1)
        self.bank.retiring(slot)
        self.send(_simple(_cmd.CMD_RELEASE_SLOT, at, slot=slot))

    def loop_command(self, track, action, *, source="mic", value=1.0, at=ASAP):
        if action not in LOOP_ACTIONS:
            raise ValueError(f"loop action must be one of {', '.join(LOOP_ACTIONS)}, got {action!r}")
        if source not in LOOP_SOURCES:
            raise ValueError(f"loop source must be one of {', '.join(LOOP_SOURCES)}, got {source!r}")
        track = whole("track", track, 0, self.config.loop_tracks - 1)
        return Command(_cmd.CMD_LOOP, track, 0, 0, LOOP_SOURCES[source], whole("at", at, ASAP),
                       LOOP_ACTIONS[action], 0.0, 0.0, 0.0, number("value", value, 0.0, 16.0))

    def loop(self, track, action, **options):
        """A looper action on ``track`` at a frame.

        Parameters
        ----------
        track : int
        action : str
            ``record`` (the first loop of an empty looper stays open until
            ``stop_record``, which sets every track's length; later ones record
            one loop length), ``stop_record``, ``overdub`` (``value`` is the
            feedback on what is there), ``overdub_off``, ``mute``, ``play``,
            ``undo`` (again: redo), ``clear``, ``gain`` (``value``).
        source : {"mic", "engine"}
            What ``record``/``overdub`` take: the input, or the voices' mix.
        value : float
        at : int
            Engine frame (quantise by choosing it).
        """
        self.send(self.loop_command(track, action, **options))

    def loops(self):
        """The looper as the audio thread last left it: length, origin, tracks."""
        st = self.state
        ints, floats, glob = st.loop_ints.copy(), st.loop_floats.copy(), st.loop_global.copy()
        length = int(glob[_loop.G_LENGTH])
        tracks = []
        for t in range(ints.shape[1]):
            mode = int(ints[_loop.L_MODE, t])
            tracks.append({
                "state": _LOOP_STATE_NAMES[int(ints[_loop.L_STATE, t])],
                "writing": mode in (_loop.PASS_RECORD, _loop.PASS_OVERDUB, _loop.IN_PLACE),
                "taking": bool(ints[_loop.L_TAKING, t]),
                "muted": bool(ints[_loop.L_MUTED, t]),
                "can_undo": bool(ints[_loop.L_HAS_UNDO, t]) or mode in (_loop.PASS_RECORD, _loop.PASS_OVERDUB),
                "gain": float(floats[_loop.L_GAIN, t]),
            })
        return {"length": length, "origin": int(glob[_loop.G_ORIGIN]), "tracks": tracks}

    def loop_audio(self, track):
        """A copy of what ``track`` plays, one loop long (empty if it has none)."""
        track = whole("track", track, 0, self.config.loop_tracks - 1)
        st = self.state
        length = int(st.loop_global[_loop.G_LENGTH])
        if st.loop_ints[_loop.L_STATE, track] != _loop.LOOPING or length == 0:
            return np.zeros(0, np.float32)
        return st.loop_buf[2 * track + int(st.loop_ints[_loop.L_CUR, track]), :length].copy()

    def send(self, command):
        """Queue a validated :class:`Command`; never blocks.

        Raises
        ------
        CommandQueueFull
            When the audio thread has not taken the commands before it.
        """
        st = self.state
        with self._lock:
            ok = _cmd.push_command(st.cmd_ints, st.cmd_floats, st.cmd_state, *command)
        if not ok:
            raise CommandQueueFull(
                f"command queue full ({self.config.command_capacity} waiting): "
                "the audio thread is not taking commands; is the stream running?")

    # -- what comes back --------------------------------------------------------
    def events(self):
        """Events posted by the audio thread since the last call."""
        out = []
        with self._lock:
            while True:
                n = _cmd.pop_events(self.state.evt_ints, self.state.evt_state, self._event_buf)
                out.extend(Event(EVENT_NAMES.get(int(r[0]), str(int(r[0]))), int(r[1]), int(r[2]), int(r[3]))
                           for r in self._event_buf[:n])
                if n < self._event_buf.shape[0]:
                    return out

    @property
    def dropped_events(self):
        return int(self.state.evt_state[_cmd.DROPPED])

    def meters(self, since=None):
        """The audio thread's meters as a dict (see :func:`read_meters`)."""
        return _m.read_meters(self.state.meters, self.state.hist, since)

    def reset_maxima(self):
        """Ask the audio thread to restart its maxima from its next callback."""
        self.state.meters[_m.M_RESET] = 1

    def load_input(self, samples, after="silence"):
        """Play ``samples`` as the mic from the next callback on (``--input``).

        Parameters
        ----------
        samples : ndarray of shape (n_frames, in_channels), float32
            At most ``config.input_seconds`` long. Call before the stream starts
            or after the previous input has finished.
        after : {"silence", "device"}
            What the mic is once the file has played.
        """
        if after not in ("silence", "device"):
            raise ValueError(f"after must be silence or device, got {after!r}")
        st = self.state
        ch = self.config.in_channels
        samples = np.ascontiguousarray(samples, np.float32).reshape(-1, ch)
        room = st.inj_buf.shape[0] // ch - self.config.max_block
        if samples.shape[0] > room:
            raise ValueError(f"input is {samples.shape[0] / self.config.samplerate:.1f} s; "
                             f"the engine was sized for {self.config.input_seconds:g} s (input_seconds)")
        if self.input_active:
            raise RuntimeError("the previous input is still playing")
        st.inj_buf[:] = 0.0
        st.inj_buf[:samples.size] = samples.reshape(-1)
        st.inj_state[_cb.INJ_POS] = 0
        st.inj_state[_cb.INJ_FRAMES] = samples.shape[0]
        st.inj_state[_cb.INJ_SILENCE_AFTER] = 1 if after == "silence" else 0
        _cb.activate_input(st.inj_state)

    @property
    def input_active(self):
        """True while a loaded input is still playing as the mic."""
        return bool(self.state.inj_state[_cb.INJ_ACTIVE])

    def output_reader(self, start=None):
        """A reader of what the engine played (interleaved output frames)."""
        return RingReader(self.state.out_buf, self.state.out_state, start)

    def ring_reader(self, start=None):
        """A new reader of the capture ring, from ``start`` or from now."""
        return RingReader(self.state.ring_buf, self.state.ring_state, start)

    @property
    def captured(self):
        """Frames captured so far."""
        return int(ring_written(self.state.ring_state))
