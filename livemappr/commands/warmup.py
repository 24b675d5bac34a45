"""``livemappr warmup``: compile every kernel now, so the next start takes seconds.

Runs on: the main thread.

``make demo`` runs it as an install step; run it after an install or an
update (on a Raspberry Pi it takes minutes).
"""

import os
import sys


def run(args):
    from livemappr.session.kernels import cached, compile_all

    def log(message):
        print(message, file=sys.stderr, flush=True)

    if cached():
        log("livemappr: kernels are compiled already; loading them to check")
    seconds = compile_all(args.samplerate, log=log, hint=False)
    where = os.environ.get("NUMBA_CACHE_DIR", "numba's cache next to the source")
    log(f"livemappr: kernels ready in {seconds:.1f} s ({where})")
    return 0
