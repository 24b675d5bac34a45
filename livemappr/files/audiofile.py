"""Reading audio files for the engine: any rate, any channels, bad files named.

Runs on: the caller's thread (never the audio thread).

libsndfile (through soundfile) reads WAV, FLAC, AIFF, OGG and MP3. A file at
another sample rate is resampled (soxr, which librosa already requires) so a
performer's file simply plays; channels are mixed down or repeated to what
the engine wants; NaN and inf samples become 0 and are counted. A file that
cannot be read, or is longer than the caller allows, is a one-line
:class:`AudioFileError` naming the file and the reason, never a traceback.
"""

import pathlib
from typing import NamedTuple

import numpy as np
import soundfile

from livemappr.errors import UsageError

DEFAULT_MAX_SECONDS = 4 * 3600.0  # a long set; protects memory from a mislabeled file


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


def info(path):
    """``soundfile.info`` with errors as :class:`AudioFileError`."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    try:
        return soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise AudioFileError(f"{path}: not a readable audio file ({_reason(e)})") from None


def read(path, samplerate=None, channels=None, max_seconds=DEFAULT_MAX_SECONDS):
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

    Returns
    -------
    Audio
    """
    path = pathlib.Path(path)
    meta = info(path)
    if meta.samplerate <= 0 or meta.channels <= 0:
        raise AudioFileError(f"{path}: not a readable audio file (sample rate {meta.samplerate}, "
                             f"{meta.channels} channels)")
    seconds = meta.frames / meta.samplerate
    if seconds > max_seconds:
        raise AudioFileError(f"{path}: {seconds:.0f} s long; at most {max_seconds:.0f} s allowed")
    try:
        data, sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, MemoryError) as e:
        raise AudioFileError(f"{path}: cannot decode ({_reason(e)})") from None
    bad = ~np.isfinite(data)
    nonfinite = int(bad.sum())
    if nonfinite:
        data[bad] = 0.0
    data = _match_channels(data, channels)
    if samplerate is not None and int(samplerate) != sr:
        data = _resample(data, sr, int(samplerate))
    out_rate = int(samplerate) if samplerate is not None else sr
    return Audio(np.ascontiguousarray(data, dtype=np.float32), out_rate, sr, nonfinite)


def _match_channels(data, channels):
    if channels is None or data.shape[1] == channels:
        return data
    if channels == 1:
        return data.mean(axis=1, keepdims=True)
    reps = -(-channels // data.shape[1])
    return np.tile(data, (1, reps))[:, :channels]


def _resample(data, from_rate, to_rate):
    import soxr

    if data.shape[0] == 0:
        return data
    return soxr.resample(data, from_rate, to_rate, quality="HQ").astype(np.float32)


def _reason(e):
    text = str(e).strip().splitlines()
    return text[-1] if text else type(e).__name__
