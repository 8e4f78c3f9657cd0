"""Prints how long a stored tool call, a backup and a restore take.

Run: python bench/tools_backup.py [--points 5000]
Builds a throwaway data folder: tool calls through the registry (stored and
audited), then a vector collection of random 384-dimensional points, backed
up with and without a passphrase and restored into an empty folder.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from voiceassist_desktop.app import App
from voiceassist_desktop.core.paths import resolve_paths
from voiceassist_desktop.index.vector import QdrantVectorIndex, VectorPoint
from voiceassist_desktop.storage.backup import create_backup, restore_backup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with App(root / "source", log_to_file=False) as app:
            durations = []
            for _ in range(args.calls):
                started = time.perf_counter()
                app.tools.run("bmi", {"weight_kg": 80, "height_cm": 175})
                durations.append((time.perf_counter() - started) * 1000)
            print(
                f"tool call (bmi, stored and audited, own conversation): "
                f"median {statistics.median(durations):.1f} ms, "
                f"p90 {sorted(durations)[int(0.9 * len(durations))]:.1f} ms "
                f"over {args.calls}"
            )

            rng = np.random.default_rng(1)
            vectors = rng.random((args.points, 384), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            app.vectors.import_points(
                "medical_knowledge",
                384,
                (
                    VectorPoint(str(uuid.uuid4()), v, {"n": n})
                    for n, v in enumerate(vectors)
                ),
            )
            for passphrase in (None, "bench passphrase"):
                started = time.perf_counter()
                report = create_backup(
                    app.db,
                    app.paths,
                    root / f"backup-{bool(passphrase)}.vabackup",
                    vectors=app.vectors,
                    passphrase=passphrase,
                )
                elapsed = time.perf_counter() - started
                size = report.path.stat().st_size / 1e6
                label = "encrypted" if passphrase else "plain"
                print(
                    f"backup ({label}, {args.points} points): {elapsed:.1f} s, "
                    f"{size:.1f} MB"
                )

        for passphrase in (None, "bench passphrase"):
            target = resolve_paths(root / f"restored-{bool(passphrase)}").ensure()
            started = time.perf_counter()
            restore_backup(
                root / f"backup-{bool(passphrase)}.vabackup",
                target,
                vectors_factory=lambda t=target: QdrantVectorIndex(t.vectors),
                passphrase=passphrase,
            )
            label = "encrypted" if passphrase else "plain"
            elapsed = time.perf_counter() - started
            print(f"restore ({label}): {elapsed:.1f} s")


if __name__ == "__main__":
    main()
