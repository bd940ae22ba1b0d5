"""The permission matrix: each role (administrator, city staff, county staff, read-only) against each service,
on a city installation holding firms of two counties. Reads are narrowed to a county account's own unit
whichever service asks; writes outside the role's rights are refused and leave the database unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.accounts import create_account
from zjtx_desktop.context import AppContext
from zjtx_desktop.criteria import screen
from zjtx_desktop.database import transaction
from zjtx_desktop.enterprise_query import EnterpriseFilter, search_ids
from zjtx_desktop.enterprise_records import ANNUAL, CULTIVATION, VISIT, add_record
from zjtx_desktop.errors import PermissionDenied, UserError
from zjtx_desktop.exchange.export import write_workbook
from zjtx_desktop.exchange.importer import commit_plan, plan_import, undo_batch
from zjtx_desktop.help_visits import assign_officer, visit_list
from zjtx_desktop.models import (
    AuditEntry,
    Cultivation,
    Enterprise,
    EvidenceContent,
    HelpVisit,
    Setting,
    Target,
    TaskProgress,
    User,
)
from zjtx_desktop.mujun import evaluate
from zjtx_desktop.passwords import KdfParameters
from zjtx_desktop.principal import Principal, system_principal
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.registry import NotFound, create_enterprise, get_enterprise, update_enterprise
from zjtx_desktop.settings import configure_installation
from zjtx_desktop.standing import Thresholds, save_thresholds
from zjtx_desktop.supervision import add_note
from zjtx_desktop.targets import set_target

QINGTIAN, LIANDU = "331121", "331102"
TODAY = dt.date(2026, 3, 2)
ROLES = {
    "admin": Principal("wang_admin", "王管理", "admin", None, 901),
    "city": Principal("zhao_city", "赵市级", "city", None, 902),
    "county": Principal("li_qt", "李青田", "county", QINGTIAN, 903),
    "readonly": Principal("chen_view", "陈查看", "readonly", None, 904),
    "readonly_county": Principal("zhou_qt", "周青田", "readonly", QINGTIAN, 905),
}


def firm(session: Session, name: str, unit: str, org8: str) -> int:
    values = {"name": name, "uscc": uscc.make("9", "1", unit, org8), "region_code": unit, "scale_type": "规上"}
    enterprise_id = create_enterprise(session, "setup", values, today=TODAY).id
    add_record(session, "setup", CULTIVATION, enterprise_id, {"program_code": "ZJTX_POOL", "year": 2025})
    add_record(session, "setup", ANNUAL, enterprise_id, {"year": 2025, "revenue": 8800.0, "tax_paid": 320.0})
    add_record(
        session,
        "setup",
        VISIT,
        enterprise_id,
        {"visited_on": dt.date(2026, 2, 10), "officer": "张科员", "kind": "走访"},
    )
    return enterprise_id


@pytest.fixture
def firms(ctx: AppContext) -> dict[str, int]:
    with transaction(ctx.sessions) as session:
        return {
            "qt1": firm(session, "青田县瓯江阀门有限公司", QINGTIAN, "MA2B0001"),
            "qt2": firm(session, "青田县石门洞机械有限公司", QINGTIAN, "MA2B0002"),
            "ld1": firm(session, "丽水市莲都区宏达精密机械有限公司", LIANDU, "MA2A0001"),
        }


def act(ctx: AppContext, role: str) -> None:
    ctx.sign_in(ROLES[role])


def units_of(ctx: AppContext, ids: list[int]) -> set[str]:
    with ctx.sessions() as session:
        session.info.clear()  # look as the system does
        return set(session.scalars(select(Enterprise.region_code).where(Enterprise.id.in_(ids))))


# --- reads ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "city", "readonly", "county", "readonly_county"])
def test_every_read_path_is_narrowed_for_a_county_account(
    ctx: AppContext, firms: dict[str, int], role: str, tmp_path: Path
) -> None:
    act(ctx, role)
    limited = ROLES[role].unit_code is not None
    expected = {QINGTIAN} if limited else {QINGTIAN, LIANDU}
    with ctx.sessions() as session:
        # The enterprise list (plain Core for speed) and ORM queries of every shape.
        assert units_of(ctx, search_ids(session, EnterpriseFilter())) == expected
        assert set(session.scalars(select(Enterprise.region_code).distinct())) == expected
        assert session.scalar(select(func.count(Cultivation.id))) == (2 if limited else 3)
        assert session.scalar(select(func.count(HelpVisit.id)).join(Enterprise)) == (2 if limited else 3)
        # Visits (plain Core) and progress against the targets.
        assert {v.unit for v in visit_list(session, unit_codes=None, today=TODAY)} == (
            {"青田县"} if limited else {"青田县", "莲都区"}
        )
        progress_units = {r.unit_code for r in progress_by_unit(session).rows}
        assert progress_units == {QINGTIAN} if limited else {QINGTIAN, LIANDU} <= progress_units
        # 亩均 results and the criteria screening.
        assert {e.unit_code for e in evaluate(session, 2025).enterprises} <= expected
        screening = screen(session, "CXX_SME", None, 2025, today=TODAY, include_incomplete=True)
        assert screening.screened == (2 if limited else 3)
        assert {c.unit_code for c in screening.candidates} <= expected
        # Opening another county's firm directly is "not found", as if it did not exist.
        if limited:
            with pytest.raises(NotFound):
                get_enterprise(session, firms["ld1"])
        else:
            assert get_enterprise(session, firms["ld1"]).name.startswith("丽水市莲都区")
        # The export, even when asked for everything.
        path = tmp_path / "out.xlsx"
        write_workbook(path, session, ["enterprises"], unit_codes=None)
    sheet = openpyxl.load_workbook(path)["企业信息"]
    names = {row[0] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]}
    assert any("莲都" in str(n) for n in names) is (not limited)
    assert any("青田" in str(n) for n in names)


# --- writes ---------------------------------------------------------------------------------------------


def _county_file(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位", "从业人员(人)"])
    sheet.append(["青田县华侨石雕工艺有限公司", uscc.make("9", "1", QINGTIAN, "MA2B0101"), "青田县", 58])
    sheet.append(["青田县温溪鞋业有限公司", uscc.make("9", "1", QINGTIAN, "MA2B0102"), "青田", 120])
    path = tmp_path / "青田县名单.xlsx"
    workbook.save(path)
    return path


def _import(ctx: AppContext, tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        plan = plan_import(session, _county_file(tmp_path), today=TODAY)
        assert commit_plan(session, ctx.actor, plan).committed


def _new_firm(unit: str, org8: str) -> Callable[[AppContext, dict[str, int], Path], None]:
    def run(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
        with transaction(ctx.sessions) as session:
            values = {"name": f"新登记{org8}有限公司", "uscc": uscc.make("9", "1", unit, org8), "region_code": unit}
            create_enterprise(session, ctx.actor, values, today=TODAY)

    return run


def _edit(key: str) -> Callable[[AppContext, dict[str, int], Path], None]:
    def run(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
        with transaction(ctx.sessions) as session:
            record = get_enterprise(session, firms[key])
            update_enterprise(session, ctx.actor, record.id, record.version, {"employees": 77}, today=TODAY)

    return run


def _cultivate(key: str) -> Callable[[AppContext, dict[str, int], Path], None]:
    def run(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
        with transaction(ctx.sessions) as session:
            add_record(session, ctx.actor, CULTIVATION, firms[key], {"program_code": "ZJTX_SME", "year": 2026})

    return run


def _bypass_service(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    # No service at all: a record added straight through the ORM for another county's firm.
    with transaction(ctx.sessions) as session:
        session.add(Cultivation(enterprise_id=firms["ld1"], program_code="ZJTX_SME", year=2026, status="培育中"))


def _officer(key: str) -> Callable[[AppContext, dict[str, int], Path], None]:
    def run(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
        with transaction(ctx.sessions) as session:
            assign_officer(session, ctx.actor, [firms[key]], "吴干部")

    return run


def _target(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        set_target(
            session, ctx.actor, program_code="ZJTX_POOL", start_year=2025, end_year=2027, region_code=QINGTIAN, count=90
        )


def _thresholds(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        save_thresholds(session, Thresholds(0.95, 0.7))


def _note(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        add_note(
            session,
            ctx.actor,
            1,
            period="2026年一季度",
            recorded_on=TODAY,
            status="推进中",
            note="已召开专题会议部署",
            evidence=None,
            data_dir=tmp_path,
            today=TODAY,
        )


def _account(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        create_account(
            session, ctx.actor, "new_clerk", "新同事", "county", QINGTIAN, "Good-pass-1", KdfParameters(n=2**10)
        )


def _installation(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, "331121", None, "2026-03-02")


def _import_file(ctx: AppContext, firms: dict[str, int], tmp_path: Path) -> None:
    _import(ctx, tmp_path)


ACTIONS: dict[str, Callable[[AppContext, dict[str, int], Path], None]] = {
    "create_own_unit_firm": _new_firm(QINGTIAN, "MA2B0201"),
    "create_other_unit_firm": _new_firm(LIANDU, "MA2A0201"),
    "edit_own_unit_firm": _edit("qt1"),
    "edit_other_unit_firm": _edit("ld1"),
    "cultivate_own_unit_firm": _cultivate("qt1"),
    "cultivate_other_unit_firm": _cultivate("ld1"),
    "bypass_services": _bypass_service,
    "assign_officer_own_unit": _officer("qt2"),
    "assign_officer_other_unit": _officer("ld1"),
    "import_own_unit_list": _import_file,
    "set_target": _target,
    "save_thresholds": _thresholds,
    "supervision_note": _note,
    "create_account": _account,
    "configure_installation": _installation,
}
# Which roles may do each action (the rest must be refused).
ALLOWED = {
    "create_own_unit_firm": {"admin", "city", "county"},
    "create_other_unit_firm": {"admin", "city"},
    "edit_own_unit_firm": {"admin", "city", "county"},
    "edit_other_unit_firm": {"admin", "city"},
    "cultivate_own_unit_firm": {"admin", "city", "county"},
    "cultivate_other_unit_firm": {"admin", "city"},
    "bypass_services": {"admin", "city"},
    "assign_officer_own_unit": {"admin", "city", "county"},
    "assign_officer_other_unit": {"admin", "city"},
    "import_own_unit_list": {"admin", "city", "county"},
    "set_target": {"admin", "city"},
    "save_thresholds": {"admin", "city"},
    "supervision_note": {"admin", "city"},
    "create_account": {"admin"},
    "configure_installation": {"admin"},
}


def _fingerprint(ctx: AppContext) -> tuple[Any, ...]:
    """What any of the actions would change, seen by the system (no narrowing)."""
    with ctx.sessions() as session:
        session.info.clear()
        return (
            session.scalar(select(func.count(AuditEntry.id))),
            session.scalar(select(func.count(Cultivation.id))),
            session.scalar(select(func.count(Enterprise.id))),
            session.scalar(select(func.sum(Enterprise.version))),
            session.scalar(select(func.sum(Target.count))),
            session.scalar(select(func.count(User.id))),
            tuple(session.execute(select(Setting.key, Setting.value).order_by(Setting.key))),
        )


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ["admin", "city", "county", "readonly", "readonly_county"])
def test_write_matrix(ctx: AppContext, firms: dict[str, int], tmp_path: Path, role: str, action: str) -> None:
    act(ctx, role)
    before = _fingerprint(ctx)
    if role in ALLOWED[action]:
        ACTIONS[action](ctx, firms, tmp_path)
        assert _fingerprint(ctx) != before, "an allowed change must be written"
    else:
        with pytest.raises((PermissionDenied, NotFound, UserError)) as refused:
            ACTIONS[action](ctx, firms, tmp_path)
        assert str(refused.value)  # a Chinese sentence for the user
        assert _fingerprint(ctx) == before, "a refused change must leave the database as it was"


def test_county_import_rejects_other_units_rows_and_cannot_undo_others(
    ctx: AppContext, firms: dict[str, int], tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位"])
    sheet.append(["青田县华侨石雕工艺有限公司", uscc.make("9", "1", QINGTIAN, "MA2B0101"), "青田县"])
    sheet.append(["莲都区另一家机械有限公司", uscc.make("9", "1", LIANDU, "MA2A0301"), "莲都区"])
    # A 青田 row whose code is already registered in 莲都: not moved, not shown.
    sheet.append(["借用代码的公司", uscc.make("9", "1", LIANDU, "MA2A0001"), "青田县"])
    path = tmp_path / "mixed.xlsx"
    workbook.save(path)
    act(ctx, "county")
    with transaction(ctx.sessions) as session:
        plan = plan_import(session, path, today=TODAY)
        assert len(list(plan.rows("error"))) == 2
        assert not commit_plan(session, ctx.actor, plan).committed
    # The city imports a 莲都 list; the county account cannot undo it.
    act(ctx, "city")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码", "所属单位"])
    sheet.append(["莲都区另一家机械有限公司", uscc.make("9", "1", LIANDU, "MA2A0301"), "莲都区"])
    city_file = tmp_path / "莲都区.xlsx"
    workbook.save(city_file)
    with transaction(ctx.sessions) as session:
        result = commit_plan(session, ctx.actor, plan_import(session, city_file, today=TODAY))
        batch_id = result.batch_id
    assert batch_id is not None
    act(ctx, "county")
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        undo_batch(session, ctx.actor, batch_id)
    act(ctx, "city")
    with transaction(ctx.sessions) as session:
        undo_batch(session, ctx.actor, batch_id)


def test_a_plan_checked_for_the_city_cannot_be_committed_by_a_county_account(
    ctx: AppContext, firms: dict[str, int], tmp_path: Path
) -> None:
    act(ctx, "city")
    with ctx.sessions() as session:
        plan = plan_import(session, _county_file(tmp_path), today=TODAY)
    act(ctx, "county")
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        commit_plan(session, ctx.actor, plan)


def test_the_system_identity_is_the_cli_and_has_full_rights(ctx: AppContext, firms: dict[str, int]) -> None:
    ctx.sign_in(system_principal("system:clerk@PC-07"))
    _edit("ld1")(ctx, firms, Path("."))
    with ctx.sessions() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.actor == "system:clerk@PC-07"


def test_evidence_content_is_city_data_even_written_straight_through_the_orm(
    ctx: AppContext, firms: dict[str, int], tmp_path: Path
) -> None:
    _note(ctx, firms, tmp_path)  # recorded by the system identity
    with ctx.sessions() as session:
        note_id = session.scalars(select(TaskProgress.id)).one()
    act(ctx, "county")
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        session.add(EvidenceContent(task_progress_id=note_id, name="纪要.pdf", size=3, sha256="0" * 64, content=b"pdf"))
    with ctx.sessions() as session:
        assert session.scalar(select(func.count(EvidenceContent.id))) == 0
