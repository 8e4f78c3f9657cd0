"""Shared fixtures: isolated data folders, the corpus, and the offline guard."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Nothing may reach a model hub: every model is loaded from an installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]


def _corpus_root() -> Path | None:
    configured = os.environ.get("VOICEASSIST_CORPUS")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO_ROOT.parent / "shared" / "corpus")
    for candidate in candidates:
        if (candidate / "docs").is_dir():
            return candidate
    return None


CORPUS_ROOT = _corpus_root()


def pytest_collection_modifyitems(config, items):
    skip_corpus = pytest.mark.skip(
        reason="the shared corpus is absent: place it at ../shared/corpus "
        "beside the repository or set VOICEASSIST_CORPUS"
    )
    skip_pg = pytest.mark.skip(
        reason="no PostgreSQL server: set VOICEASSIST_TEST_POSTGRES_URL "
        "(.ci/run starts one)"
    )
    for item in items:
        if "corpus" in item.keywords and CORPUS_ROOT is None:
            item.add_marker(skip_corpus)
        if "postgres" in item.keywords and not os.environ.get(
            "VOICEASSIST_TEST_POSTGRES_URL"
        ):
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The read-only shared corpus; tests using it carry the `corpus` marker."""
    if CORPUS_ROOT is None:
        pytest.skip("the shared corpus is absent")
    return CORPUS_ROOT


# The part of the corpus the session's library holds. Embedding is most of an
# import's cost (about 5 chunks a second on two cores), and the whole of docs/
# is some 8,000 chunks, more than a test run can afford: `bench/ingest.py`
# imports all of it, and the converter tests read every document and quirk.
# This selection keeps every format, the scanned guide, the three drug labels
# and the guidelines the answer tests ask about, and every quirk but the three
# long text PDFs (400, 117 and 90 pages of tax, topology and cybersecurity).
CORPUS_LIBRARY_DOCS = (
    "pdf/fda_label_eliquis_apixaban.pdf",
    "pdf/fda_label_ozempic_semaglutide.pdf",
    "pdf/fda_label_rinvoq_upadacitinib.pdf",
    "pdf/who_ipc_core_components_guidelines_2016.pdf",
    "pdf/cdc_outpatient_infection_prevention_guide_2016.pdf",
    "pdf/cdc_outpatient_guide_scanned_p1-8.pdf",
    "pdf/bmc_hsr_2014_quality_improvement_malawi.pdf",
    "txt/cdc_mmwr_1989_measles_prevention_acip.txt",
    "txt/cdc_mmwr_1985_chlamydia_trachomatis_policy_guidelines.txt",
    "html/cdc_pcd_2024_23_0115_tobacco_reduction_people_with_hiv.htm",
    "html/cdc_pcd_2024_24_0016_lung_cancer_incidence_trends.htm",
    "xml/plos_med_journal.pmed.0030520.xml",
)
LONG_QUIRKS = (
    "pdf/irs_manual_400_pages.pdf",
    "pdf/german_textbook_117_pages_compressed.pdf",
    "pdf/gao_report_breaks_pdfminer.pdf",
)


@dataclass(frozen=True)
class CorpusLibrary:
    """Part of the shared corpus, imported once per test run.

    Attributes:
        app: The started app over the library (read it; do not change it).
        report: The import's report, one item per file.
        documents: The documents imported from `docs/` (an XML file among
            them, which is refused).
        quirks: The parser-breaking files imported from `quirks/`.
    """

    app: Any
    report: Any
    documents: tuple[Path, ...]
    quirks: tuple[Path, ...]


@pytest.fixture(scope="session")
def corpus_library(corpus_dir, tmp_path_factory) -> CorpusLibrary:
    """The selection above imported in one batch, as `voiceassist ingest` does."""
    from voiceassist_desktop.app import App

    data = tmp_path_factory.mktemp("corpus-library")
    documents = tuple(corpus_dir / "docs" / name for name in CORPUS_LIBRARY_DOCS)
    quirks = tuple(
        sorted(
            path
            for path in (corpus_dir / "quirks").rglob("*")
            if path.is_file()
            and str(path.relative_to(corpus_dir / "quirks")) not in LONG_QUIRKS
        )
    )
    app = App(
        data,
        database_url=f"sqlite:///{data / 'voiceassist.sqlite3'}",
        log_to_file=False,
    ).start()
    report = app.library.import_paths([*documents, *quirks])
    yield CorpusLibrary(app, report.wait(3600), documents, quirks)
    app.close()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private data folder, so no test touches the user's real one."""
    root = tmp_path / "voiceassist-data"
    root.mkdir()
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(root))
    monkeypatch.delenv("VOICEASSIST_DATABASE_URL", raising=False)
    monkeypatch.delenv("VOICEASSIST_QDRANT_URL", raising=False)
    return root


def _fresh_postgres_database(server_url: str) -> tuple[str, object]:
    """Creates an empty database on the test server; returns its URL and a dropper."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"va_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, and (marked postgres) a PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url, drop = _fresh_postgres_database(os.environ["VOICEASSIST_TEST_POSTGRES_URL"])
    try:
        yield url
    finally:
        drop()
