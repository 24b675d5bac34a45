"""The one table of livemappr's OSC address space and default MIDI map.

Runs on: any thread (plain data).

The OSC server dispatches from :data:`OSC`, the address section of
patches/README.md is generated from it (:func:`markdown`), and a test checks
that every address a patch in patches/ uses is in it. Change the contract
here and nowhere else.

Argument kinds: ``int`` accepts integral floats (TouchOSC and Pure Data send
every number as a float, so ``3.0`` is cluster 3); ``float`` accepts ints;
``flag`` is a number, non-zero meaning on (or the string on/off); ``str`` is an OSC string;
``name`` is a string or a number indexing the listed choices; ``ref`` is a
snippet id (a whole number, as ``int``) or a string (a file's path).
"""

import re
from dataclasses import dataclass

MAX_CLUSTERS = 4096  # cluster ids above are certainly a client's mistake
MAX_SNIPPETS = 1 << 24
PADS = 16
SIMILAR_MAX = 100  # sounds one search lists (session/neighbours.py's MAX_N)


@dataclass(frozen=True)
class Arg:
    """One OSC argument: name, kind, allowed range and default (optional if set)."""

    name: str
    kind: str  # int, float, flag, str, name, ref
    lo: float | None = None
    hi: float | None = None
    default: object = None
    choices: tuple = ()

    @property
    def optional(self):
        return self.default is not None

    def describe(self):
        if self.kind == "name":
            text = "|".join(self.choices)
        elif self.kind == "flag":
            text = "1/0 (or on/off)"
        elif self.kind == "ref":
            text = "id|path"
        elif self.lo is not None:
            lo = int(self.lo) if float(self.lo).is_integer() else self.lo
            hi = int(self.hi) if float(self.hi).is_integer() else self.hi
            text = f"{lo}..{hi}"
        else:
            text = self.kind
        return f"[{self.name} {text}]" if self.optional else f"{self.name} {text}"


@dataclass(frozen=True)
class Address:
    """One OSC address.

    ``path`` may hold ``<n>`` (a pad number 0..15). ``direction`` is "in"
    (clients send it to the engine) or "out" (feedback to subscribers).
    ``action`` names the server method that handles an inbound address
    (``OscServer._on_<action>``). ``issue`` marks addresses whose behaviour
    another issue implements (they dispatch to a hook until then).
    """

    path: str
    direction: str
    args: tuple
    action: str
    doc: str
    issue: str = ""

    @property
    def pattern(self):
        return re.compile("^" + re.escape(self.path).replace(re.escape("<n>"), r"(\d+)") + "$")


_vel = Arg("velocity", "float", 0.0, 1.0, default=1.0)
CHOICES = ("round_robin", "random", "centre", "velocity", "select")
RETRIGGER = ("overlap", "restart")
LEARN_TARGETS = ("volume", "rate", "select", "tempo", "quantize", "swing", "cluster", "loop_pedal", "loop_mute",
                 "tap", "pattern_record", "pattern_play", "pattern_undo", "teach")  # control/midimap.py's actions
LOOP_SOURCES = ("mic", "engine")
PATTERN_STORES = ("cluster", "snippet")

OSC = (
    # -- playing ----------------------------------------------------------------
    Address("/livemappr/cluster/play", "in", (Arg("n", "int", 0, MAX_CLUSTERS - 1), _vel),
            "play_cluster", "Play a sound of cluster n (which one: see /livemappr/choice)."),
    Address("/livemappr/cluster/release", "in", (Arg("n", "int", 0, MAX_CLUSTERS - 1),),
            "release_cluster", "End the held sound of cluster n (gate and hold modes)."),
    Address("/livemappr/pad/<n>", "in", (Arg("value", "float", 0.0, 1.0),),
            "pad", "Button style: value > 0 plays cluster n with velocity value; 0 releases it."),
    Address("/livemappr/pad/<n>/learn", "in", (Arg("on", "flag"),),
            "pad_learn", "Teach pad n: while held (1) each new sound becomes one of its examples; 0 lets go. "
            "A new sound then goes to the taught pad whose examples it is nearest."),
    Address("/livemappr/pad/<n>/forget", "in", (), "pad_forget",
            "Forget pad n's examples and name: its sounds cluster again."),
    Address("/livemappr/pad/<n>/name", "in", (Arg("name", "str"),), "pad_name",
            "Name pad n (1..40 printable characters: kick, snare...), shown in the map view, map.json and kits."),
    Address("/livemappr/voice", "in", (Arg("on", "flag"),), "voice",
            "Play by voice: each onset of the input plays the taught pad it sounds like, at once "
            "(decided on its first 5.8 ms; untaught or unlike sounds play nothing)."),
    Address("/livemappr/xy", "in", (Arg("x", "float", 0.0, 1.0), Arg("y", "float", 0.0, 1.0), _vel),
            "xy", "Play the snippet nearest the normalised map point (0..1, y up)."),
    Address("/livemappr/snippet/play", "in", (Arg("id", "int", 0, MAX_SNIPPETS - 1), _vel),
            "play_snippet", "Play snippet id (its index in map.json)."),
    Address("/livemappr/stop", "in", (), "stop", "Fade out every sound."),
    # -- search by example (livemappr.session.neighbours) ---------------------------------
    Address("/livemappr/similar", "in", (Arg("sound", "ref"), Arg("n", "int", 1, SIMILAR_MAX, default=10)),
            "similar", "The n sounds nearest a snippet (its id) or an audio file (its path on this machine): "
            "on the session's map and, with live --library, in the library; answered to subscribers by "
            "/livemappr/similar/map, /livemappr/similar/library and /livemappr/similar/done."),
    Address("/livemappr/similar/play", "in", (Arg("sound", "ref"), Arg("rank", "int", 1, SIMILAR_MAX, default=1),
                                              _vel),
            "similar_play", "Play the rank-th nearest sound to a snippet or file: the library's with live "
            "--library (loaded into the bank first), else the map's."),
    # -- how triggers behave --------------------------------------------------------
    Address("/livemappr/choice", "in", (Arg("mode", "name", choices=CHOICES),),
            "choice", "Which snippet a cluster plays: next in turn, random without repeats, "
            "nearest the centre, by velocity within the cluster's loudness range, or by /livemappr/select."),
    Address("/livemappr/select", "in", (Arg("position", "float", 0.0, 1.0),),
            "select", "Position within the cluster (quietest 0 .. loudest 1) for the select choice."),
    Address("/livemappr/retrigger", "in", (Arg("mode", "name", choices=RETRIGGER),),
            "retrigger", "Hitting a sounding cluster again overlaps or restarts (chokes) it."),
    Address("/livemappr/gate", "in", (Arg("on", "flag"),),
            "gate", "Gate mode: a sound stops when its pad, key or note is released."),
    Address("/livemappr/hold", "in", (Arg("on", "flag"),),
            "hold", "Hold mode: while a pad is held it steps through its cluster, one snippet after another."),
    Address("/livemappr/volume", "in", (Arg("gain", "float", 0.0, 2.0),),
            "volume", "Master volume (linear, 1 is unity)."),
    Address("/livemappr/rate", "in", (Arg("rate", "float", 0.25, 4.0),),
            "rate", "Playback rate of new sounds (2 is an octave up)."),
    Address("/livemappr/midi/learn", "in", (Arg("target", "name", choices=LEARN_TARGETS),
                                            Arg("n", "int", 0, MAX_CLUSTERS - 1, default=0)),
            "midi_learn", "The next MIDI message controls target (n: the cluster or loop track): a controller "
            "for volume..swing, a note or controller for the others; the map is saved (docs/midi.md)."),
    # -- session --------------------------------------------------------------------
    Address("/livemappr/record", "in", (Arg("on", "flag"),),
            "record", "Whether the mic feeds the map."),
    Address("/livemappr/subscribe", "in", (Arg("port", "int", 1, 65535, default=9000),),
            "subscribe", "Send feedback to the sender's address at port."),
    Address("/livemappr/unsubscribe", "in", (Arg("port", "int", 1, 65535, default=9000),),
            "unsubscribe", "Stop sending feedback there."),
    # -- time and loops (livemappr.control.transport) ---------------------------------
    Address("/livemappr/tempo", "in", (Arg("bpm", "float", 20.0, 400.0),), "time",
            "Tempo in beats per minute (the beat stays where it is)."),
    Address("/livemappr/tap", "in", (), "time", "Tap tempo: the mean of the last taps; each tap is a beat."),
    Address("/livemappr/quantize", "in", (Arg("division", "int", 0, 64),), "time",
            "Quantise triggers to 1/division of a bar (4, 8, 16, 32; triplets 6, 12, 24; 0: off)."),
    Address("/livemappr/swing", "in", (Arg("percent", "float", 50.0, 75.0),), "time",
            "Swing of the quantise grid: 50 straight, 66 triplet feel, 75 most."),
    Address("/livemappr/clock/run", "in", (Arg("on", "flag"),), "time",
            "Start the internal tempo clock (bar 0 now) or stop it."),
    Address("/livemappr/clock/out", "in", (Arg("on", "flag"),), "time",
            "Send MIDI clock (24 ppqn, start/stop/song position) from the livemappr-clock port."),
    Address("/livemappr/export", "in", (), "time",
            "Write the loop tracks (loop_<n>.wav) and patterns (pattern_<n>.mid) to the session directory, "
            "in the background (answered by /livemappr/export/done or /livemappr/export/failed)."),
    Address("/livemappr/loop/record", "in", (Arg("on", "flag"),), "time",
            "Loop track 0: start (1) or close (0) recording (see /livemappr/loop/<n>/record)."),
    Address("/livemappr/loop/play", "in", (Arg("on", "flag"),), "time", "Loop track 0: play (1) or mute (0)."),
    Address("/livemappr/loop/clear", "in", (), "time", "Loop track 0: forget it."),
    Address("/livemappr/loop/bars", "in", (Arg("bars", "int", 0, 256),), "time",
            "The first loop closes by itself after this many bars (0: when record is pressed again)."),
    Address("/livemappr/loop/<n>/record", "in", (Arg("on", "flag"), Arg("source", "name", choices=LOOP_SOURCES,
                                                                          default="mic")), "time",
            "Track n (0..3): 1 starts recording at the next bar line (the first loop stays open until 0 "
            "closes it on a bar line and sets every track's length; later ones record one loop)."),
    Address("/livemappr/loop/<n>/overdub", "in", (Arg("on", "flag"), Arg("feedback", "float", 0.0, 1.0,
                                                                           default=1.0)), "time",
            "Track n: layer what comes in on what is there (feedback scales what was there)."),
    Address("/livemappr/loop/<n>/play", "in", (Arg("on", "flag"),), "time", "Track n: play (1) or mute (0)."),
    Address("/livemappr/loop/<n>/mute", "in", (Arg("on", "flag"),), "time", "Track n: mute (1) or play (0)."),
    Address("/livemappr/loop/<n>/undo", "in", (), "time", "Track n: undo the last layer (again: redo)."),
    Address("/livemappr/loop/<n>/clear", "in", (), "time", "Track n: empty it."),
    Address("/livemappr/loop/<n>/gain", "in", (Arg("gain", "float", 0.0, 2.0),), "time", "Track n's level."),
    Address("/livemappr/loop/<n>/pedal", "in", (), "time",
            "Track n, one footswitch: record, close and play, overdub, play, overdub..."),
    Address("/livemappr/pattern/record", "in", (Arg("on", "flag"),), "time",
            "Record triggers from the next bar line (an empty pattern: its bars, then it plays; else a layer)."),
    Address("/livemappr/pattern/overdub", "in", (Arg("on", "flag"),), "time",
            "Add a layer of triggers while the pattern plays."),
    Address("/livemappr/pattern/play", "in", (Arg("on", "flag"),), "time",
            "Play the pattern from the next bar line (1) or stop it (0)."),
    Address("/livemappr/pattern/undo", "in", (), "time", "Drop the pattern's last layer."),
    Address("/livemappr/pattern/clear", "in", (), "time", "Empty the pattern."),
    Address("/livemappr/pattern/select", "in", (Arg("n", "int", 0, 127),), "time",
            "Switch to pattern n (at the next bar line while playing)."),
    Address("/livemappr/pattern/bars", "in", (Arg("bars", "int", 1, 64),), "time", "Length of a new pattern."),
    Address("/livemappr/pattern/store", "in", (Arg("what", "name", choices=PATTERN_STORES),), "time",
            "A pattern plays its clusters (follows the map) or the very snippets recorded."),
    # -- feedback to subscribers ------------------------------------------------------
    Address("/livemappr/map/version", "out", (Arg("version", "int"), Arg("points", "int")), "",
            "A new map was published: its version and number of points."),
    Address("/livemappr/map/points", "out", (Arg("first", "int"), Arg("x y cluster ...", "float")), "",
            "Up to 64 points from index first: normalised x, y and cluster id, repeated."),
    Address("/livemappr/cluster/sizes", "out", (Arg("sizes ...", "int"),), "",
            "Playable snippets in each cluster, from cluster 0."),
    Address("/livemappr/pad/<n>/label", "out", (Arg("text", "str"),), "",
            "Label for pad n (TouchOSC labels): cluster and size."),
    Address("/livemappr/pad/<n>/color", "out", (Arg("r", "float"), Arg("g", "float"), Arg("b", "float"),
                                                Arg("a", "float")), "",
            "Colour of pad n's cluster, 0..1 each (dim when the cluster is empty)."),
    Address("/livemappr/loop/position", "out", (Arg("phase", "float"),), "",
            "Loop position 0..1 (the bar's phase while no loop is recorded and a tempo runs)."),
    Address("/livemappr/loop/<n>/state", "out", (Arg("state", "str"),), "",
            "Track n: empty, recording, playing, overdubbing or muted."),
    Address("/livemappr/tempo/state", "out", (Arg("bpm", "float"), Arg("running", "int"), Arg("source", "str")),
            "", "Tempo, whether the clock runs, and what sets it (internal, midi, loop)."),
    Address("/livemappr/beat", "out", (Arg("bar", "int"), Arg("beat", "int")), "", "Each new beat: bar and beat from 0."),
    Address("/livemappr/pattern/state", "out", (Arg("n", "int"), Arg("playing", "int"), Arg("recording", "int"),
                                                Arg("layers", "int")), "", "The current pattern and what it does."),
    Address("/livemappr/meters", "out", (Arg("voices", "int"), Arg("xruns", "int"), Arg("late", "int")), "",
            "Voices sounding, xruns and late commands so far."),
    Address("/livemappr/record/state", "out", (Arg("on", "int"),), "", "Whether the mic feeds the map."),
    Address("/livemappr/error", "out", (Arg("kind", "str"), Arg("message", "str")), "",
            "The first error of each kind (later ones are only counted)."),
    Address("/livemappr/export/done", "out", (Arg("files", "int"),), "",
            "An export finished (it runs in the background): how many files it wrote."),
    Address("/livemappr/export/failed", "out", (Arg("message", "str"),), "",
            "An export failed, and why."),
    Address("/livemappr/similar/map", "out", (Arg("sound", "str"), Arg("id distance ...", "float")), "",
            "The answer to /livemappr/similar sound on the session's map: snippet id and distance, "
            "repeated, nearest first (one message)."),
    Address("/livemappr/similar/library", "out", (Arg("sound", "str"), Arg("first", "int"),
                                                  Arg("row distance name ...", "str")), "",
            "The answer in the library (live --library): from rank first (1 in the first message), the "
            "sound's row, distance and file (with @ start-end s for one cut from a track), repeated; a long "
            "answer comes in several messages."),
    Address("/livemappr/similar/done", "out", (Arg("sound", "str"), Arg("map", "int"), Arg("library", "int")), "",
            "The answer to sound is complete: how many sounds of the map and of the library it gave."),
    Address("/livemappr/similar/played", "out", (Arg("sound", "str"), Arg("where", "str"), Arg("id", "int"),
                                                 Arg("distance", "float"), Arg("name", "str")), "",
            "/livemappr/similar/play sound played this sound."),
    Address("/livemappr/similar/failed", "out", (Arg("sound", "str"), Arg("message", "str")), "",
            "A search or play for sound failed, and why (also counted as similar_failed)."),
)

INBOUND = tuple(a for a in OSC if a.direction == "in")
_EXACT = {a.path: a for a in INBOUND if "<n>" not in a.path}
_PATTERNED = tuple(a for a in INBOUND if "<n>" in a.path)


def lookup(path):
    """The inbound :class:`Address` for an OSC path and its ``<n>`` (or None), or (None, None)."""
    a = _EXACT.get(path)
    if a is not None:
        return a, None
    for a in _PATTERNED:
        m = a.pattern.match(path)
        if m:
            return a, int(m.group(1))
    return None, None


def known(path):
    """True if ``path`` (either direction, with a concrete ``<n>``) is in the table."""
    return any(a.pattern.match(path) for a in OSC)


# -- MIDI -------------------------------------------------------------------------


@dataclass(frozen=True)
class MidiDefault:
    """The default MIDI map (any channel). MIDI learn changes the CCs at run time."""

    first_note: int = 36  # GM kick; most controllers' 16 pads start here
    pads: int = PADS  # notes first_note .. first_note + pads - 1 play clusters 0..pads-1
    cc_volume: int = 7  # channel volume
    cc_rate: int = 1  # mod wheel: 0..127 -> rate 0.5..2 (64 is 1)
    cc_select: int = 74  # often the first knob: position within the cluster
    virtual_port: str = "livemappr"
    loop_pedal_note: int = 52  # 52..55: loop tracks 0..3, one footswitch each
    loop_mute_note: int = 56  # 56..59: mute / unmute tracks 0..3
    tap_note: int = 60
    pattern_record_note: int = 61
    pattern_play_note: int = 62
    pattern_undo_note: int = 63
    cc_tempo: int = 20  # 0..127 -> 60..187 BPM
    cc_quantize: int = 21  # eight stops: off, 1/4, 1/8, 1/16, 1/32, 1/4t, 1/8t, 1/16t
    cc_swing: int = 22  # 0..127 -> 50..75 %
    cc_teach: int = 64  # the sustain pedal: held, a pad pressed meanwhile is taught, not played


MIDI = MidiDefault()
MIDI_ROWS = (
    ("note on", f"{MIDI.first_note}..{MIDI.first_note + MIDI.pads - 1}",
     f"play clusters 0..{MIDI.pads - 1}; velocity sets the gain"),
    ("note off", f"{MIDI.first_note}..{MIDI.first_note + MIDI.pads - 1}",
     "end the held sound (gate and hold modes); note on with velocity 0 is a note off"),
    ("control change", str(MIDI.cc_volume), "master volume (0..127 -> 0..1)"),
    ("control change", str(MIDI.cc_rate), "playback rate (0..127 -> 0.5..2, 64 is 1)"),
    ("control change", str(MIDI.cc_select), "which snippet of a cluster plays (select choice)"),
    ("note on", f"{MIDI.loop_pedal_note}..{MIDI.loop_pedal_note + 3}",
     "loop tracks 0..3, one footswitch each: record, close and play, overdub, play ..."),
    ("note on", f"{MIDI.loop_mute_note}..{MIDI.loop_mute_note + 3}", "mute / unmute loop tracks 0..3"),
    ("note on", str(MIDI.tap_note), "tap tempo"),
    ("note on", str(MIDI.pattern_record_note), "pattern record on / off"),
    ("note on", str(MIDI.pattern_play_note), "pattern play / stop"),
    ("note on", str(MIDI.pattern_undo_note), "pattern undo"),
    ("control change", str(MIDI.cc_tempo), "tempo (0..127 -> 60..187 BPM)"),
    ("control change", str(MIDI.cc_quantize), "quantise: off, 1/4, 1/8, 1/16, 1/32, 1/4t, 1/8t, 1/16t"),
    ("control change", str(MIDI.cc_swing), "swing (0..127 -> 50..75 %)"),
    ("control change", str(MIDI.cc_teach),
     "teach (a sustain pedal): while it is held, a pad held down is taught (each new sound becomes one of its "
     "examples) instead of played"),
    ("clock, start, stop, continue, song position", "any",
     "followed: tempo and beat phase lock to MIDI clock in (24 ppqn)"),
    ("note on out", f"{MIDI.first_note}..{MIDI.first_note + MIDI.pads - 1}",
     "pad lights: velocity 127 for a cluster with sounds, 0 for an empty one"),
)


def markdown():
    """The address and MIDI tables as Markdown (patches/README.md embeds this)."""
    lines = ["| address | arguments | direction | what it does |", "|---|---|---|---|"]
    for a in OSC:
        args = (" ".join(x.describe() for x in a.args) or "(none)").replace("|", "\\|")
        doc = a.doc + (" *(reserved)*" if a.issue else "")
        lines.append(f"| `{a.path}` | {args} | {a.direction} | {doc} |")
    lines += ["", "| MIDI message | number | what it does |", "|---|---|---|"]
    lines += [f"| {k} | {n} | {d} |" for k, n, d in MIDI_ROWS]
    return "\n".join(lines) + "\n"
