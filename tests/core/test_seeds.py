"""The seeded reference data matches the policy: eleven units, the annex, the fifteen tasks."""

from __future__ import annotations

from sqlalchemy import func, select

from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.models import Industry, PolicyTask, Program, Region, Target
from zjtx_desktop.seeds import seed_reference_data
from zjtx_desktop.settings import find_region


def _totals(ctx: AppContext) -> dict[tuple[str, int, int], int]:
    with transaction(ctx.sessions) as session:
        rows = session.execute(
            select(Target.program_code, Target.start_year, Target.end_year, func.sum(Target.count)).group_by(
                Target.program_code, Target.start_year, Target.end_year
            )
        )
        return {(code, start, end): int(total) for code, start, end, total in rows}


def test_annex_totals_are_900_210_21_7(ctx: AppContext) -> None:
    assert _totals(ctx) == {
        ("ZJTX_POOL", 2017, 2020): 900,
        ("ZJTX_POOL", 2018, 2018): 210,
        ("YXGJ_PROV_POOL", 2017, 2020): 21,
        ("YXGJ_PROV_POOL", 2018, 2018): 7,
    }


def test_annex_rows_per_unit(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        qingtian = session.scalars(
            select(Target).where(Target.region_code == "331121", Target.program_code == "ZJTX_POOL")
        ).all()
        assert {(t.start_year, t.end_year, t.count) for t in qingtian} == {(2017, 2020, 150), (2018, 2018, 40)}
        assert all(t.document_no == "丽政办发〔2018〕61号" for t in qingtian)
        # Blank cells in the annex are no target at all, not a target of zero.
        jingning_2018 = session.scalars(
            select(Target).where(
                Target.region_code == "331127", Target.program_code == "YXGJ_PROV_POOL", Target.start_year == 2018
            )
        ).all()
        assert jingning_2018 == []


def test_eleven_units_with_the_zone_marked_non_standard(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        regions = session.scalars(select(Region).order_by(Region.sort_order)).all()
        assert len(regions) == 11
        assert [r.short_name for r in regions][:3] == ["市本级", "开发区", "莲都"]
        zone = find_region(session, "经开区")
        assert zone is not None and zone.name == "丽水经济技术开发区" and not zone.is_standard
        jingning = find_region(session, "景宁县")
        assert jingning is not None and jingning.code == "331127"
        assert find_region(session, "杭州市") is None


def test_programs_tasks_and_industries(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Program)) == 9
        xjr = session.get(Program, "XJR")
        assert xjr is not None and xjr.level == "nation" and xjr.validity_years == 3
        tasks = session.scalars(select(PolicyTask).order_by(PolicyTask.number)).all()
        assert [t.number for t in tasks] == list(range(1, 16))
        assert tasks[13].lead_units[0] == "市金融办"
        industries = session.scalars(select(Industry)).all()
        assert len(industries) == 31
        assert {i.code for i in industries} == {f"C{n}" for n in range(13, 44)}


def test_seeding_again_adds_nothing_and_keeps_bureau_edits(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        target = session.scalars(select(Target).where(Target.region_code == "331102")).first()
        assert target is not None
        target.count = 99
        session.delete(session.scalars(select(Target).where(Target.region_code == "331181")).first())
    with transaction(ctx.sessions) as session:
        again = seed_reference_data(session)
    assert again.total == 0
    with transaction(ctx.sessions) as session:
        assert 99 in set(session.scalars(select(Target.count).where(Target.region_code == "331102")))
        assert session.scalar(select(func.count()).select_from(Target).where(Target.region_code == "331181")) == 3
