"""Many web view clients at once, in a process of their own (as browsers are).

Runs on: its own process's main thread (asyncio). For ``seconds``, ``n``
clients read everything the web view sends; one more connects and never
reads; one sends bad messages (and a few plays) ``bad_rate`` times a second.
Prints one JSON line: frames and bytes each reading client got, bad sent.

    python -m tests.web.clients PORT [--clients 20] [--seconds 10] [--bad-rate 200]
"""

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import time

BAD = ["not json", "[1]", '{"t": "nope"}', '{"t": "snippet", "i": "x"}', '{"t": "snippet", "i": 1e9}',
       '{"t": "key", "k": "??", "down": true}', '{"t": "pad", "n": -1, "down": true}', "\u0000" * 64,
       '{"t": ' * 200]


async def reader(url, seconds, out):
    from websockets.asyncio.client import connect

    got = {"frames": 0, "bytes": 0, "text": 0}
    async with connect(url, max_size=None) as ws:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                m = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                break
            if isinstance(m, bytes):
                got["frames"] += 1
                got["bytes"] += len(m)
            else:
                got["text"] += 1
    out.append(got)


async def bad_sender(url, seconds, rate, out):
    from websockets.asyncio.client import connect

    rng = random.Random(0)
    sent = 0
    async with connect(url, max_size=None) as ws:
        drain = asyncio.create_task(_discard(ws))
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _ in range(max(1, int(rate / 50))):
                # Mostly garbage, one in ten a real hit: the engine must play through both.
                m = rng.choice(BAD) if rng.random() < 0.9 else json.dumps({"t": "pad", "n": rng.randrange(4),
                                                                            "down": rng.random() < 0.5})
                await ws.send(m)
                sent += 1
            await asyncio.sleep(0.02)
        drain.cancel()
    out["bad_sent"] = sent


async def _discard(ws):
    async for _ in ws:
        pass


def stuck_client(port):
    """Handshake, then never read (a phone that went to sleep mid-stream)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return s


async def main(port, clients, seconds, bad_rate, stuck):
    url = f"ws://127.0.0.1:{port}/ws"
    held = stuck_client(port) if stuck else None
    got, extra = [], {}
    tasks = [reader(url, seconds, got) for _ in range(clients)]
    if bad_rate:
        tasks.append(bad_sender(url, seconds, bad_rate, extra))
    await asyncio.gather(*tasks)
    if held is not None:
        held.close()
    return {"clients": len(got), "frames_min": min((g["frames"] for g in got), default=0),
            "bytes_total": sum(g["bytes"] for g in got), "text_min": min((g["text"] for g in got), default=0), **extra}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--bad-rate", type=float, default=200.0)
    p.add_argument("--no-stuck", action="store_true")
    a = p.parse_args()
    print(json.dumps(asyncio.run(main(a.port, a.clients, a.seconds, a.bad_rate, not a.no_stuck))), flush=True)
