"""Snapshots: immutable, versioned, safe to read from another thread without locks."""

import threading

import numpy as np
import pytest

from livemappr.mapping.snapshot import SnapshotPublisher


def test_snapshots_are_frozen_copies():
    pub = SnapshotPublisher()
    assert pub.latest.n == 0 and pub.latest.version == 0
    pos = np.zeros((3, 2))
    ids = np.array([0, 1, 1])
    snap = pub.publish(pos, ids, np.zeros((2, 2)))
    pos[0] = 5.0  # the writer reuses its buffers: the snapshot must not see that
    assert snap.positions[0, 0] == 0.0
    with pytest.raises(ValueError):
        snap.positions[0, 0] = 1.0
    with pytest.raises(ValueError):
        snap.cluster_ids[0] = 3
    with pytest.raises(AttributeError):
        snap.version = 7
    assert list(snap.members(1)) == [1, 2]
    assert pub.publish(pos, ids, np.zeros((2, 2))).version == 2


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"cluster_ids must have shape \(3,\), got \(2,\)"):
        SnapshotPublisher().publish(np.zeros((3, 2)), np.zeros(2), np.zeros((1, 2)))


def test_readers_always_see_a_consistent_snapshot():
    pub = SnapshotPublisher()
    stop = threading.Event()
    bad = []

    def reader():
        last = 0
        while not stop.is_set():
            s = pub.latest
            # every snapshot n has n points, all with id n % 7 and x == version
            if s.n and (s.cluster_ids.shape[0] != s.n or np.any(s.cluster_ids != s.n % 7)
                        or np.any(s.positions[:, 0] != s.version)):
                bad.append(s.version)
            if s.version < last:
                bad.append(("went back", s.version, last))
            last = s.version

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    pos = np.zeros((2000, 2))
    for v in range(1, 2001):
        pos[:v, 0] = v
        pub.publish(pos[:v], np.full(v, v % 7), np.zeros((1, 2)))
    stop.set()
    for t in threads:
        t.join()
    assert not bad
    assert pub.latest.version == 2000
