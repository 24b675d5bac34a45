"""Learn the projection livemappr ships (livemappr/data/projection.npz).

Usage: python benchmarks/train_projection.py [--out PATH] [--check]

Learns ``Projection.learn`` (standardise, shrinkage LDA over each corpus
group's labels as kinds of their own, plus 10 weighted principal directions)
on the whole development corpus of tests/corpus.py: Hydrogen kits, GM kits
rendered from the TimGM6mb, csound and OPL-3 soundfonts, and the espeak-ng
vocal-percussion PROXY. The settings are the ones bench_quality.py scores
leave-sources-out (tests/pads_quality.py). ``min_separation`` (the live
clusters' split rule, in the projection's units: the spread within one kind)
is stored with it: 4.0, the middle of the range 3-5 over which the cluster
count and purity stayed the same on every group (7 split drums into 2-3).

``--check`` relearns and compares with the shipped file instead of writing:
exit 1 when they differ (the corpus or the descriptors changed: retrain).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livemappr.analysis.projection import DEFAULT_PATH, Projection  # noqa: E402
from tests import corpus  # noqa: E402
from tests import pads_quality as pq  # noqa: E402

SHRINKAGE = 0.1
MIN_SEPARATION = 4.0


def learn() -> Projection:
    X, labels, sources, groups = pq.whole_corpus()
    counts = {g: int((groups == g).sum()) for g in pq.GROUPS}
    return pq.learn(X, labels, groups, shrinkage=SHRINKAGE, info={
        "min_separation": MIN_SEPARATION, "corpus": corpus.VERSION, "sounds": counts,
        "sources": int(np.unique(sources).shape[0]),
        "made_by": "benchmarks/train_projection.py"})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(DEFAULT_PATH))
    p.add_argument("--check", action="store_true")
    args = p.parse_args()
    proj = learn()
    if args.check:
        shipped = Projection.load(args.out)
        same = (shipped.layout == proj.layout and shipped.components.shape == proj.components.shape
                and np.allclose(shipped.components, proj.components, rtol=1e-4, atol=1e-6))
        print("the shipped projection matches the corpus" if same else
              "the shipped projection differs from what the corpus gives: retrain")
        return 0 if same else 1
    proj.save(args.out)
    print(f"wrote {args.out}: {proj.n_in} descriptors -> {proj.n_out} "
          f"({proj.info['n_discriminant']} discriminant + {proj.info['n_detail']} detail), "
          f"{proj.info['n_samples']} sounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
