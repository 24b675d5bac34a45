"""MapWorker: snippets submitted from another thread appear on published snapshots."""

import time

import numpy as np
import pytest
from synthetic import gaussian_mixture

from livemappr.mapping.livemap import LiveMap
from livemappr.mapping.quality import knn_agreement
from livemappr.mapping.worker import MapWorker


def test_worker_maps_what_is_submitted_and_keeps_settling():
    X, labels = gaussian_mixture(300, n_features=16, n_clusters=5, random_state=4)
    worker = MapWorker(LiveMap(n_clusters=8, random_state=0), steps_per_second=200).start()
    try:
        for x in X:
            worker.submit(x)
        deadline = time.monotonic() + 60
        while worker.snapshot.n < 300 and time.monotonic() < deadline and worker.error is None:
            time.sleep(0.01)
        assert worker.error is None
        assert worker.snapshot.n == 300
        v = worker.snapshot.version
        time.sleep(0.3)
        assert worker.snapshot.version > v  # settling steps keep publishing
    finally:
        worker.stop()
    snap = worker.snapshot
    assert knn_agreement(snap.positions, labels, 10) > 0.9
    assert snap.cluster_ids.max() < snap.n_clusters


def test_worker_reports_bad_input_instead_of_dying_silently():
    worker = MapWorker(LiveMap(random_state=0), steps_per_second=100).start()
    try:
        worker.submit(np.zeros(8))
        worker.submit(np.zeros(5))  # wrong number of features
        deadline = time.monotonic() + 10
        while worker.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()
    assert isinstance(worker.error, ValueError)
    assert "5 features, the map has 8" in str(worker.error)


def test_map_rests_after_settling_and_wakes_for_new_snippets():
    X, _ = gaussian_mixture(60, n_features=8, n_clusters=3, random_state=5)
    worker = MapWorker(LiveMap(4, random_state=0), steps_per_second=500, settle_steps=20).start()
    try:
        assert worker.ready.wait(120)
        for x in X[:50]:
            worker.submit(x)
        deadline = time.monotonic() + 30
        while worker.snapshot.n < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)  # 20 steps at 500/s take 0.04 s
        resting = worker.snapshot.version
        time.sleep(0.2)
        assert worker.snapshot.version == resting
        worker.submit(X[50])
        deadline = time.monotonic() + 10
        while worker.snapshot.version <= resting + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.snapshot.n == 51
        assert worker.snapshot.version > resting + 1  # the add, then settling steps
    finally:
        worker.stop()
    assert worker.error is None


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="steps_per_second must be > 0, got 0"):
        MapWorker(steps_per_second=0)


def test_warm_up_loads_the_kernels_on_the_worker_thread_before_the_first_snippet():
    worker = MapWorker(LiveMap(random_state=0), steps_per_second=100).start()
    try:
        assert worker.ready.wait(120)
        assert worker.error is None and worker.snapshot.n == 0
    finally:
        worker.stop()
