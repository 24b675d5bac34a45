import logging
import threading

from livemappr.threads import Daemon


def test_a_body_that_raises_is_told_once_with_the_thread_name():
    told = []

    def body():
        raise ValueError("boom")

    d = Daemon("livemappr-test-raises", body, on_error=told.append).start()
    assert d.stop(timeout=5.0)
    assert told == ["livemappr-test-raises stopped: ValueError: boom"]


def test_without_on_error_the_log_tells_it_with_the_traceback(caplog):
    def body():
        raise RuntimeError("no disk")

    with caplog.at_level(logging.ERROR, logger="livemappr"):
        Daemon("livemappr-test-logged", body).start().stop(timeout=5.0)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "livemappr-test-logged stopped: RuntimeError: no disk" in errors[0].getMessage()
    assert errors[0].exc_info is not None


def test_stop_sets_the_flag_and_joins():
    passes = []
    d = Daemon("livemappr-test-loop", None)

    def body():
        while not d.stopping.wait(0.001):
            passes.append(1)
        passes.append("done")

    d.body = body
    d.start()
    assert any(t.name == "livemappr-test-loop" and t.daemon for t in threading.enumerate())
    assert d.alive
    thread = d.thread
    assert d.stop(timeout=5.0)
    assert not thread.is_alive() and not d.alive
    assert passes[-1] == "done"
    assert "livemappr-test-loop" not in [t.name for t in threading.enumerate()]


def test_stop_before_start_and_twice_is_harmless_and_a_stopped_daemon_restarts():
    ran = []
    d = Daemon("livemappr-test-restart", lambda: ran.append(d.stopping.is_set()))
    assert d.stop() and d.stop()
    d.start().stop()
    d.start().stop()
    assert d.stop()
    assert ran == [False, False]  # start clears the flag a stop set


def test_start_twice_runs_one_thread():
    go = threading.Event()
    ran = []

    def body():
        ran.append(1)
        go.wait(5.0)

    d = Daemon("livemappr-test-once", body).start()
    d.start()
    go.set()
    d.stop(timeout=5.0)
    assert ran == [1]


def test_a_stop_that_times_out_says_so_and_a_later_one_joins():
    go = threading.Event()
    d = Daemon("livemappr-test-slow", lambda: go.wait(5.0)).start()
    assert d.stop(timeout=0.01) is False
    assert d.alive
    go.set()
    assert d.stop(timeout=5.0)
    assert not d.alive
