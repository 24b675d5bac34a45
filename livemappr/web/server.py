"""The web view's server: one page over HTTP, the live map over a WebSocket.

Runs on: its own thread, ``livemappr-web``, with its own asyncio event loop.
Nothing here runs on, or waits for, the audio thread or the other control
threads: it reads the published map snapshot (one reference, no lock), the
engine's meters and a capture-ring reader of its own, and every action from
the page goes through the same :class:`~livemappr.control.trigger.Trigger`
as OSC and MIDI (a lock held for microseconds, then the lock-free command
queue).

Who can connect: the server binds ``0.0.0.0:8080`` by default so a phone on
the LAN can play, and admits only the OSC server's allow-list (loopback and
private networks; see :mod:`livemappr.control.osc`): requests from other
addresses get 403 before anything else. A request must name this server in
its one ``Host`` header (:mod:`livemappr.web.hosts`: loopback, this
machine's names and addresses, what the user allowed), so a DNS-rebinding
page (``Host: evil.example:8080``) gets 403 and neither the page nor the
WebSocket. A WebSocket whose ``Origin`` is not the page's own host is refused
too, so a web page elsewhere cannot play the instrument through a
performer's browser. docs/web.md is the contract.

How many: at most ``max_clients`` WebSocket clients (32 by default; the
next gets 503) and ``max_clients + 16`` open connections in all (page loads
and handshakes under way; the next is cut as soon as it is accepted), so a
flood of connections holds a bounded number of file descriptors and the
session can still write its files. Every refusal and every bad message is
counted by kind in :attr:`WebView.errors`: the first of a kind is one log
line, later ones are summed in one line every ``REPORT_SECONDS``; no
exception at the WebSocket boundary becomes a traceback.

Load: map frames go out at most ``max_rate`` times a second, encoded once
for every client (:mod:`livemappr.web.frames`). Each client has an outbox of
its own; a client that falls behind gets its queued map frames replaced by
one full frame at send time, and a client whose outbox passes
``max_pending_bytes`` or whose send has been stuck ``stall_seconds`` (one
that connects and never reads) is dropped, so memory stays bounded
whatever clients do.
"""

import asyncio
import collections
import json
import logging
import socket
import threading
import time
import urllib.parse

from livemappr.control.allowlist import AllowList
from livemappr.control.report import ErrorCounts
from livemappr.errors import UsageError
from livemappr.threads import Daemon
from livemappr.web import actions
from livemappr.web.frames import MapState, Peaks, cluster_names, plain
from livemappr.web.hosts import HostList, same_origin, split_host
from livemappr.web.oneline import OneLineLog, one_line, shown
from livemappr.web.page import live_page

log = logging.getLogger("livemappr.web")
SEND_BUFFER = 1 << 18
#: WebSocket clients at once, by default (a room of phones; ``max_clients``).
MAX_CLIENTS = 32
#: Connections beyond the clients: page loads and handshakes under way.
SPARE_CONNECTIONS = 16
#: Connections the kernel queues for accepting (and so the most accepted in one go).
BACKLOG = 16
#: Seconds between the summary lines of refusals and bad input (the first of each kind is logged at once).
REPORT_SECONDS = 10.0
_FULL = object()  # outbox sentinel: the current full map frame, made at send time


class _Client:
    def __init__(self, ws, number):
        self.ws = ws
        self.number = number
        self.outbox = collections.deque()
        self.pending = 0
        self.map_queued = 0
        self.wake = asyncio.Event()
        self.send_started = None
        self.held = set()
        self.learning = None  # the pad this page holds for teaching
        self.dropped = False

    def push(self, message, is_map=False):
        if is_map:
            self.map_queued += 1
        self.outbox.append((message, is_map))
        self.pending += len(message) if message is not _FULL else 0
        self.wake.set()

    def resync(self):
        """Forget queued map frames; one full frame, made when it goes out, replaces them."""
        kept = [(m, is_map) for m, is_map in self.outbox if not is_map]
        self.outbox = collections.deque(kept)
        self.pending = sum(len(m) for m, _ in kept)
        self.map_queued = 0
        self.push(_FULL, is_map=True)


class WebView:
    """Serve the live map page and play from it.

    Parameters
    ----------
    trigger : livemappr.control.trigger.Trigger
        The session's trigger (``Surfaces.trigger``); its ``snapshots`` are the map shown.
    status : callable() -> dict, optional
        What the status line shows (``Session.status``, plus ``recording``).
    hooks : dict, optional
        ``record(on)`` and ``loop(action)``; without ``loop``, loop actions
        go to the engine's looper track 0.
    host : str
        Bind address; "0.0.0.0" (the LAN) by default, "127.0.0.1" for this machine only.
    port : int
        TCP port, 8080 by default; 0 picks a free one (see :attr:`port`).
    allow : sequence of str, optional
        Client addresses or networks admitted; default the OSC server's list.
    max_rate : float
        Map updates per second at most (1..60).
    max_pending_bytes : int
        Outbox size at which a client is dropped.
    stall_seconds : float
        How long one send may wait for a client that does not read before it is dropped.
    ping_seconds : float
        Keepalive: a ping every ``ping_seconds``; a client that has not
        answered within ``ping_seconds`` more is dropped (a phone gone to
        sleep, a client that never reads while the map is too small to fill
        its buffers).
    peaks_per_second : int
        Bars of the waveform strip per second of input (0: no strip).
    max_clients : int
        WebSocket clients at once (1..1000, default :data:`MAX_CLIENTS`); the
        next gets 503 until one leaves. Open connections of any kind are
        capped at ``max_clients + SPARE_CONNECTIONS``.
    hosts : sequence of str, optional
        Names (or addresses) a request's ``Host`` may give besides loopback,
        this machine's names and addresses and address literals in ``allow``
        (see :mod:`livemappr.web.hosts`), e.g. a name the LAN's DNS gives this machine.
    """

    def __init__(self, trigger, *, status=None, hooks=None, host="0.0.0.0", port=8080, allow=None,
                 max_rate=30.0, max_pending_bytes=1 << 20, stall_seconds=5.0, ping_seconds=10.0, peaks_per_second=20,
                 max_clients=MAX_CLIENTS, hosts=None):
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise UsageError(f"web port must be in 0..65535 (0: any free port), got {port!r}")
        if not 1.0 <= float(max_rate) <= 60.0:
            raise UsageError(f"web max_rate must be in 1..60 updates per second, got {max_rate!r}")
        try:
            self._allow = AllowList(allow)
        except ValueError as e:
            raise UsageError(f"web allow-list: {e} (addresses or networks, e.g. 192.168.1.23 or 10.0.0.0/8)") from None
        if isinstance(max_clients, bool) or not isinstance(max_clients, int) or not 1 <= max_clients <= 1000:
            raise UsageError(f"web max_clients must be a whole number in 1..1000, got {max_clients!r}")
        if isinstance(hosts, str):
            hosts = [hosts]
        try:
            self._hosts = HostList(self._allow, host, hosts)
        except (TypeError, ValueError) as e:
            raise UsageError(f"web hosts: {e} (names or addresses this machine is reached by, e.g. stage.lan)") from None
        self.max_clients = max_clients
        self.max_connections = max_clients + SPARE_CONNECTIONS
        self.trigger = trigger
        self.engine = trigger.engine
        self.status = status
        self.hooks = dict(hooks or {})
        self.host, self.port = host, port
        self.max_rate = float(max_rate)
        self.max_pending_bytes = int(max_pending_bytes)
        self.stall_seconds = float(stall_seconds)
        self.ping_seconds = float(ping_seconds)
        self.errors = ErrorCounts()
        self.stats = collections.Counter()  # clients, dropped, map_frames, messages
        self._peaks_per_second = int(peaks_per_second)
        self._peaks = None
        if self._peaks_per_second:
            sr = self.engine.config.samplerate
            self._peaks = Peaks(self.engine.ring_reader(0), max(1, sr // self._peaks_per_second))
        self._map = MapState()
        self._names = "{}"  # the cluster names last sent (JSON of frames.cluster_names)
        self._last_status = None
        self._page = live_page().encode()
        self._clients = set()
        self._connections = 0  # open TCP connections, any state
        self._reported = {}  # error counts at the last summary line
        self._numbers = 0
        self._thread = Daemon("livemappr-web", self._run)
        self._loop = None
        self._stopping = None
        self._ready = threading.Event()
        self._failure = None

    # -- main thread ------------------------------------------------------------------
    def start(self, timeout=10.0):
        """Bind and serve on the ``livemappr-web`` thread. Returns self.

        Raises
        ------
        UsageError
            When the address cannot be bound (port in use, no such address).
        """
        self._thread.start()
        if not self._ready.wait(timeout) or self._failure is not None:
            self._thread.stop(timeout)
            raise UsageError(f"cannot serve the web view on {self.host}:{self.port}: "
                             f"{self._failure or 'timed out'} (choose another --web-port or --web-host)")
        return self

    def close(self):
        """Drop every client and stop the thread."""
        loop, stopping = self._loop, self._stopping
        if self._thread.alive and loop is not None and stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        self._thread.stop()

    stop = close

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    @property
    def url(self):
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"http://{host}:{self.port}/"

    @property
    def clients(self):
        return len(self._clients)

    # -- the web thread -----------------------------------------------------------------
    def _run(self):
        try:
            asyncio.run(self._main())
        except Exception as e:  # reported to start(); after start, the Daemon logs it
            if self._ready.is_set():
                raise
            self._failure = e
            self._ready.set()

    async def _main(self):
        from websockets.asyncio.server import ServerConnection, serve

        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(self._loop_error)
        self._stopping = asyncio.Event()
        view = self

        class Counted(ServerConnection):
            """A connection that counts itself, and is cut at once when there are too many."""

            counted = False

            def connection_made(self, transport):
                super().connection_made(transport)
                view._connections += 1
                self.counted = True
                if view._connections > view.max_connections:
                    view.errors.count("too_many_connections",
                                      f"more than {view.max_connections} connections open; new ones are cut "
                                      f"(web max_clients {view.max_clients})")
                    transport.abort()

            def connection_lost(self, exc):
                if self.counted:
                    self.counted = False
                    view._connections -= 1
                super().connection_lost(exc)

        async with serve(self._serve_client, self.host, self.port, process_request=self._http,
                         create_connection=Counted, backlog=BACKLOG,
                         max_size=4096, max_queue=8, write_limit=1 << 16, compression=None,
                         ping_interval=self.ping_seconds, ping_timeout=self.ping_seconds, close_timeout=1,
                         logger=OneLineLog(log, self.errors)) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            ticker = asyncio.create_task(self._tick())
            await self._stopping.wait()
            ticker.cancel()
            for c in list(self._clients):
                self._drop(c, None)
            # Whatever is still open (a handshake under way, a dropped client's
            # socket still flushing to a peer that never reads) goes now:
            # closing politely would wait on those peers.
            for connection in list(getattr(server, "all_connections", ())):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
            server.close(close_connections=False)

    def allowed(self, host):
        return self._allow.admits(host)

    def _http(self, connection, request):
        """Plain GETs get the page; ``/ws`` goes on to the WebSocket handshake. Never raises."""
        try:
            return self._gate(connection, request)
        except Exception as e:  # whatever a request holds, one line and a 400
            self.errors.count("bad_request", f"request refused: {one_line(e)}")
            return connection.respond(400, "bad request\n")

    def _gate(self, connection, request):
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        peer = connection.remote_address[0] if connection.remote_address else ""
        if not self.allowed(peer):
            self.errors.count("not_allowed", f"request from {peer}, which is not in the allow-list")
            return connection.respond(403, "not in this livemappr's allow-list\n")
        hosts = request.headers.get_all("Host")
        if len(hosts) != 1:
            self.errors.count("bad_request", f"request from {peer} with {len(hosts)} Host headers (one is HTTP/1.1)")
            return connection.respond(400, "one Host header, please\n")
        host = split_host(hosts[0])
        local = connection.local_address[0] if connection.local_address else None
        if host is None or not self._hosts.admits(host[0], local):
            self.errors.count("bad_host", f"request from {peer} for {shown(hosts[0])}, which is not a name of this "
                                          "server (a DNS-rebinding page?); a name of yours goes in the web hosts list")
            return connection.respond(403, "this livemappr answers only to its own names\n")
        path = urllib.parse.urlsplit(request.path).path
        if path == "/ws":
            origins = request.headers.get_all("Origin")
            if len(origins) > 1:
                self.errors.count("bad_request", f"WebSocket from {peer} with {len(origins)} Origin headers")
                return connection.respond(400, "one Origin header, please\n")
            if origins and not same_origin(origins[0], host):
                self.errors.count("bad_origin", f"WebSocket from a page at {shown(origins[0])}, not this server's own")
                return connection.respond(403, "only this livemappr's own page may connect\n")
            if len(self._clients) >= self.max_clients:
                self.errors.count("too_many_clients", f"{self.max_clients} pages are connected already (web "
                                                      "max_clients); the next waits until one leaves")
                return connection.respond(503, "too many pages connected; try again later\n")
            return None
        if path in ("/", "/index.html"):
            headers = Headers([("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                               ("Content-Length", str(len(self._page)))])
            return Response(200, "OK", headers, self._page)
        if path == "/favicon.ico":
            return Response(204, "No Content", Headers([("Content-Length", "0")]), b"")
        return connection.respond(404, "livemappr serves / and /ws\n")

    async def _serve_client(self, ws):
        from websockets.exceptions import ConnectionClosed

        if len(self._clients) >= self.max_clients:  # handshakes that passed the check together
            self.errors.count("too_many_clients", f"{self.max_clients} pages are connected already (web "
                                                  "max_clients); the next waits until one leaves")
            ws.transport.abort()
            return
        self._numbers += 1
        c = _Client(ws, self._numbers)
        writer = None
        try:
            sock = ws.transport.get_extra_info("socket")
            if sock is not None:
                # The kernel would otherwise buffer megabytes for a client that
                # never reads (loopback and LAN send buffers grow to 4 MB): a
                # small one makes such a client block its sends, which is what
                # the stall check sees. 256 kB is seconds of map at LAN speed.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
            if not self._clients:  # the tick left the map alone while nobody watched
                snap = self.trigger.snapshots.get()
                if snap.version != self._map.version:
                    self._map.update(snap.unit, snap.cluster_ids, snap.version)
                    self._names_of(snap)
            self._clients.add(c)
            self.stats["clients"] += 1
            for message in self._welcome():
                c.push(message)
            c.push(self._map.full(), is_map=True)
            writer = asyncio.create_task(self._write(c))
            async for message in ws:
                self.stats["messages"] += 1
                actions.handle(self, c, message)
        except ConnectionClosed as e:
            if getattr(e.sent, "reason", "") == "keepalive ping timeout":
                self._drop(c, f"client {c.number} did not answer a ping in {self.ping_seconds:g} s")
        except Exception as e:  # one line, and only this client goes
            self.errors.count("client_failed", f"client {c.number}: {one_line(e)}")
            self._drop(c, None)
        finally:
            self._clients.discard(c)
            if writer is not None:
                writer.cancel()
            for key in c.held:
                try:
                    self.trigger.release(key)
                except Exception as e:
                    self.errors.count("client_failed", f"client {c.number}: releasing {key}: {one_line(e)}")
            hook = self.hooks.get("pad_learn")
            if c.learning is not None and hook is not None:
                try:
                    hook(c.learning, False)  # a page gone mid-hold stops teaching its pad
                except Exception as e:
                    self.errors.count("client_failed", f"client {c.number}: letting go of pad {c.learning}: "
                                                       f"{one_line(e)}")

    async def _write(self, c):
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                await c.wake.wait()
                c.wake.clear()
                while c.outbox:
                    message, is_map = c.outbox.popleft()
                    if is_map:
                        c.map_queued -= 1
                    if message is _FULL:
                        message = self._map.full()
                    else:
                        c.pending -= len(message)
                    c.send_started = time.monotonic()
                    await c.ws.send(message)
                    c.send_started = None
        except ConnectionClosed:
            pass
        except Exception as e:  # one line, and only this client goes
            self.errors.count("client_failed", f"sending to client {c.number}: {one_line(e)}")
            self._drop(c, None)

    def _loop_error(self, loop, context):
        """The event loop's errors (an accept that found no file descriptor, a task that
        failed): counted, one line, never a traceback."""
        exc = context.get("exception")
        what = context.get("message") or "event loop error"
        self.errors.count("server_error", f"{what}: {one_line(exc)}" if exc is not None else what)

    def _report(self):
        """One line for what was counted since the last (beyond each kind's first, logged already)."""
        now = self.errors.counts()
        grew = {k: n - self._reported.get(k, 1) for k, n in now.items() if n - self._reported.get(k, 1) > 0}
        self._reported = now
        if grew:
            log.warning("web: in the last %g s also %s", REPORT_SECONDS,
                        ", ".join(f"{k} {n}" for k, n in sorted(grew.items())))

    def _drop(self, c, why):
        if c.dropped:
            return
        c.dropped = True
        if why:
            self.stats["dropped"] += 1
            self.errors.count("slow_client", why)
        transport = getattr(c.ws, "transport", None)
        if transport is not None:
            transport.abort()  # a close handshake would wait on the same full buffer

    def answer(self, client, message):
        """Send ``message`` (a dict, as JSON) to one page, from any thread (an answer
        a worker found, such as a search by example); dropped if the page has gone."""
        loop = self._loop
        if loop is None or client.dropped:
            return
        text = json.dumps(plain(message), allow_nan=False)

        def push():
            if client in self._clients and not client.dropped:
                client.push(text)

        try:
            loop.call_soon_threadsafe(push)
        except RuntimeError:  # the loop has closed: the view stopped
            pass

    def _broadcast(self, message, is_map=False):
        for c in list(self._clients):
            if c.dropped:
                continue
            if is_map and c.map_queued >= 2:
                c.resync()  # behind: skip the diffs, take the whole map when it can
            else:
                c.push(message, is_map)
            if c.pending > self.max_pending_bytes:
                self._drop(c, f"client {c.number} has {c.pending} bytes waiting (limit {self.max_pending_bytes})")

    def _welcome(self):
        # (the page asks for a sound's neighbours only where someone answers)
        msgs = [json.dumps({"t": "hello", "hold": bool(self.trigger.hold), "similar": "similar" in self.hooks})]
        if self._peaks is not None:
            msgs.append(json.dumps({"t": "wave", "first": self._peaks.first,
                                    "rate": self._peaks_per_second, "peaks": list(self._peaks.bins)}))
        if self._last_status is not None:
            msgs.append(self._last_status)
        if self._names != "{}":
            msgs.append(self._names_message())
        return msgs

    def _names_of(self, snap):
        """Take the snapshot's cluster names (if it has any); True when they changed."""
        try:
            names = json.dumps(cluster_names(getattr(snap, "cluster_names", None)), sort_keys=True)
        except Exception as e:  # a strange names object must not stop the map
            self.errors.count("names", f"cluster names unreadable: {e}")
            names = "{}"
        changed = names != self._names
        self._names = names
        return changed

    def _names_message(self):
        return '{"t": "names", "names": ' + self._names + "}"

    async def _tick(self):
        """Poll the map (200 times a second: one attribute read) and send at most ``max_rate`` frames a second.

        With no page connected it wakes 4 times a second, for the status and
        the waveform strip only (a page that connects gets the whole map).
        """
        period = 1.0 / self.max_rate
        last_map = last_status = 0.0
        last_report = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last_report >= REPORT_SECONDS:
                last_report = now
                self._report()
            snap = self.trigger.snapshots.get()
            if self._clients and snap.version != self._map.version and now - last_map >= period:
                if self._names_of(snap):  # before the frame: new clusters arrive with their names
                    self._broadcast(self._names_message())
                frame = self._map.update(snap.unit, snap.cluster_ids, snap.version)
                last_map = now
                if frame is not None:
                    self.stats["map_frames"] += 1
                    self._broadcast(frame, is_map=True)
            if now - last_status >= 0.25:
                last_status = now
                self._send_status()
            for c in list(self._clients):
                if c.send_started is not None and now - c.send_started > self.stall_seconds:
                    self._drop(c, f"client {c.number} has not read for {self.stall_seconds:g} s")
            await asyncio.sleep(0.005 if self._clients else 0.25)

    def _send_status(self):
        if self._peaks is not None:
            new = self._peaks.poll()
            if new:
                self._broadcast(json.dumps({"t": "wave", "first": self._peaks.first + len(self._peaks.bins) - len(new),
                                            "peaks": list(new)}))
        try:
            s = dict(self.status()) if self.status is not None else {}
        except Exception as e:  # the status line must not stop the map
            self.errors.count("status", f"status() failed: {e}")
            s = {}
        if "xruns" not in s:
            m = self.engine.meters()
            s.update(xruns=m["xruns"], voices=m["voices"], cpu_p99=m["p99_share"])
        snap = self.trigger.snapshots.get()
        s.setdefault("snippets", len(snap))
        s.update(t="status", hold=bool(self.trigger.hold), clients=len(self._clients), version=snap.version,
                 loop=actions.loop_state(self.engine))
        self._last_status = json.dumps(plain(s), allow_nan=False)
        self._broadcast(self._last_status)
