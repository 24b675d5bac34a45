"""The take as a WAV file a DAW opens: ``take.wav`` beside the journal, written at stop.

Runs on: the main thread, as the session stops (after the journal's last
write), and ``livemappr sessions`` (reading a journal's length).

The journal (``capture.f32``, raw float32) is the record; ``take.wav`` is a
copy of it for other programs: 32-bit float, the journal's rate and
channels, every frame as captured (every run of a resumed session, in
order). It is streamed in pieces of :data:`PIECE_FRAMES` frames, so a
two-hour take never sits in memory; written to ``take.wav.tmp`` and renamed,
so a crash while writing leaves the previous ``take.wav`` whole. Past 4 GB a
WAV header cannot hold the size: the file is then RF64 (still ``take.wav``;
DAWs read it).

Nothing here stops a session or loses audio: where the disk lacks the room
(the take and :data:`SPARE_BYTES`, checked first) or fails, a line says so
and ``capture.f32`` holds the take as before; the next stop of that session
writes it. (The lines do not name ``capture.f32``: a line naming it is the
journal's own report of a disk that refuses it.)
"""

import os
import pathlib
import shutil
import time

import numpy as np
import soundfile

from livemappr.session import capturefile, journal

TAKE_FILE = "take.wav"
#: Frames copied at a time: 64 Ki frames, 256 KiB a channel.
PIECE_FRAMES = 1 << 16
#: Room left on the disk after the take is written (the journal of a resumed session needs it).
SPARE_BYTES = 8 * 1024 * 1024
_WAV_LIMIT = 0xFFFFFFFF - 1024  # a RIFF header's 32-bit size


def write_take(directory, log=None):
    """Write ``directory/take.wav`` from its journal; returns its path, or None (told to ``log``).

    Parameters
    ----------
    directory : path
        A session directory whose journal has stopped.
    log : callable(str), optional
        Told what was written, or why nothing was.
    """
    log = log or (lambda message: None)
    directory = pathlib.Path(directory)
    path, tmp = directory / TAKE_FILE, directory / (TAKE_FILE + ".tmp")
    try:
        manifest = capturefile.read_manifest(directory)
        if manifest is None:
            return None
        channels, rate = manifest["channels"], manifest["samplerate"]
        frames = os.path.getsize(directory / journal.AUDIO_FILE) // (4 * channels)
        size = frames * channels * 4 + 1024
        free = shutil.disk_usage(directory).free
        if path.exists():
            free += path.stat().st_size  # replaced once the new one is whole
        if size + SPARE_BYTES > free:
            log(f"livemappr: {path} not written: it needs {size / 2**20:.1f} MB and {SPARE_BYTES >> 20} MB to "
                f"spare, the disk has {free / 2**20:.1f} MB free (the journal keeps the take; the session's "
                "next stop writes it)")
            return None
        started = time.monotonic()
        fmt = "WAV" if size <= _WAV_LIMIT else "RF64"
        # Plain reads into one buffer, not a memory map: a mapped take stays
        # resident (in this process's size) until the kernel needs the memory.
        buf = np.empty((PIECE_FRAMES, channels), np.float32)
        with open(directory / journal.AUDIO_FILE, "rb") as src, \
                soundfile.SoundFile(tmp, "w", samplerate=rate, channels=channels, subtype="FLOAT", format=fmt) as f:
            left = frames
            while left:
                n = min(left, PIECE_FRAMES)
                got = src.readinto(memoryview(buf[:n]).cast("B")) // (4 * channels)
                if got == 0:
                    break  # cut short since the size was read: write what there is
                f.write(buf[:got])
                left -= got
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except (OSError, RuntimeError, ValueError, soundfile.LibsndfileError, capturefile.CaptureFileError) as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        reason = getattr(e, "strerror", None) or str(e)
        log(f"livemappr: {path} not written ({reason}); the journal keeps the take")
        return None
    log(f"livemappr: wrote {path} ({hms(frames / rate)}, {size / 2**20:.0f} MB) "
        f"in {time.monotonic() - started:.1f} s")
    return path


def seconds(directory):
    """Length of a session's journal in seconds (0 without one); ``CaptureFileError`` if unreadable."""
    manifest = capturefile.read_manifest(directory)
    if manifest is None:
        return 0.0
    try:
        size = os.path.getsize(pathlib.Path(directory) / journal.AUDIO_FILE)
    except FileNotFoundError:
        size = 0
    return size // (4 * manifest["channels"]) / manifest["samplerate"]


def hms(s):
    """Seconds as h:mm:ss."""
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
