"""亩均效益评价: a small example worked out by hand (two units, above- and below-scale, cap, missing energy,
too little land, ties), class cut-offs at exact boundaries, yearly schemes, validation and version conflicts."""

from __future__ import annotations

import copy
import datetime as dt
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.metrics import derived_metrics
from zjtx_desktop.models import AnnualReport, AuditEntry, Enterprise, RuleSet
from zjtx_desktop.mujun import (
    ClassRule,
    MujunResult,
    NotEvaluated,
    ScoredEnterprise,
    available_years,
    class_index,
    definition_from_values,
    enterprise_mujun,
    evaluate,
    load_scheme,
    parse_scheme,
    reset_scheme,
    save_scheme,
    scheme_fields,
    scheme_for_edit,
    scheme_values,
    shipped_definition,
    validate_scheme,
    validate_scheme_values,
)
from zjtx_desktop.registry import ValidationFailed, VersionConflict

YEAR = 2023
QINGTIAN, JINYUN = "331121", "331122"
_serial = count(1)

ABOVE = ("land_area", "tax_paid", "value_added", "energy_use", "cod", "so2", "nox", "employees_avg", "rd_expense",
         "main_revenue")  # fmt: skip
BELOW = ("land_area", "tax_paid", "electricity")


def filed(columns: tuple[str, ...], *values: float | None) -> dict[str, Any]:
    return dict(zip(columns, values, strict=True))


# name: (unit, scale type, figures for YEAR or None when nothing was filed)
EXAMPLE: dict[str, tuple[str, str | None, dict[str, Any] | None]] = {
    # 青田县 above scale. Σ land 80, tax 1000, value added 4000 → references 12.5 and 50 万元/亩;
    # energy only where filed (not 青田阀门铸造): 3200 ÷ 2000 = 1.6; emissions 4000 ÷ 40 = 100;
    # employees 4000 ÷ 320 = 12.5; R&D 100 ÷ 8000 = 1.25%.
    #                                                     亩   税   增加值 能耗  COD SO2  NOx 人   研发 主营
    "青田伟明阀门有限公司": (QINGTIAN, "规上", filed(ABOVE, 10, 400, 1200, 400, 3, 1, None, 60, 60, 2000)),
    "青田县石门洞鞋业有限公司": (QINGTIAN, "规上", filed(ABOVE, 20, 300, 1200, 800, 12, None, None, 120, 20, 2000)),
    # No energy figure: that indicator scores 0, the others count.
    "青田阀门铸造有限公司": (QINGTIAN, "规上", filed(ABOVE, 10, 100, 800, None, None, None, 4, 20, 20, 1000)),
    "浙江青田石雕工艺品有限公司": (QINGTIAN, "规上", filed(ABOVE, 40, 200, 800, 800, None, 20, None, 120, 0, 3000)),
    # 青田县 below scale (规下 and 个体工业 together). Σ land 8, tax 80 → 10 万元/亩; Σ electricity 16 → 5.
    "青田县温溪五金厂": (QINGTIAN, "规下", filed(BELOW, 5, 50, 10)),
    "青田县油竹小五金加工厂": (QINGTIAN, "规下", filed(BELOW, 2.5, 30, 5)),  # less than 3 亩
    "青田县鹤城石材加工部": (QINGTIAN, "个体工业", filed(BELOW, 3, 30, 6)),  # exactly 3 亩
    # 缙云县: one above-scale and one below-scale firm, each its own reference.
    "缙云县五云机械有限公司": (JINYUN, "规上", filed(ABOVE, 10, 100, 400, 200, 2, None, None, 40, 8, 800)),
    "缙云县壶镇带锯厂": (JINYUN, "规下", filed(BELOW, 4, 20, 4)),
    "缙云县新碧缝纫机配件有限公司": (JINYUN, "规上", None),  # filed nothing for the year
    "缙云县东方红工具厂": (JINYUN, None, filed(BELOW, 6, 12, 3)),  # no scale type
}


def add_enterprise(
    session: Session, name: str, unit: str, scale_type: str | None, figures: dict[str, Any] | None
) -> int:
    number = next(_serial)
    enterprise = Enterprise(
        uscc=uscc.make("9", "1", unit, f"MJ{number:06d}"),
        name=name,
        region_code=unit,
        scale_type=scale_type,
        registered_on=dt.date(2010, 1, 1),
    )
    session.add(enterprise)
    session.flush()
    if figures is not None:
        session.add(AnnualReport(enterprise_id=enterprise.id, year=YEAR, **figures))
    return enterprise.id


@pytest.fixture
def example(ctx: AppContext) -> dict[str, int]:
    with transaction(ctx.sessions) as session:
        ids = {name: add_enterprise(session, name, *spec) for name, spec in EXAMPLE.items()}
        # In the recycle bin: never evaluated, never counted.
        gone = add_enterprise(session, "青田县已注销阀门厂", QINGTIAN, "规上", dict(land_area=10, tax_paid=9000))
        session.get_one(Enterprise, gone).deleted_at = dt.datetime(2024, 1, 1)
    return ids


def run(ctx: AppContext, unit_codes: list[str] | None = None, **changes: Any) -> MujunResult:
    with ctx.sessions() as session:
        scheme = None
        if changes:
            scheme = parse_scheme({**load_scheme(session, YEAR).definition, **changes})
        return evaluate(session, YEAR, unit_codes, scheme=scheme)


def by_name(result: MujunResult) -> dict[str, ScoredEnterprise]:
    return {row.name: row for row in result.enterprises}


def skipped(result: MujunResult) -> dict[str, NotEvaluated]:
    return {row.name: row for row in result.not_evaluated}


def test_default_scheme_is_seeded_and_used_for_every_year(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        scheme = load_scheme(session, 2019)
    assert scheme.year is None and scheme.rule_set_id is not None and scheme.source_label == "默认方案"
    above, below = scheme.groups
    assert [(i.indicator.name, i.weight) for i in above.indicators] == [
        ("亩均税收", 30),
        ("亩均增加值", 20),
        ("单位能耗增加值", 20),
        ("单位排放增加值", 10),
        ("全员劳动生产率", 10),
        ("研发投入强度", 10),
    ]
    assert [(i.indicator.name, i.weight) for i in below.indicators] == [("亩均税收", 50), ("单位电耗税收", 50)]
    assert (above.min_land, below.min_land, below.scale_types) == (0, 3, ("规下", "个体工业"))
    assert [(c.code, c.name, c.share) for c in scheme.classes] == [
        ("A", "优先发展类", 0.25),
        ("B", "提升发展类", 0.7),
        ("C", "调控帮扶类", 0.95),
        ("D", "倒逼整治类", 1.0),
    ]
    assert (scheme.cap, scheme.reference_scope, scheme.ranking_scope) == (3, "unit", "unit")
    assert "未确认" in (scheme.note or "") or "尚未确认" in (scheme.note or "")


def test_hand_computed_example(ctx: AppContext, example: dict[str, int]) -> None:
    result = run(ctx)
    assert result.references[(QINGTIAN, "above")] == pytest.approx((12.5, 50, 1.6, 100, 12.5, 1.25))
    assert result.references[(QINGTIAN, "below")] == pytest.approx((10, 5))
    rows = by_name(result)

    top = rows["青田伟明阀门有限公司"]
    # 40/12.5 = 3.2 capped at 3 → 90; 120/50 → 48; 3/1.6 → 37.5; 300/100 → 30; 20/12.5 → 16; 3%/1.25% → 24.
    assert top.scores == (90, 48, 37.5, 30, 16, 24)
    assert (top.total, top.rank, top.pool_size, top.class_code) == (245.5, 1, 4, "A")

    no_energy = rows["青田阀门铸造有限公司"]
    # 10/12.5 → 24; 80/50 → 32; energy missing → 0; 200/100 → 20; 40/12.5 = 3.2 capped → 30; 2%/1.25% → 16.
    assert no_energy.values[2] is None and no_energy.lacking == (2,)
    assert no_energy.scores == (24, 32, 0, 20, 30, 16)
    assert (no_energy.total, no_energy.rank, no_energy.class_code) == (122, 2, "B")

    shoes = rows["青田县石门洞鞋业有限公司"]
    assert shoes.scores == (36, 24, 18.75, 10, 8, 8)
    assert (shoes.total, shoes.rank, shoes.class_code) == (104.75, 3, "C")

    carving = rows["浙江青田石雕工艺品有限公司"]
    # 800 ÷ 120 employees = 6.667 ÷ 12.5 × 10 = 5.33; no R&D → 0 (a real 0, not missing data).
    assert carving.scores == (12, 8, 12.5, 4, 5.33, 0)
    assert (carving.total, carving.rank, carving.class_code) == (41.83, 4, "D")
    assert carving.lacking == ()

    # Below scale: equal totals share the rank; 规下 and 个体工业 are ranked together; 3 亩 exactly takes part.
    workshop, stall = rows["青田县温溪五金厂"], rows["青田县鹤城石材加工部"]
    assert (workshop.scores, workshop.total) == ((50, 50), 100)
    assert (stall.scores, stall.total) == ((50, 50), 100)
    assert (workshop.rank, stall.rank, workshop.pool_size) == (1, 1, 2)
    assert workshop.class_code == stall.class_code == "B"  # rank 1 of 2 is 50%: past A's 25%

    # 缙云县's firms are alone in their pools: each is its own reference (100 points) and, as the rest
    # after 95%, class D.
    saw = rows["缙云县五云机械有限公司"]
    assert (saw.total, saw.rank, saw.pool_size, saw.class_code) == (100, 1, 1, "D")
    assert rows["缙云县壶镇带锯厂"].total == 100

    reasons = {name: row.reason for name, row in skipped(result).items()}
    assert reasons == {
        "青田县油竹小五金加工厂": "用地 2.5 亩，不足 3 亩",
        "缙云县新碧缝纫机配件有限公司": "该年未填报监测数据",
        "缙云县东方红工具厂": "未填写规模类型（规上/规下/个体工业）",
    }
    assert "青田县已注销阀门厂" not in rows and "青田县已注销阀门厂" not in skipped(result)
    # Results come by unit (the usual order), then scale group, then rank.
    assert [row.name for row in result.enterprises][:4] == [
        "青田伟明阀门有限公司",
        "青田阀门铸造有限公司",
        "青田县石门洞鞋业有限公司",
        "浙江青田石雕工艺品有限公司",
    ]


def test_distribution_per_unit(ctx: AppContext, example: dict[str, int]) -> None:
    result = run(ctx)
    qingtian = result.distribution_of(QINGTIAN, None)
    assert qingtian is not None
    assert (qingtian.counts, qingtian.not_evaluated, qingtian.evaluated) == ((1, 3, 1, 1), 1, 6)
    assert qingtian.share(1) == pytest.approx(0.5)
    above = result.distribution_of(QINGTIAN, "above")
    assert above is not None and above.counts == (1, 1, 1, 1)
    jinyun_below = result.distribution_of(JINYUN, "below")
    assert jinyun_below is not None and (jinyun_below.counts, jinyun_below.not_evaluated) == ((0, 0, 0, 1), 0)
    jinyun = result.distribution_of(JINYUN, None)
    assert jinyun is not None and (jinyun.counts, jinyun.not_evaluated) == ((0, 0, 0, 2), 2)
    total = result.distribution_of(None, None)
    assert total is not None and (total.counts, total.not_evaluated) == ((1, 3, 1, 3), 3)
    empty = result.distribution_of("331102", None)  # 莲都区: nothing filed
    assert empty is not None and (empty.evaluated, empty.share(0)) == (0, None)


def test_unit_filter_and_city_wide_ranking(ctx: AppContext, example: dict[str, int]) -> None:
    jinyun = run(ctx, [JINYUN])
    assert {row.unit_code for row in jinyun.enterprises} == {JINYUN}
    assert [code for code, _label in jinyun.units] == [JINYUN]
    assert {row.name for row in jinyun.not_evaluated} == {"缙云县新碧缝纫机配件有限公司", "缙云县东方红工具厂"}

    # One city-wide ranking per scale group (references stay each unit's own): five above-scale firms.
    city = by_name(run(ctx, ranking_scope="city"))
    above = ["青田伟明阀门有限公司", "青田阀门铸造有限公司", "青田县石门洞鞋业有限公司", "缙云县五云机械有限公司"]
    above.append("浙江青田石雕工艺品有限公司")
    # 245.5, 122, 104.75, 缙云 100, 41.83: rank ≤ 25% × 5 = 1.25 A, ≤ 3.5 B, ≤ 4.75 C, the rest D.
    assert [(city[name].rank, city[name].pool_size, city[name].class_code) for name in above] == [
        (1, 5, "A"),
        (2, 5, "B"),
        (3, 5, "B"),
        (4, 5, "C"),
        (5, 5, "D"),
    ]
    # City-wide references: Σ over both units' eligible firms (tax 1100 ÷ land 90).
    city_refs = run(ctx, [QINGTIAN], reference_scope="city")
    assert city_refs.references[(None, "above")][0] == pytest.approx(1100 / 90)
    assert by_name(city_refs)["青田伟明阀门有限公司"].scores[0] == 90  # 40 ÷ 12.22 = 3.27, still capped


def test_no_cap_lets_an_outlier_score_above_three_times_its_weight(ctx: AppContext, example: dict[str, int]) -> None:
    top = by_name(run(ctx, cap=None))["青田伟明阀门有限公司"]
    assert top.scores[0] == 96  # 40 ÷ 12.5 = 3.2 × 30


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        (4, "ABCD"),  # 25% of 4 = 1 A; 70% of 4 = 2.8 → rank 2 B; 95% of 4 = 3.8 → rank 3 C; rank 4 D
        (20, "A" * 5 + "B" * 9 + "C" * 5 + "D"),  # 5, 14, 19 exactly on the boundaries
        (10, "AA" + "B" * 5 + "CC" + "D"),  # 0.7 × 10 = 7.000000000000001 is still 7
        (3, "BBD"),  # 25% of 3 is less than one firm: no A
        (1, "D"),
    ],
)
def test_class_cut_offs_at_exact_boundaries(pool: int, expected: str) -> None:
    classes = [ClassRule("A", "优先发展类", 0.25), ClassRule("B", "提升发展类", 0.7)]
    classes += [ClassRule("C", "调控帮扶类", 0.95), ClassRule("D", "倒逼整治类", 1.0)]
    assert "".join(classes[class_index(rank, pool, classes)].code for rank in range(1, pool + 1)) == expected


def test_values_agree_with_the_detail_views_metrics(ctx: AppContext, example: dict[str, int]) -> None:
    result = run(ctx)
    top = by_name(result)["青田伟明阀门有限公司"]
    metrics = {metric.key: metric.value for metric in derived_metrics(EXAMPLE["青田伟明阀门有限公司"][2] or {})}
    group = result.scheme.group("above")
    for item, value in zip(group.indicators, top.values, strict=True):
        assert value == pytest.approx(metrics[item.indicator.code]), item.indicator.name


def test_a_year_of_its_own_overrides_the_default(ctx: AppContext, example: dict[str, int]) -> None:
    with ctx.sessions() as session:
        edit = scheme_for_edit(session, YEAR)
    assert (edit.own, edit.expected_version) == (False, None)
    definition = copy.deepcopy(edit.definition)
    below = definition["groups"][1]
    below["min_land"] = 2
    below["indicators"][0]["weight"] = 100  # 亩均税收 only
    below["indicators"][1]["weight"] = 0
    with transaction(ctx.sessions) as session:
        save_scheme(session, "测试员", YEAR, definition, None)
    with ctx.sessions() as session:
        assert load_scheme(session, YEAR).source_label == f"{YEAR}年度方案"
        assert load_scheme(session, YEAR - 1).source_label == "默认方案"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "rule_set")).one()
        assert (entry.action, entry.actor, entry.after and entry.after["year"]) == ("create", "测试员", YEAR)
    rows = by_name(run(ctx))
    # 2.5 亩 now takes part; below-scale pool of 3, references 110 ÷ 10.5 亩 = 10.48.
    assert rows["青田县油竹小五金加工厂"].pool_size == 3
    assert rows["青田县温溪五金厂"].scores == (round(100 * 10 / (110 / 10.5), 2), 0)
    with ctx.sessions() as session:
        assert scheme_for_edit(session, YEAR).own


def test_reset_returns_a_year_to_the_default(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        definition = scheme_for_edit(session, YEAR).definition
    definition["cap"] = 2
    with transaction(ctx.sessions) as session:
        save_scheme(session, "测试员", YEAR, definition, None)
    with transaction(ctx.sessions) as session:
        reset_scheme(session, "测试员", YEAR, 1)
    with ctx.sessions() as session:
        assert load_scheme(session, YEAR).cap == 3
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "rule_set")))
    assert actions == ["create", "delete"]


def _broken(change: Any) -> dict[str, Any]:
    definition = shipped_definition()
    change(definition)
    return definition


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: [i.update(weight=0) for i in d["groups"][1]["indicators"]], None, "规下工业企业各项指标的权重之和应大于 0"),
        (lambda d: d["groups"][0]["indicators"][0].update(weight=-5), "above.tax_per_mu.weight", "权重不能为负数"),
        (lambda d: d["groups"][1].update(min_land=-1), "below.min_land", "参评用地下限不能为负数"),
        (lambda d: d["classes"][1].update(share=0.2), "class.B.share", "B 类的累计比例应大于 A 类的 25%"),
        (lambda d: d["classes"][2].update(share=1.2), "class.C.share", "C 类的累计比例应在 0 到 100% 之间"),
        (lambda d: d.update(cap=0), "cap", "单项得分上限应大于 0"),
        (lambda d: d["groups"][0]["indicators"][1].update(reference=-3), "above.va_per_mu.reference", "固定基准值应大于 0"),
        (lambda d: d["groups"][0]["indicators"].append({"code": "profit", "weight": 5}), None, "程序不认识的指标"),
        (lambda d: d["groups"][1]["scale_types"].append("规上"), None, "规模类型“规上”同时属于规上工业企业和规下工业企业"),
        (lambda d: d.update(ranking_scope="province"), "ranking_scope", "排名范围应为"),
    ],
)  # fmt: skip
def test_scheme_validation(change: Any, field: str | None, message: str) -> None:
    problems = validate_scheme(_broken(change))
    assert any(p.field == field and message in p.message for p in problems), problems


def test_invalid_or_stale_saves_change_nothing(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        definition = scheme_for_edit(session, YEAR).definition
        rule_sets = session.scalar(select(func.count()).select_from(RuleSet))
    bad = copy.deepcopy(definition)
    bad["classes"][0]["share"] = 0.9  # A beyond B
    with pytest.raises(ValidationFailed) as refused, transaction(ctx.sessions) as session:
        save_scheme(session, "测试员", YEAR, bad, None)
    assert "A 类" in str(refused.value) or "B 类" in str(refused.value)

    with transaction(ctx.sessions) as session:
        rule_set_id = save_scheme(session, "测试员", YEAR, definition, None)  # version 1
    definition["cap"] = 2.5
    with transaction(ctx.sessions) as session:
        save_scheme(session, "张三", YEAR, definition, 1)  # version 2
    # A second clerk still holding version 1, or one who opened the year before it had its own scheme:
    stale = copy.deepcopy(definition)
    stale["cap"] = 4
    for expected in (1, None):
        with pytest.raises(VersionConflict, match="已在别处被修改"), transaction(ctx.sessions) as session:
            save_scheme(session, "李四", YEAR, stale, expected)
    with ctx.sessions() as session:
        row = session.get_one(RuleSet, rule_set_id)
        assert (row.version, row.definition["cap"]) == (2, 2.5)
        assert session.scalar(select(func.count()).select_from(RuleSet)) == rule_sets + 1
        actors = list(session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "rule_set")))
    assert actors == ["测试员", "张三"]


def test_a_broken_stored_scheme_is_reported_in_chinese(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        definition = shipped_definition()
        definition["classes"][0]["share"] = "很多"
        session.add(RuleSet(kind="mujun", code="default", name="坏方案", year=YEAR, definition=definition))
    with (
        ctx.sessions() as session,
        pytest.raises(UserError, match=f"{YEAR}年度亩均效益评价方案有误：A 类的比例应为数字"),
    ):
        load_scheme(session, YEAR)


def test_form_values_round_trip_and_report_beside_the_fields() -> None:
    definition = shipped_definition()
    values = scheme_values(definition)
    assert values["class.A.share"] == 25 and values["reference_scope"] == "本单位当年平均水平"
    assert {spec.key for spec in scheme_fields(definition)} == set(values)
    assert definition_from_values(definition, values) == definition
    values["class.C.share"] = 60  # below B's 70%
    values["above.tax_per_mu.weight"] = None
    problems = {p.field: p.message for p in validate_scheme_values(definition, values)}
    assert problems == {
        "class.C.share": "C 类的累计比例应大于 B 类的 70%",
        "above.tax_per_mu.weight": "亩均税收 权重不能为空",
    }


def test_one_enterprises_breakdown(ctx: AppContext, example: dict[str, int]) -> None:
    with ctx.sessions() as session:
        assert available_years(session) == [YEAR]
        breakdown = enterprise_mujun(session, example["青田阀门铸造有限公司"])
        small = enterprise_mujun(session, example["青田县油竹小五金加工厂"], YEAR)
        missing = enterprise_mujun(session, 999_999, YEAR)
    assert breakdown is not None and breakdown.evaluated
    assert (breakdown.year, breakdown.class_code, breakdown.class_name) == (YEAR, "B", "提升发展类")
    assert (breakdown.total, breakdown.rank, breakdown.pool_size) == (122, 2, 4)
    assert breakdown.pool_label == "青田县规上工业企业" and breakdown.scheme_label == "默认方案"
    energy = breakdown.lines[2]
    assert (energy.name, energy.value, energy.reference, energy.score) == ("单位能耗增加值", None, 1.6, 0)
    assert energy.note == "缺数据：未填综合能耗"
    assert breakdown.lines[4].value == 40 and breakdown.lines[4].score == 30  # capped
    assert small is not None and not small.evaluated and small.reason == "用地 2.5 亩，不足 3 亩"
    assert missing is None
