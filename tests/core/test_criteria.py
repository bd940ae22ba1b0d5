"""认定条件: scoring against hand-computed examples, every 创新型 band boundary, rule edits, new rule sets, 推荐名单."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.criteria import (
    ANNUAL_COLUMNS,
    INDICATORS,
    CheckResult,
    Criteria,
    Facts,
    Reader,
    candidates,
    check,
    copy_rule_set,
    evaluate,
    get_rule_set,
    list_rule_sets,
    node_at,
    rule_rows,
    save_rule_set,
    screen,
    validate_definition,
    with_bands,
    with_threshold,
)
from zjtx_desktop.database import transaction
from zjtx_desktop.models import AnnualReport, AuditEntry, Cultivation, Enterprise, RuleSet
from zjtx_desktop.registry import PermissionDenied, ValidationFailed, VersionConflict
from zjtx_desktop.settings import configure_installation

TODAY = dt.date(2024, 6, 1)
_serial = count(1)

# A small firm in 青田 with round figures, so that every ratio below is exact.
ENTERPRISE: dict[str, Any] = {
    "registered_on": dt.date(2015, 3, 1),
    "size_class": "小型",
    "employees": 80,
    "rd_staff": 10,
    "main_products": "阀门、管件",
    "market_share": None,
    "market_rank": None,
    "own_trademark": True,
    "zhejiang_made": False,
    "certifications": "ISO 9001",
    "rd_institution_level": "市级",
    "digital_level": "二级",
}
LATEST: dict[str, Any] = {
    "revenue": 1000.0,
    "main_revenue": 800.0,
    "net_profit": 50.0,
    "tax_paid": 30.0,
    "total_assets": 2000.0,
    "total_liabilities": 1100.0,  # 55%: the edge of the best 资产负债率 band
    "rd_expense": 30.0,  # 3% of 营业收入: the lower edge of the 3%–5% band
    "employees_avg": 80,
    "rd_staff": 10,
    "patents_invention": 1,
    "patents_utility": 3,
    "patents_design": 0,
    "software_copyrights": 0,
    "standards_led": 0,
}
PREVIOUS: dict[str, Any] = {**LATEST, "revenue": 900.0, "main_revenue": 700.0, "rd_expense": 20.0, "net_profit": 40.0}


def facts(
    enterprise: Mapping[str, Any] | None = None,
    latest: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
    *,
    before: Mapping[str, Any] | None = None,
    titles: frozenset[str] = frozenset(),
) -> Facts:
    annual = {2023: {**LATEST, **(latest or {})}, 2022: {**PREVIOUS, **(previous or {})}}
    if before is not None:
        annual[2021] = {**PREVIOUS, **before}
    return Facts(1, "浙江青田瓯江阀门有限公司", 2023, {**ENTERPRISE, **(enterprise or {})}, annual, titles, as_of=TODAY)


def criteria(ctx: AppContext, code: str) -> Criteria:
    with ctx.sessions() as session:
        info = get_rule_set(session, code)
    assert info.criteria is not None, info.problem
    return info.criteria


def row(result: CheckResult, label: str) -> Any:
    return next(item for item in result.conditions if item.label == label)


# --- 创新型中小企业: a hand-computed example and every band boundary -----------------------------------


def test_innovative_example_scored_by_hand(ctx: AppContext) -> None:
    result = evaluate(criteria(ctx, "CXX_SME"), facts())
    # 创新能力: invention patent → Ⅰ类 10 + R&D 3% → 15 = 25 (≥ 20)
    # 成长性: 主营业务收入 700 → 800 = +14.29% → 15, 资产负债率 55% → 10 = 25 (≥ 15)
    # 专业化: 重点领域 not recorded → 5, 主营业务收入占比 80% → 20 = 25 (≥ 15)
    assert [(group.name, group.points) for group in result.groups] == [("创新能力", 25), ("成长性", 25), ("专业化", 25)]
    assert result.total == 75 and result.total_max == 100
    assert result.verdict == "符合"
    assert result.summary == "评价得分 75 分（≥ 60），各组均达最低分"
    rd = row(result, "上年度研发费用总额占营业收入总额比重")
    assert rd.text == "研发费用占比 3%，得 15 分（3%–5% 档，满分 20）；达到 5% 可得 20 分"
    assert (rd.status, rd.points) == ("部分得分", 15)
    debt = row(result, "上年度资产负债率")
    assert (debt.status, debt.text) == ("满分", "资产负债率 55%，得 10 分（≤ 55% 档，满分 10）")
    growth = row(result, "上年度主营业务收入增长率")
    assert growth.text.startswith("主营业务收入增长率 14.29%，得 15 分（10%–15% 档")
    field = row(result, "主导产品所属领域")
    assert (field.status, field.points) == ("缺少数据", 5)
    assert "系统未记录" in field.text
    # The direct routes are not met (市级 is below 省级) or cannot be known: listed, not failed.
    route = row(result, "拥有经认定的省部级以上研发机构")
    assert (route.status, route.tone, route.text) == ("未通过", "neutral", "研发机构级别 市级，要求 省级及以上")
    assert "省级以上科技奖励（系统未记录，请人工核实）" in result.missing


# (indicator, the annual figures giving exactly the value, expected points) — from the policy's table.
RD = [(0.99, 0), (1, 5), (1.99, 5), (2, 10), (3, 15), (4.99, 15), (5, 20)]
GROWTH = [(-0.01, 0), (0, 5), (4.99, 5), (5, 10), (10, 15), (15, 20)]
DEBT = [(0, 10), (55, 10), (55.01, 5), (75, 5), (75.01, 0)]
SHARE = [(49.99, 0), (50, 5), (55, 10), (60, 15), (69.99, 15), (70, 20), (100, 20)]


@pytest.mark.parametrize(("value", "points"), RD)
def test_innovative_rd_bands_take_the_higher_band_on_the_edge(ctx: AppContext, value: float, points: int) -> None:
    result = evaluate(criteria(ctx, "CXX_SME"), facts(latest={"revenue": 10000.0, "rd_expense": value * 100}))
    assert row(result, "上年度研发费用总额占营业收入总额比重").points == points


@pytest.mark.parametrize(("value", "points"), GROWTH)
def test_innovative_growth_bands(ctx: AppContext, value: float, points: int) -> None:
    result = evaluate(
        criteria(ctx, "CXX_SME"),
        facts(latest={"main_revenue": 10000.0 + value * 100}, previous={"main_revenue": 10000.0}),
    )
    assert row(result, "上年度主营业务收入增长率").points == points


@pytest.mark.parametrize(("value", "points"), DEBT)
def test_innovative_debt_bands(ctx: AppContext, value: float, points: int) -> None:
    result = evaluate(
        criteria(ctx, "CXX_SME"), facts(latest={"total_assets": 10000.0, "total_liabilities": value * 100})
    )
    assert row(result, "上年度资产负债率").points == points


@pytest.mark.parametrize(("value", "points"), SHARE)
def test_innovative_main_share_bands(ctx: AppContext, value: float, points: int) -> None:
    result = evaluate(criteria(ctx, "CXX_SME"), facts(latest={"revenue": 10000.0, "main_revenue": value * 100}))
    assert row(result, "上年度主营业务收入占营业收入比重").points == points


@pytest.mark.parametrize(
    ("patents", "points"),
    [
        ({"patents_invention": 0, "patents_utility": 0, "patents_design": 0, "software_copyrights": 0}, 0),
        ({"patents_invention": 0, "patents_utility": 0, "patents_design": 0, "software_copyrights": 1}, 5),
        ({"patents_invention": 2, "patents_utility": 0}, 10),
    ],
)
def test_innovative_ip_classes(ctx: AppContext, patents: dict[str, int], points: int) -> None:
    result = evaluate(criteria(ctx, "CXX_SME"), facts(latest=patents))
    assert row(result, "与主导产品相关的有效知识产权").points == points


def test_every_innovative_band_edge_is_covered_above() -> None:
    """The parametrised cases above hit every edge the seeded 创新型 bands have."""
    import json

    from zjtx_desktop.paths import seeds_path

    data = json.loads((seeds_path() / "rules" / "criteria.json").read_text(encoding="utf-8"))
    definition = next(item["definition"] for item in data["rule_sets"] if item["code"] == "CXX_SME")
    tested = {"rd_ratio": RD, "main_revenue_growth": GROWTH, "debt_ratio": DEBT, "main_share": SHARE}
    for group in definition["groups"]:
        for rule in group["rules"]:
            if rule["indicator"] not in tested:
                continue
            edges = {edge for band in rule["bands"] for edge in (band.get("min"), band.get("max")) if edge is not None}
            assert edges <= {value for value, _ in tested[rule["indicator"]]}, rule["label"]


def test_a_direct_route_qualifies_whatever_the_score(ctx: AppContext) -> None:
    weak = {"rd_expense": 0.0, "main_revenue": 400.0, "total_liabilities": 1900.0}
    assert evaluate(criteria(ctx, "CXX_SME"), facts(latest=weak)).verdict == "不符合"
    result = evaluate(criteria(ctx, "CXX_SME"), facts({"rd_institution_level": "省级"}, latest=weak))
    assert result.verdict == "符合"
    assert result.summary == "满足直接认定条件“拥有经认定的省部级以上研发机构”"


def test_a_large_enterprise_is_not_an_sme(ctx: AppContext) -> None:
    result = evaluate(criteria(ctx, "CXX_SME"), facts({"size_class": "大型", "rd_institution_level": "省级"}))
    assert result.verdict == "不符合"
    assert row(result, "属于中小企业").text == "是否中小企业 否，要求 是"


# --- 专精特新中小企业: a failed requirement, with the gap in words ------------------------------------


def test_specialised_requirement_fails_with_the_gap_in_words(ctx: AppContext) -> None:
    strong = {"rd_expense": 21.0, "revenue": 1000.0, "main_revenue": 950.0, "net_profit": 120.0}
    result = evaluate(
        criteria(ctx, "ZJTX_SME"),
        facts(
            latest=strong,
            previous={"main_revenue": 850.0},
            before={"main_revenue": 760.0},
            titles=frozenset({"CXX_SME"}),
        ),
    )
    assert result.verdict == "不符合"
    ratio = row(result, "上年度研发费用占营业收入比重 3% 以上")
    assert (ratio.status, ratio.tone) == ("未通过", "bad")
    assert ratio.text == "研发费用占比 2.1%，要求 ≥ 3%，差 0.9 个百分点"
    amount = row(result, "上年度研发费用总额 100 万元以上")
    assert amount.text == "研发费用 21万元，要求 ≥ 100万元，差 79万元"
    assert row(result, "已是创新型中小企业").text == "已列入创新型中小企业"
    assert result.summary.startswith("研发费用 21万元，要求 ≥ 100万元，差 79万元；研发费用占比 2.1%")
    # The score is still worked out and shown: 专业化 5 + 10 + 4 + 0, …
    assert result.groups[0].name == "专业化" and result.groups[0].points == 19


def test_specialised_needs_the_innovative_title(ctx: AppContext) -> None:
    result = evaluate(criteria(ctx, "ZJTX_SME"), facts())
    title = row(result, "已是创新型中小企业")
    assert (title.status, title.text) == ("未通过", "尚未列入创新型中小企业")


def test_best_of_rd_amount_or_ratio(ctx: AppContext) -> None:
    # 研发费用 450万元 → 8 points; 4.5% of 10000万元 → 4 points: the higher counts.
    result = evaluate(criteria(ctx, "ZJTX_SME"), facts(latest={"revenue": 10000.0, "rd_expense": 450.0}))
    rule = row(result, "上年度研发费用投入（总额或占比，取高者）")
    assert rule.points == 8
    assert rule.text.endswith("取高者 8 分（满分 10）")


# --- missing data ----------------------------------------------------------------------------------


def test_missing_data_is_listed_and_can_make_the_verdict_incomplete(ctx: AppContext) -> None:
    partial = Facts(
        2,
        "丽水缺数机械有限公司",
        2023,
        {**ENTERPRISE, "size_class": None, "employees": None},
        {2023: {**LATEST, "total_liabilities": None}},
        as_of=TODAY,
    )
    result = evaluate(criteria(ctx, "CXX_SME"), partial)
    assert result.verdict == "数据不全"
    # 企业规模 is empty, but 营业收入 below 4 亿元 settles that it is an SME: not missing.
    assert result.missing == (
        "2022年度监测数据",
        "2023年负债总额",
        "省级以上科技奖励（系统未记录，请人工核实）",
        "高新技术企业等荣誉（系统未记录，请人工核实）",
        "新增股权融资（系统未记录，请人工核实）",
        "主导产品属重点领域（系统未记录，请人工核实）",
    )
    assert result.summary.startswith("补齐数据后可能符合：缺少")
    growth = row(result, "上年度主营业务收入增长率")
    assert (growth.status, growth.points) == ("缺少数据", 0)
    assert growth.text == "主营业务收入增长率：缺少2022年度监测数据，计 0 分（满分 20）"


def test_nothing_recorded_cannot_qualify_even_if_filled_in(ctx: AppContext) -> None:
    """A firm whose recorded figures fail stays 不符合 although the unrecorded routes are unknown."""
    result = evaluate(criteria(ctx, "CXX_SME"), facts(latest={"rd_expense": 0.0, "main_revenue": 400.0}))
    assert result.verdict == "不符合"
    assert "创新能力" in result.summary or "评价得分" in result.summary


def test_growth_over_a_loss_cannot_be_computed(ctx: AppContext) -> None:
    result = evaluate(criteria(ctx, "YXGJ_PROV"), facts(previous={"net_profit": -20.0}))
    item = row(result, "上年度净利润增长率 10% 以上")
    assert item.status == "未通过"
    assert item.text == "净利润增长率：2022年净利润不大于 0，无法计算增长率，要求 ≥ 10%"


# --- rule sets in the database: edits, new sets, validation -----------------------------------------


def _path_of(info_definition: Mapping[str, Any], label: str) -> tuple[Any, ...]:
    for number, node in enumerate(info_definition["requirements"]):
        if node.get("label") == label:
            return ("requirements", number)
    raise AssertionError(label)


def test_editing_a_threshold_changes_the_outcome(ctx: AppContext) -> None:
    label = "上年度研发费用占营业收入比重 3% 以上"
    subject = facts(latest={"rd_expense": 21.0}, titles=frozenset({"CXX_SME"}))
    with transaction(ctx.sessions) as session:
        info = get_rule_set(session, "ZJTX_SME")
        assert row(check(subject, info), label).status == "未通过"
        path = _path_of(info.definition, label)
        saved = save_rule_set(
            session, "测试员", "ZJTX_SME", with_threshold(info.definition, path, ">=", 2), info.version, year=2022
        )
    assert saved.version == info.version + 1
    assert node_at(saved.definition, path)["threshold"] == {"op": ">=", "value": 2}
    assert row(check(subject, saved), label).text == "研发费用占比 2.1%，要求 ≥ 2%"
    with ctx.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "rule_set")).one()
        assert entry.action == "update" and entry.before is not None and entry.after is not None
        assert set(entry.after) == {"definition"}
        # Seeding again leaves the bureau's edit alone.
        from zjtx_desktop.seeds import seed_reference_data

        seed_reference_data(session)
        assert get_rule_set(session, "ZJTX_SME").version == saved.version


def test_editing_band_points_changes_the_score(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        info = get_rule_set(session, "CXX_SME")
        path = ("groups", 0, "rules", 1)
        bands = [dict(band) for band in node_at(info.definition, path)["bands"]]
        bands[3]["points"] = 18  # 3%–5%: 15 → 18
        saved = save_rule_set(session, "测试员", "CXX_SME", with_bands(info.definition, path, bands), info.version)
    result = check(facts(), saved)
    assert row(result, "上年度研发费用总额占营业收入总额比重").points == 18
    assert result.total == 78


def test_a_stale_version_is_refused(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        info = get_rule_set(session, "XJR")
        save_rule_set(session, "甲", "XJR", info.definition, info.version, note="第一次修改")
    with pytest.raises(VersionConflict), transaction(ctx.sessions) as session:
        save_rule_set(session, "乙", "XJR", info.definition, info.version, note="第二次修改")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda bands: bands[2].__setitem__("min", 1.5),
            "第3档：下限 1.5 小于上一档上限 2，档位重叠（应从低到高排列）",
        ),
        (lambda bands: bands[2].__setitem__("min", 2.5), "第3档：下限 2.5 与上一档上限 2 之间有空档"),
        (lambda bands: bands[4].__setitem__("points", 45), "第5档：分值 45 超过所在分组满分 40"),
        (lambda bands: bands[1].__setitem__("points", -1), "第2档：分值不能为负数"),
    ],
)
def test_bad_bands_are_refused_and_nothing_changes(ctx: AppContext, change: Any, message: str) -> None:
    with ctx.sessions() as session:
        info = get_rule_set(session, "CXX_SME")
    path = ("groups", 0, "rules", 1)
    bands = [dict(band) for band in node_at(info.definition, path)["bands"]]
    change(bands)
    with pytest.raises(ValidationFailed) as failure, transaction(ctx.sessions) as session:
        save_rule_set(session, "测试员", "CXX_SME", with_bands(info.definition, path, bands), info.version)
    assert message in str(failure.value)
    with ctx.sessions() as session:
        assert get_rule_set(session, "CXX_SME").version == info.version


def test_validation_names_unknown_indicators_and_programs() -> None:
    definition = {
        "program": "NOPE",
        "requirements": [{"label": "营收", "indicator": "turnover", "threshold": {"op": ">=", "value": 1}}],
        "groups": [
            {
                "name": "创新能力",
                "max": 10,
                "min": 12,
                "rules": [{"indicator": "rd_ratio", "bands": [{"max": 3, "points": 6}, {"min": 3, "points": 12}]}],
            }
        ],
    }
    problems = validate_definition(definition, programs={"CXX_SME"})
    assert "推荐层级：未知的培育层级“NOPE”" in problems
    assert "基本条件第1条“营收”：未知的指标“turnover”" in problems
    assert "分组“创新能力”：最低分 12 超过满分 10" in problems
    assert "分组“创新能力”：各项最高分合计 12 分，超过分组满分 10 分" in problems
    assert "总分要求：有评分分组时应填写不小于 0 的总分要求" in problems


def test_a_new_rule_set_by_copying(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        source = get_rule_set(session, "CXX_SME")
        copied = copy_rule_set(
            session, "测试员", source.id, code="CXX_SME", name="创新型中小企业评价标准（2025）", year=2025
        )
    assert (copied.code, copied.year, copied.version) == ("CXX_SME", 2025, 1)
    assert copied.definition == source.definition
    with ctx.sessions() as session:
        # The newest year of a code is the one screening uses.
        assert get_rule_set(session, "CXX_SME").id == copied.id
        assert [info.year for info in list_rule_sets(session) if info.code == "CXX_SME"] == [2025, 2022]
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "create")).one().entity == "rule_set"
    with (
        pytest.raises(ValidationFailed, match="已有代码为 CXX_SME、年份为 2025 的规则集"),
        transaction(ctx.sessions) as session,
    ):
        copy_rule_set(session, "测试员", source.id, code="CXX_SME", name="重复", year=2025)
    with pytest.raises(ValidationFailed, match="代码应以字母开头"), transaction(ctx.sessions) as session:
        copy_rule_set(session, "测试员", source.id, code="2025版", name="青田试行", year=2025)


def test_a_county_installation_cannot_change_rule_sets(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        configure_installation(session, "331121", None, "2024-01-02T03:04:05")
    with pytest.raises(PermissionDenied), transaction(ctx.sessions) as session:
        info = get_rule_set(session, "CXX_SME")
        save_rule_set(session, "测试员", "CXX_SME", info.definition, info.version)


def test_seeded_rule_sets_are_valid_and_say_what_is_unconfirmed(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        infos = list_rule_sets(session)
        assert session.scalars(select(RuleSet.code).where(RuleSet.kind == "criteria")).all()
    assert [info.code for info in infos] == ["CXX_SME", "ZJTX_SME", "XJR", "ZJTX_POOL", "YXGJ_PROV"]
    for info in infos:
        assert info.criteria is not None, info.problem
        assert rule_rows(info.criteria), info.code
    notes = {info.code: info.note for info in infos}
    assert "[unconfirmed]" in notes["ZJTX_SME"]  # 浙江省特色化指标
    assert "[unconfirmed]" in notes["ZJTX_POOL"]  # 2017—2019 培育库门槛


def test_indicators_declare_every_annual_column_they_read() -> None:
    """Screening reads only the declared columns: an indicator reading more would see them as missing."""

    class Recording(dict[str, Any]):
        def __init__(self, log: set[tuple[str, int]], back: int) -> None:
            super().__init__({column: None for column in ANNUAL_COLUMNS})
            self.log, self.back = log, back

        def get(self, key: str, default: Any = None) -> Any:
            self.log.add((key, self.back))
            return super().get(key, default)

    for indicator in INDICATORS.values():
        if indicator.read is None:
            continue
        log: set[tuple[str, int]] = set()
        annual = {2023 - back: Recording(log, back) for back in range(3)}
        indicator.read(Reader(Facts(1, "测试", 2023, {}, annual, as_of=TODAY)))
        assert {column for column, _ in log} <= set(indicator.needs), indicator.code
        assert max((back for _, back in log), default=-1) < indicator.years, indicator.code


# --- 推荐名单 ---------------------------------------------------------------------------------------


def _firm(session: Session, region: str, name: str, **annual: Any) -> Enterprise:
    n = next(_serial)
    enterprise = Enterprise(
        uscc=uscc.make("9", "1", region, f"MA2D{n:04d}"), name=name, region_code=region, **ENTERPRISE
    )
    session.add(enterprise)
    session.flush()
    session.add(AnnualReport(enterprise_id=enterprise.id, year=2023, **{**LATEST, **annual}))
    session.add(AnnualReport(enterprise_id=enterprise.id, year=2022, **PREVIOUS))
    session.flush()
    return enterprise


def test_candidates_exclude_holders_and_respect_the_scope(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        ready = _firm(session, "331121", "浙江青田瓯江阀门有限公司")
        holder = _firm(session, "331121", "青田县石门洞阀门有限公司")
        upgraded = _firm(session, "331121", "青田县温溪管业有限公司")
        weak = _firm(session, "331121", "青田县船寮五金厂", rd_expense=0.0, main_revenue=400.0)
        elsewhere = _firm(session, "331102", "丽水莲都精密机械有限公司")
        exited = _firm(session, "331121", "青田县海口阀门有限公司")
        recycled = _firm(session, "331121", "青田县章村机械有限公司")
        recycled.deleted_at = dt.datetime(2024, 1, 1)
        session.add_all(
            [
                Cultivation(enterprise_id=holder.id, program_code="CXX_SME", year=2022, status="已认定"),
                # A firm that holds a higher tier is no candidate for the lower one.
                Cultivation(enterprise_id=upgraded.id, program_code="ZJTX_SME", year=2023),
                Cultivation(enterprise_id=exited.id, program_code="CXX_SME", year=2022, status="已退出"),
            ]
        )
    with ctx.sessions() as session:
        found = candidates(session, "CXX_SME", ["331121"], today=TODAY)
        city = screen(session, "CXX_SME", None, today=TODAY)
    assert [c.enterprise_id for c in found] == [ready.id, exited.id]
    first = found[0]
    assert (first.unit, first.total, first.verdict) == ("青田县", 75, "符合")
    assert (first.revenue, first.rd_ratio, first.debt_ratio) == (1000, 3, 55)
    assert first.growth == pytest.approx(14.2857, abs=1e-4)
    assert first.summary == "评价得分 75 分（≥ 60），各组均达最低分"
    assert weak.id not in {c.enterprise_id for c in city.candidates}
    assert elsewhere.id in {c.enterprise_id for c in city.candidates}
    assert city.year == 2023 and city.qualified == 3 and city.screened == 4


def test_candidates_for_a_tier_that_builds_on_another(ctx: AppContext) -> None:
    strong = {"revenue": 3000.0, "main_revenue": 2850.0, "net_profit": 330.0, "rd_expense": 300.0}
    with transaction(ctx.sessions) as session:
        innovative = _firm(session, "331121", "浙江青田瓯江阀门有限公司", **strong)
        for report in session.scalars(select(AnnualReport).where(AnnualReport.enterprise_id == innovative.id)):
            if report.year == 2022:
                report.main_revenue = 2400.0
        session.add(AnnualReport(enterprise_id=innovative.id, year=2021, **{**PREVIOUS, "main_revenue": 2000.0}))
        plain = _firm(session, "331121", "青田县温溪管业有限公司", **strong)
        session.add(Cultivation(enterprise_id=innovative.id, program_code="CXX_SME", year=2022, status="已认定"))
    with ctx.sessions() as session:
        result = screen(session, "ZJTX_SME", ["331121"], today=TODAY)
        explained = check(session, "ZJTX_SME", innovative.id, today=TODAY)
    # Only holders of 创新型中小企业 are looked at for 专精特新中小企业.
    assert result.screened == 1
    assert [c.enterprise_id for c in result.candidates] == [innovative.id]
    # 专业化 5 + 10 + 4 + 0, 精细化 2.5 + 5 + 10 + 3, 特色化 0, 创新能力 6 + 10 + 3 + 4
    assert [group.points for group in explained.groups] == [19, 20.5, 0, 23]
    assert (explained.total, explained.verdict, explained.year) == (62.5, "符合", 2023)
    assert result.candidates[0].total == 62.5
    assert plain.id not in {c.enterprise_id for c in result.candidates}
