"""Measure conversion and chunking speed over the shared corpus.

Prints pages per second for PDF text extraction (pdfium; with --pypdf also
pypdf for comparison), seconds per page for OCR on the scanned PDF, and chunks
per second for the chunker over every PDF, HTML and TXT file in corpus/docs.

Usage:
    python bench/convert.py [--corpus PATH] [--ocr-pages N] [--pypdf]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import pypdfium2 as pdfium

from voiceassist_desktop.knowledge import ocr
from voiceassist_desktop.knowledge.chunker import Chunker
from voiceassist_desktop.knowledge.converters import convert_file
from voiceassist_desktop.knowledge.converters import pdf as pdf_converter
from voiceassist_desktop.knowledge.errors import ConversionError

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SCANNED = "docs/pdf/cdc_outpatient_guide_scanned_p1-8.pdf"


def bench_pdf_text(pdfs: list[Path], with_pypdf: bool) -> None:
    pages = 0
    started = time.perf_counter()
    for path in pdfs:
        document = pdfium.PdfDocument(str(path))
        for index in range(len(document)):
            page = document[index]
            page.get_textpage().get_text_range()
            pages += 1
        document.close()
    elapsed = time.perf_counter() - started
    print(
        f"pdfium text:      {pages} pages in {elapsed:.2f} s = "
        f"{pages / elapsed:.0f} pages/s"
    )

    if with_pypdf:
        bench_pypdf(pdfs)

    pages = 0
    started = time.perf_counter()
    for path in pdfs:
        try:
            pages += len(pdf_converter.convert(path, use_ocr=False).pages)
        except ConversionError:
            continue
    elapsed = time.perf_counter() - started
    print(
        f"PDF converter:    {pages} pages in {elapsed:.2f} s = {pages / elapsed:.0f} "
        "pages/s (text, labels, outline, metadata, quality checks; no OCR)"
    )


def bench_pypdf(pdfs: list[Path]) -> None:
    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    pages = 0
    started = time.perf_counter()
    for path in pdfs:
        reader = pypdf.PdfReader(str(path))
        for page in reader.pages:
            page.extract_text()
            pages += 1
    elapsed = time.perf_counter() - started
    print(
        f"pypdf text:       {pages} pages in {elapsed:.2f} s = "
        f"{pages / elapsed:.0f} pages/s"
    )


def bench_ocr(path: Path, page_count: int) -> None:
    started = time.perf_counter()
    ocr.get_engine()
    print(f"OCR engine load:  {time.perf_counter() - started:.1f} s")

    document = pdfium.PdfDocument(str(path))
    seconds = []
    for index in range(min(page_count, len(document))):
        result = ocr.read_page(document[index])
        seconds.append(result.seconds)
        print(
            f"  page {index + 1}: {result.seconds:.1f} s, {result.lines} lines "
            f"at {result.dpi:.0f} dpi"
        )
    print(f"OCR:              {sum(seconds) / len(seconds):.1f} s/page")


def bench_chunker(files: list[Path]) -> None:
    documents = []
    for path in files:
        if path.suffix == ".pdf":
            try:
                documents.append(pdf_converter.convert(path, use_ocr=False))
            except ConversionError:
                continue
        else:
            documents.append(convert_file(path))

    chunker = Chunker()
    chunker.count_tokens(["warm up"])  # loads the tokenizer outside the timing
    started = time.perf_counter()
    cpu_started = time.process_time()
    chunks = sum(len(chunker.chunk(document)) for document in documents)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    characters = sum(len(document.text) for document in documents)
    print(
        f"chunker:          {chunks} chunks from {len(documents)} documents "
        f"({characters / 1e6:.1f} M characters) in {elapsed:.2f} s wall, "
        f"{cpu:.2f} s CPU = {chunks / elapsed:.0f} chunks/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--ocr-pages", type=int, default=3)
    parser.add_argument(
        "--pypdf", action="store_true", help="also time pypdf (slow) for comparison"
    )
    args = parser.parse_args()

    docs = args.corpus / "docs"
    pdfs = sorted(p for p in (docs / "pdf").glob("*.pdf") if "scanned" not in p.name)
    files = (
        pdfs
        + sorted((docs / "html").glob("*.htm*"))
        + sorted((docs / "txt").glob("*.txt"))
    )

    bench_pdf_text(pdfs, args.pypdf)
    bench_chunker(files)
    if args.ocr_pages > 0:
        bench_ocr(args.corpus / SCANNED, args.ocr_pages)


if __name__ == "__main__":
    main()
