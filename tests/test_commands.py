import numpy as np
import pytest

from livemappr.audio.config import EngineConfig
from livemappr.audio.engine import Engine
from livemappr.errors import CommandQueueFull
from livemappr.audio.offline import render
from livemappr.realtime import commands as c


def small_engine(**kw):
    return Engine(EngineConfig(ring_seconds=1, bank_seconds=0.5, bank_slots=8, **kw))


def test_queue_round_trip_keeps_fields_and_order():
    ints, floats, state = c.allocate_queue(4, c.N_CMD_INTS, c.N_CMD_FLOATS)
    for i in range(3):
        assert c.push_command(ints, floats, state, c.CMD_PLAY, i, 7, 0, 1, 100 + i, 0, 0.5, 2.0, 3.0, 0.0)
    out_i = np.zeros((4, c.N_CMD_INTS), np.int64)
    out_f = np.zeros((4, c.N_CMD_FLOATS), np.float64)
    for i in range(3):
        assert c.pop_command(ints, floats, state, out_i, out_f, i)
    assert not c.pop_command(ints, floats, state, out_i, out_f, 3)
    assert list(out_i[:3, c.C_SLOT]) == [0, 1, 2]
    assert list(out_i[:3, c.C_TARGET]) == [100, 101, 102]
    assert list(out_i[:3, c.C_SEQ]) == [0, 1, 2]
    assert out_f[1, c.C_RATE] == 2.0 and out_f[2, c.C_OFFSET] == 3.0


def test_full_command_queue_refuses_and_control_side_gets_clear_error():
    e = small_engine(command_capacity=8)
    slot = e.bank.add(np.ones(10, np.float32))
    for _ in range(8):
        e.play(slot)
    with pytest.raises(CommandQueueFull, match="command queue full \\(8 waiting\\)"):
        e.play(slot)
    # The audio thread drains without blocking; then commands flow again.
    render(e, 64)
    assert e.meters()["commands"] == 8
    e.play(slot)


def test_full_event_queue_drops_and_counts_instead_of_blocking():
    e = small_engine(event_capacity=4)
    slot = e.bank.add(np.ones(4, np.float32))
    render(e, 400, commands=[e.play_command(slot, at=10 * i) for i in range(10)])
    events = e.events()
    assert len(events) == 4 and all(ev.kind == "voice_done" for ev in events)
    assert e.dropped_events == 6


@pytest.mark.parametrize("kwargs, message", [
    ({"gain": float("nan")}, "gain must be in"),
    ({"gain": -1}, "gain must be in"),
    ({"rate": 0}, "rate must be in \\(0.0, 16.0\\]"),
    ({"rate": "fast"}, "rate must be a number"),
    ({"at": 1.5}, "at must be a whole number"),
    ({"tag": -3}, "tag must be in 0.."),
])
def test_bad_command_values_are_refused_on_the_control_side(kwargs, message):
    e = small_engine()
    with pytest.raises(ValueError, match=message):
        e.play(0, **kwargs)


def test_integral_floats_are_accepted_where_ints_are_meant():
    e = small_engine()
    cmd = e.play_command(3.0, at=12.0, tag=2.0)
    assert (cmd.slot, cmd.target, cmd.tag) == (3, 12, 2)
    with pytest.raises(ValueError, match="slot must be in 0..7"):
        e.play_command(8)


def test_commands_for_unpublished_slots_are_ignored_and_counted():
    e = small_engine()
    out = render(e, 256, commands=[e.play_command(5, at=0)])
    assert not out.any()
    assert e.meters()["ignored_commands"] == 1


def test_the_published_clock_pair_is_each_callbacks_first_frame_and_start():
    import time

    from livemappr.realtime.meters import read_clock

    e = small_engine()
    assert read_clock(e.state.meters) == (0, 0)
    t0 = time.monotonic_ns()
    render(e, 1000, blocksize=300)
    frame, start_ns = read_clock(e.state.meters)
    assert frame == 900 and t0 < start_ns <= time.monotonic_ns()
