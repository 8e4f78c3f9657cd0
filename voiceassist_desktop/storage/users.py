"""The single local user and its password.

A desktop install has one user, created on first run from the OS account. Until
the user sets a password, `hashed_password` holds the bcrypt hash of a random
secret that is thrown away, so password sign-in is off and the OS account is
the guard.
"""

from __future__ import annotations

import getpass
import logging
import re
import secrets

import bcrypt
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.storage.models import User

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8


def _os_username() -> str:
    try:
        name = getpass.getuser()
    except Exception:  # no login name in some containers
        name = "clinician"
    name = re.sub(r"[^A-Za-z0-9_.-]", "", name) or "clinician"
    if len(name) < 3:
        name = f"{name}-user"
    return name[:50]


def hash_password(password: str) -> str:
    """Bcrypt hash of `password` (bcrypt reads at most 72 bytes)."""
    return bcrypt.hashpw(password.encode("utf-8")[:72], bcrypt.gensalt()).decode()


def check_password(password: str, hashed: str) -> bool:
    return bcrypt.checkpw(password.encode("utf-8")[:72], hashed.encode())


def get_local_user(session: OrmSession) -> User | None:
    return session.scalars(select(User).order_by(User.created_at).limit(1)).first()


def ensure_local_user(session: OrmSession) -> tuple[User, bool]:
    """Returns the local user, creating it on first run.

    Returns:
        The user and whether it was just created.
    """
    user = get_local_user(session)
    if user is not None:
        return user, False

    name = _os_username()
    user = User(
        email=f"{name.lower()}@localhost",
        username=name,
        hashed_password=hash_password(secrets.token_urlsafe(32)),
        password_set=False,
        is_active=True,
        is_superuser=True,
    )
    session.add(user)
    session.flush()
    logger.info("local user created")
    return user, True


def set_password(session: OrmSession, user: User, password: str | None) -> None:
    """Sets the app password, or removes it when `password` is None."""
    if password is None:
        user.hashed_password = hash_password(secrets.token_urlsafe(32))
        user.password_set = False
        return
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    user.hashed_password = hash_password(password)
    user.password_set = True


def verify_sign_in(session: OrmSession, user: User, password: str) -> bool:
    """Checks a password; records the sign-in time when it matches."""
    if not user.password_set:
        return False
    if not check_password(password, user.hashed_password):
        return False
    user.last_login = utcnow()
    return True
