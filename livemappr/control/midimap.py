"""The MIDI map: which note or controller does what, from the ``[midi]`` section of a config file.

Runs on: the main thread (loading), the MIDI poller (lookups; MIDI learn
makes a new map), the session's background worker (the map as TOML text).

A map is immutable: MIDI learn builds a new one and the poller swaps its
reference, so a thread writing the map to a file never sees it half changed.

In a file, each key is a message and each value an action::

    [midi]
    defaults = true                 # start from the built-in map (false: from nothing)
    "note 36" = "cluster 0"         # any channel
    "note 40 channel 10" = "tap"    # only on channel 10 (1..16); wins over "note 40"
    "cc 7" = "volume"
    "note 60" = "none"              # take a built-in binding away

Actions (:data:`ACTIONS`): ``cluster N`` plays cluster N (note-on, or a
controller's value above 0, sets the velocity); ``loop_pedal N``, ``loop_mute
N`` (tracks 0..3), ``tap``, ``pattern_record``, ``pattern_play`` and
``pattern_undo`` are buttons; ``teach`` is a button too: while it is held, a
pad pressed is taught (``pad_learn``) rather than played; ``volume``, ``rate``, ``select``, ``tempo``,
``quantize`` and ``swing`` follow a controller's value, so only ``cc`` may
carry them. The built-in map is :data:`livemappr.control.addresses.MIDI`.
"""

import re
from typing import NamedTuple

from livemappr.control.addresses import LEARN_TARGETS, MAX_CLUSTERS, MIDI
from livemappr.errors import ConfigError

#: Actions that follow a controller's value (a ``cc`` only).
CONTINUOUS = ("volume", "rate", "select", "tempo", "quantize", "swing")
#: Buttons and their index range (None: no index).
BUTTONS = {"cluster": MAX_CLUSTERS, "loop_pedal": 4, "loop_mute": 4, "tap": None, "pattern_record": None,
           "pattern_play": None, "pattern_undo": None, "teach": None}
ACTIONS = CONTINUOUS + tuple(BUTTONS)
assert set(ACTIONS) == set(LEARN_TARGETS), "the learn address must offer every action"

_KEY = re.compile(r"^(note|cc) (\d{1,3})(?: channel (\d{1,2}))?$")
_ACTION = re.compile(r"^([a-z_]+)(?: (\d{1,4}))?$")
_KINDS = {"note": 0x90, "cc": 0xB0}
_WORDS = {v: k for k, v in _KINDS.items()}


def _cut(value):
    """A value for a message: a 5,000-character string or list cut short."""
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:57] + "..."
    text = repr(value)
    return value if len(text) <= 60 else text[:57] + "..."


class Binding(NamedTuple):
    """A message the map answers: ``kind`` 0x90 (note) or 0xB0 (cc), ``channel``
    0..15 or None for any, ``number`` 0..127."""

    kind: int
    channel: int | None
    number: int

    def text(self):
        ch = "" if self.channel is None else f" channel {self.channel + 1}"
        return f"{_WORDS[self.kind]} {self.number}{ch}"


class Action(NamedTuple):
    """What a binding does: ``name`` from :data:`ACTIONS`, ``index`` (cluster, track) or None."""

    name: str
    index: int | None = None

    def text(self):
        return self.name if self.index is None else f"{self.name} {self.index}"


def parse_binding(text, field="midi"):
    """``"note 36"``, ``"cc 7 channel 2"`` -> :class:`Binding`; ``ConfigError`` naming the key."""
    m = _KEY.match(text) if isinstance(text, str) else None
    if m is None:
        raise ConfigError(f"{field} key", _cut(text), "'note N' or 'cc N', N in 0..127, optionally "
                                                "followed by 'channel C', C in 1..16")
    number, channel = int(m.group(2)), m.group(3)
    if number > 127:
        raise ConfigError(f"{field}.{text!r}", number, "a note or controller number in 0..127")
    if channel is not None and not 1 <= int(channel) <= 16:
        raise ConfigError(f"{field}.{text!r}", int(channel), "a channel in 1..16")
    return Binding(_KINDS[m.group(1)], None if channel is None else int(channel) - 1, number)


def parse_action(value, field="midi"):
    """``"cluster 3"``, ``"volume"``, ``"none"`` -> :class:`Action` (None for "none")."""
    allowed = ("one of " + ", ".join(f"'{a} N'" if BUTTONS.get(a) else f"'{a}'" for a in ACTIONS)
               + ", 'none'")
    m = _ACTION.match(value) if isinstance(value, str) and len(value) < 40 else None
    if m is None or (m.group(1) not in ACTIONS and m.group(1) != "none"):
        raise ConfigError(field, _cut(value), allowed)
    name, index = m.group(1), m.group(2)
    if name == "none":
        if index is not None:
            raise ConfigError(field, _cut(value), "'none' without a number")
        return None
    return make_action(name, None if index is None else int(index), field)


def make_action(name, index, field="midi"):
    """An :class:`Action` with its index checked (``cluster`` 0..4095, tracks 0..3, others none)."""
    if name not in ACTIONS:
        raise ConfigError(field, name, "one of " + ", ".join(ACTIONS))
    top = BUTTONS.get(name)
    if top is None:
        if index is not None:
            raise ConfigError(field, f"{name} {index}", f"'{name}' without a number")
        return Action(name)
    if index is None or not 0 <= index < top:
        raise ConfigError(field, name if index is None else f"{name} {index}",
                          f"'{name} N' with N in 0..{top - 1}")
    return Action(name, index)


def _builtin():
    m = MIDI
    notes = {m.first_note + k: Action("cluster", k) for k in range(m.pads)}
    notes.update({m.loop_pedal_note + t: Action("loop_pedal", t) for t in range(4)})
    notes.update({m.loop_mute_note + t: Action("loop_mute", t) for t in range(4)})
    notes.update({m.tap_note: Action("tap"), m.pattern_record_note: Action("pattern_record"),
                  m.pattern_play_note: Action("pattern_play"), m.pattern_undo_note: Action("pattern_undo")})
    ccs = {m.cc_volume: "volume", m.cc_rate: "rate", m.cc_select: "select", m.cc_tempo: "tempo",
           m.cc_quantize: "quantize", m.cc_swing: "swing"}
    out = {Binding(0x90, None, n): a for n, a in notes.items()}
    out.update({Binding(0xB0, None, n): Action(a) for n, a in ccs.items()})
    out[Binding(0xB0, None, m.cc_teach)] = Action("teach")
    return out


#: Today's fixed map, every channel: notes 36..51 clusters 0..15, 52..63 the
#: loops and patterns, CC 7/1/74 volume/rate/select, CC 20/21/22 tempo/quantise/swing,
#: CC 64 (the sustain pedal) teach.
BUILTIN = _builtin()


class MidiMap:
    """Bindings from messages to actions; built once, never changed (see the module notes).

    Parameters
    ----------
    bindings : dict of Binding to Action, optional
        Default :data:`BUILTIN`.
    base : dict of Binding to Action, optional
        What the file's lines are written against (:meth:`toml_lines`):
        :data:`BUILTIN` with ``defaults = true``, else empty.
    """

    def __init__(self, bindings=None, base=None):
        self.bindings = dict(BUILTIN if bindings is None else bindings)
        self.base = dict(BUILTIN if base is None else base)

    @classmethod
    def from_section(cls, values, section="midi"):
        """The map a ``[midi]`` section (a dict from TOML) describes; ``ConfigError`` naming the bad line."""
        values = dict(values)
        defaults = values.pop("defaults", True)
        if not isinstance(defaults, bool):
            raise ConfigError(f"{section}.defaults", _cut(defaults), "true or false")
        base = BUILTIN if defaults else {}
        bindings = dict(base)
        for key, value in values.items():
            b = parse_binding(key, section)
            a = parse_action(value, f"{section}.{key!r}")  # the key is short: parse_binding took it
            if a is None:
                bindings.pop(b, None)
                continue
            if a.name in CONTINUOUS and b.kind != 0xB0:
                raise ConfigError(f"{section}.{key!r}", _cut(value), f"a button action for a note ('{a.name}' "
                                                               "follows a controller: bind it to 'cc N')")
            bindings[b] = a
        return cls(bindings, base)

    def lookup(self, kind, channel, number):
        """The action of a message (its own channel's binding first), or None."""
        a = self.bindings.get(Binding(kind, channel, number))
        return a if a is not None else self.bindings.get(Binding(kind, None, number))

    def bind(self, binding, action):
        """A new map where ``binding`` (on any channel, and every channel's own
        binding of that message) does ``action`` and nothing else does it."""
        out = {b: a for b, a in self.bindings.items()
               if a != action and not (b.kind == binding.kind and b.number == binding.number)}
        out[binding] = action
        return MidiMap(out, self.base)

    def notes_of(self, name):
        """``{(channel or None, note): action}`` for note bindings of action ``name`` (pad lights)."""
        return {(b.channel, b.number): a for b, a in self.bindings.items() if b.kind == 0x90 and a.name == name}

    def cc_targets(self):
        """``{cc: action name}`` of the any-channel controller bindings."""
        return {b.number: a.text() for b, a in self.bindings.items() if b.kind == 0xB0 and b.channel is None}

    def toml_lines(self):
        """The ``[midi]`` section's body for this map: what differs from its base, in a stable order."""
        order = sorted(set(self.bindings) | set(self.base), key=lambda b: (b.kind, b.channel or -1, b.number))
        lines = [] if self.base else ["defaults = false"]
        for b in order:
            a = self.bindings.get(b)
            if a != self.base.get(b):
                lines.append(f'"{b.text()}" = "{"none" if a is None else a.text()}"')
        return lines

    def __eq__(self, other):
        return isinstance(other, MidiMap) and self.bindings == other.bindings

    __hash__ = None
