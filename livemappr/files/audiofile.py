"""Reading audio files for the engine: any rate, any channels, bad files named.

Runs on: the caller's thread (never the audio thread).

libsndfile (through soundfile) reads WAV, FLAC, AIFF, OGG and MP3. A file at
another sample rate is resampled (soxr, which librosa already requires) so a
performer's file simply plays; channels are mixed down or repeated to what
the engine wants; NaN and inf samples become 0 and are counted. A file that
cannot be read, or is longer than the caller allows, is a one-line
:class:`AudioFileError` naming the file and the reason, never a traceback.

Before anything is decoded, the header's numbers are checked: the sample
rate must be in :data:`MIN_SAMPLERATE`..:data:`MAX_SAMPLERATE`, and the
memory the decoded and resampled samples would take (frames x channels x
resample ratio) at most ``max_bytes``: a small file whose header claims 14 Hz
would otherwise be resampled to gigabytes. File names need not be UTF-8:
they go to libsndfile as the bytes on disk (:func:`os.fsencode`), and messages
show undecodable bytes as ``\\xff`` (:func:`display`).
"""

import math
import os
import pathlib
import sys
from typing import NamedTuple

import numpy as np
import soundfile

from livemappr.errors import UsageError

DEFAULT_MAX_SECONDS = 4 * 3600.0  # a long set
#: The most memory the decoded and resampled samples of one file may take
#: (float32): 3.1 h of 48 kHz mono from a 48 kHz mono file, 1.5 h of stereo.
DEFAULT_MAX_BYTES = 4 * 1024 ** 3
#: Sample rates a file's header may claim; anything else is a damaged or hostile header.
MIN_SAMPLERATE, MAX_SAMPLERATE = 1000, 768000


class AudioFileError(UsageError):
    """A file that cannot be used as audio."""


class Audio(NamedTuple):
    """Decoded audio.

    Attributes
    ----------
    samples : ndarray of shape (n_frames, channels), float32
    samplerate : int
        After resampling.
    source_samplerate : int
        As stored in the file.
    nonfinite : int
        NaN/inf samples replaced by 0.
    """

    samples: np.ndarray
    samplerate: int
    source_samplerate: int
    nonfinite: int


def display(path):
    """``path`` for a message: bytes that are not UTF-8 shown as ``\\xff``, never an encoding error."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _native(path):
    """The name libsndfile opens: the bytes on disk (any encoding) on POSIX."""
    return str(path) if sys.platform == "win32" else os.fsencode(path)


def info(path):
    """``soundfile.info`` with errors as :class:`AudioFileError`."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise AudioFileError(f"{display(path)}: no such file")
    try:
        return soundfile.info(_native(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as e:
        raise AudioFileError(f"{display(path)}: not a readable audio file ({_reason(e)})") from None


def _check_size(path, meta, samplerate, channels, max_seconds, max_bytes):
    """Refuse, before decoding, a file whose samples would take more than ``max_bytes``."""
    name = display(path)
    sr, ch, frames = meta.samplerate, meta.channels, meta.frames
    if not MIN_SAMPLERATE <= sr <= MAX_SAMPLERATE or not 1 <= ch <= 1024 or frames < 0:
        raise AudioFileError(f"{name}: not a readable audio file (its header says {sr} Hz, {ch} channel(s); "
                             f"{MIN_SAMPLERATE}..{MAX_SAMPLERATE} Hz and 1..1024 channels allowed)")
    seconds = frames / sr
    if seconds > max_seconds:
        raise AudioFileError(f"{name}: {seconds:.0f} s long; at most {max_seconds:.0f} s allowed")
    out_rate, out_ch = (samplerate or sr), (channels or ch)
    out_frames = math.ceil(frames * out_rate / sr)
    need = frames * ch  # decoded
    if out_ch != ch:
        need += frames * out_ch  # channels matched
    if out_rate != sr:
        need += out_frames * out_ch  # resampled
    need *= 4  # float32
    if need > max_bytes:
        what = f"resampled to {out_rate} Hz" if out_rate != sr else "decoded"
        raise AudioFileError(f"{name}: its header claims {frames} frames at {sr} Hz x {ch} channel(s) "
                             f"({seconds:.0f} s); {what} x {out_ch} channel(s) that is {need / 1e9:.1f} GB, "
                             f"at most {max_bytes / 1e9:.1f} GB allowed")
    return need


def read(path, samplerate=None, channels=None, max_seconds=DEFAULT_MAX_SECONDS, max_bytes=DEFAULT_MAX_BYTES):
    """Read a whole file as float32.

    Parameters
    ----------
    path : str or Path
    samplerate : int, optional
        Resample to this rate; default keep the file's.
    channels : int, optional
        Mix down (mean) to 1, or repeat/trim to this many; default keep.
    max_seconds : float
        Refuse longer files.
    max_bytes : int
        Refuse, before decoding, a file whose decoded, channel-matched and
        resampled samples would take more memory than this.

    Returns
    -------
    Audio
    """
    path = pathlib.Path(path)
    meta = info(path)
    samplerate = int(samplerate) if samplerate is not None else None
    need = _check_size(path, meta, samplerate, channels, max_seconds, max_bytes)
    try:
        # at most the frames the header claims: what the size check counted
        data, sr = soundfile.read(_native(path), frames=meta.frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, OSError) as e:
        raise AudioFileError(f"{display(path)}: cannot decode ({_reason(e)})") from None
    except MemoryError:
        raise AudioFileError(f"{display(path)}: not enough memory to decode it ({need / 1e9:.1f} GB)") from None
    try:
        bad = ~np.isfinite(data)
        nonfinite = int(bad.sum())
        if nonfinite:
            data[bad] = 0.0
        del bad
        data = _match_channels(data, channels)
        if samplerate is not None and samplerate != sr:
            data = _resample(data, sr, samplerate)
    except MemoryError:
        raise AudioFileError(f"{display(path)}: not enough memory to decode it ({need / 1e9:.1f} GB)") from None
    out_rate = samplerate if samplerate is not None else sr
    return Audio(np.ascontiguousarray(data, dtype=np.float32), out_rate, sr, nonfinite)


def _match_channels(data, channels):
    if channels is None or data.shape[1] == channels:
        return data
    if channels == 1:
        return data.mean(axis=1, keepdims=True)
    reps = -(-channels // data.shape[1])
    return np.tile(data, (1, reps))[:, :channels]


def resample(samples, from_rate, to_rate):
    """``samples`` (frames, or frames x channels) from ``from_rate`` to ``to_rate`` Hz, float32.

    The same band-limited resampler (soxr, HQ) :func:`read` uses; a no-op when the rates match.
    """
    samples = np.asarray(samples, np.float32)
    if int(from_rate) == int(to_rate):
        return samples
    data = samples[:, None] if samples.ndim == 1 else samples
    out = _resample(data, int(from_rate), int(to_rate))
    return out[:, 0] if samples.ndim == 1 else out


def _resample(data, from_rate, to_rate):
    import soxr

    if data.shape[0] == 0:
        return data
    return soxr.resample(data, from_rate, to_rate, quality="HQ").astype(np.float32, copy=False)


def _reason(e):
    text = str(e).strip().splitlines()
    return text[-1] if text else type(e).__name__
