"""Login accounts: the first administrator, sign-in with slow-down and lockout, password change and reset,
and the administrator's account list (roles administrator / city staff / county staff / read-only)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zjtx_desktop.audit import record
from zjtx_desktop.clock import format_local, utcnow
from zjtx_desktop.errors import PermissionDenied
from zjtx_desktop.models import Region, User
from zjtx_desktop.passwords import KdfParameters, hash_password, needs_rehash, password_problem, verify_password
from zjtx_desktop.permissions import require_admin
from zjtx_desktop.principal import ROLE_LABELS, Principal
from zjtx_desktop.registry import NotFound, Problem, ValidationFailed, VersionConflict
from zjtx_desktop.settings import configured_installation

# Three free attempts; then each further failure makes the account wait before the next try, and the
# fifth failure in a row locks it for a quarter of an hour (guessing by hand becomes pointless, while a
# clerk who mistyped a few times is held up for seconds, not locked out).
FREE_ATTEMPTS = 3
WAITS = (dt.timedelta(seconds=5), dt.timedelta(seconds=30))  # after the 3rd and the 4th failure
LOCK_AFTER = 5
LOCK_FOR = dt.timedelta(minutes=15)

USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}$")
ENTITY = "user_account"
WRONG_CREDENTIALS = "用户名或密码不正确"


@dataclass(frozen=True)
class LoginResult:
    principal: Principal | None
    message: str = ""  # why not, in Chinese
    must_change_password: bool = False
    wait_seconds: int = 0  # the account is held this long before the next try


@dataclass(frozen=True)
class AccountRow:
    id: int
    username: str
    display_name: str
    role: str
    unit_code: str | None
    unit_name: str
    active: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    must_change_password: bool
    version: int

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def status(self, now: dt.datetime | None = None) -> str:
        if not self.active:
            return "已停用"
        if self.locked_until is not None and self.locked_until > (now or utcnow()):
            return f"已锁定（至 {format_local(self.locked_until)}）"
        if self.must_change_password:
            return "待修改密码"
        return "正常"


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user name is unknown, so that a wrong name takes as long as a wrong password."""
    return hash_password("not a password")


def principal_of(user: User) -> Principal:
    return Principal(user.username, user.display_name, user.role, user.region_code, user.id)


def account_id(session: Session, username: str) -> int | None:
    """The account's id by user name (not case-sensitive), or None."""
    wanted = username.strip().lower()
    return session.scalar(select(User.id).where(func.lower(User.username) == wanted))


def has_accounts(session: Session) -> bool:
    """True once the first administrator exists (the GUI then asks everyone to sign in)."""
    return bool(session.scalar(select(func.count(User.id)).where(User.password_hash.is_not(None))))


# --- validation -------------------------------------------------------------------------------------


def _check_fields(
    session: Session, username: str, display_name: str, role: str, unit_code: str | None, user_id: int | None
) -> list[Problem]:
    problems: list[Problem] = []
    if not USERNAME.match(username):
        problems.append(Problem("username", "用户名为 2–40 个字母、数字、汉字或 _ . -，不含空格"))
    elif session.scalar(
        select(User.id).where(func.lower(User.username) == username.lower(), User.id != (user_id or -1))
    ):
        problems.append(Problem("username", f"用户名“{username}”已被使用"))
    if not display_name.strip() or len(display_name.strip()) > 40:
        problems.append(Problem("display_name", "请填写姓名（不超过 40 个字）"))
    if role not in ROLE_LABELS:
        problems.append(Problem("role", "请选择角色：管理员、市级工作人员、县级工作人员或只读"))
        return problems
    own = configured_installation(session)
    region = session.get(Region, unit_code) if unit_code else None
    if unit_code and (region is None or region.is_city):
        problems.append(Problem("unit_code", "请选择一个县（市、区）或开发区"))
    elif role == "county" and not unit_code:
        problems.append(Problem("unit_code", "县级工作人员必须指定所属单位"))
    elif role in ("admin", "city") and unit_code:
        problems.append(Problem("unit_code", "管理员和市级工作人员不限单位，请不要指定所属单位"))
    elif not own.is_city and unit_code and unit_code != own.unit_code:
        problems.append(Problem("unit_code", f"本机为{own.unit_name}的安装，账户只能属于{own.unit_name}"))
    if role == "city" and not own.is_city:
        problems.append(Problem("role", "县级安装不能设立市级工作人员账户"))
    return problems


def _check_password(password: str, username: str, field: str = "password") -> None:
    problem = password_problem(password, username)
    if problem:
        raise ValidationFailed([Problem(field, problem)])


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("账户不存在或已被删除")
    return user


def _snapshot(user: User) -> dict[str, object]:
    # Never the password hash: the audit trail is exported and printed.
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "region_code": user.region_code,
        "active": user.active,
    }


def _active_admins(session: Session) -> int:
    return int(session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))) or 0)


# --- the first administrator and the account list ------------------------------------------------------


def create_first_admin(
    session: Session, actor: str, username: str, display_name: str, password: str, params: KdfParameters | None = None
) -> Principal:
    """The administrator chosen in the first-run wizard; refused once any account exists."""
    if has_accounts(session):
        raise PermissionDenied("已有管理员账户：请用管理员账户登录后在“系统管理”中添加账户")
    username, display_name = username.strip(), display_name.strip()
    problems = _check_fields(session, username, display_name, "admin", None, None)
    if problems:
        raise ValidationFailed(problems)
    _check_password(password, username)
    now = utcnow()
    user = User(
        username=username,
        display_name=display_name,
        role="admin",
        password_hash=hash_password(password, params),
        password_changed_at=now,
        failed_attempts=0,
        active=True,
    )
    session.add(user)
    session.flush()
    record(session, actor, "create", ENTITY, username, after=_snapshot(user))
    return principal_of(user)


def list_accounts(session: Session) -> list[AccountRow]:
    require_admin(session)
    names: dict[str, str] = {code: name for code, name in session.execute(select(Region.code, Region.name))}
    users = session.scalars(select(User).order_by(User.role != "admin", User.username))
    return [
        AccountRow(
            u.id,
            u.username,
            u.display_name,
            u.role,
            u.region_code,
            names.get(u.region_code or "", "全部单位" if u.region_code is None else u.region_code),
            u.active,
            u.locked_until,
            u.last_login_at,
            u.must_change_password,
            u.version,
        )
        for u in users
    ]


def create_account(
    session: Session,
    actor: str,
    username: str,
    display_name: str,
    role: str,
    unit_code: str | None,
    password: str,
    params: KdfParameters | None = None,
) -> int:
    """A new account with a first password the administrator hands over; it must be changed at first login."""
    require_admin(session)
    username, display_name = username.strip(), display_name.strip()
    problems = _check_fields(session, username, display_name, role, unit_code or None, None)
    if problems:
        raise ValidationFailed(problems)
    _check_password(password, username)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        region_code=unit_code or None,
        password_hash=hash_password(password, params),
        password_changed_at=utcnow(),
        must_change_password=True,
        failed_attempts=0,
        active=True,
    )
    session.add(user)
    session.flush()
    record(session, actor, "create", ENTITY, username, after=_snapshot(user))
    return user.id


def update_account(
    session: Session,
    actor: str,
    user_id: int,
    expected_version: int,
    *,
    display_name: str,
    role: str,
    unit_code: str | None,
    active: bool,
) -> None:
    """Name, role, unit and whether the account may sign in; the last active administrator stays one."""
    principal = require_admin(session)
    user = _load(session, user_id)
    if user.version != expected_version:
        raise VersionConflict("该账户已被其他人修改，请重新打开后再改")
    problems = _check_fields(session, user.username, display_name.strip(), role, unit_code or None, user.id)
    if problems:
        raise ValidationFailed(problems)
    losing_admin = user.role == "admin" and user.active and (role != "admin" or not active)
    if losing_admin and _active_admins(session) <= 1:
        raise PermissionDenied("至少要保留一个可用的管理员账户")
    if user.id == principal.user_id and not active:
        raise PermissionDenied("不能停用当前登录的账户")
    before = _snapshot(user)
    user.display_name = display_name.strip()
    user.role = role
    user.region_code = unit_code or None
    user.active = active
    try:
        session.flush()
    except StaleDataError as exc:  # saved elsewhere between our read and this write
        raise VersionConflict("该账户已被其他人修改，请重新打开后再改") from exc
    record(session, actor, "update", ENTITY, user.username, before=before, after=_snapshot(user))


def reset_password(
    session: Session, actor: str, user_id: int, new_password: str, params: KdfParameters | None = None
) -> None:
    """An administrator sets a temporary password (the user must change it at the next login) and unlocks."""
    require_admin(session)
    user = _load(session, user_id)
    _check_password(new_password, user.username)
    user.password_hash = hash_password(new_password, params)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()
    record(session, actor, "reset_password", ENTITY, user.username)


def unlock_account(session: Session, actor: str, user_id: int) -> None:
    require_admin(session)
    user = _load(session, user_id)
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()
    record(session, actor, "unlock", ENTITY, user.username)


def change_password(
    session: Session, user_id: int, old_password: str, new_password: str, params: KdfParameters | None = None
) -> None:
    """The user's own change: the current password proves it is them."""
    user = _load(session, user_id)
    if not verify_password(old_password, user.password_hash):
        raise ValidationFailed([Problem("old_password", "当前密码不正确")])
    if new_password == old_password:
        raise ValidationFailed([Problem("new_password", "新密码不能与当前密码相同")])
    _check_password(new_password, user.username, "new_password")
    user.password_hash = hash_password(new_password, params)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    session.flush()
    record(session, user.username, "change_password", ENTITY, user.username)


# --- signing in ---------------------------------------------------------------------------------------


def _wait_after(failures: int) -> dt.timedelta | None:
    if failures >= LOCK_AFTER:
        return LOCK_FOR
    if failures >= FREE_ATTEMPTS:
        return WAITS[min(failures - FREE_ATTEMPTS, len(WAITS) - 1)]
    return None


def _held_message(user: User, now: dt.datetime) -> tuple[str, int]:
    assert user.locked_until is not None
    seconds = max(1, int((user.locked_until - now).total_seconds() + 0.999))
    if user.failed_attempts >= LOCK_AFTER:
        return (
            f"连续 {user.failed_attempts} 次密码错误，账户已锁定至 {format_local(user.locked_until)}；"
            "可等待解锁，或请管理员解锁、重置密码"
        ), seconds
    return f"密码错误次数过多，请 {seconds} 秒后再试", seconds


def attempt_login(
    session: Session,
    username: str,
    password: str,
    *,
    now: dt.datetime | None = None,
    params: KdfParameters | None = None,
) -> LoginResult:
    """Check a sign-in and record the outcome (failures count toward the wait and the lock; the caller
    commits either way). Never raises for a wrong name or password."""
    now = now or utcnow()
    wanted = username.strip()
    user = session.scalar(select(User).where(func.lower(User.username) == wanted.lower()))
    if user is None or user.password_hash is None:
        verify_password(password, _dummy_hash())
        record(session, wanted[:60] or "?", "login_failed", ENTITY, wanted[:40] or None, after={"reason": "unknown"})
        return LoginResult(None, WRONG_CREDENTIALS)
    if not user.active:
        record(session, user.username, "login_failed", ENTITY, user.username, after={"reason": "inactive"})
        return LoginResult(None, "该账户已停用，请联系管理员")
    if user.locked_until is not None and user.locked_until > now:
        message, seconds = _held_message(user, now)
        return LoginResult(None, message, wait_seconds=seconds)
    if not verify_password(password, user.password_hash):
        user.failed_attempts = (user.failed_attempts or 0) + 1
        user.last_failed_at = now
        wait = _wait_after(user.failed_attempts)
        user.locked_until = now + wait if wait else None
        action = "lock" if user.failed_attempts == LOCK_AFTER else "login_failed"
        record(session, user.username, action, ENTITY, user.username, after={"failed_attempts": user.failed_attempts})
        session.flush()
        if wait is None:
            left = FREE_ATTEMPTS - user.failed_attempts
            return LoginResult(None, f"{WRONG_CREDENTIALS}（再错 {left} 次将需要等待后再试）")
        message, seconds = _held_message(user, now)
        return LoginResult(None, f"{WRONG_CREDENTIALS}。{message}", wait_seconds=seconds)
    own = configured_installation(session)
    if not own.is_city and user.region_code and user.region_code != own.unit_code:
        return LoginResult(None, f"该账户属于其他单位，不能在{own.unit_name}的安装上登录")
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash, params):
        user.password_hash = hash_password(password, params)
    record(session, user.username, "login", ENTITY, user.username)
    session.flush()
    return LoginResult(principal_of(user), must_change_password=user.must_change_password)
