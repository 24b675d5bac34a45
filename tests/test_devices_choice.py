"""Which audio devices a stream opens, on a private JACK dummy server.

PortAudio's JACK host API lists every JACK client that has audio ports as a
device of its own: a client with two output ports is a 2-channel input
device, as a USB interface would be. So the dummy server gives two devices:
``system`` (2 in, 2 out) and a test's ``usbmic`` (2 in, 0 out). Input and
output on different host APIs (a USB card under ALSA with JACK's output)
cannot be had here (PortAudio's ALSA host API finds no card in these
containers), so that error is not tested.
"""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.audio.devices import choose, refresh_devices
from livemappr.audio.engine import Engine
from livemappr.audio.stream import AudioStream
from livemappr.errors import DeviceError
from tests.jackserver import Recorder, engine_ports, wait_until

SR = 48000


class Interface:
    """A JACK client with two output ports, each playing its own signal once
    when armed: a 2-channel audio interface as PortAudio sees it."""

    def __init__(self, name, signals):
        import jack
        import threading

        self.signals = [np.ascontiguousarray(s, np.float32) for s in signals]
        self.client = jack.Client(name, no_start_server=True)
        self.ports = [self.client.outports.register(f"capture_{i + 1}") for i in range(len(signals))]
        self.pos = 0
        self.armed = threading.Event()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames):
        n = min(frames, self.signals[0].shape[0] - self.pos) if self.armed.is_set() else 0
        for port, sig in zip(self.ports, self.signals):
            buf = port.get_array()
            buf[:max(n, 0)] = sig[self.pos:self.pos + max(n, 0)]
            buf[max(n, 0):] = 0.0
        self.pos += max(n, 0)

    @property
    def done(self):
        return self.pos >= self.signals[0].shape[0]

    def close(self):
        self.client.deactivate()
        self.client.close()


def connections(port):
    import jack

    c = jack.Client("choice-query", no_start_server=True)
    try:
        return sorted(p.name for p in c.get_all_connections(port))
    finally:
        c.close()


def small_engine(**kw):
    return Engine(EngineConfig(samplerate=SR, blocksize=128, ring_seconds=8, bank_seconds=0.5, bank_slots=4, **kw))


def test_with_a_jack_server_the_default_is_jack(jack_server):
    c = choose()
    assert (c.input["name"], c.output["name"], c.input_channel, c.input_channels) == ("system", "system", 1, 1)
    assert c.describe() == ("audio in: 0 'system' channel 1, out: the same "
                            "(JACK Audio Connection Kit; a JACK server runs)")


def test_the_mic_on_channel_2_of_a_second_device_and_the_output_on_system(jack_server):
    rng = np.random.default_rng(7)
    left = (rng.standard_normal(SR) * 0.1).astype(np.float32)  # what must not be recorded
    right = (np.cos(np.arange(SR) * 2 * np.pi * 440 / SR) * 0.5).astype(np.float32)  # first sample not 0
    mic = Interface("usbmic", [left, right])
    recorder = None
    try:
        refresh_devices()  # PortAudio lists the JACK clients there were at its start
        e = small_engine()
        sound = (rng.standard_normal(2000) * 0.3).astype(np.float32)
        slot = e.bank.add(sound)
        with AudioStream(e, input_device="usbmic", output_device="system", input_channel=2) as stream:
            assert stream.choice.describe() == ("audio in: 1 'usbmic' channel 2; out: 0 'system' "
                                                "(JACK Audio Connection Kit)")
            ins, outs = engine_ports("in"), engine_ports("out")
            # both channels of the interface opened, the outputs on the system's
            assert [connections(p) for p in ins] == [["usbmic:capture_1"], ["usbmic:capture_2"]]
            assert [connections(p) for p in outs] == [["system:playback_1"], ["system:playback_2"]]
            recorder = Recorder("speaker", outs[:1], 5.0, SR)
            assert wait_until(lambda: e.frame > SR // 10, 5)
            e.play(slot, at=e.frame + SR // 10)
            mic.armed.set()
            assert wait_until(lambda: mic.done, 10)
            time.sleep(0.2)
            recorded = recorder.close()
            recorder = None
        captured = e.ring_reader(0).read().copy()[:, 0]
    finally:
        if recorder is not None:
            recorder.close()
        mic.close()
    # channel 2, bit for bit, and nothing of channel 1
    first = int(np.flatnonzero(captured)[0])
    np.testing.assert_array_equal(captured[first:first + SR], right)
    assert not captured[:first].any() and not captured[first + SR:].any()
    # the voice reached the system's playback port
    assert np.abs(recorded[:, 0]).max() > 0.1


def test_devices_by_name_and_number_and_errors_that_list_what_exists(jack_server):
    mic = Interface("usbmic", [np.zeros(10), np.zeros(10)])
    try:
        refresh_devices()
        listing = "available: 0 'system' (2 in, 2 out); 1 'usbmic' (2 in, 0 out)"
        c = choose(input_device=1, output_device="SYS", input_channel=2)
        assert (c.input["index"], c.output["index"], c.input_channels) == (1, 0, 2)
        with pytest.raises(DeviceError) as e:
            choose(input_device="behringer")
        assert str(e.value) == f"input device: no device name contains 'behringer'; {listing}"
        with pytest.raises(DeviceError) as e:
            choose(output_device="usbmic")
        assert str(e.value) == f"output device 1 'usbmic' has 0 output channel(s); needs 2; {listing}"
        with pytest.raises(DeviceError) as e:
            choose(output_device=5)
        assert str(e.value) == f"output device: device 5 does not exist; {listing}"
        with pytest.raises(DeviceError) as e:
            choose(input_device="usbmic", input_channel=3)
        assert str(e.value) == "input channel 3 does not exist on device 1 'usbmic': its channels are 1..2"
    finally:
        mic.close()


def _live(args, env):
    return subprocess.Popen([sys.executable, "-m", "livemappr", "live", "--no-midi", "--web-port", "0",
                             "--osc-port", "0"] + args, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _stop(proc):
    """SIGTERM (a clean stop), SIGKILL after 30 s; what it wrote on stderr."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def _refused(proc):
    """What ``proc`` wrote on stderr, having exited at once with status 2."""
    try:
        err = proc.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        raise AssertionError("livemappr live started: " + _stop(proc)) from None
    assert proc.returncode == 2, err
    return err


def test_live_without_device_opens_jack_ports_and_sound_reaches_them(jack_server, tmp_path):
    from tests.jackserver import Player
    from tests.test_live_e2e import free_udp_port, stable_snippets

    env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
    port = free_udp_port()
    session = tmp_path / "s"
    proc = _live(["--session", str(session), "--osc-port", str(port)], env)
    recorder = mic = None
    try:
        assert wait_until(lambda: proc.poll() is not None or len(engine_ports("out")) == 2, 180, 0.2), \
            "no PortAudio ports"
        assert proc.poll() is None, proc.stderr.read()
        ins, outs = engine_ports("in"), engine_ports("out")
        assert [connections(p) for p in ins] == [["system:capture_1"]]
        assert [connections(p) for p in outs] == [["system:playback_1"], ["system:playback_2"]]
        # four bursts of noise, half a second apart, into the mic
        rng = np.random.default_rng(3)
        take = np.zeros(2 * SR, np.float32)
        for k in range(4):
            take[k * SR // 2:k * SR // 2 + SR // 10] = rng.standard_normal(SR // 10) * 0.3
        mic = Player("mic", take, ins)
        recorder = Recorder("speaker", outs[:1], 60.0, SR)
        mic.armed.set()
        assert wait_until(lambda: mic.done, 10)
        assert stable_snippets(session).snippets
        quiet_until = recorder.n
        assert not np.abs(recorder.data[:quiet_until, 0]).any()  # the engine does not echo the mic
        subprocess.run(["oscsend", "127.0.0.1", str(port), "/livemappr/snippet/play", "f", "0.0"], check=True)
        assert wait_until(lambda: np.abs(recorder.data[quiet_until:recorder.n, 0]).max(initial=0) > 0.01, 5)
    finally:
        for client in (recorder, mic):
            if client is not None:
                client.close()
        err = _stop(proc)
    assert proc.returncode == 0, err
    assert ("livemappr: audio in: 0 'system' channel 1, out: the same (JACK Audio Connection Kit; "
            "a JACK server runs)") in err.splitlines()
    from livemappr.session import journal

    captured, _ = journal.load(session)
    first = int(np.flatnonzero(captured[:, 0])[0])
    np.testing.assert_array_equal(captured[first:first + take.shape[0], 0], take)


@pytest.mark.parametrize("args, shown", [
    (["--input-device", "behringer"],
     "livemappr: error: input device: no device name contains 'behringer'; available: 0 'system' (2 in, 2 out)"),
    (["--device", "system", "--input-channel", "3"],
     "livemappr: error: input channel 3 does not exist on device 0 'system': its channels are 1..2"),
    (["--input-channel", "0"],
     "livemappr: error: session.input_channel must be a channel number in 1..256, got 0"),
])
def test_live_with_a_device_that_does_not_exist_is_one_line(jack_server, args, shown):
    env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
    proc = _live(args, env)
    err = _refused(proc)
    assert err.splitlines() == [shown]


def test_devices_marks_the_default(jack_server):
    env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
    r = subprocess.run([sys.executable, "-m", "livemappr", "devices"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == ("0 system (JACK Audio Connection Kit, 2 in, 2 out, 48000 Hz)  "
                                        "<- default input and output (a JACK server runs)")


def test_the_config_file_names_the_devices_too(jack_server, tmp_path):
    config = tmp_path / "rig.toml"
    config.write_text('[session]\ninput_device = "system"\noutput_device = "system"\ninput_channel = 4\n')
    env = dict(os.environ, JACK_DEFAULT_SERVER=jack_server.name)
    err = _refused(_live(["--config", str(config)], env))
    assert err.splitlines() == [
        "livemappr: error: input channel 4 does not exist on device 0 'system': its channels are 1..2"]


def test_a_file_as_the_mic_plays_where_there_is_no_input_device(tmp_path):
    # A machine with no mic (a Pi's own output only): a JACK server with no
    # capture ports. `live --input FILE` (and the demo) open an output-only
    # stream there; a mic asked of it is a one-line error.
    import soundfile

    from tests.jackserver import JackServer

    if not JackServer.available():
        pytest.skip("jackd (Debian jackd2) is not installed on this platform")
    tone = (np.cos(np.arange(SR) * 2 * np.pi * 330 / SR) * 0.5).astype(np.float32)
    soundfile.write(tmp_path / "tone.wav", tone, SR, subtype="FLOAT")
    server = JackServer(name=f"livemappr-test-{os.getpid()}-nomic", sync=True, capture=0).start()
    try:
        env = dict(os.environ, JACK_DEFAULT_SERVER=server.name)
        listing = subprocess.run([sys.executable, "-m", "livemappr", "devices"], capture_output=True, text=True,
                                 env=env, timeout=60).stdout.splitlines()
        assert listing[:2] == ["0 system (JACK Audio Connection Kit, 0 in, 2 out, 48000 Hz)  "
                               "<- default output (a JACK server runs)", "no default input device"]
        assert _refused(_live(["--input-device", "system"], env)).splitlines() == [
            "livemappr: error: input device 0 'system' has no input channels; available: 0 'system' (0 in, 2 out)"]
        proc = _live(["--input", str(tmp_path / "tone.wav"), "--session", str(tmp_path / "s")], env)
        try:
            assert wait_until(lambda: proc.poll() is not None or len(engine_ports("out")) == 2, 180, 0.2), \
                "no PortAudio ports"
            assert proc.poll() is None, proc.stderr.read()
            assert engine_ports("in") == []
            assert [connections(p) for p in engine_ports("out")] == [["system:playback_1"], ["system:playback_2"]]
            from livemappr.session import journal

            def taken():
                try:
                    return journal.load(tmp_path / "s")[0].shape[0] >= SR
                except Exception:  # not written yet
                    return False

            assert wait_until(taken, 30, 0.2)
        finally:
            err = _stop(proc)
    finally:
        server.stop()
    assert proc.returncode == 0, err
    assert ("livemappr: audio in: none (the mic is a file); out: 0 'system' (JACK Audio Connection Kit; "
            "a JACK server runs)") in err.splitlines()
    captured, _ = journal.load(tmp_path / "s")
    np.testing.assert_array_equal(captured[:SR, 0], tone)
