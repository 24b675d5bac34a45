"""Meters: what the audio thread did, readable from any thread without locks.

Runs on: audio thread (``meter_callback``); any thread reads with
:func:`read_meters`.

Every field is one aligned int64, which every target writes and reads whole,
so a reader never sees a torn value; fields read at slightly different moments
may disagree by one callback, which is fine for meters. Callback durations go
into a histogram of their share of the block budget (frames / sample rate) in
steps of 0.001; a reader that wants "since now" takes two readings and
subtracts them. Maxima cannot be subtracted, so a reader asks the audio thread
to reset them (``M_RESET``).
"""

import numpy as np

from livemappr.realtime.atomics import fence, load_acquire, store_release
from livemappr.realtime.jit import audio_kernel

# Meter fields (int64)
(
    M_CALLBACKS,  # callbacks run
    M_FRAMES,  # frames processed (the stream's frame clock)
    M_XRUNS,  # callbacks with any PortAudio status flag
    M_INPUT_UNDERFLOW,
    M_INPUT_OVERFLOW,
    M_OUTPUT_UNDERFLOW,
    M_OUTPUT_OVERFLOW,
    M_PRIMING,
    M_LAST_NS,  # duration of the last callback
    M_MAX_NS,  # longest callback since reset
    M_MAX_SHARE_PPM,  # its share of the block budget, parts per million
    M_VOICES,  # voices sounding now
    M_VOICES_MAX,  # most voices at once since reset
    M_STEALS,  # voices taken for new ones
    M_COMMANDS,  # commands applied
    M_LATE_COMMANDS,  # commands whose frame had passed when they arrived
    M_IGNORED_COMMANDS,  # commands naming an unpublished slot or unknown kind
    M_NONFINITE,  # output samples that were NaN/inf and replaced by 0
    M_LATE_CALLBACKS,  # callbacks starting more than 1.5 periods after the last
    M_LATE_MAX_NS,  # worst gap beyond one period since reset
    M_PREV_START_NS,  # start time of the previous callback
    M_RESET,  # set by a reader; the audio thread zeroes the maxima and clears it
    M_PENDING,  # commands waiting for their frame
    M_CLOCK_SEQ,  # sequence lock of the (frame, time) pair below: odd while writing
    M_CLOCK_FRAME,  # first frame of the callback now running (or last run)
    M_CLOCK_NS,  # CLOCK_MONOTONIC time that callback started
) = range(26)
N_METERS = 32

HIST_BINS = 2000  # share of budget in steps of 0.001; the last bin holds >= 1.999
HIST_STEP = 0.001

# PortAudio status flags
PA_INPUT_UNDERFLOW = 1
PA_INPUT_OVERFLOW = 2
PA_OUTPUT_UNDERFLOW = 4
PA_OUTPUT_OVERFLOW = 8
PA_PRIMING_OUTPUT = 16


def allocate_meters():
    """Returns ``(meters, hist)``: int64 arrays of N_METERS and HIST_BINS."""
    return np.zeros(N_METERS, np.int64), np.zeros(HIST_BINS, np.int64)


@audio_kernel
def publish_clock(meters, frame, start_ns):
    """Publish where the stream is: this callback's first frame and start time,
    as one consistent pair (a sequence lock). Runs on: audio thread."""
    seq = meters[M_CLOCK_SEQ]
    store_release(meters, M_CLOCK_SEQ, seq + 1)
    fence()
    meters[M_CLOCK_FRAME] = frame
    meters[M_CLOCK_NS] = start_ns
    store_release(meters, M_CLOCK_SEQ, seq + 2)


@audio_kernel
def read_clock(meters):
    """The last published ``(frame, start_ns)`` pair, never torn.

    Runs on: any thread. Returns ``(0, 0)`` before the first callback.
    """
    while True:
        seq = load_acquire(meters, M_CLOCK_SEQ)
        if seq & 1:
            continue  # the audio thread is writing: a few nanoseconds
        frame = load_acquire(meters, M_CLOCK_FRAME)
        start_ns = load_acquire(meters, M_CLOCK_NS)
        fence()
        if load_acquire(meters, M_CLOCK_SEQ) == seq:
            return frame, start_ns


@audio_kernel
def meter_status(meters, status):
    """Count PortAudio status flags. Runs on: audio thread."""
    if status == 0:
        return
    meters[M_XRUNS] += 1
    if status & PA_INPUT_UNDERFLOW:
        meters[M_INPUT_UNDERFLOW] += 1
    if status & PA_INPUT_OVERFLOW:
        meters[M_INPUT_OVERFLOW] += 1
    if status & PA_OUTPUT_UNDERFLOW:
        meters[M_OUTPUT_UNDERFLOW] += 1
    if status & PA_OUTPUT_OVERFLOW:
        meters[M_OUTPUT_OVERFLOW] += 1
    if status & PA_PRIMING_OUTPUT:
        meters[M_PRIMING] += 1


@audio_kernel
def meter_callback(meters, hist, start_ns, end_ns, frames, samplerate):
    """Record one callback's timing. Runs on: audio thread."""
    if meters[M_RESET] != 0:
        meters[M_MAX_NS] = 0
        meters[M_MAX_SHARE_PPM] = 0
        meters[M_LATE_MAX_NS] = 0
        meters[M_VOICES_MAX] = meters[M_VOICES]
        meters[M_RESET] = 0
    duration = end_ns - start_ns
    budget_ns = frames * 1e9 / samplerate
    share = duration / budget_ns if budget_ns > 0 else 0.0
    b = int(share / HIST_STEP)
    hist[min(max(b, 0), HIST_BINS - 1)] += 1
    meters[M_LAST_NS] = duration
    if duration > meters[M_MAX_NS]:
        meters[M_MAX_NS] = duration
        meters[M_MAX_SHARE_PPM] = int(share * 1e6)
    prev = meters[M_PREV_START_NS]
    if prev != 0 and budget_ns > 0:
        gap = start_ns - prev
        if gap > 1.5 * budget_ns:
            meters[M_LATE_CALLBACKS] += 1
        late = int(gap - budget_ns)
        if late > meters[M_LATE_MAX_NS]:
            meters[M_LATE_MAX_NS] = late
    meters[M_PREV_START_NS] = start_ns
    meters[M_CALLBACKS] += 1


_FIELDS = {
    "callbacks": M_CALLBACKS,
    "frames": M_FRAMES,
    "xruns": M_XRUNS,
    "input_underflow": M_INPUT_UNDERFLOW,
    "input_overflow": M_INPUT_OVERFLOW,
    "output_underflow": M_OUTPUT_UNDERFLOW,
    "output_overflow": M_OUTPUT_OVERFLOW,
    "priming": M_PRIMING,
    "last_ms": M_LAST_NS,
    "max_ms": M_MAX_NS,
    "voices": M_VOICES,
    "voices_max": M_VOICES_MAX,
    "steals": M_STEALS,
    "commands": M_COMMANDS,
    "late_commands": M_LATE_COMMANDS,
    "ignored_commands": M_IGNORED_COMMANDS,
    "nonfinite": M_NONFINITE,
    "late_callbacks": M_LATE_CALLBACKS,
    "late_max_ms": M_LATE_MAX_NS,
    "pending": M_PENDING,
}


def share_percentile(hist, q):
    """The ``q``-th percentile (0..100) of callback share of budget in ``hist``.

    Returns the upper edge of the bin, so it never under-reports; NaN for an
    empty histogram.
    """
    total = int(hist.sum())
    if total == 0:
        return float("nan")
    rank = int(np.ceil(q / 100.0 * total))
    b = int(np.searchsorted(np.cumsum(hist), max(rank, 1)))
    return (b + 1) * HIST_STEP


def read_meters(meters, hist, since=None):
    """A plain dict of the meters. Runs on: any thread.

    Parameters
    ----------
    meters, hist : the audio thread's arrays
    since : dict, optional
        An earlier reading: counters and the histogram become differences
        (maxima are as since the last reset).
    """
    m = meters.copy()
    h = hist.copy()
    out = {}
    for name, idx in _FIELDS.items():
        value = int(m[idx])
        if name.endswith("_ms"):
            out[name] = value / 1e6
        else:
            out[name] = value
    out["max_share"] = int(m[M_MAX_SHARE_PPM]) / 1e6
    out["hist"] = h
    if since is not None:
        for name in ("callbacks", "frames", "xruns", "input_underflow", "input_overflow",
                     "output_underflow", "output_overflow", "priming", "steals", "commands",
                     "late_commands", "ignored_commands", "nonfinite", "late_callbacks"):
            out[name] -= since[name]
        h = h - since["hist"]
        out["hist"] = h
    out["p50_share"] = share_percentile(h, 50)
    out["p99_share"] = share_percentile(h, 99)
    return out
