"""Who may change what, until accounts and roles exist: the city's data (targets, rule sets, supervision)
is written by a city installation only; a county installation reads it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zjtx_desktop.registry import PermissionDenied
from zjtx_desktop.settings import installation


def require_city(session: Session, message: str) -> None:
    """Raise PermissionDenied(message) unless this is a city installation."""
    if not installation(session).is_city:
        raise PermissionDenied(message)
