"""An OSC flood from a process of its own: the engine's OSC server under load.

    python tests/osc_flood.py PORT RATE SECONDS CLUSTERS

Sends ``/livemappr/cluster/play n 0.01`` (n cycling over 0..CLUSTERS-1) to
127.0.0.1:PORT at RATE datagrams a second for SECONDS, 1 in 50 malformed (a
garbage datagram and a truncated message in every 100), and prints one line
"<sent> <seconds taken>". Used by tests/test_control_live.py and
benchmarks/bench_trigger.py.
"""

import pathlib
import socket
import sys
import time

from pythonosc.osc_message_builder import OscMessageBuilder

SCRIPT = str(pathlib.Path(__file__).resolve())


def command(port, rate, seconds, clusters):
    """The argument list that runs this flood with the running interpreter."""
    return [sys.executable, SCRIPT, str(port), str(rate), str(seconds), str(clusters)]


def main():
    port, rate, seconds, clusters = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    msgs = []
    for i in range(100):
        m = OscMessageBuilder("/livemappr/cluster/play")
        m.add_arg(float(i % clusters))
        m.add_arg(0.01)
        msgs.append(m.build().dgram)
    msgs[7] = b"\x00garbage!"
    msgs[50] = msgs[51][:-4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.monotonic(); sent = 0
    while sent < rate * seconds:
        for d in msgs:
            s.sendto(d, ("127.0.0.1", port))
        sent += len(msgs)
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(sent, time.monotonic() - start)


if __name__ == "__main__":
    main()
