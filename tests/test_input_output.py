"""The input player (a file as the mic) and the output ring (what was played)."""

import numpy as np
import pytest

from livemappr.config import EngineConfig
from livemappr.engine import Engine
from livemappr.offline import render


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
