"""The page: one HTML file with its script and style inlined, live or offline.

Runs on: the caller's thread (the web view at start-up, ``livemappr map``).

The page needs no other file and no network beyond its own server, so it
works on an offline machine and from a phone. The same page, with a map
embedded instead of a WebSocket, is the HTML picture of an offline map
(:func:`write_offline_html`): hovering a point there plays its sound from
the source file (an ``<audio>`` element with a media fragment), so it
needs the sound files beside it, as map.json does.

Colours come from :data:`livemappr.files.picture.PALETTE`, so the PNG and the
page agree on which cluster is which colour.
"""

import json
import os
import pathlib

from livemappr.files.picture import BACKGROUND, PALETTE

STATIC = pathlib.Path(__file__).resolve().with_name("static")
#: The page's script, by what each part does, joined in this order inside one
#: function: one scope, as one file would be, split where the jobs part.
SCRIPT_PARTS = ("map.js", "draw.js", "play.js", "pads.js", "live.js", "neighbours.js", "main.js")
_MARK = {"style": "/*LIVEMAPPR_STYLE*/", "script": "/*LIVEMAPPR_SCRIPT*/", "config": "/*LIVEMAPPR_CONFIG*/"}


def _asset(name):
    try:
        return (STATIC / name).read_text(encoding="utf-8")
    except OSError as e:
        raise RuntimeError(f"the web page asset {STATIC / name} is missing ({e.strerror}); "
                           "is livemappr installed with its package data?") from None


def _script_json(value):
    """JSON safe inside a <script> element: no "</" can end it early."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def render(config):
    """The page as one HTML string.

    Parameters
    ----------
    config : dict
        ``mode`` ("live" or "offline") and, offline, ``map`` (a map.json dict).
    """
    config = dict(config, palette=PALETTE.tolist(), background=list(BACKGROUND))
    html = _asset("index.html")
    script = "(function () {\n  \"use strict\";\n" + "\n".join(_asset(n) for n in SCRIPT_PARTS) + "})();\n"
    for key, text in (("style", _asset("style.css")), ("script", script),
                      ("config", "window.LIVEMAPPR = " + _script_json(config) + ";")):
        if _MARK[key] not in html:
            raise RuntimeError(f"index.html lacks the {_MARK[key]} mark")
        html = html.replace(_MARK[key], text, 1)
    return html


def live_page():
    """The page the web view serves: the map comes over the WebSocket."""
    return render({"mode": "live"})


def write_offline_html(path, map_json, title=None, neighbours=None):
    """Write the map page with ``map_json`` embedded (``map.html`` beside map.json).

    Parameters
    ----------
    path : str or path-like
        The HTML file to write (atomically: a temporary file renamed over it).
    map_json : dict
        A map.json dict (``MapFile.to_json()``): ``snippets`` with ``x``,
        ``y``, ``cluster``, ``source``, ``start``, ``end``; ``clusters``
        with ``id``, ``key``, ``size``. Sources are relative to the page's
        folder, as in map.json.
    title : str, optional
    neighbours : sequence of sequences of int, optional
        Each snippet's nearest snippets by their feature vectors, nearest
        first: what a click on it lights up. Without them a click lights up
        the snippets nearest it on the map.

    Returns
    -------
    pathlib.Path
    """
    if not isinstance(map_json, dict) or not isinstance(map_json.get("snippets"), list):
        raise ValueError("map_json must be a map.json dict with a snippets list, "
                         f"got {type(map_json).__name__}")
    for i, s in enumerate(map_json["snippets"]):
        for name in ("x", "y", "cluster"):
            if not isinstance(s.get(name), (int, float)) or isinstance(s.get(name), bool):
                raise ValueError(f"snippets[{i}].{name} must be a number, got {s.get(name)!r}")
    n = len(map_json["snippets"])
    near = None
    if neighbours is not None:
        near = [[int(j) for j in row] for row in neighbours]
        if len(near) != n or any(not 0 <= j < n for row in near for j in row):
            raise ValueError(f"neighbours must hold a list of snippet indices 0..{n - 1} for each of the {n} "
                             "snippets")
    path = pathlib.Path(path)
    html = render({"mode": "offline", "map": map_json, "title": title or path.parent.name, "near": near})
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
