"""Who is acting in a session: a signed-in account or the local system identity (CLI, scripts, tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

ROLE_LABELS = {"admin": "管理员", "city": "市级工作人员", "county": "县级工作人员", "readonly": "只读"}
SYSTEM_ROLE = "system"
PRINCIPAL_KEY = "zjtx_principal"  # Session.info key; set for every session of a signed-in GUI


@dataclass(frozen=True)
class Principal:
    username: str  # recorded as the actor of every audit entry
    display_name: str
    role: str  # one of ROLE_LABELS, or SYSTEM_ROLE
    unit_code: str | None = None  # set: sees and writes this unit only
    user_id: int | None = None

    @property
    def actor(self) -> str:
        return self.username

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, "本机系统身份")

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", SYSTEM_ROLE)

    @property
    def can_write(self) -> bool:
        return self.role != "readonly"

    @property
    def writes_city_data(self) -> bool:
        """Targets, rule sets, supervision, thresholds: the city's staff and administrators."""
        return self.role in ("admin", "city", SYSTEM_ROLE)


def system_principal(identity: str) -> Principal:
    """The local system identity (e.g. "system:li@PC-07"): full rights within the installation, as anyone
    who can run commands on the PC can change the file anyway; audited under that name."""
    return Principal(identity, "本机系统", SYSTEM_ROLE)


SYSTEM = system_principal("system")


def acting(session: Session) -> Principal:
    """The principal of `session`; sessions without one act as the system identity."""
    principal = session.info.get(PRINCIPAL_KEY)
    return principal if isinstance(principal, Principal) else SYSTEM
