"""The OSC server: UDP datagrams to the trigger path, bad input counted.

Runs on: the OSC server thread (one thread: receive, parse, dispatch).

Every inbound address is dispatched from the table in
:mod:`livemappr.control.addresses` to ``_on_<action>``. Numbers are accepted
as ints or floats wherever an int is meant (TouchOSC and Pure Data send every
number as a float). Bundles are unpacked here rather than by python-osc's
packet class (which logs per malformed element): a bundle whose timetag lies
in the future plays its hits at that time, sample-accurately, up to
:data:`livemappr.control.trigger.MAX_AHEAD_SECONDS` ahead (further is
refused and counted as ``too_far_ahead``); a past or "immediately" timetag
plays at once.

Slow work does not run on the receive thread: ``/livemappr/export`` is handed
to the Transport's background worker (:mod:`livemappr.control.background`),
so a burst of exports cannot delay the plays behind it.

Who can reach the port: the server binds ``0.0.0.0:8000`` by default so the
performer's phone on the LAN can play. Datagrams from addresses outside the
allow-list are dropped and counted (``not_allowed``) before any parsing. The
default list admits loopback and private networks (10/8, 172.16/12,
192.168/16, 169.254/16, fc00::/7, fe80::/10) and so never a public address;
pass ``allow=["192.168.1.23"]`` (addresses or networks) to admit only your
phone, or bind ``host="127.0.0.1"`` to admit only this machine. OSC has no
authentication: anyone admitted can play and can subscribe to feedback.
"""

import socket
import struct
import threading

from pythonosc.osc_message import OscMessage

from livemappr.control import addresses as _a
from livemappr.control.allowlist import DEFAULT_ALLOW, AllowList  # noqa: F401 (DEFAULT_ALLOW: public here too)
from livemappr.control import feedback as _fb
from livemappr.control.feedback import Feedback
from livemappr.control.report import ErrorCounts
from livemappr.control.trigger import TooFarAhead
from livemappr.control.priority import raise_priority
from livemappr.validate import number, whole
from livemappr.errors import CommandQueueFull
from livemappr.threads import Daemon

_NTP_EPOCH = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)
_IMMEDIATELY = 1
MAX_BUNDLE_DEPTH = 8
MAX_PATH = 4096  # the longest path a search by file takes
_FLAG_WORDS = {"on": True, "off": False, "true": True, "false": False}


class BadInput(Exception):
    """A datagram or message the server rejects; ``kind`` is what gets counted."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


_FIXED = {ord(t): n for t, n in zip("ifcrmdht", (4, 4, 4, 4, 4, 8, 8, 8))}
_SIZED = {ord(t) for t in "sSb"}  # at least 4 bytes each


def _check_argument_bytes(data):
    """Raise unless the datagram holds the bytes its type tags promise.

    python-osc reads a truncated float as 0.0; a cut-off "play cluster 3"
    must not play cluster 0.
    """
    end = data.find(b"\0")
    i = (end // 4 + 1) * 4
    if end < 0 or i >= len(data) or data[i] != ord(","):
        return  # no type tags: an old-style message without arguments
    tend = data.find(b"\0", i)
    if tend < 0:
        raise BadInput("malformed", "type tag string is not terminated")
    need = sum(_FIXED.get(t, 4 if t in _SIZED else 0) for t in data[i + 1:tend])
    have = len(data) - (tend // 4 + 1) * 4
    if have < need:
        raise BadInput("malformed", f"arguments need at least {need} bytes, the datagram has {have}")


def parse_packet(data, timetag=None, depth=0):
    """The messages in a datagram as ``[(wall_time or None, OscMessage)]``.

    ``wall_time`` is a bundle's timetag in ``time.time()`` seconds, None for
    plain messages and "immediately". Raises :class:`BadInput` ("malformed").
    """
    if data.startswith(b"#bundle\x00"):
        if depth >= MAX_BUNDLE_DEPTH:
            raise BadInput("malformed", f"bundles nested deeper than {MAX_BUNDLE_DEPTH}")
        if len(data) < 16:
            raise BadInput("malformed", f"bundle of {len(data)} bytes has no timetag")
        (ntp,) = struct.unpack_from(">Q", data, 8)
        tag = None if ntp == _IMMEDIATELY else (ntp >> 32) - _NTP_EPOCH + (ntp & 0xFFFFFFFF) / 2.0**32
        out, i = [], 16
        while i < len(data):
            if i + 4 > len(data):
                raise BadInput("malformed", "bundle element size truncated")
            (size,) = struct.unpack_from(">i", data, i)
            if size <= 0 or size % 4 or i + 4 + size > len(data):
                raise BadInput("malformed", f"bundle element size {size} does not fit the {len(data)}-byte datagram")
            out += parse_packet(data[i + 4:i + 4 + size], tag, depth + 1)
            i += 4 + size
        return out
    if len(data) % 4:
        # OSC pads everything to 4 bytes: a datagram that is not a multiple of
        # 4 was cut short, and python-osc would read short numbers leniently.
        raise BadInput("malformed", f"datagram of {len(data)} bytes is not a multiple of 4")
    if not data.startswith(b"/"):
        raise BadInput("malformed", f"datagram starts with {data[:8]!r}, not an OSC address or #bundle")
    _check_argument_bytes(data)
    try:
        msg = OscMessage(data)
        msg.address  # noqa: B018 -- parse errors surface here
    except Exception as e:  # python-osc raises several types on garbage
        raise BadInput("malformed", f"unparsable message: {e}") from None
    return [(timetag, msg)]


def convert_args(address, params):
    """Check and convert ``params`` against the table's argument spec.

    Raises :class:`BadInput` with kind ``wrong_argument_count``,
    ``wrong_argument_type`` or ``out_of_range``; the message names the
    address, the argument, the value and what is allowed.
    """
    spec = address.args
    required = sum(1 for a in spec if not a.optional)
    if not required <= len(params) <= len(spec):
        want = str(required) if required == len(spec) else f"{required}..{len(spec)}"
        raise BadInput("wrong_argument_count",
                       f"{address.path} takes {want} argument(s), got {len(params)}")
    out = []
    for arg, value in zip(spec, params):
        name = f"{address.path} {arg.name}"
        if arg.kind == "flag" and isinstance(value, str) and value.lower() in _FLAG_WORDS:
            out.append(_FLAG_WORDS[value.lower()])  # "/livemappr/record on" as docs/osc.md writes it
            continue
        if arg.kind == "ref" and isinstance(value, str):
            if not value or len(value) > MAX_PATH:
                raise BadInput("out_of_range", f"{name} must be a snippet id or a path of 1..{MAX_PATH} "
                                               f"characters, got {len(value)} characters")
            out.append(value)
            continue
        if arg.kind == "str" or (arg.kind == "name" and isinstance(value, str)):
            if not isinstance(value, str):
                raise BadInput("wrong_argument_type", f"{name} must be a string, got {value!r}")
            out.append(value)
            continue
        if isinstance(value, (str, bytes, bytearray, tuple, list)) or value is None:
            raise BadInput("wrong_argument_type", f"{name} must be a number, got {value!r}")
        try:
            if arg.kind == "flag":
                out.append(float(value) != 0.0)
            elif arg.kind == "ref":
                out.append(whole(name, value, 0, _a.MAX_SNIPPETS - 1))
            elif arg.kind in ("int", "name"):
                hi = len(arg.choices) - 1 if arg.kind == "name" else arg.hi
                out.append(whole(name, value, int(arg.lo or 0), None if hi is None else int(hi)))
            else:
                out.append(number(name, value, arg.lo, arg.hi))
        except (ValueError, TypeError, OverflowError) as e:
            raise BadInput("out_of_range", str(e)) from None
    out += [a.default for a in spec[len(params):]]
    return out


#: Bytes of file names one ``/livemappr/similar/library`` message carries at most
#: (a few sounds each: far under any UDP datagram's limit).
LIBRARY_CHUNK_BYTES = 8192


def similar_answer(query, found):
    """The datagrams answering ``/livemappr/similar query``: the map's sounds in one message,
    the library's in as few as fit :data:`LIBRARY_CHUNK_BYTES` each, then ``done``.

    ``found`` is a list of ``(where, id, distance, name)``, nearest first within each ``where``.
    Few datagrams rather than one a sound: a burst of hundreds would overflow a client's
    receive buffer (UDP drops what does not fit).
    """
    on_map = [(int(i), float(d)) for where, i, d, _ in found if where == "map"]
    in_library = [(int(i), float(d), str(name)) for where, i, d, name in found if where == "library"]
    out = [_fb.message("/livemappr/similar/map", query, *[v for pair in on_map for v in pair])]
    first = 0
    while first < len(in_library):
        args, size = [], 0
        for i, d, name in in_library[first:]:
            if args and size + len(name.encode()) > LIBRARY_CHUNK_BYTES:
                break
            args += [i, d, name]
            size += len(name.encode()) + 16
        out.append(_fb.message("/livemappr/similar/library", query, first + 1, *args))
        first += len(args) // 3
    return out + [_fb.message("/livemappr/similar/done", query, len(on_map), len(in_library))]


class OscServer:
    """Receive OSC on UDP and play through the trigger path.

    Parameters
    ----------
    trigger : livemappr.control.trigger.Trigger
    host : str, default "0.0.0.0"
    port : int, default 8000
        0 picks a free port (see :attr:`port`).
    allow : sequence of str, optional
        Client addresses or networks admitted; default
        :data:`livemappr.control.allowlist.DEFAULT_ALLOW`.
    errors : ErrorCounts, optional
    hooks : dict, optional
        ``"record"``: callable(bool); ``"midi_learn"``: callable(target, n).
    transport : livemappr.control.transport.Transport, optional
        Handles the Time and loops addresses and adds their feedback.
    feedback_interval : float
        Seconds between feedback looks.
    priority : int
        SCHED_FIFO priority of the server thread (see
        :mod:`livemappr.control.priority`); 0 for none.
    """

    def __init__(self, trigger, *, host="0.0.0.0", port=8000, allow=None, errors=None, hooks=None,
                 feedback_interval=0.05, priority=1, transport=None):
        self.trigger = trigger
        self.errors = errors or ErrorCounts()
        self.hooks = dict(hooks or {})
        self._allow = AllowList(allow)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # ride out bursts
        self.sock.bind((host, port))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.record = False
        self.received = 0
        self.priority = priority
        self.realtime = False
        self.feedback = Feedback(self.sock, trigger, self.errors, interval=feedback_interval,
                                 record=lambda: self.record)
        self.transport = transport
        if transport is not None:
            self.feedback.loop_position = transport.loop_position
            self.feedback.extras.append(transport.feedback)
            self.feedback.extras_full.append(transport.full_feedback)
        self._thread = Daemon("livemappr-osc", self.serve,
                              on_error=lambda message: self.errors.count("osc_thread", message))
        self._stop = self._thread.stopping

    # -- lifecycle ------------------------------------------------------------------
    def start(self):
        """Start the server thread and the feedback thread. Returns self."""
        self._thread.start()
        self.feedback.start()
        return self

    def close(self):
        self._thread.stop()
        self.feedback.close()
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def serve(self):
        """Receive and handle datagrams until :meth:`close`."""
        self.realtime = raise_priority("OSC server", self.priority)
        while not self._stop.is_set():
            try:
                data, client = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                self.errors.count("socket", "receive failed")
                continue
            self.handle(data, client)

    # -- one datagram ---------------------------------------------------------------
    def allowed(self, host):
        return self._allow.admits(host)

    def handle(self, data, client):
        """Handle one datagram from ``client`` (host, port); never raises."""
        self.received += 1
        if not self.allowed(client[0]):
            self.errors.count("not_allowed", f"datagram from {client[0]}, which is not in the allow-list")
            return
        try:
            messages = parse_packet(data)
        except BadInput as e:
            self.errors.count(e.kind, str(e))
            return
        for wall, msg in messages:
            try:
                self.dispatch(msg.address, msg.params, client, wall)
            except BadInput as e:
                self.errors.count(e.kind, str(e))
            except CommandQueueFull as e:
                self.errors.count("queue_full", str(e))
            except TooFarAhead as e:  # a timetag beyond the look-ahead horizon
                self.errors.count(e.kind, str(e))
            except ValueError as e:  # the trigger's range checks
                self.errors.count("out_of_range", str(e))
            except Exception as e:  # noqa: BLE001 -- a surface must outlive its bugs
                self.errors.count("internal", f"{type(e).__name__}: {e}")

    def dispatch(self, path, params, client, wall=None):
        address, n = _a.lookup(path)
        if address is None:
            raise BadInput("unknown_address", f"no such address {path!r} (see patches/README.md)")
        if n is not None and not 0 <= n < _a.PADS:
            raise BadInput("out_of_range", f"{address.path} n must be in 0..{_a.PADS - 1}, got {n}")
        args = convert_args(address, params)
        getattr(self, "_on_" + address.action)(args, n=n, client=client, wall=wall, path=path)

    # -- handlers (names from the table's ``action``) -------------------------------
    def _on_play_cluster(self, args, wall, **_):
        self.trigger.play_cluster(args[0], args[1], wall=wall)

    def _on_release_cluster(self, args, wall, **_):
        self.trigger.release(("osc", args[0]), wall=wall)

    def _on_pad(self, args, n, wall, **_):
        if args[0] > 0:
            self.trigger.play_cluster(n, args[0], key=("osc", n), wall=wall)
        else:
            self.trigger.release(("osc", n), wall=wall)

    def _on_pad_learn(self, args, n, **_):
        self._hook("pad_learn", n, args[0])

    def _on_pad_forget(self, args, n, **_):
        self._hook("pad_forget", n)

    def _on_pad_name(self, args, n, **_):
        self._hook("pad_name", n, args[0])

    def _on_voice(self, args, **_):
        self._hook("voice", args[0])

    def _on_xy(self, args, wall, **_):
        self.trigger.play_xy(args[0], args[1], args[2], wall=wall)

    def _on_play_snippet(self, args, wall, **_):
        self.trigger.play_snippet(args[0], args[1], wall=wall)

    def _on_similar(self, args, **_):
        sound, n = args
        query = str(sound)

        def done(found):
            self.feedback.tell(similar_answer(query, found))

        self._ask("similar", query, sound, n, done)

    def _on_similar_play(self, args, **_):
        sound, rank, velocity = args
        query = str(sound)

        def done(hit):
            where, i, distance, name = hit
            self.feedback.tell([_fb.message("/livemappr/similar/played", query, where, int(i), float(distance),
                                            name)])

        self._ask("similar_play", query, sound, rank, velocity, done)

    def _ask(self, hook, query, *args):
        """Hand a search to the session (it runs on a worker, answered through ``done``)."""
        def failed(e):
            text = f"{query[:80]}: {e}"
            self.errors.count("similar_failed", text)
            self.feedback.tell([_fb.message("/livemappr/similar/failed", query[:200], str(e)[:200])])

        if self.hooks.get(hook) is None:
            self.errors.count("not_wired", f"{hook}: nothing in this session handles it yet")
        elif not self.hooks[hook](*args, failed):
            self.errors.count("similar_busy", f"{hook} {query[:80]}: too many searches wait; this one is dropped")

    def _on_stop(self, args, **_):
        self.trigger.stop_all()

    def _on_choice(self, args, **_):
        self.trigger.set_choice(args[0])

    def _on_select(self, args, **_):
        self.trigger.set_selector(args[0])

    def _on_retrigger(self, args, **_):
        self.trigger.set_retrigger(args[0])

    def _on_gate(self, args, **_):
        self.trigger.gate = args[0]

    def _on_hold(self, args, **_):
        self.trigger.hold = args[0]

    def _on_volume(self, args, **_):
        self.trigger.set_volume(args[0])

    def _on_rate(self, args, **_):
        self.trigger.set_rate(args[0])

    def _on_midi_learn(self, args, **_):
        self._hook("midi_learn", *args)

    def _on_record(self, args, **_):
        self.record = args[0]
        self._hook("record", args[0])
        self.feedback.record_changed()

    def _on_subscribe(self, args, client, **_):
        if not self.feedback.subscribe((client[0], args[0])):
            self.errors.count("too_many_subscribers", f"{len(self.feedback.subscribers)} already subscribed")

    def _on_unsubscribe(self, args, client, **_):
        self.feedback.unsubscribe((client[0], args[0]))

    def _on_time(self, args, path, n, **_):
        if self.transport is None:
            self.errors.count("not_wired", f"{path}: no tempo clock or looper in this session")
            return
        self.transport.osc(path, n, args)

    def _hook(self, name, *args):
        hook = self.hooks.get(name)
        if hook is None:
            self.errors.count("not_wired", f"{name}: nothing in this session handles it yet")
            return
        hook(*args)
