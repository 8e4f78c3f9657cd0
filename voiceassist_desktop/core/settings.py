"""Typed user and system settings with a schema version and migrations.

The sections follow the V2 data model. Each section is a pydantic model with
defaults a clinician can start with; the database stores each section as JSON.
Settings written by an older version are migrated step by step on load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)

SETTINGS_SCHEMA_VERSION = 2
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


# --- user settings -----------------------------------------------------------


class GeneralSettings(_Section):
    language: str = "en"
    timezone: str = "UTC"
    theme: Literal["system", "light", "dark"] = "system"


class VoiceSettings(_Section):
    enabled: bool = True
    input_device: str | None = None
    activation_mode: Literal["push_to_talk", "toggle"] = "push_to_talk"
    push_to_talk_key: str = "F9"
    max_recording_seconds: int = Field(60, ge=5, le=600)
    auto_send: bool = False
    confirm_seconds: float = Field(3.0, ge=0, le=30)
    stt_model: Literal["base", "tiny.en"] = "base"
    use_library_vocabulary: bool = True
    tts_enabled: bool = False
    tts_voice: str = "en_US-joe-medium"
    tts_rate: float = Field(1.0, ge=0.5, le=2.0)
    keep_recordings: bool = True


class CitationSettings(_Section):
    display_style: Literal["numbered", "inline"] = "numbered"
    show_snippets: bool = True
    max_citations: int = Field(5, ge=1, le=20)
    priority_sources: list[str] = Field(default_factory=lambda: ["guideline"])
    warn_older_than_years: int = Field(10, ge=1, le=50)


class DisplaySettings(_Section):
    font_size: int = Field(11, ge=8, le=24)
    line_spacing: float = Field(1.3, ge=1.0, le=2.5)
    animations: bool = True
    compact_mode: bool = False


class ClinicalContextSettings(_Section):
    specialty: str | None = None
    practice_type: Literal["hospital", "outpatient", "primary_care", "other"] = (
        "outpatient"
    )
    default_mode: Literal["text", "voice", "case_workspace"] = "text"


class PrivacySettings(_Section):
    log_queries: bool = True
    phi_detection: bool = True
    redact_phi_in_logs: bool = True


class NotificationSettings(_Section):
    email: bool = False
    in_app: bool = True
    digest: Literal["off", "daily", "weekly"] = "off"
    notify_import_finished: bool = True


class ShortcutSettings(_Section):
    new_conversation: str = "Ctrl+N"
    focus_question: str = "Ctrl+L"
    push_to_talk: str = "F9"
    search: str = "Ctrl+F"
    import_documents: str = "Ctrl+O"


class AdvancedSettings(_Section):
    experimental_features: bool = False
    retrieval_top_k: int = Field(8, ge=1, le=50)
    # The fused relevance under which the library "does not cover" a question:
    # retrieval.fusion.NOT_COVERED_BELOW, where its measurement is written.
    min_relevance: float = Field(0.45, ge=0.0, le=1.0)
    debug_logging: bool = False


class UserSettingsModel(_Section):
    """Every section of a user's preferences."""

    schema_version: int = SETTINGS_SCHEMA_VERSION
    general: GeneralSettings = Field(default_factory=GeneralSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    citations: CitationSettings = Field(default_factory=CitationSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    clinical_context: ClinicalContextSettings = Field(
        default_factory=ClinicalContextSettings
    )
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    shortcuts: ShortcutSettings = Field(default_factory=ShortcutSettings)
    advanced: AdvancedSettings = Field(default_factory=AdvancedSettings)


USER_SECTIONS = tuple(
    name for name in UserSettingsModel.model_fields if name != "schema_version"
)

# --- system settings ---------------------------------------------------------


class GeneralSystemSettings(_Section):
    system_name: str = "VoiceAssist Desktop"
    maintenance_mode: bool = False


class DataRetentionSettings(_Section):
    conversation_retention_days: int = Field(0, ge=0, le=36500)
    recording_retention_days: int = Field(30, ge=0, le=36500)
    log_retention_days: int = Field(90, ge=1, le=36500)
    auto_cleanup: bool = True


class BackupSettings(_Section):
    enabled: bool = True
    schedule: Literal["off", "daily", "weekly"] = "weekly"
    retention_count: int = Field(5, ge=1, le=100)
    encrypt: bool = False
    backup_before_migration: bool = True


class AIConfigurationSettings(_Section):
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    answer_composer: Literal["extractive"] = "extractive"
    remote_generation_enabled: bool = False
    remote_endpoint: str | None = None
    routing_strategy: Literal["local_only", "local_first"] = "local_only"
    chunk_tokens: int = Field(200, ge=64, le=250)
    rate_limit_per_minute: int = Field(60, ge=1, le=10000)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    destinations: list[str] = Field(default_factory=lambda: ["file"])
    phi_redaction: bool = True
    max_file_mb: int = Field(5, ge=1, le=500)
    backup_count: int = Field(5, ge=1, le=50)


class SecuritySettings(_Section):
    require_password: bool = False
    idle_lock_minutes: int = Field(15, ge=0, le=1440)
    mfa_enforced: bool = False
    session_timeout_minutes: int = Field(480, ge=5, le=10080)


class EmailSettings(_Section):
    enabled: bool = False
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    sender: str | None = None


class FeatureFlagsSettings(_Section):
    voice_input: bool = True
    spoken_answers: bool = True
    tools: bool = True
    case_workspace: bool = True
    ocr: bool = True


class ResourceLimitsSettings(_Section):
    max_document_mb: int = Field(500, ge=1, le=10000)
    worker_threads: int = Field(0, ge=0, le=64)
    embedding_batch_size: int = Field(32, ge=1, le=512)
    max_library_documents: int = Field(100000, ge=1)


class SystemSettingsModel(_Section):
    """The singleton system configuration."""

    schema_version: int = SETTINGS_SCHEMA_VERSION
    general: GeneralSystemSettings = Field(default_factory=GeneralSystemSettings)
    data_retention: DataRetentionSettings = Field(default_factory=DataRetentionSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    ai_configuration: AIConfigurationSettings = Field(
        default_factory=AIConfigurationSettings
    )
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    feature_flags: FeatureFlagsSettings = Field(default_factory=FeatureFlagsSettings)
    resource_limits: ResourceLimitsSettings = Field(
        default_factory=ResourceLimitsSettings
    )


SYSTEM_SECTIONS = tuple(
    name for name in SystemSettingsModel.model_fields if name != "schema_version"
)

# --- migrations ----------------------------------------------------------------

Migration = Callable[[dict[str, Any]], dict[str, Any]]
_USER_MIGRATIONS: dict[int, Migration] = {}
_SYSTEM_MIGRATIONS: dict[int, Migration] = {}


def _user_migration(from_version: int) -> Callable[[Migration], Migration]:
    def register(func: Migration) -> Migration:
        _USER_MIGRATIONS[from_version] = func
        return func

    return register


def _system_migration(from_version: int) -> Callable[[Migration], Migration]:
    def register(func: Migration) -> Migration:
        _SYSTEM_MIGRATIONS[from_version] = func
        return func

    return register


@_user_migration(1)
def _user_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 kept the push-to-talk key under voice.hotkey.
    voice = dict(data.get("voice") or {})
    if "hotkey" in voice:
        voice.setdefault("push_to_talk_key", voice.pop("hotkey"))
    data["voice"] = voice
    return data


@_system_migration(1)
def _system_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # Version 1 named the embedding model under ai_configuration.model.
    ai = dict(data.get("ai_configuration") or {})
    if "model" in ai:
        ai.setdefault("embedding_model", ai.pop("model"))
    data["ai_configuration"] = ai
    return data


def _migrate(data: dict[str, Any], steps: dict[int, Migration]) -> dict[str, Any]:
    data = dict(data)
    version = int(data.get("schema_version", 1))
    if version > SETTINGS_SCHEMA_VERSION:
        logger.warning(
            "settings schema %s is newer than this app's %s; unknown keys dropped",
            version,
            SETTINGS_SCHEMA_VERSION,
        )
        version = SETTINGS_SCHEMA_VERSION
    while version < SETTINGS_SCHEMA_VERSION:
        data = steps[version](data)
        version += 1
    data["schema_version"] = SETTINGS_SCHEMA_VERSION
    return data


def load_user_settings(data: dict[str, Any] | None) -> UserSettingsModel:
    """Validates stored user settings, migrating older versions first."""
    return UserSettingsModel.model_validate(_migrate(data or {}, _USER_MIGRATIONS))


def load_system_settings(data: dict[str, Any] | None) -> SystemSettingsModel:
    """Validates stored system settings, migrating older versions first."""
    return SystemSettingsModel.model_validate(_migrate(data or {}, _SYSTEM_MIGRATIONS))
