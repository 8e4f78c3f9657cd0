"""Backup and restore of everything the app keeps, in one archive file.

The archive is a gzip-compressed tar holding a manifest, the database, every
point of the vector index, the system settings file and the recordings:

```
manifest.json               versions, counts, what is inside
database.sqlite3            SQLite: a consistent copy by the online backup API
database/<Entity>.jsonl     PostgreSQL: every entity as schema-valid records
vectors/<collection>.f32    the vectors, float32 rows
vectors/<collection>.jsonl  id and payload of each row, in order
settings/system-settings.json
recordings/...
```

The vector index is read through its client (copying the local folder while a
client holds it is not safe). With a passphrase the archive is encrypted with
AES-256-GCM in 1 MiB segments under a key derived by scrypt; each segment is
authenticated with its number and whether it is the last, so a wrong
passphrase, a changed byte or a cut-off file are all refused.

This module sits in the storage layer: the vector index and the audit trail
reach it as objects passed in (`vectors`, `audit`), never by import.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import struct
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from sqlalchemy import func, inspect, select, update

from voiceassist_desktop import __version__
from voiceassist_desktop.core.errors import VoiceAssistError
from voiceassist_desktop.core.ids import isoformat, utcnow
from voiceassist_desktop.storage import export, models
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.migrate import (
    alembic_config,
    current_revision,
    upgrade_database,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"

# Encrypted archives: magic, then scrypt salt and cost, then segments.
MAGIC = b"VABKENC1"
SEGMENT = 1 << 20
SCRYPT_N_LOG2 = 15
SCRYPT_R = 8
SCRYPT_P = 1
_HEADER = struct.Struct(">8s16sBBB8s")
_LENGTH = struct.Struct(">I")

# Entities whose counts the manifest carries, as the report shows them.
_COUNTED = {
    "documents": models.KnowledgeDocument,
    "chunks": models.KBChunk,
    "conversations": models.Session,
    "messages": models.ChatMessage,
    "tool_calls": models.ToolCall,
    "audit_entries": models.AuditLogEntry,
}


class BackupError(VoiceAssistError):
    """A backup that cannot be written or restored, with the reason."""


class WrongPassphrase(BackupError):
    """The passphrase does not open the archive (or the archive is damaged)."""


class Recorder(Protocol):
    """The audit trail, as this module uses it."""

    def record(self, session: Any, action: str, resource_type: str, **kw: Any): ...


class PointStore(Protocol):
    """The vector index, as backups read and write it."""

    def collections(self) -> list[str]: ...

    def dimension(self, collection: str) -> int: ...

    def export_points(self, collection: str) -> Iterator[Any]: ...

    def import_points(
        self, collection: str, dimension: int, points: Iterable[Any]
    ) -> int: ...


@dataclass(frozen=True)
class StoredPoint:
    """A vector point read back from a backup."""

    id: str
    vector: np.ndarray
    payload: dict[str, Any]


def read_points(folder: Path, name: str, dimension: int) -> Iterator[StoredPoint]:
    """The points of one collection as `create_backup` wrote them."""
    matrix = np.fromfile(folder / f"{name}.f32", dtype="<f4").reshape(-1, dimension)
    with (folder / f"{name}.jsonl").open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            data = json.loads(line)
            yield StoredPoint(data["id"], matrix[number], data["payload"])


@dataclass(frozen=True)
class BackupReport:
    """What a backup or a restore did."""

    path: Path
    manifest: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.manifest.get("counts", {}))


# --- encryption ------------------------------------------------------------------


def _derive_key(passphrase: str, salt: bytes, n_log2: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=1 << n_log2, r=r, p=p)
    return kdf.derive(passphrase.encode("utf-8"))


def _nonce(base: bytes, number: int) -> bytes:
    return base + struct.pack(">I", number)


def _aad(header: bytes, number: int, last: bool) -> bytes:
    return header + struct.pack(">I?", number, last)


def encrypt_file(source: IO[bytes], target: IO[bytes], passphrase: str) -> None:
    """Encrypts a stream with AES-256-GCM, segment by segment."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, base = os.urandom(16), os.urandom(8)
    header = _HEADER.pack(MAGIC, salt, SCRYPT_N_LOG2, SCRYPT_R, SCRYPT_P, base)
    aead = AESGCM(_derive_key(passphrase, salt, SCRYPT_N_LOG2, SCRYPT_R, SCRYPT_P))
    target.write(header)

    number = 0
    chunk = source.read(SEGMENT)
    while True:
        following = source.read(SEGMENT)
        last = not following
        sealed = aead.encrypt(_nonce(base, number), chunk, _aad(header, number, last))
        target.write(_LENGTH.pack(len(sealed)))
        target.write(sealed)
        if last:
            return
        chunk, number = following, number + 1


def decrypt_file(source: IO[bytes], target: IO[bytes], passphrase: str) -> None:
    """Decrypts what `encrypt_file` wrote; raises `WrongPassphrase` if it can't."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = source.read(_HEADER.size)
    if len(header) != _HEADER.size:
        raise BackupError("The backup file is too short: it is damaged.")
    magic, salt, n_log2, r, p, base = _HEADER.unpack(header)
    if magic != MAGIC:
        raise BackupError("This file is not an encrypted VoiceAssist backup.")
    aead = AESGCM(_derive_key(passphrase, salt, n_log2, r, p))

    number = 0
    raw = source.read(_LENGTH.size)
    while True:
        if len(raw) != _LENGTH.size:
            raise BackupError("The backup file ends early: it is incomplete.")
        sealed = source.read(_LENGTH.unpack(raw)[0])
        raw = source.read(_LENGTH.size)
        last = not raw
        try:
            plain = aead.decrypt(
                _nonce(base, number), sealed, _aad(header, number, last)
            )
        except InvalidTag:
            if number == 0:
                raise WrongPassphrase(
                    "The passphrase does not open this backup (or the file is damaged)."
                ) from None
            raise BackupError("The backup file is damaged or incomplete.") from None
        target.write(plain)
        if last:
            return
        number += 1


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


# --- backup -----------------------------------------------------------------------


def _sqlite_path(db: Database) -> Path:
    return Path(db.engine.url.database or "")


def _sqlite_copy(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot while the app writes.
    src = sqlite3.connect(source)
    try:
        dest = sqlite3.connect(target)
        try:
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()


def _sqlite_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        return {
            name: connection.execute(
                f"SELECT count(*) FROM {cls.__tablename__}"  # noqa: S608
            ).fetchone()[0]
            for name, cls in _COUNTED.items()
        }
    finally:
        connection.close()


def _db_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            name: session.scalar(select(func.count()).select_from(cls)) or 0
            for name, cls in _COUNTED.items()
        }


def _write_vectors(vectors: PointStore, folder: Path) -> dict[str, dict[str, int]]:
    # Per collection: the vectors as raw little-endian float32 rows, and the
    # ids and payloads as JSON lines in the same order (text floats would be
    # five times larger and slower to write and read).
    folder.mkdir(parents=True, exist_ok=True)
    collections: dict[str, dict[str, int]] = {}
    for name in vectors.collections():
        dimension = vectors.dimension(name)
        count = 0
        with (
            (folder / f"{name}.jsonl").open("w", encoding="utf-8") as meta,
            (folder / f"{name}.f32").open("wb") as raw,
        ):
            for point in vectors.export_points(name):
                row = np.asarray(point.vector, dtype="<f4")
                if row.shape != (dimension,):
                    raise BackupError(f"a point of {name} has the wrong dimension")
                raw.write(row.tobytes())
                line = {"id": point.id, "payload": point.payload}
                meta.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
        collections[name] = {"dimension": dimension, "count": count}
    return collections


def _copy_tree(source: Path, target: Path) -> int:
    count = 0
    if not source.is_dir():
        return 0
    for path in sorted(source.rglob("*")):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
            count += 1
    return count


def create_backup(
    db: Database,
    paths: Any,
    target: Path,
    *,
    vectors: PointStore,
    audit: Recorder | None = None,
    user_id: str | None = None,
    passphrase: str | None = None,
) -> BackupReport:
    """Writes one archive of the database, vectors, settings and recordings.

    Args:
        db: The app's database (SQLite or PostgreSQL).
        paths: The app's folders (`AppPaths`).
        target: The archive to write; replaced if it exists.
        vectors: The vector index, read point by point.
        audit: When given, `backup.create` is recorded (counts only).
        user_id: The acting user, for the audit entry.
        passphrase: Encrypts the archive when given.

    Returns:
        The archive's path and manifest.
    """
    target = Path(target).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_relative_to(paths.data) and not target.is_relative_to(paths.backups):
        raise BackupError(
            "Write the backup outside the data folder (or into its backups/ folder)."
        )

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".va-backup-") as tmp:
        stage = Path(tmp) / "stage"
        stage.mkdir()

        if db.is_sqlite:
            _sqlite_copy(_sqlite_path(db), stage / SQLITE_MEMBER)
            counts = _sqlite_counts(stage / SQLITE_MEMBER)
        else:
            # REPEATABLE READ would give one snapshot; a single session's
            # reads are close enough for a single-user app, and start-up
            # reconciliation repairs a chunk whose vector is missing.
            with db.session() as session:
                export.dump(session, stage / "database")
            counts = _db_counts(db)

        collections = _write_vectors(vectors, stage / "vectors")
        settings_file = Path(paths.system_settings_backup)
        if settings_file.exists():
            (stage / "settings").mkdir()
            shutil.copy2(settings_file, stage / "settings" / settings_file.name)
        recordings = _copy_tree(Path(paths.recordings), stage / "recordings")

        manifest = {
            "format_version": FORMAT_VERSION,
            "app_version": __version__,
            "created_at": isoformat(utcnow()),
            "database": {
                "dialect": db.dialect,
                "revision": current_revision(db.engine),
            },
            "counts": counts,
            "vectors": collections,
            "recordings": recordings,
            "recordings_dir": str(paths.recordings),
            "encrypted": passphrase is not None,
        }
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=2), "utf-8")

        archive = Path(tmp) / "archive.tar.gz"
        # Level 6: most of the gain of 9 at a fraction of the time.
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            tar.add(stage / MANIFEST, arcname=MANIFEST)
            for entry in sorted(stage.iterdir()):
                if entry.name != MANIFEST:
                    tar.add(entry, arcname=entry.name)

        partial = Path(tmp) / "archive.final"
        if passphrase is not None:
            with archive.open("rb") as src, partial.open("wb") as dest:
                encrypt_file(src, dest, passphrase)
        else:
            archive.replace(partial)
        os.replace(partial, target)

    logger.info("backup written: %s (%s)", target.name, counts)
    if audit is not None:
        with db.session() as session:
            audit.record(
                session,
                "backup.create",
                "backup",
                user_id=user_id,
                details={
                    "file": target.name,
                    "encrypted": passphrase is not None,
                    "counts": counts,
                    "vectors": {k: v["count"] for k, v in collections.items()},
                    "recordings": recordings,
                },
            )
    return BackupReport(target, manifest)


# --- restore ----------------------------------------------------------------------


def _open_archive(source: Path, passphrase: str | None, workdir: Path) -> Path:
    """The plain tar.gz of a backup, decrypted into `workdir` when needed."""
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    if not is_encrypted(source):
        return source
    if passphrase is None:
        raise WrongPassphrase("This backup is encrypted: give its passphrase.")
    plain = workdir / "archive.tar.gz"
    with source.open("rb") as src, plain.open("wb") as dest:
        decrypt_file(src, dest, passphrase)
    return plain


def read_manifest(source: Path, passphrase: str | None = None) -> dict[str, Any]:
    """The manifest of a backup (decrypting it to read it)."""
    with tempfile.TemporaryDirectory(prefix=".va-restore-") as tmp:
        archive = _open_archive(Path(source), passphrase, Path(tmp))
        with tarfile.open(archive, "r:gz") as tar:
            return _manifest(tar)


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("The file has no manifest: it is not a VoiceAssist backup.")
    manifest = json.loads(member.read().decode("utf-8"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"The backup's format {manifest.get('format_version')} is not one "
            "this version of VoiceAssist reads."
        )
    revision = (manifest.get("database") or {}).get("revision")
    if revision:
        from alembic.script import ScriptDirectory

        try:
            ScriptDirectory.from_config(alembic_config()).get_revision(revision)
        except Exception as exc:
            raise BackupError(
                "The backup was made by a newer version of VoiceAssist "
                f"(database revision {revision}); install that version to restore it."
            ) from exc
    return manifest


def data_folder_in_use(paths: Any) -> list[str]:
    """What the data folder already holds that a restore would replace."""
    found = []
    database = Path(paths.database)
    if database.exists() and database.stat().st_size > 0:
        found.append(database.name)
    for folder in (Path(paths.vectors), Path(paths.recordings)):
        if folder.is_dir() and any(folder.iterdir()):
            found.append(folder.name + "/")
    return found


def _database_is_empty(db: Database) -> bool:
    return (
        "users" not in inspect(db.engine).get_table_names()
        or not _db_counts(db)["audit_entries"]
    )


def restore_backup(
    source: Path,
    paths: Any,
    *,
    vectors_factory: Callable[[], PointStore],
    passphrase: str | None = None,
    force: bool = False,
    database_url: str | None = None,
) -> BackupReport:
    """Restores a backup into a data folder that the app is not running on.

    Args:
        source: The archive.
        paths: The target's folders (`AppPaths`), already created.
        vectors_factory: Opens the target's vector index (closed afterwards
            when it has `close`).
        passphrase: For an encrypted archive.
        force: Replace what the folder already holds (the old database file
            is kept in `backups/`).
        database_url: A PostgreSQL database to restore into instead of the
            folder's SQLite file; it must be empty.

    Returns:
        The archive's path and manifest. The caller starts the app (which
        migrates an older database forward) and records `backup.restore`.
    """
    source = Path(source).expanduser().resolve()
    in_use = data_folder_in_use(paths)
    if in_use and not force:
        raise BackupError(
            "The data folder is not empty ("
            + ", ".join(in_use)
            + "): restore into an empty folder, or use --force to replace it."
        )

    with tempfile.TemporaryDirectory(prefix=".va-restore-") as tmp:
        workdir = Path(tmp)
        archive = _open_archive(source, passphrase, workdir)
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _manifest(tar)
            tar.extractall(workdir / "content", filter="data")
        content = workdir / "content"

        if in_use:
            _set_aside(paths)
        _restore_database(content, paths, manifest, database_url)
        # The restored log is the truth now; the next entry records its end.
        Path(paths.audit_head).unlink(missing_ok=True)
        _restore_vectors(content / "vectors", manifest, vectors_factory)

        settings = content / "settings" / Path(paths.system_settings_backup).name
        if settings.exists():
            Path(paths.config).mkdir(parents=True, exist_ok=True)
            shutil.copy2(settings, paths.system_settings_backup)
        _copy_tree(content / "recordings", Path(paths.recordings))
        _relink_recordings(paths, manifest, database_url)

    logger.info("backup restored from %s", source.name)
    return BackupReport(source, manifest)


def _set_aside(paths: Any) -> None:
    # --force: the old database is kept, not destroyed; vectors and
    # recordings are replaced by the backup's.
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    database = Path(paths.database)
    if database.exists():
        Path(paths.backups).mkdir(parents=True, exist_ok=True)
        database.replace(Path(paths.backups) / f"replaced-by-restore-{stamp}.sqlite3")
        for suffix in ("-wal", "-shm"):
            Path(str(database) + suffix).unlink(missing_ok=True)
    for folder in (Path(paths.vectors), Path(paths.recordings)):
        if folder.is_dir():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)


def _restore_database(
    content: Path, paths: Any, manifest: dict[str, Any], database_url: str | None
) -> None:
    sqlite_file = content / SQLITE_MEMBER
    dump_folder = content / "database"
    if database_url is None or database_url.startswith("sqlite"):
        target = (
            Path(paths.database)
            if database_url is None
            else Path(database_url.removeprefix("sqlite:///"))
        )
        if sqlite_file.exists():
            shutil.copy2(sqlite_file, target)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            db = Database(f"sqlite:///{target}")
            try:
                upgrade_database(db.engine, Path(paths.backups))
            finally:
                db.close()
            return
        db = Database(f"sqlite:///{target}")
    else:
        db = Database(database_url)

    # A PostgreSQL backup, or a SQLite backup restored into PostgreSQL (and
    # the reverse): load the records into a fresh schema.
    try:
        if not _database_is_empty(db):
            raise BackupError(
                "The target database already holds data: restore into an empty one."
            )
        upgrade_database(db.engine)
        if not dump_folder.is_dir():
            dump_folder = _dump_sqlite(sqlite_file, content / "converted")
        _load_records(db, dump_folder)
    finally:
        db.close()


def _dump_sqlite(sqlite_file: Path, folder: Path) -> Path:
    source = Database(f"sqlite:///{sqlite_file}")
    try:
        upgrade_database(source.engine)
        with source.session() as session:
            export.dump(session, folder)
    finally:
        source.close()
    return folder


def _load_records(db: Database, folder: Path) -> None:
    with db.session() as session:
        # The settings rows made by a fresh schema would clash with the
        # backup's singleton rows; the schema is fresh, so there are none.
        export.load(session, folder)


def _restore_vectors(
    folder: Path, manifest: dict[str, Any], vectors_factory: Callable[[], PointStore]
) -> None:
    collections = manifest.get("vectors") or {}
    if not collections:
        return
    vectors = vectors_factory()
    try:
        for name, info in collections.items():
            dimension = int(info["dimension"])
            points = read_points(folder, name, dimension)
            count = vectors.import_points(name, dimension, points)
            if count != int(info["count"]):
                raise BackupError(
                    f"The backup's vector collection {name} holds {count} points "
                    f"where its manifest says {info['count']}: it is damaged."
                )
    finally:
        close = getattr(vectors, "close", None)
        if close is not None:
            close()


def _relink_recordings(
    paths: Any, manifest: dict[str, Any], database_url: str | None
) -> None:
    # Messages name their recording by path; a restore into another folder
    # moves the recordings, so their paths are rewritten to the new folder.
    old = manifest.get("recordings_dir")
    new = str(paths.recordings)
    if not old or old == new:
        return
    url = database_url or f"sqlite:///{paths.database}"
    db = Database(url)
    try:
        with db.session() as session:
            rows = session.execute(
                select(models.ChatMessage.id, models.ChatMessage.audio_url).where(
                    models.ChatMessage.audio_url.is_not(None)
                )
            ).all()
            for message_id, audio_url in rows:
                relinked = _relink(audio_url, old, new)
                if relinked != audio_url:
                    session.execute(
                        update(models.ChatMessage)
                        .where(models.ChatMessage.id == message_id)
                        .values(audio_url=relinked)
                    )
    finally:
        db.close()


def _relink(audio_url: str, old: str, new: str) -> str:
    for prefix in ("file://", ""):
        if audio_url.startswith(prefix + old):
            return prefix + new + audio_url[len(prefix + old) :]
    return audio_url
