"""A library of real one-shots for the tests of ``livemappr similar`` (never imported by livemappr)."""

import pytest
import soundfile

from livemappr.commands.map import make_map
from tests import drumkits

SR = 48000


def one_shot_library(root, count, **shots):
    """``count`` labelled hydrogen one-shots written to ``root/shots`` as
    ``NNN_label.wav`` and mapped into the library ``root/lib``; skips where
    the kits are not installed. ``shots``: options of :func:`drumkits.one_shots`."""
    found = drumkits.one_shots(sr=SR, per_instrument=1, max_seconds=0.4, **shots)
    if len(found) < count:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    folder = root / "shots"
    folder.mkdir()
    for i, s in enumerate(found[:count]):
        soundfile.write(folder / f"{i:03d}_{s.label}.wav", s.audio, SR, subtype="FLOAT")
    make_map([folder], root / "lib", clusters=4, log=lambda m: None, progress=False)
    return root


def searched_snippets(n, seed, frames=2000):
    """An engine with ``n`` recognisable snippets (control_helpers), random vectors for them,
    the session's search over those vectors, and the trigger that plays them.

    Returns
    -------
    engine, X (n, n_features) float32, Neighbours, Trigger
    """
    import numpy as np

    from livemappr.analysis.features import FeatureExtractor
    from livemappr.control.playable import SnapshotRef
    from livemappr.control.trigger import Trigger
    from livemappr.session.neighbours import Neighbours
    from tests.control_helpers import engine_with_snippets, grid_snapshot

    engine, slots = engine_with_snippets(n, frames=frames)
    extractor = FeatureExtractor()
    X = np.random.default_rng(seed).normal(size=(n, extractor.n_features)).astype(np.float32)
    near = Neighbours(engine, extractor)
    near.catch_up(X)
    return engine, X, near, Trigger(engine, SnapshotRef(grid_snapshot(slots, 4)))
