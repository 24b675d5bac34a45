"""Hundreds of WebSocket connections held open from a process of their own
(an attacker's, or a room of phones), plus the raw-socket handshake the
hostile-input tests use to send exactly the headers they choose.

    python -m tests.web.flood PORT [--connections 300]

Opens ``connections`` sockets at once, sends each a browser's handshake
(Host, Origin, Upgrade, Sec-WebSocket-Key, ...), reads the answer, prints
one JSON line (how many were switched to WebSocket, refused with an HTTP
status, or cut), then holds them all until a line arrives on stdin. It starts
when a first line arrives on stdin.
"""

import argparse
import base64
import json
import os
import select
import socket
import sys
import time


def handshake(port, host=None, origin=None, path="/ws", extra=(), key=None):
    """The request a browser sends for ``ws://host/path``; ``extra`` adds (name, value) headers as they are."""
    host = f"127.0.0.1:{port}" if host is None else host
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", "User-Agent: Mozilla/5.0"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    lines += [f"{name}: {value}" for name, value in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def page_request(port, host=None, path="/", extra=()):
    host = f"127.0.0.1:{port}" if host is None else host
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Accept: text/html", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_head(s, timeout=5.0):
    """The response's status line and headers (b"" if the server cut the connection first)."""
    s.settimeout(timeout)
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            b = s.recv(4096)
            if not b:
                break
            head += b
    except (ConnectionError, TimeoutError, OSError):
        pass
    return head


def status_of(head):
    try:
        return int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def text_frame(text):
    """One masked text frame, as a browser sends it."""
    data = text.encode()
    mask = os.urandom(4)
    n = len(data)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--connections", type=int, default=300)
    a = p.parse_args(argv)
    sys.stdin.readline()  # go
    socks = []
    cut_at_connect = 0
    for _ in range(a.connections):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            s.connect(("127.0.0.1", a.port))
            s.sendall(handshake(a.port, origin=f"http://127.0.0.1:{a.port}"))
        except OSError:
            cut_at_connect += 1
        socks.append(s)
    got = {"switched": 0, "refused": {}, "cut": cut_at_connect}
    pending = {s: b"" for s in socks}
    end = time.monotonic() + 20
    while pending and time.monotonic() < end:
        ready, _, _ = select.select(list(pending), [], [], 0.5)
        for s in ready:
            try:
                b = s.recv(4096)
            except OSError:
                b = b""
            if not b:
                got["cut"] += 1
                del pending[s]
                continue
            pending[s] += b
            if b"\r\n" in pending[s]:
                code = status_of(pending.pop(s))
                if code == 101:
                    got["switched"] += 1
                else:
                    got["refused"][str(code)] = got["refused"].get(str(code), 0) + 1
    got["unanswered"] = len(pending)
    print(json.dumps(got), flush=True)
    sys.stdin.readline()
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
