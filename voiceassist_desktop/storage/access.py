"""The app password: setting it, signing in, and when the window locks.

The password is optional. Once set, the window locks at start and after the
idle time in the security settings; every change of the password and every
sign-in attempt is written to the audit trail (never the password).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from voiceassist_desktop.core.ids import as_utc, utcnow
from voiceassist_desktop.storage.models import AuditStatus, User
from voiceassist_desktop.storage.users import (
    ensure_local_user,
    set_password,
    verify_sign_in,
)

logger = logging.getLogger(__name__)


def password_is_set(db: Any) -> bool:
    """Whether the user chose an app password."""
    with db.session() as session:
        user, _ = ensure_local_user(session)
        return bool(user.password_set)


def set_app_password(db: Any, audit: Any, password: str | None) -> None:
    """Sets the app password, or removes it when `password` is None.

    Raises:
        ValueError: The password is too short (nothing changes).
    """
    with db.session() as session:
        user, _ = ensure_local_user(session)
        set_password(session, user, password)
        audit.record(
            session,
            "auth.password_removed" if password is None else "auth.password_set",
            "user",
            resource_id=user.id,
            user_id=user.id,
        )
    logger.info("app password %s", "removed" if password is None else "set")


def sign_in(db: Any, audit: Any, password: str) -> bool:
    """Checks the app password; records the attempt as success or denied."""
    with db.session() as session:
        user, _ = ensure_local_user(session)
        accepted = verify_sign_in(session, user, password)
        audit.record(
            session,
            "auth.sign_in",
            "user",
            resource_id=user.id,
            user_id=user.id,
            status=AuditStatus.SUCCESS if accepted else AuditStatus.DENIED,
            details={"method": "password"},
        )
    if not accepted:
        logger.warning("sign-in refused: wrong password")
    return accepted


@dataclass(frozen=True)
class LockPolicy:
    """When the window asks for the password. Qt-free, so tests need no display.

    Args:
        security: The `security` section of the system settings.
        password_set: Whether the user chose an app password.
    """

    security: Any
    password_set: bool

    @classmethod
    def for_user(cls, security: Any, user: User) -> LockPolicy:
        return cls(security, bool(user.password_set))

    @property
    def idle_timeout(self) -> timedelta | None:
        """How long without activity before the window locks; None: never."""
        minutes = int(self.security.idle_lock_minutes)
        if not self.password_set or minutes <= 0:
            return None
        return timedelta(minutes=minutes)

    @property
    def needs_password_setup(self) -> bool:
        """The settings require a password that the user has not set yet."""
        return bool(self.security.require_password) and not self.password_set

    def should_lock_at_start(self) -> bool:
        """The window opens locked whenever a password is set."""
        return self.password_set

    def idle_expired(
        self, last_activity: datetime, now: datetime | None = None
    ) -> bool:
        """Whether the idle time has run out since `last_activity`."""
        timeout = self.idle_timeout
        if timeout is None:
            return False
        now = now or utcnow()
        return as_utc(now) - as_utc(last_activity) >= timeout
