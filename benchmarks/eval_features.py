"""Which snippet vector maps real drums best: the measurements behind features.py.

Usage: python benchmarks/eval_features.py [--json]

Score: leave-one-kit-out k-NN label agreement (k=5, Euclidean, no scaling, as
the map's own neighbour search sees the vectors) over hydrogen one-shots
(tests/drumkits.py, up to 3 velocity layers per instrument, 6 labels, all
kits). Grouping by kit keeps velocity layers of one drum out of each other's
neighbourhoods. Variants are built from the same 64-band dB mel spectrogram.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SR = 22050


def variants(db: np.ndarray, env: np.ndarray) -> dict[str, np.ndarray]:
    """Candidate vectors from one snippet's dB mel spectrogram (n_mels, n_frames)
    and frame energies in dB."""
    top = db.max()
    e = np.full(16, -80.0)
    k = min(16, env.size)
    e[:k] = np.maximum(env[:k] - env.max(), -80.0)
    return {
        "band_means": db.mean(1),
        "band_means_normalised": db.mean(1) - top,
        "means_std": np.r_[db.mean(1), db.std(1)],
        "normalised_means_std": np.r_[db.mean(1) - top, db.std(1)],
        "normalised_means_2std": np.r_[db.mean(1) - top, 2 * db.std(1)],
        "normalised_means_std_env": np.r_[db.mean(1) - top, db.std(1), e],
    }


def agreement(x: np.ndarray, labels: np.ndarray, kits: np.ndarray, k: int = 5) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    hits = 0
    for kit in np.unique(kits):
        te = kits == kit
        hits += int((KNeighborsClassifier(k).fit(x[~te], labels[~te]).predict(x[te])
                     == labels[te]).sum())
    return hits / len(labels)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    args = ap.parse_args()

    import drumkits

    from livemappr.analysis import (
        FeatureConfig,
        FeatureExtractor,
        MelConfig,
        melspectrogram,
        power_to_db,
    )

    shots = drumkits.one_shots(sr=SR, per_instrument=3, max_seconds=1.0)
    labels = np.array([s.label for s in shots])
    kits = np.array([s.kit for s in shots])
    cfg = MelConfig(sample_rate=SR, n_fft=1024, hop_length=256, n_mels=64, fmax=11025.0)
    rows = []
    for seconds in (0.25, 0.5, 1.0):
        table: dict[str, list] = {}
        for s in shots:
            y = s.audio[: int(seconds * SR)]
            y = y - y.mean()
            p = melspectrogram(y, cfg)
            env = 10 * np.log10(np.maximum(p.sum(0), 1e-10))
            for name, v in variants(power_to_db(p), env).items():
                table.setdefault(name, []).append(v)
        fx = FeatureExtractor(FeatureConfig(max_seconds=seconds))
        table["livemappr_vector"] = [fx.vector(s.audio) for s in shots]
        for name, vs in table.items():
            x = np.stack(vs)
            rows.append((name, seconds, x.shape[1], agreement(x, labels, kits)))
    chance = max(float(np.mean(labels == lab)) for lab in set(labels))
    for name, seconds, dim, score in rows:
        if args.json:
            print(json.dumps({"bench": "feature_design", "metric": "knn5_cross_kit_agreement",
                              "value": round(score, 4), "unit": "ratio", "variant": name,
                              "analysed_seconds": seconds, "dim": dim, "one_shots": len(shots),
                              "kits": len(set(kits)), "majority_class": round(chance, 4)}))
        else:
            print(f"{name:28s} {seconds:5.2f}s dim {dim:4d}  5-NN cross-kit agreement {score:.3f}")
    if not args.json:
        print(f"{len(shots)} one-shots, {len(set(kits))} kits, majority class {chance:.3f}")


if __name__ == "__main__":
    main()
