"""The enterprise registry service: validation rules, audit entries, recycle bin and version conflicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AnnualReport, AuditEntry, Cultivation, Enterprise, HelpVisit
from zjtx_desktop.registry import (
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
    create_enterprise,
    enterprise_history,
    get_enterprise,
    purge_enterprise,
    recycle_enterprise,
    restore_enterprise,
    update_enterprise,
    validate_enterprise,
)

TODAY = dt.date(2024, 5, 20)
LIANDU_CODE = "91331102MA2A0B1C4R"  # registered in 莲都区 (331102)
LONGQUAN_CODE = "91331181MA2A0B1C47"


def intake(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "丽水市宏达精密机械有限公司",
        "uscc": LIANDU_CODE,
        "region_code": "331102",
        "industry_code": "C34",
        "scale_type": "规下",
        "size_class": "小型",
        "registered_on": dt.date(2012, 3, 8),
        "registered_capital": 500.0,
        "employees": 45,
        "rd_staff": 6,
        "contact_person": "张伟",
        "phone": "0578-2123456",
        "address": "浙江省丽水市莲都区南明山街道绿谷大道218号",
    }
    values.update(overrides)
    return values


def problems_for(ctx: AppContext, **overrides: Any) -> dict[str, list[str]]:
    with transaction(ctx.sessions) as session:
        found = validate_enterprise(session, intake(**overrides), today=TODAY)
    result: dict[str, list[str]] = {}
    for problem in found:
        result.setdefault(f"{problem.field}:{problem.severity}", []).append(problem.message)
    return result


def test_a_correct_intake_has_no_problems(ctx: AppContext) -> None:
    assert problems_for(ctx) == {}


def test_wrong_check_character_names_the_expected_one(ctx: AppContext) -> None:
    found = problems_for(ctx, uscc="91331102MA2A0B1C4X")
    assert found == {"uscc:error": ["校验位（第18位）应为 R，现为 X"]}


def test_area_code_mismatch_is_only_a_warning(ctx: AppContext) -> None:
    found = problems_for(ctx, uscc=LONGQUAN_CODE)  # a 龙泉 code for a 莲都 firm
    assert list(found) == ["uscc:warning"]
    assert "331181" in found["uscc:warning"][0] and "莲都区" in found["uscc:warning"][0]


def test_required_fields(ctx: AppContext) -> None:
    found = problems_for(ctx, name="", uscc=None, region_code=None)
    assert found == {
        "name:error": ["企业名称不能为空"],
        "uscc:error": ["统一社会信用代码不能为空"],
        "region_code:error": ["所属单位不能为空"],
    }


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"registered_capital": -10.0}, "registered_capital:error", "不能为负数"),
        ({"employees": 12.5}, "employees:error", "应为整数"),
        ({"employees": -1}, "employees:error", "不能为负数"),
        ({"phone": "2123456"}, "phone:error", "区号"),
        ({"email": "zhang@"}, "email:error", "邮箱"),
        ({"registered_on": dt.date(2024, 6, 1)}, "registered_on:error", "不能晚于今天"),
        ({"market_share": 130.0}, "market_share:error", "不能大于 100%"),
        ({"rd_staff": 60}, "rd_staff:error", "多于从业人员"),
        ({"industry_code": "C99"}, "industry_code:error", "C13—C43"),
        ({"scale_type": "规模以上"}, "scale_type:error", "规上、规下、个体工业"),
        ({"region_code": "330100"}, "region_code:error", "未知的单位"),
    ],
)
def test_each_rule_has_a_chinese_message(ctx: AppContext, overrides: dict[str, Any], key: str, fragment: str) -> None:
    found = problems_for(ctx, **overrides)
    assert key in found, found
    assert fragment in found[key][0]


@pytest.mark.parametrize(
    "phone", ["0578-2123456", "(0578)2123456", "057822123456", "13857812345", "138 5781 2345", "0578-2123456转801"]
)
def test_phone_forms_people_write(ctx: AppContext, phone: str) -> None:
    assert "phone:error" not in problems_for(ctx, phone=phone)


def test_create_normalises_and_audits(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        record = create_enterprise(
            session, "张科员", intake(uscc=" 91331102ma2a0b1c4r ", name=" 丽水市宏达精密机械有限公司\n"), today=TODAY
        )
    assert record.values["uscc"] == LIANDU_CODE and record.name == "丽水市宏达精密机械有限公司"
    with transaction(ctx.sessions) as session:
        enterprise = session.get(Enterprise, record.id)
        assert enterprise is not None and enterprise.name_initials == "lsshdjmjxyxgs"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "enterprise")).one()
        assert (entry.actor, entry.action, entry.enterprise_id) == ("张科员", "create", record.id)
        assert entry.after is not None and entry.after["uscc"] == LIANDU_CODE


def test_duplicate_code_points_to_the_existing_enterprise(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        first = create_enterprise(session, "张科员", intake(), today=TODAY)
    with pytest.raises(ValidationFailed) as failure, transaction(ctx.sessions) as session:
        create_enterprise(session, "张科员", intake(name="另一家公司"), today=TODAY)
    [problem] = failure.value.problems
    assert problem.existing_id == first.id
    assert "丽水市宏达精密机械有限公司" in problem.message


def test_failed_validation_writes_nothing(ctx: AppContext) -> None:
    with pytest.raises(ValidationFailed), transaction(ctx.sessions) as session:
        create_enterprise(session, "张科员", intake(phone="123"), today=TODAY)
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(Enterprise)).all() == []
        assert session.scalars(select(AuditEntry).where(AuditEntry.entity == "enterprise")).all() == []


def test_update_records_old_and_new_in_history(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        record = create_enterprise(session, "张科员", intake(), today=TODAY)
    with transaction(ctx.sessions) as session:
        changes = update_enterprise(
            session, "李科长", record.id, record.version, {"phone": "13857812345", "employees": 50}, today=TODAY
        )
    assert changes == {"phone": ("0578-2123456", "13857812345"), "employees": (45, 50)}
    with transaction(ctx.sessions) as session:
        history = enterprise_history(session, record.id)
        assert get_enterprise(session, record.id).version == record.version + 1
    newest = [item for item in history if item.action == "修改"]
    assert {(i.field, i.old, i.new, i.actor) for i in newest} == {
        ("联系电话", "0578-2123456", "13857812345", "李科长"),
        ("从业人员", "45", "50", "李科长"),
    }
    assert history[-1].action == "新增"


def test_saving_without_changes_writes_nothing(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        record = create_enterprise(session, "张科员", intake(), today=TODAY)
    with transaction(ctx.sessions) as session:
        assert (
            update_enterprise(session, "张科员", record.id, record.version, {"phone": "0578-2123456"}, today=TODAY)
            == {}
        )
    with transaction(ctx.sessions) as session:
        assert get_enterprise(session, record.id).version == record.version


def test_a_stale_version_is_a_conflict_not_an_overwrite(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        record = create_enterprise(session, "张科员", intake(), today=TODAY)
    with transaction(ctx.sessions) as session:  # window A saves first
        update_enterprise(session, "张科员", record.id, record.version, {"contact_person": "王芳"}, today=TODAY)
    with pytest.raises(VersionConflict, match="已在别处被修改"), transaction(ctx.sessions) as session:
        update_enterprise(session, "李科长", record.id, record.version, {"contact_person": "赵磊"}, today=TODAY)
    with transaction(ctx.sessions) as session:
        assert get_enterprise(session, record.id).values["contact_person"] == "王芳"


def _with_records(ctx: AppContext) -> int:
    with transaction(ctx.sessions) as session:
        record = create_enterprise(session, "张科员", intake(), today=TODAY)
        session.add_all(
            [
                Cultivation(enterprise_id=record.id, program_code="ZJTX_POOL", year=2018),
                AnnualReport(enterprise_id=record.id, year=2023, revenue=1800.0),
                HelpVisit(enterprise_id=record.id, visited_on=dt.date(2023, 4, 2), officer="王芳", kind="走访"),
            ]
        )
    return record.id


def test_recycle_and_restore_keep_the_records(ctx: AppContext) -> None:
    enterprise_id = _with_records(ctx)
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, "张科员", enterprise_id)
    with transaction(ctx.sessions) as session:
        assert get_enterprise(session, enterprise_id).deleted_at is not None
        assert len(session.scalars(select(Cultivation)).all()) == 1
        with pytest.raises(UserError, match="回收站"):
            update_enterprise(session, "张科员", enterprise_id, 2, {"phone": "13857812345"})
    with transaction(ctx.sessions) as session:
        restore_enterprise(session, "张科员", enterprise_id)
    with transaction(ctx.sessions) as session:
        assert get_enterprise(session, enterprise_id).deleted_at is None
        actions = [item.action for item in enterprise_history(session, enterprise_id)]
    assert actions[:2] == ["从回收站恢复", "删除到回收站"]


def test_only_an_administrator_purges_and_only_from_the_bin(ctx: AppContext) -> None:
    enterprise_id = _with_records(ctx)
    with pytest.raises(UserError, match="不在回收站"), transaction(ctx.sessions) as session:
        purge_enterprise(session, "管理员", enterprise_id, is_admin=True)
    with transaction(ctx.sessions) as session:
        recycle_enterprise(session, "张科员", enterprise_id)
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        purge_enterprise(session, "张科员", enterprise_id, is_admin=False)
    with transaction(ctx.sessions) as session:
        purge_enterprise(session, "管理员", enterprise_id, is_admin=True)
    with transaction(ctx.sessions) as session:
        with pytest.raises(NotFound):
            get_enterprise(session, enterprise_id)
        assert session.scalars(select(Cultivation)).all() == []
        assert session.scalars(select(HelpVisit)).all() == []
        purge = session.scalars(select(AuditEntry).where(AuditEntry.action == "purge")).one()
        assert purge.before is not None and purge.before["name"] == "丽水市宏达精密机械有限公司"
        assert purge.before["培育记录"] == 1
