"""Onset detection kernels for the live slicer: log-mel spectral flux, an
adaptive threshold, peak picking with a little look-ahead, a noise gate, and
sample-accurate attack refinement in the time domain.

Runs on: analysis worker (called by ``slicer.OnsetSlicer``; nothing public).

Everything is decided frame by frame from state arrays carried between calls,
so the events are the same however the input was chunked.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from livemappr.analysis.fft import NUMBA_FFT
from livemappr.analysis.melbank import _log10_inplace, _mel_power_into

# Event kinds written by ``_detect``.
EV_ONSET = 1
EV_QUIET = 2

# Layout of the int64 state vector.
I_LAST_ONSET = 0   # frame of the last accepted onset
I_ARMED = 1        # 1 while a snippet may still end by silence
I_QUIET_RUN = 2    # consecutive quiet frames so far
I_QUIET_START = 3  # first frame of that run
I_HAVE_PREV = 4    # previous log-mel frame is valid
N_ISTATE = 5


@njit(nogil=True, cache=True)
def _append(buf, at, chunk):
    """``buf[at:at + len(chunk)] = chunk`` with NaN/inf as 0; returns their count."""
    n_bad = 0
    for i in range(chunk.shape[0]):
        v = np.float32(chunk[i])
        if not (v - v == 0.0):
            v = np.float32(0.0)
            n_bad += 1
        buf[at + i] = v
    return n_bad


@njit(nogil=True, cache=True)
def _to_db(mel, floor_pow):
    """``mel = 10 log10(mel + floor_pow)`` in place (C-contiguous 2-D)."""
    flat = mel.reshape(mel.size)
    for i in range(flat.shape[0]):
        flat[i] += floor_pow
    _log10_inplace(flat)
    for i in range(flat.shape[0]):
        flat[i] *= 10.0


@njit(nogil=True, cache=True)
def _refine(buf, n, seg0, lo, hi, zero_before, block):
    """Attack sample of a hit somewhere in absolute ``[lo, hi)``.

    Splits the range into blocks, takes the block whose peak rises most above
    the loudest of the 8 blocks before it (the attack, even over a louder
    tail), and returns its first sample above both -30 dB under the hit's
    peak (the next 16 blocks) and twice that preceding level.
    """
    lo = max(lo, seg0, zero_before)
    hi = min(hi, seg0 + n)
    if hi <= lo:
        return lo
    nblk = (hi - lo + block - 1) // block
    peaks = np.zeros(nblk)
    for k in range(nblk):
        m = 0.0
        for i in range(lo + k * block, min(hi, lo + (k + 1) * block)):
            m = max(m, abs(buf[i - seg0]))
        peaks[k] = m
    # The first 8 blocks are only context (nothing known before them).
    best = -np.inf
    kstar = min(8, nblk - 1)
    for k in range(min(8, nblk - 1), nblk):
        before = 0.0
        for j in range(max(0, k - 8), k):
            before = max(before, peaks[j])
        rise = math.log(peaks[k] + 1e-12) - math.log(before + 1e-12)
        if rise > best:
            best = rise
            kstar = k
    before = 0.0
    for j in range(max(0, kstar - 8), kstar):
        before = max(before, peaks[j])
    top = 0.0
    for j in range(kstar, min(nblk, kstar + 16)):
        top = max(top, peaks[j])
    thr = max(top * 0.03162277660168379, 2.0 * before)
    for i in range(lo + kstar * block, hi):
        if abs(buf[i - seg0]) >= thr:
            return i
    return lo + kstar * block


@njit(nogil=True, cache=True)
def _localize(buf, n, seg0, lo, hi, zero_before, hop_s, window, tw_re, tw_im, post_re,
              post_im, band_start, band_len, band_off, weights, floor_pow, top_frac, work):
    """Where in absolute ``[lo, hi)`` an attack is, to a short window's precision.

    The detector's long window finds hits reliably but only to within its
    length; here a short-window flux (lag: half a window) over the same span
    peaks on the frame whose centre has just passed the attack.
    """
    n_fft = window.shape[0]
    half = n_fft // 2
    lag = max(1, half // hop_s)
    n_mels = band_start.shape[0]
    n_top = max(1, min(n_mels, int(top_frac * n_mels + 0.5)))
    lo = max(lo, zero_before)
    n_frames = (hi - lo) // hop_s + 1
    if n_frames <= lag:
        return lo
    mel = np.empty((n_mels, n_frames), dtype=np.float64)
    # Frame j centred on lo + j * hop_s, read from buf (absolute seg0 at 0).
    _mel_power_into(buf[:n], lo - seg0 - half, 0, n_frames, hop_s, window, tw_re, tw_im,
                    post_re, post_im, band_start, band_len, band_off, weights, 2.0, mel, 0, work,
                    NUMBA_FFT)
    _to_db(mel, floor_pow)
    rises = np.empty(n_mels)
    flux = np.zeros(n_frames)
    for j in range(lag, n_frames):
        for b in range(n_mels):
            ref = mel[b, j - lag]
            if b > 0:
                ref = max(ref, mel[b - 1, j - lag])
            if b + 1 < n_mels:
                ref = max(ref, mel[b + 1, j - lag])
            rises[b] = max(0.0, mel[b, j] - ref)
        rises.sort()
        f = 0.0
        for b in range(n_mels - n_top, n_mels):
            f += rises[b]
        flux[j] = f
    jbest = lag
    for j in range(lag, n_frames):
        if flux[j] > flux[jbest]:
            jbest = j
    return lo + jbest * hop_s


@njit(nogil=True, cache=True)
def _detect(buf, n, seg0, origin, t0, n_frames, hop, window, tw_re, tw_im, post_re,
            post_im, band_start, band_len, band_off, weights, params, fstate, istate,
            flux_ring, level_ring, events, hop_s, window_s, tw_re_s, tw_im_s, post_re_s,
            post_im_s, band_start_s, band_len_s, band_off_s, weights_s, work):
    """Process frames ``t0 .. t0 + n_frames - 1`` (frame t centred on absolute
    sample ``origin + t * hop``); returns the number of events written.

    ``params``: floor_pow, delta_db, gate_db, silence_db, pre, post, wait,
    median_frames, silence_frames, refine_block, n_top, top_fraction,
    level_rise_db.
    The ``_s`` arguments are the short-window plan ``_localize`` uses;
    ``work`` is float64 scratch for either plan's FFTs. ``events[j] = (kind, sample)``.
    """
    n_fft = window.shape[0]
    half = n_fft // 2
    n_mels = band_start.shape[0]
    floor_pow = params[0]
    delta = params[1]
    gate_db = params[2]
    silence_db = params[3]
    pre = int(params[4])
    post = int(params[5])
    wait = int(params[6])
    n_med = int(params[7])
    silence_frames = int(params[8])
    block = int(params[9])
    n_top = max(1, min(n_mels, int(params[10])))
    rises = np.zeros(n_mels)
    ring = flux_ring.shape[0]
    prev = fstate
    mel = np.empty((n_mels, n_frames), dtype=np.float64)
    _mel_power_into(buf[:n], origin - seg0 - half, t0, n_frames, hop, window, tw_re, tw_im,
                    post_re, post_im, band_start, band_len, band_off, weights, 2.0, mel, 0, work,
                    NUMBA_FFT)
    _to_db(mel, floor_pow)
    wsum = 0.0
    for j in range(n_fft):
        wsum += window[j] * window[j]
    med = np.empty(n_med)
    n_ev = 0
    for i in range(n_frames):
        t = t0 + i
        # Level (dB full scale) of the windowed frame, from the samples.
        lo = origin + t * hop - half - seg0
        e = 0.0
        for j in range(max(0, -lo), min(n_fft, n - lo)):
            v = buf[lo + j] * window[j]
            e += v * v
        level = 10.0 * math.log10(e / wsum + 1e-20)
        # Flux against the frame ``lag`` hops back, max-filtered over
        # neighbouring bands (SuperFlux). With hop = n_fft / 4 an attack enters
        # the window over four frames, so lag 1 splits its rise into small steps.
        # Only the n_top largest band rises count: a kick under a ringing
        # cymbal lifts a few low bands a lot, which a mean over all bands hides.
        flux = 0.0
        lag = prev.shape[0]
        slot = t % lag
        if istate[I_HAVE_PREV] >= lag:
            for b in range(n_mels):
                ref = prev[slot, b]
                if b > 0:
                    ref = max(ref, prev[slot, b - 1])
                if b + 1 < n_mels:
                    ref = max(ref, prev[slot, b + 1])
                rises[b] = max(0.0, mel[b, i] - ref)
            rises.sort()
            for b in range(n_mels - n_top, n_mels):
                flux += rises[b]
        for b in range(n_mels):
            prev[slot, b] = mel[b, i]
        istate[I_HAVE_PREV] += 1
        flux_ring[t % ring] = flux / n_top
        level_ring[t % ring] = level
        # Silence after an onset ends its snippet.
        if istate[I_ARMED] == 1:
            if level < silence_db:
                if istate[I_QUIET_RUN] == 0:
                    istate[I_QUIET_START] = t
                istate[I_QUIET_RUN] += 1
                if istate[I_QUIET_RUN] >= silence_frames:
                    events[n_ev, 0] = EV_QUIET
                    events[n_ev, 1] = origin + istate[I_QUIET_START] * hop
                    n_ev += 1
                    istate[I_ARMED] = 0
            else:
                istate[I_QUIET_RUN] = 0
        # Decide frame c now that its look-ahead frames exist.
        c = t - post
        if c < 1 or c - istate[I_LAST_ONSET] < wait:
            continue
        fc = flux_ring[c % ring]
        is_peak = True
        for k in range(max(0, c - pre), c + post + 1):
            v = flux_ring[k % ring]
            if v > fc or (v == fc and k < c):
                is_peak = False
                break
        if not is_peak:
            continue
        m = 0
        for k in range(max(0, c - n_med), c):
            med[m] = flux_ring[k % ring]
            m += 1
        thr = delta
        if m > 0:
            thr += np.median(med[:m])
        if fc < thr:
            continue
        loud = -np.inf
        for k in range(c, c + post + 1):
            loud = max(loud, level_ring[k % ring])
        if loud < gate_db:
            continue
        # A hit raises the broadband level too, if only a little; the beating
        # partials of a decaying tom or cymbal lift a few bands but not that.
        quiet = np.inf
        for k in range(max(0, c - lag - 2), c):
            quiet = min(quiet, level_ring[k % ring])
        if loud - quiet < params[12]:
            continue
        centre = origin + c * hop
        s = _localize(buf, n, seg0, centre - half - hop, centre + half + hop, origin, hop_s,
                      window_s, tw_re_s, tw_im_s, post_re_s, post_im_s, band_start_s,
                      band_len_s, band_off_s, weights_s, floor_pow, params[11], work)
        half_s = window_s.shape[0] // 2
        s = _refine(buf, n, seg0, s - 2 * half_s - 8 * block, s + half_s // 2, origin, block)
        events[n_ev, 0] = EV_ONSET
        events[n_ev, 1] = s
        n_ev += 1
        istate[I_LAST_ONSET] = c
        istate[I_ARMED] = 1
        istate[I_QUIET_RUN] = 0
    return n_ev
