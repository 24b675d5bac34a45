"""Fuzz targets for the web view's WebSocket boundary (issue #16): the message
parser and dispatcher (``actions.handle``) and the upgrade request gate
(``WebView._http``: Host, Origin, repeated headers). A bounded number of
cases each (Hypothesis, derandomized, so CI sees the same cases every run);
no exception may escape either."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from livemappr.control.playable import SnapshotRef
from livemappr.control.trigger import Trigger
from livemappr.web import WebView, actions
from livemappr.web.server import _Client
from tests.control_helpers import engine_with_snippets
from tests.test_web_server import random_map

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_engine, _slots = engine_with_snippets(8, frames=100)


def _view():
    t = Trigger(_engine, SnapshotRef(random_map(8, 1, slots=_slots)))
    return WebView(t, host="127.0.0.1", port=0, hooks={"record": lambda on: None, "loop": lambda action: None})


VIEW = _view()

scalars = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70) | st.floats()
           | st.text(max_size=12) | st.sampled_from(["a", "z", "record", "play", "", "\ud800"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                            max_size=3), max_leaves=8)
kinds = st.sampled_from(list(actions._HANDLERS) + ["", "nope", "SNIPPET"]) | st.text(max_size=8) | values
fields = st.sampled_from(["i", "v", "x", "y", "k", "n", "down", "on", "action", "t"])
objects = st.builds(lambda t, rest: json.dumps(dict(rest, t=t), allow_nan=True),
                    kinds, st.dictionaries(fields, values, max_size=4))


def _long_number(n, where):
    return {"i": '{"t": "snippet", "i": %s}', "x": '{"t": "xy", "x": %s, "y": 0.5}',
            "n": '{"t": "pad", "n": %s, "down": true}'}[where] % n


long_numbers = st.builds(_long_number, st.integers(1, 4100).map(lambda d: "9" * d)
                         | st.integers(1, 2000).map(lambda d: "1." + "5" * d + "e" + str(d)),
                         st.sampled_from(["i", "x", "n"]))
deep = st.builds(lambda n, open_, close: open_ * n + close * n, st.integers(1, 2047),
                 st.sampled_from(["[", '{"t":', '{"a":[']), st.sampled_from(["]", "}", "]}"]))
messages = (objects | long_numbers | deep | st.text(max_size=200) | st.binary(max_size=64)
            | st.sampled_from(['{"t": "xy", "x": NaN, "y": Infinity}', '{"t": "snippet", "i": -Infinity}',
                               '{"t": "key", "k": "\\ud800", "down": true}', '"\\u0000"', "{" * 4097]))


@FUZZ
@given(messages)
def test_no_message_makes_the_dispatcher_raise(message):
    client = _Client(None, 1)
    before = VIEW.errors.total()
    actions.handle(VIEW, client, message)  # never raises: bad input is counted
    assert VIEW.errors.total() >= before
    VIEW.trigger.stop_all()


class _Conn:
    """What the gate uses of a websockets ServerConnection."""

    remote_address = ("127.0.0.1", 50000)
    local_address = ("127.0.0.1", 8080)

    def respond(self, status, text):
        return Response(status, "", Headers(), text.encode())


header_names = st.sampled_from(["Host", "Origin", "host", "ORIGIN", "Upgrade", "Connection", "Sec-WebSocket-Key",
                                "X-Other"])
header_values = (st.sampled_from(["127.0.0.1:8080", "localhost:8080", "evil.example:8080", "[::1]:8080", "[::1",
                                  "http://127.0.0.1:8080", "http://evil.example:8080", "http://[", "null", "",
                                  "127.0.0.1:99999", "a" * 400, "http://localhost:8080/x"])
                 | st.text("".join(map(chr, [9, *range(32, 127), *range(128, 256)])), max_size=40))  # what HTTP allows
paths = st.sampled_from(["/", "/ws", "/index.html", "/favicon.ico", "/x", "//[", "/ws?x=1", "http://[::1/"]) \
    | st.text(max_size=30).map(lambda p: "/" + p)


@FUZZ
@given(paths, st.lists(st.tuples(header_names, header_values), max_size=6))
def test_no_request_makes_the_gate_raise(path, headers):
    h = Headers()
    for name, value in headers:
        h[name] = value
    response = VIEW._http(_Conn(), Request(path, h))
    assert response is None or isinstance(response, Response)
    hosts = [v for n, v in headers if n.lower() == "host"]
    if response is None or response.status_code == 200:  # let in: exactly one Host, and one of this machine's
        assert len(hosts) == 1 and "evil" not in hosts[0], (path, headers)


def test_the_fuzz_cases_reach_the_engine_sometimes():
    """The dispatcher fuzz is not all rejects: well-formed plays get through."""
    client = _Client(None, 2)
    before = VIEW.errors.total()
    actions.handle(VIEW, client, json.dumps({"t": "snippet", "i": 1}))
    actions.handle(VIEW, client, json.dumps({"t": "pad", "n": 1, "down": True}))
    assert VIEW.errors.total() == before
