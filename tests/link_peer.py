"""A second Ableton Link peer, in a process of its own, using ``link`` directly
(never livemappr): the tests' and the benchmark's other app in the session.

Run only inside a private network namespace (tests/netns.py). Reads one
command a line on stdin and answers one JSON line on stdout:

    state               {"tempo", "playing", "peers", "micros"}
    beats Q T1 T2 ...   {"beats": [beat at Link time Ti (µs), quantum Q], "micros"}
    tempo BPM           {"ok": true}     sets the session's tempo
    play 1|0            {"ok": true}     starts (bar 0 on the next bar) or stops
    quit

Usage: link_peer.py BPM. :class:`Peer` runs it from a test or benchmark.
"""

import json
import pathlib
import subprocess
import sys
import time


class Peer:
    """The peer process, started at ``bpm``; :meth:`ask` sends a command and returns its answer."""

    def __init__(self, bpm=120.0):
        self.proc = subprocess.Popen([sys.executable, str(pathlib.Path(__file__).resolve()), str(bpm)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}

    def ask(self, *words):
        self.proc.stdin.write(" ".join(map(str, words)) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def wait_for(self, predicate, timeout=5.0):
        """Poll ``state`` until ``predicate(state)``; returns the last state."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.ask("state")
            if predicate(state) or time.monotonic() > deadline:
                return state
            time.sleep(0.02)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    import link

    peer = link.Link(float(sys.argv[1]))
    peer.startStopSyncEnabled = True
    peer.enabled = True
    clock = peer.clock()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        state = peer.captureAppSessionState()
        now = clock.micros()
        if words[0] == "state":
            out = {"tempo": state.tempo(), "playing": state.isPlaying(), "peers": peer.numPeers(), "micros": now}
        elif words[0] == "beats":
            q = float(words[1])
            out = {"beats": [state.beatAtTime(int(t), q) for t in words[2:]], "micros": now}
        elif words[0] == "tempo":
            state.setTempo(float(words[1]), now)
            peer.commitAppSessionState(state)
            out = {"ok": True}
        elif words[0] == "play":
            if words[1] == "1":
                state.setIsPlayingAndRequestBeatAtTime(True, now, 0.0, 4.0)
            else:
                state.setIsPlaying(False, now)
            peer.commitAppSessionState(state)
            out = {"ok": True}
        elif words[0] == "quit":
            break
        else:
            out = {"error": f"unknown command {words[0]!r}"}
        print(json.dumps(out), flush=True)
    peer.enabled = False


if __name__ == "__main__":
    main()
