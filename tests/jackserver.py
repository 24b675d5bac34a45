"""A private JACK dummy server for tests and benchmarks, and clients that
play into it and record from it.

The dummy backend gives PortAudio a real JACK device with a real-time
process thread on machines without a sound card. Each server gets a unique
name (so parallel runs and a user's own JACK never meet), is started here and
stopped by its process id.
"""

import os
import shutil
import signal
import subprocess
import threading
import time

import numpy as np


class JackServer:
    """``jackd -d dummy`` under a private name.

    Parameters
    ----------
    samplerate, period : int
        The dummy driver's rate and frames per cycle.
    sync : bool
        Synchronous mode (``jackd -S``): each cycle waits for every client,
        so a test's own Python clients can never drop or shift audio when the
        machine is busy. Benchmarks use the default asynchronous mode, where a
        late client is an xrun, as on stage.
    capture, playback : int
        The dummy driver's ports (``system:capture_N``, ``system:playback_N``);
        0 capture ports is a machine with no mic.
    """

    def __init__(self, samplerate=48000, period=128, name=None, sync=False, capture=2, playback=2):
        self.samplerate = samplerate
        self.period = period
        self.sync = sync
        self.capture, self.playback = capture, playback
        self.name = name or f"livemappr-test-{os.getpid()}-{period}"
        self.proc = None
        self._old_env = None

    @staticmethod
    def available():
        return shutil.which("jackd") is not None

    def start(self, timeout=10.0):
        env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1", JACK_DEFAULT_SERVER=self.name)
        self.proc = subprocess.Popen(
            ["jackd", "--no-mlock", "-n", self.name] + (["-S"] if self.sync else []) + ["-d", "dummy", "-r", str(self.samplerate),
             "-p", str(self.period), "-C", str(self.capture), "-P", str(self.playback)],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait = subprocess.run(["jack_wait", "-w", "-t", str(int(timeout)), "-s", self.name],
                              env=env, capture_output=True, text=True)
        if wait.returncode != 0 or self.proc.poll() is not None:
            out = self.stop()
            raise RuntimeError(f"jackd did not start: {wait.stdout} {wait.stderr} {out}")
        # libjack (PortAudio's JACK host API, JACK-Client) reads this name.
        self._old_env = os.environ.get("JACK_DEFAULT_SERVER")
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        os.environ["JACK_NO_AUDIO_RESERVATION"] = "1"
        return self

    def stop(self):
        """Stop the server by its process id; returns what it printed."""
        out = ""
        if self.proc is not None:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
            out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
            self.proc = None
        if self._old_env is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = self._old_env
        return out

    def output(self):
        """What jackd has printed since the last call, without waiting (its
        xrun and late-client reports)."""
        import fcntl

        fd = self.proc.stdout.fileno()
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        out = b""
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                break
            out += chunk
        return out.decode(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Player:
    """A JACK client that plays ``signal`` once into ``target`` ports when armed.

    ``start_frame`` is the JACK frame time of its first sample.
    """

    def __init__(self, name, signal, targets):
        import jack

        self.signal = np.ascontiguousarray(signal, dtype=np.float32)
        self.client = jack.Client(name, no_start_server=True)
        self.port = self.client.outports.register("out")
        self.pos = 0
        self.armed = threading.Event()
        self.start_frame = None
        self.client.set_process_callback(self._process)
        self.client.activate()
        for t in targets:
            self.client.connect(self.port, t)

    def _process(self, frames):
        buf = self.port.get_array()
        if not self.armed.is_set() or self.pos >= self.signal.shape[0]:
            buf.fill(0.0)
            return
        if self.start_frame is None:
            self.start_frame = self.client.last_frame_time
        n = min(frames, self.signal.shape[0] - self.pos)
        buf[:n] = self.signal[self.pos:self.pos + n]
        buf[n:] = 0.0
        self.pos += n

    @property
    def done(self):
        return self.pos >= self.signal.shape[0]

    def close(self):
        self.client.deactivate()
        self.client.close()


class Recorder:
    """A JACK client recording ``sources`` into preallocated arrays.

    ``start_frame`` is the JACK frame time of ``data[0]``.
    """

    def __init__(self, name, sources, seconds, samplerate):
        import jack

        self.client = jack.Client(name, no_start_server=True)
        self.ports = [self.client.inports.register(f"in_{i + 1}") for i in range(len(sources))]
        self.data = np.zeros((int(seconds * samplerate), len(sources)), np.float32)
        self.n = 0
        self.start_frame = None
        self.client.set_process_callback(self._process)
        self.client.activate()
        for port, src in zip(self.ports, sources):
            self.client.connect(src, port)

    def _process(self, frames):
        if self.start_frame is None:
            self.start_frame = self.client.last_frame_time
        n = min(frames, self.data.shape[0] - self.n)
        for i, port in enumerate(self.ports):
            self.data[self.n:self.n + n, i] = port.get_array()[:n]
        self.n += n

    def close(self):
        self.client.deactivate()
        self.client.close()
        return self.data[:self.n]


class MidiMonitor:
    """A JACK client noting ``(frame time, bytes)`` of every MIDI event from ``source``."""

    def __init__(self, name, source):
        import jack

        self.events = []
        self.client = jack.Client(name, no_start_server=True)
        self.port = self.client.midi_inports.register("in")
        self.client.set_process_callback(self._process)
        self.client.activate()
        self.client.connect(source, self.port)

    def _process(self, frames):
        base = self.client.last_frame_time
        for offset, data in self.port.incoming_midi_events():
            self.events.append((base + offset, bytes(data)))

    def close(self):
        self.client.deactivate()
        self.client.close()


class CycleCounter:
    """A JACK client that counts the server's process cycles."""

    def __init__(self, name="cycle-counter"):
        import jack

        self.count = 0
        self.client = jack.Client(name, no_start_server=True)
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames):
        self.count += 1

    def close(self):
        self.client.deactivate()
        self.client.close()


def engine_ports(kind):
    """The newest PortAudio stream's JACK ports: ``kind`` "in" or "out".

    PortAudio numbers ports on across the streams a process opens (in_0, then
    in_1, ...), and a second process's client is renamed (PortAudio-01): tests
    look ports up instead of naming them.
    """
    import jack

    client = jack.Client("livemappr-port-query", no_start_server=True)
    try:
        names = [p.name for p in client.get_ports("PortAudio[^:]*:" + kind + "_")]
    finally:
        client.close()
    names.sort(key=lambda n: int(n.rsplit("_", 1)[1]))
    return names


def wait_until(predicate, timeout, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
