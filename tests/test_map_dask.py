"""``livemappr map --scheduler``: the features on a Dask cluster (a LocalCluster of
2 worker processes on loopback), the same map as without it."""

import os
import pathlib
import socket
import subprocess
import shutil
import sys
import time

import numpy as np
import pytest
import soundfile

from livemappr.errors import LivemapprError, UsageError
from livemappr.files.library import FOLDER
from tests import drumkits
from tests.daskcluster import local_cluster

# Skip only where the extra cannot be installed (it can on x86_64 and aarch64).
distributed = pytest.importorskip("distributed", reason="distributed (livemappr[dask]) is not installed here")

SR = 48000
ROOT = pathlib.Path(__file__).resolve().parent.parent


class Finished(distributed.diagnostics.plugin.SchedulerPlugin):
    """On the scheduler: which worker finished each task (key prefix, worker)."""

    name = "livemappr-test-finished"

    def __init__(self):
        self.done = []

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and kwargs.get("worker"):
            self.done.append((str(key), kwargs["worker"]))


def _finished(dask_scheduler):
    return dask_scheduler.plugins[Finished.name].done


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(n_workers=2, threads_per_worker=1) as c:
        yield c


def test_a_cluster_leaves_the_environment_as_it_was():
    before = dict(os.environ)
    with local_cluster(n_workers=1):
        assert dict(os.environ) == before
    assert dict(os.environ) == before


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    shots = drumkits.one_shots(sr=SR, per_instrument=1, max_seconds=0.3)
    if len(shots) < 20:
        pytest.skip("Debian hydrogen-drumkits is not installed on this platform")
    d = tmp_path_factory.mktemp("kit") / "shots"
    d.mkdir()
    for i, s in enumerate(shots[:20]):
        soundfile.write(d / f"{i:03d}_{s.label}.wav", s.audio, SR, subtype="FLOAT")
    return d


def livemappr(*args, env=None, cwd=None):
    full = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **(env or {})}
    return subprocess.run([sys.executable, "-m", "livemappr", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, timeout=600)


def test_the_cluster_makes_the_same_map_and_the_workers_did_the_work(cluster, folder, tmp_path):
    here = livemappr("map", str(folder), "--clusters", "4", "--out", str(tmp_path / "here"))
    assert here.returncode == 0, here.stderr
    with distributed.Client(cluster.scheduler_address) as client:
        client.register_plugin(Finished())
        there = livemappr("map", str(folder), "--clusters", "4", "--scheduler", cluster.scheduler_address,
                          "--out", str(tmp_path / "there"))
        assert there.returncode == 0, there.stderr
        done = client.run_on_scheduler(_finished)
    assert "features on the Dask cluster at" in there.stdout and "2 workers" in there.stdout
    # same vectors, same seed: the same places and clusters, byte for byte
    assert (tmp_path / "there" / "map.json").read_bytes() == (tmp_path / "here" / "map.json").read_bytes()
    # and the same library index: every array of it equal, the vectors bit for bit
    index = [np.load(tmp_path / d / FOLDER / "index.npz") for d in ("here", "there")]
    with index[0] as a, index[1] as b:
        assert sorted(a.files) == sorted(b.files) and len(a.files) >= 2
        for name in a.files:
            assert np.array_equal(a[name], b[name]), name
    # the files went as tasks that finished on the workers, both of them: 20
    # files, 2 threads, 4 tasks a thread: 10 tasks of 2 files
    tasks = [w for key, w in done if key.startswith("_on_worker-")]
    assert len(tasks) == 10
    assert set(tasks) == set(cluster.scheduler_info["workers"])


def test_a_second_run_on_the_cluster_analyses_nothing(cluster, folder, tmp_path):
    # a folder relative to where map runs, which is not the workers' folder
    assert pathlib.Path.cwd() != folder.parent
    out = tmp_path / "map"
    args = ("map", folder.name, "--clusters", "4", "--scheduler", cluster.scheduler_address, "--out", str(out))
    first = livemappr(*args, cwd=folder.parent)
    assert first.returncode == 0, first.stderr
    assert "library: 20 files analysed" in first.stdout and "skipped" not in first.stdout
    again = livemappr(*args, cwd=folder.parent)
    assert again.returncode == 0, again.stderr
    assert "library: 0 files analysed, 20 from the index, 0 removed" in again.stdout


def test_an_unreadable_file_is_skipped_on_the_cluster_as_here(cluster, folder, tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(folder, kit)
    # first of 21 files: it shares its task (2 files a task) with a good one, which is kept
    (kit / "000_0_broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    r = livemappr("map", str(kit), "--clusters", "4", "--scheduler", cluster.scheduler_address,
                  "--out", str(tmp_path / "m"))
    assert r.returncode == 0, r.stderr
    assert "  skipped " in r.stdout and "000_0_broken.wav" in r.stdout
    assert "mapped 20 sounds" in r.stdout


def _slow(path, samplerate, extractor):
    time.sleep(60)


def test_a_job_the_cluster_loses_is_a_run_time_error_not_a_bad_file(cluster):
    from livemappr.analysis.features import FeatureConfig, FeatureExtractor
    from livemappr.commands.cluster import dask_pool

    pool = dask_pool(cluster.scheduler_address, FeatureExtractor(FeatureConfig()), SR)
    try:
        fut = pool.submit(_slow, "/srv/a.wav", SR, None)
        time.sleep(0.5)
        pool.client.cancel(list(pool._executor._futures))
        with pytest.raises(LivemapprError, match=r"lost /srv/a\.wav \(its job was cancelled\); the files "
                                                 r"analysed so far are kept") as caught:
            fut.result(timeout=30)
        assert not isinstance(caught.value, (UsageError, OSError))  # map would record a bad file
    finally:
        pool.shutdown(wait=False)


def test_a_worker_that_cannot_see_the_files_is_one_line(cluster):
    from livemappr.analysis.features import FeatureConfig, FeatureExtractor
    from livemappr.commands.cluster import dask_pool

    # The workers run the check themselves: a path no worker has.
    with pytest.raises(UsageError, match=r"^Dask worker tcp://127\.0\.0\.1:\d+ cannot read /nonexistent/a\.wav "
                                         r"\(nor can 1 more\): the workers must see the files at the same paths"):
        dask_pool(cluster.scheduler_address, FeatureExtractor(FeatureConfig()), SR, ["/nonexistent/a.wav"])


def test_a_scheduler_without_workers_is_one_line():
    from livemappr.analysis.features import FeatureConfig, FeatureExtractor
    from livemappr.commands.cluster import dask_pool

    with local_cluster(n_workers=0) as empty:
        with pytest.raises(UsageError, match=r"the scheduler has no workers \(start some: dask worker tcp://"):
            dask_pool(empty.scheduler_address, FeatureExtractor(FeatureConfig()), SR)


def test_a_scheduler_nobody_runs_is_one_line(folder, tmp_path):
    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = livemappr("map", str(folder), "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "m"),
                  env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"livemappr: error: --scheduler tcp://127.0.0.1:{port}: cannot reach a Dask scheduler there"), r.stderr
    assert not (tmp_path / "m" / "map.json").exists()


def test_without_the_extra_it_is_one_line(folder, tmp_path):
    # A Python where distributed cannot be imported: a package of that name
    # first on the path that fails as a missing one does.
    stub = tmp_path / "stub" / "distributed"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'distributed'\")\n")
    r = livemappr("map", str(folder), "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path / "m"),
                  env={"PYTHONPATH": os.pathsep.join([str(tmp_path / "stub"), str(ROOT)])})
    assert r.returncode == 1
    assert r.stderr.strip() == ("livemappr: error: --scheduler needs distributed, which is not installed: "
                                "pip install 'livemappr[dask]'")
