"""Hostile and damaged files (issue 16): each made byte by byte, as an attacker would."""

import json
import struct

import numpy as np


def wav(path, rate, frames, channels=1, seed=0):
    """16-bit PCM WAV whose header claims ``rate`` Hz (any number the field holds)."""
    data = (np.random.default_rng(seed).normal(0, 3000, frames * channels)).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def map_text(sample_rate="48000", snippets=None, clusters=None):
    """map.json text with raw (unparsed) values where a number goes."""
    snippets = snippets if snippets is not None else [
        {"id": "0", "source": '"a.wav"', "start": "0.0", "end": "0.1", "x": "0", "y": "0", "cluster": "0"}]
    clusters = clusters if clusters is not None else [{"id": "0", "key": '"a"', "note": "36", "size": "1"}]
    obj = lambda d: "{" + ", ".join(f'"{k}": {v}' for k, v in d.items()) + "}"
    return ('{"format": "livemappr-map", "version": 1, "sample_rate": ' + sample_rate + ', "snippets": ['
            + ", ".join(map(obj, snippets)) + '], "clusters": [' + ", ".join(map(obj, clusters)) + "]}")


def snippet(**raw):
    s = {"id": "0", "source": '"a.wav"', "start": "0.0", "end": "0.1", "x": "0", "y": "0", "cluster": "0"}
    s.update(raw)
    return s


#: name -> map.json text: each broke `livemappr export` or a resume with a traceback
BAD_MAPS = {
    "5000-digit sample rate": map_text(sample_rate="9" * 5000),
    "100,000 nested brackets": "[" * 100_000 + "]" * 100_000,
    "times of 1e308": map_text(snippets=[snippet(start="1e308", end="1e308")]),
    "a rate of 1e12": map_text(sample_rate="1000000000000"),
    "a cluster id of 1e300": map_text(snippets=[snippet(cluster="1" + "0" * 300)],
                                      clusters=[{"id": "1" + "0" * 300, "key": '"a"', "note": "36", "size": "1"}]),
    "a cluster id of 1e18": map_text(snippets=[snippet(cluster=str(10 ** 18))],
                                     clusters=[{"id": str(10 ** 18), "key": '"a"', "note": "36", "size": "1"}]),
    "NaN time": map_text(snippets=[snippet(start="NaN")]),
    "a time of 1e400": map_text(snippets=[snippet(end="1e400")]),
}

#: name -> capture.json text
BAD_CAPTURES = {
    "broken JSON": '{"format": "livemappr-capture", "samplerate": 48',
    "channels = 0": json.dumps({"format": "livemappr-capture", "version": 1, "samplerate": 48000, "channels": 0,
                                "dtype": "float32"}),
    "channels = 1e300": '{"format": "livemappr-capture", "version": 1, "samplerate": 48000, "channels": 1e300}',
    "a 5000-digit rate": '{"format": "livemappr-capture", "version": 1, "samplerate": ' + "9" * 5000
                         + ', "channels": 1}',
    "not an object": "[1, 2]",
}
