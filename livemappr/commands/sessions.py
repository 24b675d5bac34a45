"""``livemappr sessions``: the sessions kept in the data directory, newest first.

Runs on: the main thread.

One line a session: when it started, how long its take is, how many sounds
its map holds, and its folder (give it to ``livemappr live --session`` to go
on, or to ``livemappr export``). A folder that cannot be read is one line on
standard error and the listing goes on; the exit status is then 1.
"""

import sys


def run(args, out=None, err=None):
    from livemappr.session.folders import listing, sessions_root
    from livemappr.session.take import hms

    out, err = out or sys.stdout, err or sys.stderr
    root = sessions_root()
    summaries, errors = listing(root)
    for text in errors:
        print(f"livemappr: error: {text}", file=err)
    if not summaries:
        print(f"no sessions in {root}" + (" that can be read" if errors else ""), file=out)
        return 1 if errors else 0
    print(f"{'started':19}  {'length':>8}  {'snippets':>8}  folder", file=out)
    for s in summaries:
        print(f"{s.started:%Y-%m-%d %H:%M:%S}  {hms(s.seconds):>8}  {s.snippets:>8}  {s.path}", file=out)
    return 1 if errors else 0
