"""Analysis: cut snippets out of the live input and describe each by a vector.

Runs on: analysis worker. Call ``compile_kernels()`` once on the main thread
before the audio stream starts, so no worker ever waits for numba.

A worker, in short::

    compile_kernels(48000)                       # main thread, before the stream
    slicer = OnsetSlicer(SlicerConfig(sample_rate=48000))
    fx = FeatureExtractor()                      # vectors comparable at any rate
    for snip in slicer.feed(chunk, chunk_start_frame):   # absolute frames
        audio = ring.read(snip.start, snip.end)          # the worker's ring
        row = fx.analyze(audio, sample_rate=48000).vector  # float32, (144,)
    ...
    slicer.flush()                               # at the end of the input

Features / out of scope
-----------------------
- Mel spectrograms and dB equal to librosa's (``melspectrogram``,
  ``power_to_db``), float64, one nogil numba call, no librosa at run time.
- ``FeatureExtractor``: one fixed-length float32 vector per snippet.
- ``OnsetSlicer`` / ``GridSlicer``: incremental, chunking-independent slicing.
- ``trackfeatures.TrackExtractor``: one vector for a whole track (``map
  --tracks``), fed in blocks of any size: timbre and rhythm summaries.
- Out of scope: reading the capture ring (the worker does), resampling,
  stereo (mix to mono first), pitch analysis, a tempo to show (the track
  vector's beat estimate is often an octave off, and says so).
"""

from livemappr.analysis.features import FeatureConfig, FeatureExtractor, SnippetFeatures
from livemappr.analysis.melbank import (
                                        DbConfig,
                                        MelConfig,
                                        mel_filterbank,
                                        melspectrogram,
                                        melspectrogram_db,
                                        power_to_db,
)
from livemappr.analysis.slicer import GridConfig, GridSlicer, OnsetSlicer, SlicerConfig, Snippet
from livemappr.analysis.warmup import compile_kernels

__all__ = ["MelConfig", "DbConfig", "melspectrogram", "power_to_db", "melspectrogram_db",
           "mel_filterbank", "FeatureConfig", "FeatureExtractor", "SnippetFeatures",
           "SlicerConfig", "OnsetSlicer", "GridConfig", "GridSlicer", "Snippet",
           "compile_kernels"]
