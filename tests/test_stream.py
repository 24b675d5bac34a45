"""The real duplex stream on a private JACK dummy server."""

import inspect
import pathlib
import time

import numpy as np
import pytest
import sounddevice as sd
import soundfile

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.errors import DeviceError
from livemappr.audio.stream import AudioStream, resolve_device
from tests.jackserver import CycleCounter, Player, Recorder, engine_ports, wait_until

# A tom of hydrogen-drumkits' Audiophob kit (tests/drumkits.KITS).
HIT = pathlib.Path("/usr/share/hydrogen/data/drumkits/Audiophob/101450__menegass__tomh.wav")


def test_sounddevice_private_api_we_rely_on_is_there():
    # _StreamBase is private: pyproject pins the minor version, this notices a change.
    assert sd.__version__.startswith("0.5.")
    params = inspect.signature(sd._StreamBase.__init__).parameters
    for name in ("kind", "callback", "userdata", "wrap_callback", "blocksize", "device", "channels", "dtype"):
        assert name in params
    assert sd._ffi.typeof("PaStreamCallback *") is not None


def mic_file(tmp_path, seconds, samplerate):
    """A WAV to play as the mic: a real drum hit, then noise."""
    rng = np.random.default_rng(5)
    sig = (rng.standard_normal(int(seconds * samplerate)) * 0.05).astype(np.float32)
    assert HIT.is_file(), f"{HIT} missing: the Debian package hydrogen-drumkits installs it (make test-deps)"
    hit, _ = soundfile.read(HIT, dtype="float32", always_2d=True)
    n = min(hit.shape[0], sig.shape[0] // 2)
    sig[1000:1000 + n] += hit[:n, 0]
    path = tmp_path / "mic.wav"
    soundfile.write(path, sig, samplerate, subtype="FLOAT")
    return path


@pytest.mark.jack_period(256)
def test_capture_is_exact_and_a_voice_lands_on_its_frame(jack_server, tmp_path):
    sr = jack_server.samplerate
    e = Engine(EngineConfig(samplerate=sr, blocksize=256, ring_seconds=16, bank_seconds=1, bank_slots=8))
    sound = (np.random.default_rng(2).standard_normal(3000) * 0.2).astype(np.float32)
    slot = e.bank.add(sound)
    signal, _ = soundfile.read(mic_file(tmp_path, 1.5, sr), dtype="float32")
    with AudioStream(e, device="system") as stream:
        assert stream.blocksize == 0  # JACK's period is the block
        player = Player("mic-file", signal, engine_ports("in"))
        recorder = Recorder("speaker", engine_ports("out")[:1], 5.0, sr)
        assert wait_until(lambda: e.frame > sr // 10, 5)
        target = e.frame + sr // 2
        e.play(slot, at=target)
        player.armed.set()
        assert wait_until(lambda: player.done, 10)
        time.sleep(0.2)
        recorded = recorder.close()
        player.close()
    # The ring holds exactly what was played in, bit for bit.
    reader = e.ring_reader(0)
    captured = reader.read().copy()[:, 0]
    assert reader.missed == 0
    first = int(np.flatnonzero(captured)[0])
    np.testing.assert_array_equal(captured[first:first + signal.shape[0]], signal)
    assert not captured[:first].any()
    # The JACK frame time of engine frame 0 follows from where the file landed.
    jack_frame_of_engine_zero = player.start_frame - first
    at = target + jack_frame_of_engine_zero - recorder.start_frame
    assert not recorded[:at, 0].any()
    body = sound.shape[0] - int(e.config.fade_frames) - 1
    held = e.bank.samples(slot)  # the sound as the bank holds it (16 bits; see test_bank)
    np.testing.assert_array_equal(recorded[at:at + body, 0], held[:body])
    m = e.meters()
    assert m["commands"] == 1 and m["late_commands"] == 0 and m["nonfinite"] == 0


@pytest.mark.jack_period(64)
def test_live_stream_allocates_nothing_and_runs_every_period(jack_server):
    from numba.core.runtime import _nrt_python, rtsys

    from tests.test_no_allocation import no_worker_threads

    no_worker_threads()
    e = Engine(EngineConfig(blocksize=64, ring_seconds=4, bank_seconds=1, bank_slots=8))
    slot = e.bank.add(np.ones(40000, np.float32) * 0.1)
    _nrt_python.memsys_enable_stats()
    with AudioStream(e, device="system"):
        assert wait_until(lambda: e.frame > 4800, 5)
        for tag in range(32):
            e.play(slot, tag=tag, rate=0.5)
        assert wait_until(lambda: e.meters()["voices"] == 32, 2)
        cycles = CycleCounter()
        start, cycles_start = e.meters(), cycles.count
        before = rtsys.get_allocation_stats()
        time.sleep(3.0)  # nothing on this thread calls numba meanwhile
        after = rtsys.get_allocation_stats()
        m, cycles_run = e.meters(since=start), cycles.count - cycles_start
        cycles.close()
    assert tuple(after) == tuple(before)
    # One callback per JACK cycle (the server is in sync mode: every client
    # runs every cycle; the two readings are not taken at one instant).
    assert cycles_run > 1000
    assert abs(m["callbacks"] - cycles_run) <= 2
    assert m["frames"] == 64 * m["callbacks"]
    # Xruns are a timing property of the machine: benchmarks/bench_xruns.py.
    assert m["voices_max"] == 32


def test_unknown_device_names_what_exists(jack_server):
    with pytest.raises(DeviceError, match=r"no device name contains 'nosuchcard'; available: 0 'system'"):
        resolve_device("nosuchcard")
    with pytest.raises(DeviceError, match=r"device 7 does not exist; available: 0 'system'"):
        resolve_device(7)
    assert resolve_device("SYST") == 0


def test_unsupported_sample_rate_lists_the_supported_ones(jack_server):
    e = Engine(EngineConfig(samplerate=44100, ring_seconds=1, bank_seconds=0.1, bank_slots=2))
    with pytest.raises(DeviceError, match=r"sample rate 44100 is not supported by device 0 'system'; supported: 48000$"):
        AudioStream(e, device="system")


def test_too_many_channels_is_a_device_error(jack_server):
    e = Engine(EngineConfig(in_channels=8, ring_seconds=1, bank_seconds=0.1, bank_slots=2))
    with pytest.raises(DeviceError, match=r"^input device 0 'system' has 2 input channel\(s\); needs 8; "
                                          r"available: 0 'system' \(2 in, 2 out\)$"):
        AudioStream(e, device="system")


def test_compiling_the_kernels_skips_the_scipy_probes_of_numba_and_rocket_fft():
    # numba's BLAS probe imports scipy.linalg, rocket-fft's scipy.fft (0.4 s and
    # 22 MB together) though no kernel of ours uses either. After
    # compile_kernels neither may be loaded (numba's own import loads only the
    # scipy package, to check its version), yet both must still
    # import, and jitted np.dot and np.fft must still work.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from livemappr.audio.stream import compile_kernels\n"
        "compile_kernels()\n"
        "print(len([m for m in sys.modules if m.startswith(('scipy.linalg', 'scipy.fft', 'scipy.special'))]))\n"
        "import numba, numpy as np\n"
        "f = numba.njit(lambda a, b: np.dot(a, b))\n"
        "print(f(np.ones(3), np.full(3, 2.0)))\n"
        "g = numba.njit(lambda a: np.fft.rfft(a))\n"
        "print(g(np.ones(4))[0].real)\n"
        "import scipy.linalg, scipy.fft\n"
        "print(scipy.linalg.norm(np.ones(4)), scipy.fft.rfft(np.ones(4))[0].real)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "6.0", "4.0", "2.0", "4.0"]
