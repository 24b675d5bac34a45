"""``live --corpus DIR``: a kit mapped offline, played by the voice.

Runs on: the main thread (loading, before the stream starts); ``play`` and
``play_nearest`` on the analysis worker (through the one trigger path).

A sample folder mapped with ``livemappr map KIT --out DIR`` (with ``--teach``
its pads have names: kick, snare...) is read into the engine's bank. Playing
by voice then plays *its* sounds: a hit classified to the live session's
taught pad n plays the corpus pad with the same name where both are named,
else the corpus's cluster n (so a beatboxed "b" taught to pad 1 plays the
kit's kick on pad 1); a hit like no taught pad (or with none taught) plays
the corpus sound whose first 5.8 ms are nearest its own (CataRT's "nearest
sound"). The corpus never joins the session's map or its map.json.
"""

from __future__ import annotations

import pathlib

import numpy as np

from livemappr.analysis.attack import attack_extractor, attack_window
from livemappr.control.playable import PlayableMap, SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.errors import UsageError
from livemappr.files import mapfile
from livemappr.realtime.bank import BankFull
from livemappr.session.sources import MapSources

__all__ = ["Corpus", "bank_sound"]


def bank_sound(engine, sources, source, start, end):
    """A map's sound cut from its source into the engine's bank (off the audio thread).

    Parameters
    ----------
    engine : livemappr.audio.engine.Engine
    sources : livemappr.session.sources.MapSources
    source : str
        The sound's file (or a session's journal), as map.json or a library names it.
    start, end : float
        Seconds.

    Returns
    -------
    slot : int
        Its bank slot; -1 for a sound without audio.
    audio : ndarray of shape (frames,), float32

    Raises
    ------
    UsageError
        The source cannot be read (one line).
    BankFull
        The bank has no room for it.
    """
    audio = np.ascontiguousarray(sources.cut(source, start, end), dtype=np.float32)
    if audio.shape[0] == 0:
        return -1, audio
    return engine.bank.add(audio), audio


class Corpus:
    """A mapped sample folder in the engine's bank.

    Parameters
    ----------
    directory : path
        Holding the map.json of ``livemappr map``.
    engine : livemappr.audio.engine.Engine
    log : callable(str)
    """

    def __init__(self, directory, engine, log=print):
        self.directory = pathlib.Path(directory)
        m = mapfile.read(self.directory)  # a MapFileError (one line) for a bad or missing map
        sr = engine.config.samplerate
        sources = MapSources(self.directory, m.sample_rate, sr)
        fe = attack_extractor()
        keep, slots, attacks, skipped = [], [], [], []
        for s in m.snippets:
            try:
                slot, audio = bank_sound(engine, sources, s.source, s.start, s.end)
            except UsageError as e:
                skipped.append(str(e))
                continue
            except BankFull:
                log(f"livemappr: --corpus: the sample bank is full after {len(keep)} of "
                    f"{len(m.snippets)} sounds (engine bank_seconds, bank_slots)")
                break
            if slot < 0:
                continue
            slots.append(slot)
            keep.append(s)
            attacks.append(fe.vector(attack_window(audio, sr), sr))
        for message in skipped[:3]:
            log(f"livemappr: --corpus: skipped {message}")
        if not keep:
            raise UsageError(f"--corpus {self.directory}: none of its {len(m.snippets)} sounds could be read")
        ids = np.array([s.cluster for s in keep], np.int64)
        labels = {c.id: c.name for c in m.clusters if c.name}
        labels.update({p.id: p.name for p in m.pads if p.name})
        self.names = labels
        self.playable = PlayableMap(np.array([(s.x, s.y) for s in keep], np.float64), ids,
                                    np.array(slots, np.int64), cluster_names=labels or None)
        self.trigger = Trigger(engine, SnapshotRef(self.playable)).start()
        self.attacks = np.stack(attacks)
        self.n = len(keep)
        log(f"livemappr: --corpus {self.directory}: {self.n} sounds in {len(set(ids[ids >= 0].tolist()))} "
            f"clusters" + (f" ({', '.join(sorted(set(labels.values())))})" if labels else ""))

    def pad_of(self, pad, name=None):
        """The corpus cluster a live pad plays: the one with its name, else the same number."""
        if name is not None:
            for cid, cname in self.names.items():
                if cname == name:
                    return cid
        return pad

    def play(self, pad, velocity, name=None):
        """Play the corpus's sound for live pad ``pad``. Returns the snippet, or -1."""
        cluster = self.pad_of(pad, name)
        if not 0 <= cluster < self.playable.n_clusters:
            return -1
        return self.trigger.play_cluster(cluster, velocity, origin="voice")

    def play_nearest(self, x, velocity):
        """Play the corpus sound whose attack vector is nearest ``x``. Returns it."""
        i = int(np.argmin(((self.attacks - np.asarray(x, np.float32)) ** 2).sum(axis=1)))
        return self.trigger.play_snippet(i, velocity, origin="voice")

    def close(self):
        self.trigger.close()
