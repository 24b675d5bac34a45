"""Reading a long audio file a block at a time: a whole song without the whole song in memory.

Runs on: the caller's thread (``livemappr map --tracks``' pool of threads).

:func:`audiofile.read` decodes a file at once, which a one-shot needs and a
10-minute song at 48 kHz stereo pays for with ~230 MB (decoded, mixed down
and resampled copies). :func:`blocks` yields the same audio (mono, float32,
at the rate asked for) in blocks of a bounded size: libsndfile decodes
``block_frames`` frames at a time and soxr's streaming resampler carries its
filter state from block to block, so what the caller holds at once is one
block, whatever the file's length.

The header is checked as :func:`audiofile.read` checks it (rate, channels,
length), NaN and inf samples are read as 0, and a file that cannot be read
or decoded, at its start or half-way, is one :class:`AudioFileError` naming
the file.
"""

import numpy as np
import soundfile

from livemappr.files.audiofile import (DEFAULT_MAX_SECONDS, MAX_SAMPLERATE, MIN_SAMPLERATE, AudioFileError,
                                       _native, _reason, display, info)

__all__ = ["blocks", "BLOCK_FRAMES"]

#: Frames decoded at a time: 64k frames of 8 channels are 2 MB of float32.
BLOCK_FRAMES = 65536
#: At most this many samples (frames x channels) decoded at a time: a
#: 1024-channel file is read 1024 frames at a time, not 64k (256 MB).
BLOCK_SAMPLES = 1 << 20


def blocks(path, samplerate, block_frames=BLOCK_FRAMES, max_seconds=DEFAULT_MAX_SECONDS):
    """The audio of ``path`` as mono float32 blocks at ``samplerate``.

    Parameters
    ----------
    path : str or Path
    samplerate : int
        Rate of the blocks yielded (soxr HQ, streaming, where the file's differs).
    block_frames : int
        Frames of the file decoded at a time, >= 1 (fewer for files of
        many channels: at most ``BLOCK_SAMPLES`` samples a block).
    max_seconds : float
        Refuse, before decoding, a file longer than this.

    Yields
    ------
    ndarray of shape (n,), float32
        Consecutive blocks; n may be 0 where the resampler holds samples back.

    Raises
    ------
    AudioFileError
        The file cannot be read, its header is out of range, it is too long,
        or it fails to decode part-way.
    """
    if not (isinstance(block_frames, int) and block_frames >= 1):
        raise ValueError(f"block_frames must be an integer >= 1, got {block_frames!r}")
    meta = info(path)
    name = display(path)
    if not MIN_SAMPLERATE <= meta.samplerate <= MAX_SAMPLERATE or not 1 <= meta.channels <= 1024:
        raise AudioFileError(f"{name}: not a readable audio file (its header says {meta.samplerate} Hz, "
                             f"{meta.channels} channel(s); {MIN_SAMPLERATE}..{MAX_SAMPLERATE} Hz and "
                             "1..1024 channels allowed)")
    if meta.frames / meta.samplerate > max_seconds:
        raise AudioFileError(f"{name}: {meta.frames / meta.samplerate:.0f} s long; at most {max_seconds:.0f} s allowed")
    block_frames = max(1, min(block_frames, BLOCK_SAMPLES // meta.channels))
    stream = None
    if int(samplerate) != meta.samplerate:
        import soxr

        stream = soxr.ResampleStream(meta.samplerate, int(samplerate), 1, dtype="float32", quality="HQ")
    try:
        with soundfile.SoundFile(_native(path)) as f:
            left = meta.frames  # at most what the header claims, as audiofile.read
            while left > 0:
                data = f.read(min(block_frames, left), dtype="float32", always_2d=True)
                if data.shape[0] == 0:
                    break
                left -= data.shape[0]
                y = data[:, 0].copy() if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
                y[~np.isfinite(y)] = 0.0
                yield y if stream is None else stream.resample_chunk(y, last=False)
            if stream is not None:
                yield stream.resample_chunk(np.zeros(0, np.float32), last=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, OSError) as e:
        raise AudioFileError(f"{name}: cannot decode ({_reason(e)})") from None
