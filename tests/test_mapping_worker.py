import queue
import time

import numpy as np

from livemappr.analysis.worker import AnalysedSnippet
from livemappr.mapping.livemap import LiveMap
from livemappr.mapping.worker import MapWorker
from tests.memory import reachable_arrays


def snippet(i, vector):
    return AnalysedSnippet(i, i * 1000, i * 1000 + 500, i * 1000, i, np.asarray(vector, np.float32), -6.0, -20.0,
                           "onset")


def groups(n, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, 24)) * 8
    labels = rng.integers(0, 3, n)
    return centres[labels] + rng.standard_normal((n, 24)), labels


def test_snippets_land_on_the_map_and_every_publication_reaches_the_session():
    X, labels = groups(120)
    q = queue.Queue()
    published = []
    w = MapWorker(q, LiveMap(n_clusters=3, random_state=0), on_publish=lambda s, items: published.append(
        (s.version, s.n, len(items))), max_batch=16)
    for i, x in enumerate(X):
        q.put(snippet(i, x))
    while w.stats["added"] < 120:
        w.run_once()
    for _ in range(60):  # let it settle
        w.run_once()
    snap = w.map.snapshot
    assert snap.n == 120 and [it.id for it in w.items] == list(range(120))
    assert published[-1][1] == 120 and published[-1][2] == 120
    versions = [v for v, _, _ in published]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    # Points of one group sit together: each point's nearest map neighbour shares its group.
    P = np.asarray(snap.positions)
    d = ((P[:, None] - P[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.95


def test_thread_runs_publishes_and_stops():
    X, _ = groups(40, seed=1)
    q = queue.Queue()
    w = MapWorker(q, LiveMap(n_clusters=3, random_state=1), steps_per_second=100)
    w.start()
    for i, x in enumerate(X):
        q.put(snippet(i, x))
    deadline = time.monotonic() + 60
    while w.stats["added"] < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    w.stop()
    assert w.stats["added"] == 40 and w.stats["steps"] > 0 and w.map.snapshot.n == 40


def test_a_bad_snippet_is_reported_once_and_the_map_goes_on():
    X, _ = groups(10, seed=2)
    q = queue.Queue()
    told = []
    w = MapWorker(q, LiveMap(n_clusters=2, random_state=2), on_error=told.append, max_batch=1)
    for i, x in enumerate(X[:5]):
        q.put(snippet(i, x))
    q.put(snippet(5, np.ones(7)))  # wrong length
    q.put(snippet(6, np.ones(7)))
    for i, x in enumerate(X[5:]):
        q.put(snippet(7 + i, x))
    for _ in range(12):
        w.run_once()
    assert w.stats["errors"] == 2 and len(told) == 1 and "map update failed" in told[0]
    assert w.map.snapshot.n == 10 and len(w.items) == 10


def test_the_map_rests_after_settling_and_wakes_for_a_new_snippet():
    X, _ = groups(20, seed=3)
    q = queue.Queue()
    published = []
    w = MapWorker(q, LiveMap(n_clusters=2, random_state=3), on_publish=lambda s, items: published.append(s.version),
                  settle_steps=5)
    for i, x in enumerate(X[:19]):
        q.put(snippet(i, x))
    for _ in range(30):
        w.run_once()
    assert w.stats["steps"] == 5  # five steps from the pass that added them, then rest
    n = len(published)
    q.put(snippet(19, X[19]))
    w.run_once()
    assert w.stats["steps"] == 6 and len(published) == n + 1


def test_a_resumed_map_rests_as_it_was_left_until_a_new_snippet_comes():
    X, _ = groups(31, seed=8)
    old = [snippet(i, x) for i, x in enumerate(X[:30])]
    live = LiveMap(n_clusters=3, random_state=8).fit(np.stack([s.vector for s in old]))
    q = queue.Queue()
    w = MapWorker(q, live, items=old)
    left = np.array(live.snapshot.positions)
    for _ in range(20):
        w.run_once()
    assert w.stats["steps"] == 0
    np.testing.assert_array_equal(live.snapshot.positions, left)
    q.put(snippet(30, X[30]))
    w.run_once()
    w.run_once()
    assert w.stats["steps"] == 2 and live.snapshot.n == 31


def test_a_snippet_the_list_cannot_hold_is_not_put_on_the_map_either():
    X, _ = groups(6, seed=9)
    q = queue.Queue()
    told = []
    w = MapWorker(q, LiveMap(n_clusters=2, random_state=9), on_error=told.append)  # one batch of 6
    for i, x in enumerate(X):
        item = snippet(i, x)
        if i == 3:  # a start frame no int64 holds
            item = AnalysedSnippet(3, 2 ** 70, 2 ** 70 + 5, 2 ** 70, 3, item.vector, -6.0, -20.0, "onset")
        q.put(item)
    w.run_once()  # the bad one is left out, the rest of its batch goes on the map
    assert w.map.snapshot.n == len(w.items) == 5 and [it.id for it in w.items] == [0, 1, 2, 4, 5]
    assert len(told) == 1 and "start" in told[0]


def test_the_map_keeps_the_one_copy_of_each_feature_vector():
    X, _ = groups(30, seed=4)
    q = queue.Queue()
    old = [snippet(i, x) for i, x in enumerate(X[:10])]
    live = LiveMap(n_clusters=2, random_state=4).fit(np.stack([s.vector for s in old]))
    w = MapWorker(q, live, items=old)  # a resumed session's snippets
    for i, x in enumerate(X[10:]):
        q.put(snippet(10 + i, x))
    w.run_once()
    assert [it.id for it in w.items] == list(range(30)) and [it.slot for it in w.items] == list(range(30))
    assert all(it.vector is None for it in w.items)
    np.testing.assert_array_equal(w.map.features, X.astype(np.float32))


def test_a_long_session_costs_under_2_kb_a_snippet():
    # 30 minutes at 4 snippets a second. What a snippet needs at the least: 90
    # neighbours x (int32 index + float32 distance + float32 p) = 1,080 B and its
    # 144 float32 features = 576 B, 1,656 B. Positions, optimiser state, labels,
    # the quadtree and the published snapshot add ~150 B; the arrays grow by
    # 1,024 rows at this size (here 32 spare rows). Doubling float64 storage plus
    # a second copy of the features in the snippets cost 3.9 KB.
    n, n_features = 7200, 144
    X = np.random.default_rng(5).standard_normal((n, n_features)).astype(np.float32)
    q = queue.Queue()
    w = MapWorker(q, LiveMap(n_clusters=16, random_state=5), max_batch=64)
    for i, x in enumerate(X):
        q.put(snippet(i, x))
    while w.stats["added"] < n:
        w.run_once()
    assert w.stats["errors"] == 0 and w.map.snapshot.n == n
    arrays = reachable_arrays(w)
    per_snippet = sum(a.nbytes for a in arrays) / n
    largest = sorted(((a.nbytes, a.dtype.name, a.shape) for a in arrays), reverse=True)[:4]
    assert 1656 < per_snippet < 2048, (per_snippet, largest)


def test_a_reserved_worker_takes_its_memory_once():
    X, _ = groups(600, seed=6)
    q = queue.Queue()
    w = MapWorker(q, LiveMap(n_clusters=3, random_state=6), max_batch=64).reserve(600, X.shape[1])

    def per_snippet_arrays():  # the map's and the list's: 600 rows each
        return sorted((id(a), a.shape) for a in reachable_arrays(w) if a.shape[:1] == (600,))

    before = per_snippet_arrays()
    assert len(before) >= 9 + 8  # the map's per-point arrays and the list's columns
    for i, x in enumerate(X):
        q.put(snippet(i, x))
    while w.stats["added"] < 600:
        w.run_once()
    assert w.map.snapshot.n == 600 and len(w.items) == 600
    assert set(before) <= set(per_snippet_arrays())  # the same arrays: none replaced to grow


def _thread_cpu_s(thread):
    import os

    with open(f"/proc/self/task/{thread.native_id}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_cpu_share_holds_the_settling_of_a_large_map_to_it():
    from livemappr.mapping.embedding import IncrementalTSNE

    X, _ = groups(3000, seed=7)
    seen = {}
    for cpu_share in (None, 0.03):
        live = LiveMap(n_clusters=8, random_state=7, tsne=IncrementalTSNE(
            random_state=7, n_iter=30, early_exaggeration_iter=30)).fit(X)
        w = MapWorker(queue.Queue(), live, items=[snippet(i, x) for i, x in enumerate(X)], settle_steps=None,
                      cpu_share=cpu_share, steps_per_second=1000)  # unheld, it steps flat out
        w._budget = None  # settle from the start (a resumed map would rest)
        w.start()
        time.sleep(1.0)  # warmed up, the saved-up credit spent
        thread = w._thread.thread
        c0, t0, steps0 = _thread_cpu_s(thread), time.monotonic(), w.stats["steps"]
        time.sleep(3.0)
        seen[cpu_share] = ((_thread_cpu_s(thread) - c0) / (time.monotonic() - t0), w.stats["steps"] - steps0)
        w.stop()
    (free, free_steps), (held, held_steps) = seen[None], seen[0.03]
    assert held <= 0.03 + 0.1 / 3 + 0.02, seen  # the share, and at most the credit it may save up
    assert held_steps >= 2 and free_steps > 3 * held_steps, seen  # it still settles; unheld, far more often
