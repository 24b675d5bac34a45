"""Batched real FFT power spectra in numba, for the mel filterbank; or pocketfft.

Runs on: analysis worker (called from melbank kernels; nothing here is public).

Why our own FFT: numpy's FFT cannot be called from numba, and a snippet of 0.25 s
has only ~22 frames, so per-call overhead dominates any library call. Here the
frames of a block are transformed together: every array is laid out as
``(point, frame)`` so the innermost loop of every butterfly runs over frames with
unit stride and the same twiddle factor, which LLVM turns into SIMD code without
any shuffles. The transform is a Stockham autosort FFT (radix 4, one radix-2
stage when log2 is odd; no bit reversal pass) of half size: a real frame of
``n_fft`` samples is packed into ``n_fft // 2`` complex points (even samples real,
odd samples imaginary) and untangled afterwards. All arithmetic is float64 so
bins 80 dB under a frame's peak keep a relative error far below 1e-4.

Each frame's arithmetic is the same whatever its position in a block, so results
do not depend on how frames are grouped into blocks (the slicer relies on that).

Measured against rocket-fft (pocketfft compiled C++, numba-callable) in the same
kernel: ours is ~1.6-2x slower per frame on this machine (pocketfft runs SIMD
over several transforms without numba's runtime alias checks), so the mel
spectrogram and the features use pocketfft when rocket-fft is installed and
this FFT otherwise; the onset slicer always uses this one.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
from numba import njit, types
from numba.extending import overload

__all__ = ["FFT_BLOCK", "fft_tables", "work_size", "NUMBA_FFT", "POCKETFFT", "DEFAULT_FFT"]

# Which FFT a mel kernel runs is the dtype of an empty marker array passed to
# it: an argument type, so numba's cache keeps one compiled version per FFT and
# never runs code built for a package that has since gone.
#: Our Stockham FFT below: results independent of how frames are grouped, which
#: the slicer's chunking guarantee rests on.
NUMBA_FFT = np.zeros(0, dtype=np.int8)
#: pocketfft through rocket-fft (numba-callable numpy.fft): measured ~2x faster
#: per frame on a 0.25 s snippet (benchmarks/bench_features.py --fft both).
POCKETFFT = np.zeros(0, dtype=np.int16)
_WANT = os.environ.get("LIVEMAPPR_FFT", "auto")
#: What the mel spectrogram and the features use: pocketfft when rocket-fft is
#: installed, unless LIVEMAPPR_FFT=numba.
DEFAULT_FFT = (POCKETFFT if _WANT != "numba" and importlib.util.find_spec("rocket_fft")
               else NUMBA_FFT)

#: Frames transformed together. Odd, so that the four quarters of a stage do
#: not fall on the same cache sets (a power of two here measured ~10-40%
#: slower per frame); 17 frames x 512 points x 4 float64 buffers stay in L2.
FFT_BLOCK = 17


def _block_power(fft, seg, first, nb, hop, window, tw_re, tw_im, post_re, post_im,
                 scratch, power):
    """Kernel-only: ``_power_block`` or pocketfft, chosen by the type of ``fft``.

    ``scratch`` holds at least ``2 * n_fft * FFT_BLOCK`` float64 values.
    """
    raise NotImplementedError("called from numba kernels only")


@overload(_block_power)
def _block_power_impl(fft, seg, first, nb, hop, window, tw_re, tw_im, post_re, post_im,
                      scratch, power):
    if isinstance(fft, types.Array) and fft.dtype == types.int16:
        def pocket(fft, seg, first, nb, hop, window, tw_re, tw_im, post_re, post_im,
                   scratch, power):
            # Unsigned indices so the copies vectorize (see _radix4_stage).
            U = np.uint64
            n_fft = window.shape[0]
            nu = U(n_fft)
            nbu = U(nb)
            flat = scratch[: nb * n_fft]
            for f in range(nbu):
                base = U(first) + f * U(hop)
                row = f * nu
                for j in range(nu):
                    flat[row + j] = seg[base + j] * window[j]
            spec = np.fft.rfft(flat.reshape((nb, n_fft)), axis=1)
            sp = spec.reshape(nb * (n_fft // 2 + 1))
            n_bins = U(n_fft // 2 + 1)
            for f in range(nbu):
                row = f * n_bins
                for k in range(n_bins):
                    z = sp[row + k]
                    power[k * nbu + f] = z.real * z.real + z.imag * z.imag
        return pocket

    def ours(fft, seg, first, nb, hop, window, tw_re, tw_im, post_re, post_im, scratch, power):
        q = scratch.shape[0] // 4
        _power_block(seg, first, nb, hop, window, tw_re, tw_im, post_re, post_im,
                     scratch[:q], scratch[q:2 * q], scratch[2 * q:3 * q], scratch[3 * q:], power)
    return ours


def _block_frames(fft):
    """Kernel-only: frames per block for the FFT ``fft`` marks."""
    raise NotImplementedError("called from numba kernels only")


@overload(_block_frames)
def _block_frames_impl(fft):
    # pocketfft's per-call cost favours one call per snippet; its frames fit
    # the scratch our FFT needs for FFT_BLOCK frames (4 * n_fft / 2 each).
    if isinstance(fft, types.Array) and fft.dtype == types.int16:
        return lambda fft: 2 * FFT_BLOCK
    return lambda fft: FFT_BLOCK


@njit(nogil=True, cache=True)
def _work_size(n_fft, hop):
    m = n_fft // 2
    nb = 2 * FFT_BLOCK  # the larger of the two FFTs' blocks
    return (nb - 1) * hop + n_fft + 4 * m * FFT_BLOCK + (m + 1) * nb


def work_size(n_fft: int, hop: int) -> int:
    """float64 scratch values a block of frames needs (signal, 4 FFT buffers,
    power); kernels call ``_work_size``, the same sum."""
    return int(_work_size(n_fft, hop))


def fft_tables(n_fft: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Twiddle tables for one ``n_fft`` (a power of two >= 4).

    Returns
    -------
    tw_re, tw_im : ndarray of shape (n_fft // 2,)
        ``exp(-2j pi k / (n_fft // 2))``: every stage's twiddles are strided reads.
    post_re, post_im : ndarray of shape (n_fft // 2 + 1,)
        ``exp(-2j pi k / n_fft)``: the real-to-complex untangling factors.
    """
    m = n_fft // 2
    k = np.arange(m, dtype=np.float64)
    tw = np.exp(-2j * np.pi * k / m)
    kp = np.arange(m + 1, dtype=np.float64)
    post = np.exp(-2j * np.pi * kp / n_fft)
    return (np.ascontiguousarray(tw.real), np.ascontiguousarray(tw.imag),
            np.ascontiguousarray(post.real), np.ascontiguousarray(post.imag))


@njit(nogil=True, cache=True, fastmath={'contract'})
def _radix4_stage(xr, xi, yr, yi, n, s, nb, tw_re, tw_im):
    """One radix-4 Stockham stage of length ``n`` and stride ``s``, x -> y."""
    # Unsigned indices: numba skips negative-index wraparound for them, which
    # is what lets LLVM prove the frame loop affine and vectorize it.
    U = np.uint64
    nbu = U(nb)
    su = U(s)
    q4 = U(n // 4)
    quarter = su * q4 * nbu
    for p in range(q4):
        k1 = p * su
        c1 = tw_re[k1]
        s1 = tw_im[k1]
        c2 = tw_re[U(2) * k1]
        s2 = tw_im[U(2) * k1]
        c3 = tw_re[U(3) * k1]
        s3 = tw_im[U(3) * k1]
        # For a fixed p the (q, frame) pairs of every input and output quarter
        # are one contiguous run of s * nb values: one long vector loop.
        ia = su * p * nbu
        ib = ia + quarter
        ic = ib + quarter
        id_ = ic + quarter
        oa = su * U(4) * p * nbu
        ob = oa + su * nbu
        oc = ob + su * nbu
        od = oc + su * nbu
        for f in range(su * nbu):
            ar = xr[ia + f]
            ai = xi[ia + f]
            br = xr[ib + f]
            bi = xi[ib + f]
            cr = xr[ic + f]
            ci = xi[ic + f]
            dr = xr[id_ + f]
            di = xi[id_ + f]
            apc_r = ar + cr
            apc_i = ai + ci
            amc_r = ar - cr
            amc_i = ai - ci
            bpd_r = br + dr
            bpd_i = bi + di
            # j * (b - d)
            jbmd_r = di - bi
            jbmd_i = br - dr
            yr[oa + f] = apc_r + bpd_r
            yi[oa + f] = apc_i + bpd_i
            t_r = amc_r - jbmd_r
            t_i = amc_i - jbmd_i
            yr[ob + f] = t_r * c1 - t_i * s1
            yi[ob + f] = t_r * s1 + t_i * c1
            t_r = apc_r - bpd_r
            t_i = apc_i - bpd_i
            yr[oc + f] = t_r * c2 - t_i * s2
            yi[oc + f] = t_r * s2 + t_i * c2
            t_r = amc_r + jbmd_r
            t_i = amc_i + jbmd_i
            yr[od + f] = t_r * c3 - t_i * s3
            yi[od + f] = t_r * s3 + t_i * c3


@njit(nogil=True, cache=True)
def _radix2_last(xr, xi, yr, yi, s, nb):
    """The final radix-2 stage (length 2, stride ``s``; twiddle 1), x -> y."""
    U = np.uint64
    nbu = U(nb)
    su = U(s)
    # Point q of the first half pairs with point q + s: both halves are
    # contiguous runs of s * nb values.
    half = su * nbu
    for i in range(half):
        ar = xr[i]
        ai = xi[i]
        br = xr[half + i]
        bi = xi[half + i]
        yr[i] = ar + br
        yi[i] = ai + bi
        yr[half + i] = ar - br
        yi[half + i] = ai - bi


@njit(nogil=True, cache=True)
def _stockham(xr, xi, yr, yi, m, nb, tw_re, tw_im):
    """Complex FFT of ``nb`` interleaved columns of length ``m`` (power of 2).

    ``xr``/``xi`` hold the input and ``yr``/``yi`` are scratch: flat float64
    buffers of ``m * nb`` values, point ``p`` of column ``f`` at ``p * nb + f``.
    Returns True when the result ended in y, False when in x.
    """
    n = m
    s = 1
    in_y = False
    while n >= 4:
        if in_y:
            _radix4_stage(yr, yi, xr, xi, n, s, nb, tw_re, tw_im)
        else:
            _radix4_stage(xr, xi, yr, yi, n, s, nb, tw_re, tw_im)
        in_y = not in_y
        n //= 4
        s *= 4
    if n == 2:
        if in_y:
            _radix2_last(yr, yi, xr, xi, s, nb)
        else:
            _radix2_last(xr, xi, yr, yi, s, nb)
        in_y = not in_y
    return in_y


@njit(nogil=True, cache=True, fastmath={'contract'})
def _power_block(seg, first, nb, hop, window, tw_re, tw_im, post_re, post_im,
                 zr, zi, wr, wi, power):
    """Power spectra ``|X[k]|^2`` of ``nb`` frames of a float64 signal.

    Frame ``f`` is ``seg[first + f * hop : first + f * hop + n_fft] * window``.
    ``zr, zi, wr, wi`` are scratch of at least ``n_fft // 2 * nb`` values;
    ``power`` receives ``(n_fft // 2 + 1) * nb`` values, bin ``k`` of frame ``f``
    at ``k * nb + f``.
    """
    U = np.uint64
    n_fft = window.shape[0]
    m = U(n_fft // 2)
    nbu = U(nb)
    # Pack even samples as real parts and odd samples as imaginary parts.
    for f in range(nbu):
        base = U(first) + f * U(hop)
        for p in range(m):
            zr[p * nbu + f] = seg[base + U(2) * p] * window[U(2) * p]
            zi[p * nbu + f] = seg[base + U(2) * p + U(1)] * window[U(2) * p + U(1)]
    if _stockham(zr, zi, wr, wi, n_fft // 2, nb, tw_re, tw_im):
        zr = wr
        zi = wi
    # Untangle: X[k] = E[k] + W^k O[k], E and O the spectra of even/odd samples,
    # recovered from Z[k] and conj(Z[m - k]).
    for k in range(m + U(1)):
        k1 = (k % m) * nbu
        k2 = ((m - k) % m) * nbu
        cr = post_re[k]
        ci = post_im[k]
        ko = k * nbu
        for f in range(nbu):
            ar = zr[k1 + f]
            ai = zi[k1 + f]
            br = zr[k2 + f]
            bi = -zi[k2 + f]
            er = 0.5 * (ar + br)
            ei = 0.5 * (ai + bi)
            # O = -j/2 (Z[k] - conj(Z[m-k]))
            orr = 0.5 * (ai - bi)
            oi = -0.5 * (ar - br)
            xr_ = er + orr * cr - oi * ci
            xi_ = ei + orr * ci + oi * cr
            power[ko + f] = xr_ * xr_ + xi_ * xi_
