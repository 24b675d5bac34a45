import numpy as np
import pytest

from livemappr.realtime.ring import RingReader, allocate_ring, ring_write


def write(buf, state, frames, first_value, channels=2):
    block = (np.arange(frames * channels, dtype=np.float32) + first_value * channels)
    ring_write(buf, state, block, frames)
    return block.reshape(frames, channels)


def frames_of(start, n, channels=2):
    return (np.arange(n * channels, dtype=np.float32) + start * channels).reshape(n, channels)


def test_capacity_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        allocate_ring(1000, 1, 16)


def test_wraparound_gives_two_zero_copy_views_in_order():
    buf, state = allocate_ring(64, 2, 8)
    reader = RingReader(buf, state, start=0)
    write(buf, state, 50, 0)
    r = reader.read()
    assert (r.start, r.missed, r.frames) == (0, 0, 50)
    assert reader.release(r) == 0
    write(buf, state, 30, 50)  # rows 50..63 then 0..15
    r = reader.read()
    assert r.start == 50 and r.first.shape == (14, 2) and r.second.shape == (16, 2)
    assert np.shares_memory(r.first, buf) and np.shares_memory(r.second, buf)
    np.testing.assert_array_equal(r.copy(), frames_of(50, 30))
    assert reader.release(r) == 0 and reader.missed == 0


def test_writer_publishes_large_blocks_in_guard_sized_chunks():
    buf, state = allocate_ring(64, 2, 8)
    write(buf, state, 20, 0)
    assert state[0] == 20


def test_overflow_is_counted_and_reader_resumes_at_oldest_safe_frame():
    buf, state = allocate_ring(64, 2, 8)
    reader = RingReader(buf, state, start=0)
    for k in range(10):  # 200 frames into a 64-frame ring
        write(buf, state, 20, 20 * k)
    r = reader.read()
    # Frames older than written - capacity + guard = 200 - 64 + 8 are gone.
    assert r.start == 144 and r.missed == 144 and r.frames == 56
    np.testing.assert_array_equal(r.copy(), frames_of(144, 56))
    assert reader.missed == 144


def test_release_reports_frames_overwritten_while_in_use():
    buf, state = allocate_ring(64, 2, 8)
    reader = RingReader(buf, state, start=0)
    write(buf, state, 40, 0)
    r = reader.read()
    write(buf, state, 40, 40)  # the writer laps the views the reader still holds
    lost = reader.release(r)
    assert lost == 80 - 64 + 8  # frames 0..23 of the read may be torn
    assert reader.missed == lost


def test_read_limit_and_available():
    buf, state = allocate_ring(64, 1, 8)
    reader = RingReader(buf, state, start=0)
    write(buf, state, 30, 0, channels=1)
    assert reader.available() == 30
    r = reader.read(max_frames=10)
    assert (r.start, r.frames) == (0, 10)
    assert reader.available() == 20


def test_empty_input_records_silence_and_keeps_frame_numbers():
    buf, state = allocate_ring(64, 1, 8)
    buf[:] = 7.0
    ring_write(buf, state, np.zeros(0, np.float32), 12)
    assert state[0] == 12
    assert np.all(buf[:12] == 0.0) and np.all(buf[12:] == 7.0)


def test_copy_range_returns_frames_still_held_and_none_for_lost_or_future_ones():
    buf, state = allocate_ring(64, 2, 8)
    reader = RingReader(buf, state, start=0)
    write(buf, state, 60, 0)
    write(buf, state, 20, 60)  # written = 80; oldest safe = 80 - 64 + 8 = 24
    np.testing.assert_array_equal(reader.copy_range(30, 75), frames_of(30, 45))
    assert reader.copy_range(10, 30) is None  # overwritten
    assert reader.copy_range(70, 90) is None  # not written yet
    assert reader.cursor == 0
