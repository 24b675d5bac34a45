"""The input player (a file as the mic) and the output ring (what was played)."""

import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.audio.offline import render


def engine(**kw):
    return Engine(EngineConfig(ring_seconds=2, bank_seconds=1, bank_slots=4, input_seconds=1.0, **kw))


@pytest.mark.parametrize("blocksize", [1, 64, 100, 8192])
def test_loaded_input_replaces_the_device_input_exactly(blocksize):
    e = engine()
    mic = (np.random.default_rng(0).standard_normal(30000) * 0.1).astype(np.float32)
    device = np.full(40000, 0.5, np.float32)  # what the device would give
    e.load_input(mic[:, None])
    assert e.input_active
    render(e, input=device, blocksize=blocksize)
    captured = e.ring_reader(0).read().copy()[:, 0]
    np.testing.assert_array_equal(captured[:30000], mic)
    assert not captured[30000:].any()  # after the file: silence, not the device
    assert not e.input_active


def test_input_longer_than_configured_is_refused():
    e = engine()
    with pytest.raises(ValueError, match="input is 1.5 s; the engine was sized for 1 s"):
        e.load_input(np.zeros((72000, 1), np.float32))


def test_output_ring_holds_what_was_played():
    e = engine()
    slot = e.bank.add(np.linspace(0, 0.5, 2000).astype(np.float32))
    reader = e.output_reader(0)
    out = render(e, 5000, commands=[e.play_command(slot, at=123)])
    played = reader.read().copy()
    np.testing.assert_array_equal(played, out)
    assert played.shape == (5000, 2)


def test_a_paced_stream_waits_for_a_slow_output_reader_and_loses_nothing():
    # Faster than real time (the demo, CI) the paced stream must not outrun
    # --output's writer, even when that thread is held up for a while.
    import time

    from livemappr.audio.stream import PacedStream

    e = engine(output_ring_seconds=0.5)
    reader = e.output_reader(0)
    stream = PacedStream(e, speed=None, readers=[reader])
    stream.start()
    try:
        time.sleep(0.5)  # the writer stalls: far longer than the ring lasts at this speed
        assert 0 < reader.available() <= reader.capacity // 2 + e.config.blocksize
        got = 0
        deadline = time.monotonic() + 5
        while got < 10 * reader.capacity and time.monotonic() < deadline:
            got += reader.read().frames
    finally:
        stream.stop()
    assert got >= 10 * reader.capacity and reader.missed == 0
