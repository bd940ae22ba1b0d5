"""Accounts: the first administrator, hashing with stored parameters, sign-in with slow-down and lockout
(timed with a fake clock), password change and administrator reset, and the account list rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from zjtx_desktop import passwords
from zjtx_desktop.accounts import (
    LOCK_FOR,
    attempt_login,
    change_password,
    create_account,
    create_first_admin,
    has_accounts,
    list_accounts,
    reset_password,
    unlock_account,
    update_account,
)
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import PermissionDenied
from zjtx_desktop.models import AuditEntry, User
from zjtx_desktop.passwords import KdfParameters, hash_password, parameters_of, verify_password
from zjtx_desktop.principal import Principal
from zjtx_desktop.registry import ValidationFailed

# Cheap parameters for tests (the parameters are stored with each hash, so checks use the same ones).
FAST = KdfParameters(n=2**10, p=1)
T0 = dt.datetime(2026, 3, 2, 1, 0, 0)
ADMIN_PASSWORD = "丽水专精特新2026"


@pytest.fixture
def admin(ctx: AppContext) -> Principal:
    with transaction(ctx.sessions) as session:
        return create_first_admin(session, ctx.actor, "admin", "王管理", ADMIN_PASSWORD, FAST)


def login(ctx: AppContext, name: str, password: str, at: dt.datetime) -> object:
    with transaction(ctx.sessions) as session:
        return attempt_login(session, name, password, now=at, params=FAST)


def add(
    ctx: AppContext, admin: Principal, name: str, role: str, unit: str | None, password: str = "Qt-county-01"
) -> int:
    ctx.sign_in(admin)
    try:
        with transaction(ctx.sessions) as session:
            return create_account(session, admin.actor, name, f"{name}姓名", role, unit, password, FAST)
    finally:
        ctx.sign_in(Principal("system", "本机系统", "system"))


def test_hash_keeps_its_parameters_and_verifies() -> None:
    stored = hash_password("青田县经信局2026", FAST)
    assert stored.startswith("scrypt$n=1024,r=8,p=1$")
    assert parameters_of(stored) == FAST
    assert verify_password("青田县经信局2026", stored)
    assert not verify_password("青田县经信局2025", stored)
    assert not verify_password("anything", None)
    assert not verify_password("anything", "md5$abc")
    # Two hashes of one password differ (salted).
    assert hash_password("青田县经信局2026", FAST) != stored


def test_default_parameters_are_memory_hard() -> None:
    params = passwords.KdfParameters()
    # 128·r·N bytes of memory per check, and OWASP's work factor N·r·p ≥ 2^20 (their N=2^17, r=8, p=1).
    assert 128 * params.r * params.n >= 32 * 2**20
    assert params.n * params.r * params.p >= 2**20 * 3 // 4
    stored = hash_password("a long enough password")
    assert parameters_of(stored) == params == passwords.DEFAULT_PARAMETERS
    assert verify_password("a long enough password", stored)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short7!", "至少 8"),
        ("aaaaaaaa", "过于简单"),
        ("12345678", "连续数字"),
        (" padded pass", "空格"),
        ("Admin123", None),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    found = passwords.password_problem(password, "someone")
    assert (found is None) if problem is None else (problem in (found or ""))
    assert passwords.password_problem("zhangsan1", "ZhangSan1") == "密码不能与用户名相同"


def test_first_admin_is_created_once_with_the_chosen_password(ctx: AppContext, admin: Principal) -> None:
    with ctx.sessions() as session:
        assert has_accounts(session)
        user = session.scalars(select(User)).one()
        assert user.role == "admin" and user.password_hash and ADMIN_PASSWORD not in user.password_hash
        created = session.scalars(select(AuditEntry).where(AuditEntry.entity == "user_account")).one()
        assert "password_hash" not in (created.after or {})
    with transaction(ctx.sessions) as session, pytest.raises(PermissionDenied, match="已有管理员"):
        create_first_admin(session, ctx.actor, "admin2", "李", "another-pass-1", FAST)


def test_a_new_database_has_no_account_and_no_default_password(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        assert not has_accounts(session)
        assert session.scalars(select(User)).all() == []
    result = login(ctx, "admin", "admin", T0)
    assert result.principal is None  # type: ignore[attr-defined]


def test_sign_in_gives_the_principal_and_is_audited(ctx: AppContext, admin: Principal) -> None:
    result = login(ctx, "ADMIN", ADMIN_PASSWORD, T0)  # user names are not case-sensitive
    assert result.principal == admin  # type: ignore[attr-defined]
    with ctx.sessions() as session:
        user = session.scalars(select(User)).one()
        assert user.last_login_at == T0
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "user_account")).all()
    assert actions == ["create", "login"]


def test_unknown_user_and_wrong_password_get_the_same_message(ctx: AppContext, admin: Principal) -> None:
    unknown = login(ctx, "nobody", "whatever-1", T0)
    wrong = login(ctx, "admin", "whatever-1", T0)
    assert unknown.message.startswith("用户名或密码不正确")  # type: ignore[attr-defined]
    assert wrong.message.startswith("用户名或密码不正确")  # type: ignore[attr-defined]


def test_failures_slow_down_then_lock_and_time_releases(ctx: AppContext, admin: Principal) -> None:
    # Two free mistakes.
    for n in (1, 2):
        result = login(ctx, "admin", f"wrong-{n}xx", T0)
        assert result.principal is None and result.wait_seconds == 0  # type: ignore[attr-defined]
    # The third makes the account wait 5 s: even the right password is refused meanwhile.
    third = login(ctx, "admin", "wrong-3xx", T0)
    assert third.wait_seconds == 5  # type: ignore[attr-defined]
    held = login(ctx, "admin", ADMIN_PASSWORD, T0 + dt.timedelta(seconds=4))
    assert held.principal is None and "秒后再试" in held.message  # type: ignore[attr-defined]
    # The fourth (after the wait) makes it wait 30 s.
    fourth = login(ctx, "admin", "wrong-4xx", T0 + dt.timedelta(seconds=5))
    assert fourth.wait_seconds == 30  # type: ignore[attr-defined]
    # The fifth locks it for 15 minutes.
    fifth = login(ctx, "admin", "wrong-5xx", T0 + dt.timedelta(seconds=40))
    assert "已锁定" in fifth.message  # type: ignore[attr-defined]
    locked_at = T0 + dt.timedelta(seconds=40)
    almost = login(ctx, "admin", ADMIN_PASSWORD, locked_at + LOCK_FOR - dt.timedelta(seconds=1))
    assert almost.principal is None and "已锁定" in almost.message  # type: ignore[attr-defined]
    after = login(ctx, "admin", ADMIN_PASSWORD, locked_at + LOCK_FOR)
    assert after.principal is not None  # type: ignore[attr-defined]
    with ctx.sessions() as session:
        user = session.scalars(select(User)).one()
        assert user.failed_attempts == 0 and user.locked_until is None
        assert "lock" in session.scalars(select(AuditEntry.action)).all()


def test_administrator_unlocks_and_resets_then_the_user_must_change(ctx: AppContext, admin: Principal) -> None:
    clerk = add(ctx, admin, "qt_li", "county", "331121")
    for n in range(5):
        login(ctx, "qt_li", f"bad-guess-{n}", T0 + dt.timedelta(minutes=n))
    assert login(ctx, "qt_li", "Qt-county-01", T0 + dt.timedelta(minutes=5)).principal is None  # type: ignore[attr-defined]
    ctx.sign_in(admin)
    with transaction(ctx.sessions) as session:
        unlock_account(session, admin.actor, clerk)
    first = login(ctx, "qt_li", "Qt-county-01", T0 + dt.timedelta(minutes=6))
    assert first.principal is not None and first.must_change_password  # type: ignore[attr-defined]
    with transaction(ctx.sessions) as session:
        reset_password(session, admin.actor, clerk, "Temp-pass-77", FAST)
    assert login(ctx, "qt_li", "Qt-county-01", T0 + dt.timedelta(minutes=7)).principal is None  # type: ignore[attr-defined]
    again = login(ctx, "qt_li", "Temp-pass-77", T0 + dt.timedelta(minutes=8))
    assert again.must_change_password  # type: ignore[attr-defined]
    with transaction(ctx.sessions) as session, pytest.raises(ValidationFailed, match="当前密码不正确"):
        change_password(session, clerk, "not-it-at-all", "New-pass-2026", FAST)
    with transaction(ctx.sessions) as session:
        change_password(session, clerk, "Temp-pass-77", "New-pass-2026", FAST)
    done = login(ctx, "qt_li", "New-pass-2026", T0 + dt.timedelta(minutes=9))
    assert done.principal is not None and not done.must_change_password  # type: ignore[attr-defined]
    assert done.principal.unit_code == "331121" and done.principal.role == "county"  # type: ignore[attr-defined]


def test_account_rules(ctx: AppContext, admin: Principal) -> None:
    ctx.sign_in(admin)
    cases = [
        ("qt_wang", "county", None, "必须指定所属单位"),
        ("city_zhao", "city", "331121", "不限单位"),
        ("x", "readonly", None, "用户名为"),
        ("ADMIN", "readonly", None, "已被使用"),
        ("qt_zhou", "county", "331100", "请选择一个县"),
    ]
    for name, role, unit, message in cases:
        with transaction(ctx.sessions) as session, pytest.raises(ValidationFailed, match=message):
            create_account(session, admin.actor, name, "某某", role, unit, "Good-pass-1", FAST)
    with transaction(ctx.sessions) as session, pytest.raises(ValidationFailed, match="至少 8"):
        create_account(session, admin.actor, "qt_wang", "王五", "county", "331121", "short", FAST)
    # The last administrator stays an administrator and active; nobody deactivates themselves.
    with ctx.sessions() as session:
        row = list_accounts(session)[0]
    with transaction(ctx.sessions) as session, pytest.raises(PermissionDenied, match="至少要保留"):
        update_account(
            session, admin.actor, row.id, row.version, display_name="王", role="city", unit_code=None, active=True
        )


def test_county_installation_accounts_belong_to_its_unit(ctx: AppContext, admin: Principal) -> None:
    from zjtx_desktop.settings import configure_installation

    with transaction(ctx.sessions) as session:
        configure_installation(session, "331121", None, "2026-03-01")
    ctx.sign_in(admin)
    with transaction(ctx.sessions) as session, pytest.raises(ValidationFailed, match="只能属于青田县"):
        create_account(session, admin.actor, "ld_chen", "陈", "county", "331102", "Good-pass-1", FAST)
    with transaction(ctx.sessions) as session, pytest.raises(ValidationFailed, match="不能设立市级"):
        create_account(session, admin.actor, "city_he", "何", "city", None, "Good-pass-1", FAST)


def test_only_an_administrator_manages_accounts(ctx: AppContext, admin: Principal) -> None:
    add(ctx, admin, "city_zhao", "city", None)
    ctx.sign_in(Principal("city_zhao", "赵", "city", None, 2))
    with ctx.sessions() as session, pytest.raises(PermissionDenied):
        list_accounts(session)
    with transaction(ctx.sessions) as session, pytest.raises(PermissionDenied):
        create_account(session, "city_zhao", "sneaky", "某", "admin", None, "Good-pass-1", FAST)
    # Not even by editing the row directly: the flush is checked too.
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        user = session.scalars(select(User).where(User.username == "admin")).one()
        user.active = False
    with ctx.sessions() as session:
        assert session.scalars(select(User.active).where(User.username == "admin")).one()
