"""What the page asks for: JSON messages from a browser to the trigger path.

Runs on: the web thread (``livemappr-web``); each call takes microseconds
(the trigger's lock, then the engine's lock-free command queue), so the
event loop never waits on it.

Messages are JSON objects with a type ``t``::

    {"t": "snippet", "i": 12, "v": 0.8}     play snippet 12 (hover, tap)
    {"t": "xy", "x": 0.4, "y": 0.7}         play the snippet nearest a map point
    {"t": "key", "k": "d", "down": true}    key d pressed (false: let go)
    {"t": "pad", "n": 3, "down": true}      pad 3 (0..15) pressed / let go
    {"t": "record", "on": false}            whether the mic feeds the map
    {"t": "learn", "n": 3, "on": true}      hold pad 3 to teach it (a long press); false lets go
    {"t": "forget", "n": 3}                 forget pad 3's examples and name
    {"t": "name", "n": 3, "name": "kick"}   name pad 3
    {"t": "hold", "on": true}               hold mode: a held key steps through its cluster
    {"t": "loop", "action": "record"}       looper track 0 (record, stop_record, play, mute, ...)
    {"t": "stop"}                           silence every voice
    {"t": "resync"}                         send the whole map again
    {"t": "similar", "i": 12, "n": 8}       the sounds nearest snippet 12 (a click), answered to this
                                            page only, when the search has run (a worker's, not this thread):
                                            {"t": "similar", "i": 12, "near": [40, 7, ...],
                                             "library": [["/samples/kick.wav", 3.02], ...]}

Anything else (not JSON, not an object, an unknown type, a value out of
range, binary data) is counted by kind in ``WebView.errors`` and ignored,
never answered: a broken or hostile page cannot slow the engine or the
other clients.

Bounds, checked before or while parsing (a page's messages are flat
objects of a few short values): at most :data:`MAX_MESSAGE` characters and
brackets nested at most :data:`MAX_DEPTH` deep (``malformed``; the depth is
looked at before the parser, which would recurse), numbers of at most
:data:`MAX_NUMBER_CHARS` characters (``out_of_range``; never converted at
length) and no NaN or Infinity (``malformed``). Whatever else goes wrong handling a message is counted
(``failed``), one line; :func:`handle` never raises.
"""

import json

from livemappr.control.addresses import MAX_CLUSTERS, MAX_SNIPPETS
from livemappr.audio.engine import LOOP_ACTIONS
from livemappr.errors import CommandQueueFull

#: Longest message looked at, in characters (the server's frame limit is 4096 bytes).
MAX_MESSAGE = 4096
#: Deepest nesting of ``[`` and ``{`` a message may have (the page's are 1 deep).
MAX_DEPTH = 8
#: Longest number, in characters (a 64-bit integer has 20; a double's shortest repr 24).
MAX_NUMBER_CHARS = 32
KEYS = "abcdefghijklmnopqrstuvwxyz"
PADS = 16
# The looper actions a button can send; "gain" takes a value the page has no control for.
PAGE_LOOP_ACTIONS = tuple(a for a in LOOP_ACTIONS if a != "gain")


class BadMessage(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def handle(view, client, message):
    """Carry out one message from ``client``; count it if it is bad. Never raises."""
    try:
        fn, m = parse(message)
        fn(view, client, m)
    except BadMessage as e:
        view.errors.count(e.kind, _line(str(e)))
    except (ValueError, TypeError, OverflowError) as e:  # the trigger's range checks name the field and the range
        view.errors.count("out_of_range", _line(str(e)))
    except CommandQueueFull as e:
        view.errors.count("queue_full", _line(str(e)))
    except Exception as e:  # RecursionError, MemoryError, a hook that failed: one line, the page plays on
        view.errors.count("failed", _line(f"{type(e).__name__}: {e}"))


def parse(message):
    """``(handler, message dict)`` for one message from a page; raises :class:`BadMessage` for
    anything else (never RecursionError, never a number's digits converted at length)."""
    if isinstance(message, (bytes, bytearray, memoryview)):
        raise BadMessage("binary", f"binary message of {len(message)} bytes (the page sends JSON text)")
    if not isinstance(message, str):
        raise BadMessage("malformed", f"message must be text, got {type(message).__name__}")
    if len(message) > MAX_MESSAGE:
        raise BadMessage("malformed", f"message of {len(message)} characters (at most {MAX_MESSAGE})")
    depth = _depth(message)
    if depth > MAX_DEPTH:
        raise BadMessage("malformed", f"message nested {depth} deep (at most {MAX_DEPTH})")
    try:
        m = json.loads(message, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except ValueError as e:
        raise BadMessage("malformed", f"not JSON: {e}") from None
    if not isinstance(m, dict):
        raise BadMessage("malformed", f"message must be a JSON object, got {type(m).__name__}")
    kind = m.get("t")
    fn = _HANDLERS.get(kind) if isinstance(kind, str) else None
    if fn is None:
        raise BadMessage("unknown_message", f"t must be one of {', '.join(_HANDLERS)}, got {_show(kind)}")
    return fn, m


def _depth(text):
    """How deep ``[`` and ``{`` nest in ``text`` outside JSON strings (an upper bound where it is not JSON)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be deeper: the common case costs two counts
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _int(digits):
    if len(digits) > MAX_NUMBER_CHARS:
        raise BadMessage("out_of_range", f"a number of {len(digits)} digits (at most {MAX_NUMBER_CHARS})")
    return int(digits)


def _float(text):
    if len(text) > MAX_NUMBER_CHARS:
        raise BadMessage("out_of_range", f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    return float(text)


def _constant(name):
    raise BadMessage("malformed", f"not JSON: {name} is not a number JSON has")


def _show(value, limit=40):
    """``repr(value)`` cut to ``limit`` characters, for a log line."""
    try:
        text = repr(value)
    except Exception:  # an int past Python's digit limit, say
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def _line(text, limit=200):
    """A message as one line of at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _field(m, name, types, what):
    value = m.get(name)
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        raise BadMessage("wrong_argument_type", f"{m.get('t')}: {name} must be {what}, got {_show(value)}")
    return value


def _velocity(m):
    return _field(m, "v", (int, float), "a number 0..1") if "v" in m else 1.0


def _snippet(view, client, m):
    view.trigger.play_snippet(_field(m, "i", (int,), "a snippet index"), _velocity(m))


def _xy(view, client, m):
    view.trigger.play_xy(_field(m, "x", (int, float), "a number 0..1"),
                         _field(m, "y", (int, float), "a number 0..1"), _velocity(m))


def _press(view, client, m, cluster, key):
    down = _field(m, "down", (bool,), "true or false")
    if down:
        client.held.add(key)
        view.trigger.play_cluster(cluster, _velocity(m), key=key)
    else:
        client.held.discard(key)
        view.trigger.release(key)


def _key(view, client, m):
    k = _field(m, "k", (str,), "a letter a-z")
    if len(k) != 1 or k not in KEYS:
        raise BadMessage("out_of_range", f"key: k must be a letter a-z, got {_show(k)}")
    cluster = KEYS.index(k)
    if cluster >= MAX_CLUSTERS:
        raise BadMessage("out_of_range", f"key: {k!r} is beyond the {MAX_CLUSTERS} clusters")
    _press(view, client, m, cluster, ("web", client.number, "key", k))


def _pad(view, client, m):
    n = _field(m, "n", (int,), f"a pad number 0..{PADS - 1}")
    if not 0 <= n < PADS:
        raise BadMessage("out_of_range", f"pad: n must be in 0..{PADS - 1}, got {n}")
    _press(view, client, m, n, ("web", client.number, "pad", n))


def _record(view, client, m):
    on = _field(m, "on", (bool,), "true or false")
    hook = view.hooks.get("record")
    if hook is None:
        raise BadMessage("unsupported", "record: this engine has no record switch")
    hook(on)


def _pad_number(m, what):
    n = _field(m, "n", (int,), f"a pad number 0..{PADS - 1}")
    if not 0 <= n < PADS:
        raise BadMessage("out_of_range", f"{what}: n must be in 0..{PADS - 1}, got {n}")
    return n


def _session_hook(view, name, what):
    hook = view.hooks.get(name)
    if hook is None:
        raise BadMessage("unsupported", f"{what}: this engine has no taught pads")
    return hook


def _learn(view, client, m):
    n = _pad_number(m, "learn")
    on = _field(m, "on", (bool,), "true or false")
    _session_hook(view, "pad_learn", "learn")(n, on)
    # a page that goes away while it holds a pad lets go of it (server.py)
    client.learning = n if on else (None if getattr(client, "learning", None) == n else client.learning)


def _forget(view, client, m):
    _session_hook(view, "pad_forget", "forget")(_pad_number(m, "forget"))


def _name(view, client, m):
    n = _pad_number(m, "name")
    name = _field(m, "name", (str,), "a name of 1..40 printable characters")
    try:
        _session_hook(view, "pad_name", "name")(n, name)
    except ValueError as e:
        raise BadMessage("out_of_range", f"name: {e}") from None


def _hold(view, client, m):
    view.trigger.hold = _field(m, "on", (bool,), "true or false")


def _loop(view, client, m):
    action = _field(m, "action", (str,), "a looper action")
    if action not in PAGE_LOOP_ACTIONS:
        raise BadMessage("out_of_range", f"loop: action must be one of {', '.join(PAGE_LOOP_ACTIONS)}, "
                                         f"got {_show(action)}")
    hook = view.hooks.get("loop")
    if hook is not None:
        hook(action)
    else:
        view.engine.loop(0, action)


def _stop(view, client, m):
    view.trigger.stop_all()


def _resync(view, client, m):
    client.resync()


#: Sounds a page may ask for at once (the map's and the library's each).
MAX_SIMILAR = 100


def _similar(view, client, m):
    i = _field(m, "i", (int,), "a snippet index")
    n = _field(m, "n", (int,), f"a count 1..{MAX_SIMILAR}") if "n" in m else 8
    if not 0 <= i < MAX_SNIPPETS:
        raise BadMessage("out_of_range", f"similar: i must be in 0..{MAX_SNIPPETS - 1}, got {i}")
    if not 1 <= n <= MAX_SIMILAR:
        raise BadMessage("out_of_range", f"similar: n must be in 1..{MAX_SIMILAR}, got {n}")
    hook = view.hooks.get("similar")
    if hook is None:
        raise BadMessage("unsupported", "similar: this engine has no search by example")

    def done(found):  # on the search's worker: the answer crosses to the web thread
        view.answer(client, {"t": "similar", "i": i, "near": [int(j) for where, j, _, _ in found if where == "map"],
                             "library": [[name, round(float(d), 3)] for where, _, d, name in found
                                         if where == "library"]})

    def failed(e):
        view.errors.count("similar_failed", _line(f"similar {i}: {e}"))

    if not hook(i, n, done, failed):
        view.errors.count("similar_busy", f"similar {i}: too many searches wait; this one is dropped")


_HANDLERS = {"snippet": _snippet, "xy": _xy, "key": _key, "pad": _pad, "record": _record, "hold": _hold,
             "loop": _loop, "stop": _stop, "resync": _resync, "learn": _learn, "forget": _forget,
             "name": _name, "similar": _similar}


def loop_state(engine):
    """Track 0 of the looper for the page's loop buttons: state, muted, seconds."""
    try:
        loops = engine.loops()
    except Exception:  # the status line must not depend on the looper's shape
        return None
    t = loops["tracks"][0] if loops.get("tracks") else {}
    return {"state": t.get("state"), "muted": t.get("muted"), "writing": t.get("writing"),
            "seconds": loops["length"] / engine.config.samplerate}
