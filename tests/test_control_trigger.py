"""The one trigger path: which snippet, at which frame, retrigger, choke, gate, hold.

Scheduling is checked with the offline renderer (the same callback body the
live stream runs), reading which snippet sounds from its constant level.
"""

import numpy as np
import pytest

from livemappr.control.playable import PlayableMap, SnapshotRef, from_published, loudness_from_bank
from livemappr.control.trigger import Trigger
from livemappr.audio.offline import render
from tests.control_helpers import engine_with_snippets, grid_snapshot, level_of, onsets, which_snippet


def setup(n=12, n_clusters=4, **kw):
    e, slots = engine_with_snippets(n)
    render(e, 64)  # the clock runs from here
    snap = grid_snapshot(slots, n_clusters, loudness=kw.pop("loudness", None))
    return e, Trigger(e, SnapshotRef(snap), **kw), snap


def played(e, t, hits, spacing=3000):
    """Play each hit at its own frame; return the snippet heard at each."""
    base = e.frame + 100
    for i, h in enumerate(hits):
        h(t, base + i * spacing)
    out = render(e, len(hits) * spacing + 200, blocksize=128)
    return [which_snippet(out, 100 + i * spacing + 10) for i in range(len(hits))]


def test_a_hit_sounds_exactly_at_its_frame_at_any_block_size():
    outs = []
    for bs in (1, 64, 65, 128, 1000):
        e, t, _ = setup()
        target = e.frame + 777
        assert t.play_cluster(2, at=target) == 2
        out = render(e, 3000, blocksize=bs)
        outs.append(out)
        assert list(onsets(out[:, 0])) == [777]
        assert out[777, 0] == pytest.approx(level_of(2))
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


def test_round_robin_walks_the_cluster_in_turn():
    e, t, _ = setup()
    got = played(e, t, [lambda t, f: t.play_cluster(1, at=f)] * 4)
    assert got == [1, 5, 9, 1]  # members of cluster 1 are 1, 5, 9


def test_random_never_repeats_before_the_bag_is_empty():
    e, t, snap = setup(n=40, n_clusters=2, choice="random", seed=3)
    got = [t.play_cluster(0, at=e.frame + 100) for _ in range(60)]
    members = set(snap.members[0].tolist())
    assert set(got[:20]) == members and set(got[20:40]) == members
    assert all(a != b for a, b in zip(got, got[1:]))


def test_centre_plays_the_member_nearest_the_cluster_mean():
    e, t, snap = setup(choice="centre")
    # cluster 0 members at x = 0, 4, 8: the mean is 4
    assert t.play_cluster(0, at=e.frame + 10) == 4


def test_velocity_spreads_the_loudness_range():
    loud = -np.arange(12.0)  # snippet 0 loudest
    e, t, _ = setup(choice="velocity", loudness=loud)
    # cluster 2: snippets 2, 6, 10, loudness -2, -6, -10
    assert [t.play_cluster(2, v, at=e.frame + 10) for v in (0.0, 0.5, 1.0)] == [10, 6, 2]
    t.set_choice("select")
    t.set_selector(1.0)
    assert t.play_cluster(2, 0.0, at=e.frame + 10) == 2


def test_loudness_from_the_bank_orders_real_levels():
    e, slots = engine_with_snippets(3)
    loud = loudness_from_bank(e, list(slots) + [-1])
    assert loud[0] < loud[1] < loud[2] and loud[3] == -np.inf


def test_a_slot_given_back_to_the_bank_has_no_loudness():
    from livemappr.audio.offline import render

    e, slots = engine_with_snippets(3)
    e.release_slot(int(slots[1]))
    render(e, 256)  # the audio thread frees it (no voice reads it)
    loud = loudness_from_bank(e, slots)
    assert np.isfinite(loud[[0, 2]]).all() and loud[1] == -np.inf


def test_velocity_is_the_gain():
    e, t, _ = setup()
    f = e.frame + 50
    t.play_cluster(3, 0.5, at=f)
    out = render(e, 500)
    assert out[60, 0] == pytest.approx(0.5 * level_of(3))


def test_restart_chokes_the_sounding_voice_overlap_does_not():
    for mode, expect in (("overlap", 2 * level_of(0)), ("restart", level_of(4))):
        e, t, _ = setup(retrigger=mode)
        f = e.frame + 10
        t.play_cluster(0, at=f)
        t.play_cluster(0, at=f + 500)
        out = render(e, 1200)
        # 700 frames in: the first (0) and the second (4) overlap, or only 4 is left.
        got = out[700, 0]
        assert got == pytest.approx(expect if mode == "restart" else level_of(0) + level_of(4))


def test_explicit_choke_group_joins_two_clusters():
    e, t, _ = setup()
    t.choke_groups = {0: 1, 1: 1}  # open and closed hi-hat
    f = e.frame + 10
    t.play_cluster(0, at=f)
    t.play_cluster(1, at=f + 300)
    out = render(e, 800)
    assert out[600, 0] == pytest.approx(level_of(1))


def test_gate_ends_the_sound_on_release():
    e, t, _ = setup()
    t.gate = True
    f = e.frame + 10
    t.play_cluster(0, key=("midi", 0, 36), at=f)
    t.release(("midi", 0, 36), at=f + 400)
    out = render(e, 1500)
    assert out[300, 0] == pytest.approx(level_of(0))
    assert not out[500:, 0].any()


def test_hold_steps_through_the_cluster_back_to_back():
    e, t, _ = setup()
    # Offline, no callback runs: pin "now" to the engine's frame (the live
    # clock adds the wall time since the last callback, so a test thread that
    # a busy machine holds up 20 ms would see a fourth step fall due).
    t.clock.now = lambda now_ns=None: float(e.frame)
    t.hold = True
    f = e.frame + 10
    t.play_cluster(1, key="k", at=f)
    t.step(lookahead_frames=5000)  # what the stepper thread does every few ms
    out = render(e, 7000)
    # each snippet is 2000 frames: 1, then 5 from f+2000, then 9 from f+4000
    assert [which_snippet(out, 10 + k * 2000 + 1000) for k in range(3)] == [1, 5, 9]
    # Back to back: each starts where the last ends (the engine's one-frame
    # end fade is the only silent sample between them).
    assert list(onsets(out[:, 0])) == [10, 2010, 4010]
    assert int((out[10:6009, 0] == 0).sum()) == 2
    t.release("k")
    n = len(t._held)
    assert n == 0


def test_xy_plays_the_nearest_snippet():
    e, t, snap = setup()
    # 12 snippets on a line, normalised to x 0..1 from the lower corner (y 0)
    assert t.play_xy(0.0, 0.5, at=e.frame + 5) == 0
    assert t.play_xy(1.0, 0.9, at=e.frame + 5) == 11
    assert t.play_xy(6 / 11, 0.1, at=e.frame + 5) == 6
    np.testing.assert_allclose(snap.unit[:, 1], 0.0)
    np.testing.assert_allclose(snap.unit[:, 0], np.arange(12) / 11)


def test_a_map_worker_publication_becomes_a_playable_snapshot():
    from types import SimpleNamespace as NS

    e, slots = engine_with_snippets(3)
    published = NS(version=9, positions=np.array([[0.0, 0.0], [2.0, 1.0], [4.0, 0.0]]),
                   cluster_ids=np.array([0, 0, 1]), cluster_centers=np.zeros((2, 2)))
    items = [NS(slot=slots[0], rms_db=-20.0), NS(slot=slots[1], rms_db=-6.0)]  # row 2 not analysed yet
    snap = from_published(published, items)
    assert snap.version == 9 and list(snap.slots) == [slots[0], slots[1], -1]
    assert list(snap.cluster_sizes()) == [2, 0]
    t = Trigger(e, SnapshotRef(snap), choice="velocity")
    assert t.play_cluster(0, 1.0, at=5) == 1 and t.play_cluster(0, 0.0, at=5) == 0
    assert t.play_cluster(1, at=5) == -1


def test_empty_cluster_and_missing_slot_play_nothing():
    e, slots = engine_with_snippets(3)
    snap = PlayableMap(np.zeros((3, 2)), [0, 0, 2], [slots[0], -1, -1], 1)
    t = Trigger(e, SnapshotRef(snap))
    assert t.play_cluster(1) == -1 and t.play_cluster(2) == -1 and t.play_cluster(7) == -1
    assert t.play_snippet(1) == -1
    assert t.play_cluster(0) == 0


@pytest.mark.parametrize("call, message", [
    (lambda t: t.play_cluster(-1), r"cluster must be in 0\.\.4095, got -1"),
    (lambda t: t.play_cluster(2.5), r"cluster must be a whole number, got 2\.5"),
    (lambda t: t.play_cluster(1, 1.5), r"velocity must be in \[0\.0, 1\.0\], got 1\.5"),
    (lambda t: t.play_xy(0.5, float("nan")), r"y must be in \[0\.0, 1\.0\], got nan"),
    (lambda t: t.set_choice("loudest"), r"choice must be one of round_robin, random, centre, velocity, select"),
    (lambda t: t.set_rate(10), r"rate must be in \[0\.25, 4\.0\], got 10"),
])
def test_bad_values_name_the_field_and_the_range(call, message):
    e, t, _ = setup()
    with pytest.raises(ValueError, match=message):
        call(t)


def test_floats_are_accepted_where_an_int_is_meant():
    e, t, _ = setup()
    assert t.play_cluster(3.0, at=float(e.frame + 5)) == 3
    t.set_choice(2.0)
    assert t.choice == "centre"


def test_steady_timing_lands_a_fixed_distance_after_the_hit():
    e, t, _ = setup(timing="steady", steady_ms=5.0)
    # Offline no callback runs between hits: pin "now" (live, it adds the wall
    # time since the last callback, which a busy machine stretches).
    t.clock.now = lambda now_ns=None: float(e.frame)
    now = t.clock.now()
    t.play_cluster(0)
    out = render(e, 2000, blocksize=128)
    on = onsets(out[:, 0])[0] + e.frame - 2000
    assert 0 <= on - (now + 240) <= 128 + 48


def test_snapshot_swap_is_seen_by_the_next_hit():
    e, t, snap = setup()
    assert t.play_cluster(0, at=e.frame + 5) == 0
    t.snapshots.publish(snap.with_slots(snap.slots.copy()))
    moved = PlayableMap(snap.positions, (snap.cluster_ids + 1) % 4, snap.slots, version=2)
    t.snapshots.publish(moved)
    assert t.play_cluster(0, at=e.frame + 5) in set(np.flatnonzero(moved.cluster_ids == 0).tolist())


def test_snapshot_is_read_only_and_checks_shapes():
    e, slots = engine_with_snippets(2)
    snap = PlayableMap(np.zeros((2, 2)), [0, 1], slots, 1)
    with pytest.raises(ValueError):
        snap.positions[0, 0] = 1.0
    with pytest.raises(ValueError, match=r"cluster_ids must have 2 entries \(one per position\), got 3"):
        PlayableMap(np.zeros((2, 2)), [0, 1, 1], slots, 1)
    with pytest.raises(ValueError, match=r"positions must have shape \(n, 2\), got \(2, 3\)"):
        PlayableMap(np.zeros((2, 3)), [0, 1], slots, 1)


def test_snapshot_groups_clusters_like_a_loop_over_each_cluster_would():
    # PlayableMap groups members with one stable sort; check it against the
    # plain per-cluster definition on random maps (unplayable and -1 rows too).
    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(0, 60))
        pos = rng.normal(size=(n, 2))
        cid = rng.integers(-1, 6, n)
        slots = np.where(rng.random(n) < 0.8, np.arange(n), -1)
        loud = np.round(rng.normal(size=n), 1)  # ties, to check the order among equals
        snap = PlayableMap(pos, cid, slots, version=trial, loudness=loud)
        k = int(cid.max()) + 1 if n and cid.max() >= 0 else 0
        assert snap.n_clusters == k
        for c in range(k):
            m = np.flatnonzero((cid == c) & (slots >= 0))
            np.testing.assert_array_equal(snap.members[c], m)
            np.testing.assert_array_equal(snap.by_loudness[c], m[np.argsort(loud[m], kind="stable")])
            if m.size:
                d = ((pos[m] - pos[m].mean(axis=0)) ** 2).sum(axis=1)
                assert d[list(m).index(snap.centre_member[c])] == pytest.approx(d.min(), rel=1e-12, abs=1e-15)
            else:
                assert snap.centre_member[c] == -1


def test_a_table_of_columns_is_read_as_its_list_would_be_and_never_walked(monkeypatch):
    from types import SimpleNamespace as NS

    from livemappr.analysis.worker import AnalysedSnippet
    from livemappr.mapping.snippettable import SnippetTable

    items = [AnalysedSnippet(i, i, i + 1, i, 10 - i if i != 2 else -1, None, -3.0, -20.0 - i, "onset")
             for i in range(6)]
    table = SnippetTable(items[:4])
    walked = []
    row = SnippetTable.__getitem__
    # 30 publications a second over thousands of rows: the columns are read, no row is
    monkeypatch.setattr(SnippetTable, "__iter__", lambda self: walked.append("iter") or iter(()))
    monkeypatch.setattr(SnippetTable, "__getitem__",
                        lambda self, k: row(self, k) if isinstance(k, slice) else walked.append(k))
    for version, n_rows in ((1, 5), (2, 7), (3, 3)):  # rows the table does not have yet get no slot
        pub = NS(positions=np.zeros((n_rows, 2)), cluster_ids=np.zeros(n_rows, np.int64), version=version)
        got, want = from_published(pub, table), from_published(pub, items[:len(table)])
        np.testing.assert_array_equal(got.slots, want.slots)
        np.testing.assert_array_equal(got.loudness, want.loudness)
        assert list(got.slots[:3]) == [10, 9, -1] and got.version == version
        assert n_rows == 3 or got.slots[-1] == -1
        if len(table) < len(items):
            table.append(items[len(table)])
    assert walked == []
