"""Measure importing: pages and chunks per second, peak memory, and the ratio
of end-to-end speed to the embedding model's own speed on the same chunks.

    python bench/ingest.py [--docs DIR] [--workers N]

Imports every PDF, DOCX, TXT and HTML file under corpus/docs (XML is out of
scope) into a fresh temporary data folder through `Library.import_paths`, the
same path the window and `voiceassist ingest` take. The embedding model is
loaded before the clock starts. Afterwards the chunk texts the import produced
are embedded again with the same embedder and batch size, timing only
`embed`: the ratio of the two rates is the share of the import's time that
embedding explains (1.0 would mean everything else is free).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import psutil  # noqa: E402
from sqlalchemy import select  # noqa: E402

from voiceassist_desktop.app import App  # noqa: E402
from voiceassist_desktop.index.embedder import passage_text  # noqa: E402
from voiceassist_desktop.knowledge.pipeline import WRITE_BATCH  # noqa: E402
from voiceassist_desktop.storage.models import (  # noqa: E402
    FileFormat,
    KBChunk,
    KnowledgeDocument,
)

CORPUS = Path(
    os.environ.get(
        "VOICEASSIST_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
)
FORMATS = {".pdf", ".docx", ".txt", ".html", ".htm"}


class PeakRss:
    """Samples the process's resident memory; keeps the highest value."""

    def __init__(self, every: float = 0.2) -> None:
        self.peak = 0
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            self._stop.wait(self._every)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=CORPUS / "docs")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    files = sorted(
        path
        for path in args.docs.rglob("*")
        if path.is_file() and path.suffix.lower() in FORMATS
    )
    if not files:
        print(f"no documents under {args.docs}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="voiceassist-bench-") as folder:
        app = App(Path(folder), log_to_file=False).start()
        try:
            if args.workers:
                app.library._workers_wanted = args.workers  # noqa: SLF001
            library = app.library
            embedder = app.embedder_for(library.model_name())
            embedder.embed(["warm up the model"])
            done = {"chunks": 0}

            def on_progress(progress) -> None:
                if progress.finished:
                    done["chunks"] += progress.processed_chunks
                    print(
                        f"  {progress.state:>10}  {progress.processed_chunks:>5} "
                        f"chunks  {progress.file_name}",
                        file=sys.stderr,
                        flush=True,
                    )

            with PeakRss() as rss:
                started = time.perf_counter()
                report = library.import_paths(files, progress=on_progress).wait()
                elapsed = time.perf_counter() - started

            with app.db.session() as session:
                documents = session.scalars(select(KnowledgeDocument)).all()
                rows = session.execute(
                    select(KBChunk.heading, KBChunk.content).order_by(
                        KBChunk.document_id, KBChunk.chunk_index
                    )
                ).all()
            texts = [passage_text(heading, content) for heading, content in rows]
            pages = sum(
                d.page_count or 0 for d in documents if d.file_format == FileFormat.PDF
            )

            # The model alone on the same texts, in the batches the import used.
            embed_started = time.perf_counter()
            for start in range(0, len(texts), WRITE_BATCH):
                embedder.embed(texts[start : start + WRITE_BATCH])
            embed_seconds = time.perf_counter() - embed_started
        finally:
            app.close()

    chunks = len(texts)
    end_to_end = chunks / elapsed if elapsed else 0.0
    model_only = chunks / embed_seconds if embed_seconds else 0.0
    ratio = end_to_end / model_only if model_only else 0.0
    peak_mb = max(rss.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    peak_mb /= 1024 * 1024

    counts = report.counts()
    print(f"files            {len(files)}  {counts}")
    for item in report.failed:
        print(f"  failed         {item.path.name}: {item.reason}")
    print(f"pages (PDF)      {pages}")
    print(f"chunks           {chunks}")
    print(f"elapsed          {elapsed:.1f} s")
    print(f"pages/s          {pages / elapsed:.2f}")
    print(f"chunks/s         {end_to_end:.2f} end to end")
    print(f"embed chunks/s   {model_only:.2f} model alone ({embed_seconds:.1f} s)")
    print(f"ratio            {ratio:.2f}")
    print(f"peak RSS         {peak_mb:.0f} MB")
    command = "python bench/ingest.py " + " ".join(sys.argv[1:])
    print(
        f"{dt.date.today().isoformat()}  {command.strip()}: {len(files)} files, "
        f"{pages} PDF pages, {chunks} chunks in {elapsed:.0f} s; "
        f"{pages / elapsed:.2f} pages/s, {end_to_end:.1f} chunks/s end to end, "
        f"{model_only:.1f} chunks/s embedding alone, ratio {ratio:.2f}, "
        f"peak RSS {peak_mb:.0f} MB, {os.cpu_count()} cores"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
