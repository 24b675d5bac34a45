"""The whole engine, as a performance feeds it: CPU, memory, start-up, offline maps.

- ``cpu_share_one_core``: CPU time over wall time of a ``livemappr live``
  process on a private JACK dummy server (the card: PortAudio calls the C
  callback), OSC and the web view on, its input 4 hits a second from a file,
  for ``--realtime-seconds`` after its first 5 s (start-up).
- ``cpu_share_one_core_late``: the same, resuming the session the memory
  figures below simulate (7,000+ snippets): what a long session costs by then
  (the map's settling grows with the map).
- ``rss_mb`` and ``bank_mb`` after ``--minutes`` of the same input run faster
  than real time in this process (no card: a pacing thread drives the callback
  and waits for the readers, so nothing is dropped), with ``rss_growth_mb``
  over the second half, of RSS minus the bank's resident pages (the bank fills
  as it should; flat means nothing else grows): the least-squares trend
  through ~150 samples, with their spread (max - min: transients, such as a
  map step's arrays, included) and the peak over the run.
- ``start_to_first_sound_s``: from a fresh ``livemappr live`` process to the
  first sound of a hit sent over OSC, at the engine's output ports on a private
  JACK dummy server (warm numba cache). The hit needs a cluster, so this counts
  the demo audio's first onset being cut, mapped and clustered too.
- ``map_10k_s``: ``livemappr map`` on 10,000 one-shot files.

    python benchmarks/bench_session.py [--json] [--minutes 30] [--realtime-seconds 60]
"""

import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))
from _report import Report, parser  # noqa: E402
from tests.memory import resident_mb  # noqa: E402

SR = 48000
HITS_PER_SECOND = 4


class Performance:
    """An endless stream of drum-like hits, 4 a second, of 6 kinds."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.pos = 0
        self.next_hit = 0
        self.buf = np.zeros(0, np.float32)
        t = np.arange(int(0.2 * SR)) / SR
        noise = np.random.default_rng(1).standard_normal(t.size)
        self.kinds = [np.sin(2 * np.pi * f * t) * np.exp(-t / d) for f, d in ((55, 0.08), (180, 0.05), (400, 0.03))]
        self.kinds += [noise * np.exp(-t / d) for d in (0.01, 0.03, 0.08)]

    def __call__(self, frames):
        out = np.zeros(frames, np.float32)
        if self.buf.size:
            n = min(frames, self.buf.size)
            out[:n] += self.buf[:n]
            self.buf = self.buf[n:]
        while self.next_hit < self.pos + frames:
            k = self.kinds[self.rng.integers(len(self.kinds))] * self.rng.uniform(0.2, 0.6)
            start = self.next_hit - self.pos
            n = min(k.size, frames - start)
            out[start:start + n] += k[:n]
            if k.size > n:
                rest = k[n:].astype(np.float32)
                if self.buf.size < rest.size:
                    self.buf = np.pad(self.buf, (0, rest.size - self.buf.size))
                self.buf[:rest.size] += rest
            self.next_hit += int(SR / HITS_PER_SECOND * self.rng.uniform(0.8, 1.2))
        self.pos += frames
        return out[:, None]


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def session(speed, seconds_of_audio, directory, sample_every=None, skip_seconds=0.0):
    from livemappr.audio.config import EngineConfig
    from livemappr.session.session import Session, SessionConfig

    s = Session(EngineConfig(samplerate=SR, blocksize=256),
                SessionConfig(directory=str(directory), device="none", osc_port=0, midi=False, speed=speed, web_port=0),
                log=lambda m: None)
    perf = Performance()
    s.start(source=perf)
    samples = []
    while perf.pos < skip_seconds * SR:  # start-up (kernels loading) has its own metric
        time.sleep(0.05)
    t0, c0 = time.monotonic(), time.process_time()
    try:
        while perf.pos < seconds_of_audio * SR:
            time.sleep(0.1 if sample_every else 0.5)
            if sample_every and perf.pos / SR >= len(samples) * sample_every:
                samples.append((perf.pos / SR, rss_mb() - resident_mb(s.engine.state.pool)))
        wall, cpu = time.monotonic() - t0, time.process_time() - c0
        stats = dict(s.analysis.stats)
        bank_mb = s.engine.state.pool.nbytes / 2 ** 20
        bank_resident = resident_mb(s.engine.state.pool)
        rss = rss_mb()
    finally:
        s.stop()
    return wall, cpu, stats, (bank_mb, bank_resident, rss), samples


def process_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def live_cpu(seconds, skip_seconds=5.0, resume=None):
    """CPU share of a ``livemappr live`` process on a private JACK dummy server
    (as a sound card: the callback is the C callback, no pacing thread), its
    input the performance from a file, OSC and the web view on, MIDI off.
    ``resume``: a session directory to go on from (a copy), so the map is as
    large as that session's."""
    import shutil

    import soundfile

    from tests.jackserver import JackServer

    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        if resume is not None:
            shutil.copytree(resume, d / "session")
        total = skip_seconds + seconds + 3
        soundfile.write(d / "performance.wav", Performance()(int(total * SR))[:, 0], SR, subtype="FLOAT")
        server = JackServer(period=128, name=f"livemappr-cpu-{os.getpid()}").start()
        try:
            import jack

            probe = jack.Client("bench-cpu-probe", no_start_server=True)
            proc = subprocess.Popen([sys.executable, "-m", "livemappr", "live", "--device", "system",
                                     "--input", str(d / "performance.wav"), "--session", str(d / "session"),
                                     "--osc-port", str(9000 + os.getpid() % 1000), "--no-midi",
                                     "--web-port", str(18000 + os.getpid() % 1000)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                end = time.monotonic() + 120
                while not probe.get_ports("PortAudio[^:]*:out_") and time.monotonic() < end:
                    time.sleep(0.05)
                probe.close()
                time.sleep(skip_seconds)  # the stream runs from here; start-up has its own metric
                t0, c0 = time.monotonic(), process_cpu_s(proc.pid)
                time.sleep(seconds)
                share = (process_cpu_s(proc.pid) - c0) / (time.monotonic() - t0)
            finally:
                proc.terminate()
                proc.wait(60)
        finally:
            server.stop()
        from livemappr.files import mapfile

        snippets = len(mapfile.read(d / "session").snippets)
    return share, snippets


class FirstSound:
    """A JACK client that connects to the engine's output ports as soon as they
    appear and notes the wall time of the first non-silent sample."""

    def __init__(self):
        import threading

        import jack

        self.heard = threading.Event()
        self.at = None
        self.client = jack.Client("bench-first-sound", no_start_server=True)
        self.ports = [self.client.inports.register(f"in_{i}") for i in range(2)]
        self.client.set_process_callback(self._process)
        self.client.activate()
        self.connected = False

    def _process(self, frames):
        if self.at is None and any(np.abs(p.get_array()).max() > 1e-4 for p in self.ports):
            self.at = time.monotonic()
            self.heard.set()

    def connect(self):
        outs = [p.name for p in self.client.get_ports("PortAudio[^:]*:out_")]
        if len(outs) < 2:
            return False
        for port, src in zip(self.ports, sorted(outs)):
            self.client.connect(src, port)
        self.connected = True
        return True

    def close(self):
        self.client.deactivate()
        self.client.close()


def start_to_first_sound():
    """A fresh ``livemappr live`` process on a private JACK server, the demo
    audio as its mic; hit cluster 0 over OSC every 20 ms until the engine's
    output ports carry sound."""
    from pythonosc.udp_client import SimpleUDPClient

    from tests.jackserver import JackServer

    if not JackServer.available():
        return float("nan")
    mic = pathlib.Path(__file__).resolve().parent.parent / "livemappr" / "data" / "demo_mic.flac"
    port = 9000 + os.getpid() % 1000
    osc = SimpleUDPClient("127.0.0.1", port)
    server = JackServer(period=256, name=f"livemappr-first-sound-{os.getpid()}").start()
    listener = FirstSound()
    try:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "livemappr", "live", "--device", "system", "--input", str(mic),
                                 "--osc-port", str(port), "--no-midi", "--web-port", "0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.monotonic() - t0 < 120 and proc.poll() is None:
                if not listener.connected:
                    listener.connect()
                osc.send_message("/livemappr/cluster/play", 0.0)
                if listener.heard.wait(0.02):
                    return listener.at - t0
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        listener.close()
        server.stop()
    return float("nan")


def map_10k(n=10000):
    import soundfile

    with tempfile.TemporaryDirectory() as d:
        folder = pathlib.Path(d) / "shots"
        folder.mkdir()
        perf = Performance(seed=3)
        for i in range(n):
            k = perf.kinds[i % len(perf.kinds)] * (0.3 + 0.4 * (i % 7) / 7)
            soundfile.write(folder / f"{i:05d}.wav", k.astype(np.float32)[: int(0.15 * SR)], SR, subtype="PCM_16")
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "livemappr", "map", str(folder), "--out", str(pathlib.Path(d) / "m")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - t0


def main():
    p = parser(__doc__)
    p.add_argument("--minutes", type=float, default=30.0, help="simulated input for the memory figures")
    p.add_argument("--realtime-seconds", type=float, default=60.0, help="real-time run for the CPU figure")
    p.add_argument("--skip-map", action="store_true", help="skip map_10k_s")
    args = p.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    r = Report("session", args.json)
    load = os.getloadavg()[0]
    share, snippets = live_cpu(args.realtime_seconds)
    r.metric("cpu_share_one_core", round(share, 4), "share", seconds=args.realtime_seconds, after_s=5,
             snippets=snippets, hits_per_second=HITS_PER_SECOND, load=round(load, 2),
             process="livemappr live on JACK, OSC and web view on, MIDI off")
    with tempfile.TemporaryDirectory() as d:
        seconds = args.minutes * 60
        wall, cpu, stats, (bank_mb, bank_resident, rss), samples = session(
            None, seconds, pathlib.Path(d) / "fast", sample_every=seconds / 300)
        t_mb = np.array(samples)
        half = t_mb[t_mb[:, 0] >= seconds / 2]
        r.metric("rss_mb", round(rss, 1), "MB", minutes=args.minutes, snippets=stats["snippets"],
                 simulated_speed=round(seconds / wall, 1))
        r.metric("bank_mb", round(bank_mb, 1), "MB", resident_mb=round(bank_resident, 1),
                 bank_full=stats["bank_full"])
        # The bank's pages count in RSS only once written: subtract what is resident.
        r.metric("rss_minus_bank_mb", round(rss - bank_resident, 1), "MB", bank="resident part")
        # What the run keeps is the trend through the samples; a sample taken
        # while a map step's temporaries are alive reads a few MB higher.
        trend = np.polyfit(half[:, 0], half[:, 1], 1)[0] * (seconds / 2) if len(half) > 2 else float("nan")
        r.metric("rss_growth_mb", round(float(trend), 1), "MB", over="second half", of="rss minus the resident bank",
                 fit="least squares", samples=len(half), spread_mb=round(float(np.ptp(half[:, 1])), 1),
                 peak_mb=round(float(t_mb[:, 1].max()), 1))
        # The same engine with that session's map (its thousands of snippets),
        # resumed and played on in real time: what the CPU share is by then.
        share, snippets = live_cpu(args.realtime_seconds, skip_seconds=10.0, resume=pathlib.Path(d) / "fast")
        r.metric("cpu_share_one_core_late", round(share, 4), "share", seconds=args.realtime_seconds, after_s=10,
                 snippets=snippets, minutes_before=args.minutes, load=round(os.getloadavg()[0], 2),
                 process="livemappr live resuming the simulated session, on JACK, OSC and web view on")
    r.metric("start_to_first_sound_s", round(start_to_first_sound(), 2), "s", cache="warm")
    if not args.skip_map:
        r.metric("map_10k_s", round(map_10k(), 1), "s", files=10000)


if __name__ == "__main__":
    main()
