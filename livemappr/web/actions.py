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
    {"t": "hold", "on": true}               hold mode: a held key steps through its cluster
    {"t": "loop", "action": "record"}       looper track 0 (record, stop_record, play, mute, ...)
    {"t": "stop"}                           silence every voice
    {"t": "resync"}                         send the whole map again

Anything else (not JSON, not an object, an unknown type, a value out of
range, binary data) is counted by kind in ``WebView.errors`` and ignored,
never answered: a broken or hostile page cannot slow the engine or the
other clients.
"""

import json

from livemappr.control.addresses import MAX_CLUSTERS
from livemappr.audio.engine import LOOP_ACTIONS
from livemappr.errors import CommandQueueFull

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
        if isinstance(message, bytes):
            raise BadMessage("binary", f"binary message of {len(message)} bytes (the page sends JSON text)")
        try:
            m = json.loads(message)
        except ValueError as e:
            raise BadMessage("malformed", f"not JSON: {e}") from None
        if not isinstance(m, dict):
            raise BadMessage("malformed", f"message must be a JSON object, got {type(m).__name__}")
        kind = m.get("t")
        fn = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if fn is None:
            raise BadMessage("unknown_message", f"t must be one of {', '.join(_HANDLERS)}, got {kind!r}")
        fn(view, client, m)
    except BadMessage as e:
        view.errors.count(e.kind, str(e))
    except (ValueError, TypeError) as e:  # the trigger's range checks name the field and the range
        view.errors.count("out_of_range", str(e))
    except CommandQueueFull as e:
        view.errors.count("queue_full", str(e))


def _field(m, name, types, what):
    value = m.get(name)
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        raise BadMessage("wrong_argument_type", f"{m.get('t')}: {name} must be {what}, got {value!r}")
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
        raise BadMessage("out_of_range", f"key: k must be a letter a-z, got {k!r}")
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


def _hold(view, client, m):
    view.trigger.hold = _field(m, "on", (bool,), "true or false")


def _loop(view, client, m):
    action = _field(m, "action", (str,), "a looper action")
    if action not in PAGE_LOOP_ACTIONS:
        raise BadMessage("out_of_range", f"loop: action must be one of {', '.join(PAGE_LOOP_ACTIONS)}, "
                                         f"got {action!r}")
    hook = view.hooks.get("loop")
    if hook is not None:
        hook(action)
    else:
        view.engine.loop(0, action)


def _stop(view, client, m):
    view.trigger.stop_all()


def _resync(view, client, m):
    client.resync()


_HANDLERS = {"snippet": _snippet, "xy": _xy, "key": _key, "pad": _pad, "record": _record, "hold": _hold,
             "loop": _loop, "stop": _stop, "resync": _resync}


def loop_state(engine):
    """Track 0 of the looper for the page's loop buttons: state, muted, seconds."""
    try:
        loops = engine.loops()
    except Exception:  # the status line must not depend on the looper's shape
        return None
    t = loops["tracks"][0] if loops.get("tracks") else {}
    return {"state": t.get("state"), "muted": t.get("muted"), "writing": t.get("writing"),
            "seconds": loops["length"] / engine.config.samplerate}
