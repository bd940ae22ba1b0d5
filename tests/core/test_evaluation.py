"""县域综合评价: normalisation, weights, ties and laggards worked out by hand, the SQL figures on hand-made
units, and the printed ranking."""

from __future__ import annotations

import datetime as dt
from itertools import count
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.context import AppContext
from zjtx_desktop.database import transaction
from zjtx_desktop.errors import UserError
from zjtx_desktop.evaluation import (
    Scheme,
    UnitFigures,
    UnitScore,
    evaluate,
    laggards,
    load_scheme,
    normalise,
    score_units,
)
from zjtx_desktop.models import AnnualReport, Cultivation, Enterprise
from zjtx_desktop.reports.catalog import generate_report
from zjtx_desktop.reports.request import ReportRequest

# Two indicators, A weighing twice B; three units; Y has no B figure.
TWO = {"indicators": [{"code": "entries", "name": "A", "weight": 2}, {"code": "nc_rate", "name": "B", "weight": 1}]}
FIGURES = [
    UnitFigures("X", "甲", {"entries": 50, "nc_rate": 10}),
    UnitFigures("Y", "乙", {"entries": 100, "nc_rate": None}),
    UnitFigures("Z", "丙", {"entries": 25, "nc_rate": 10}),
]


def scored(scheme: Scheme) -> dict[str, UnitScore]:
    return {unit.unit_code: unit for unit in score_units(FIGURES, scheme)}


def test_best_unit_scores_100_and_weights_average_the_scores() -> None:
    units = scored(load_scheme(TWO))
    # A: 50/100, 100/100, 25/100 → 50, 100, 25. B: 10/10 → 100; Y has no figure → 0.
    assert [s.score for s in units["X"].scores] == [50, 100]
    assert [s.score for s in units["Y"].scores] == [100, 0]
    assert [s.score for s in units["Z"].scores] == [25, 100]
    # (2×50 + 100) / 3 = 66.67 = (2×100 + 0) / 3: X and Y share first place; Z (2×25 + 100) / 3 = 50 is third.
    assert (units["X"].composite, units["Y"].composite, units["Z"].composite) == (66.67, 66.67, 50.0)
    assert (units["X"].rank, units["Y"].rank, units["Z"].rank) == (1, 1, 3)
    assert units["Y"].scores[1].value is None  # the raw value stays "no data"


def test_min_max_normalisation() -> None:
    units = scored(load_scheme({**TWO, "normalisation": "minmax"}))
    # A: (50−25)/(100−25) = 33.3, 100, 0. B: X and Z equal → both 100; Y no data → 0.
    assert round(units["X"].scores[0].score, 2) == 33.33
    assert [s.score for s in units["Z"].scores] == [0, 100]
    assert [s.score for s in units["Y"].scores] == [100, 0]
    # X (2×33.33 + 100)/3 = 55.56; Y 66.67; Z 33.33.
    assert [
        (u.unit_code, u.composite, u.rank)
        for u in score_units(FIGURES, load_scheme({**TWO, "normalisation": "minmax"}))
    ] == [
        ("Y", 66.67, 1),
        ("X", 55.56, 2),
        ("Z", 33.33, 3),
    ]


def test_normalise_edge_cases() -> None:
    assert normalise({"a": 0.0, "b": 0.0}) == {"a": 0.0, "b": 0.0}  # no best to compare with
    assert normalise({"a": None, "b": None}) == {"a": 0.0, "b": 0.0}
    assert normalise({"a": -5.0, "b": 10.0}) == {"a": 0.0, "b": 100.0}  # never below 0
    assert normalise({"a": 3.0, "b": 3.0, "c": None}, "minmax") == {"a": 100.0, "b": 100.0, "c": 0.0}


def _ranked(*composites: float) -> list[UnitScore]:
    ranked: list[UnitScore] = []
    for place, composite in enumerate(composites, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].composite == composite else place
        ranked.append(UnitScore(f"U{place}", f"单位{place}", (), composite, rank))
    return ranked


def test_laggards_are_the_last_places_with_ties_and_never_the_leader() -> None:
    assert [u.unit_code for u in laggards(_ranked(80, 60, 50, 40), 2)] == ["U3", "U4"]
    assert [u.unit_code for u in laggards(_ranked(80, 60, 40, 40), 1)] == ["U3", "U4"]  # tied for last
    assert [u.unit_code for u in laggards(_ranked(80, 40, 40, 30), 2)] == ["U2", "U3", "U4"]
    assert laggards(_ranked(50, 50, 50), 1) == []  # everyone equal: nobody lags
    assert laggards(_ranked(90), 1) == []
    assert laggards(_ranked(90, 10), 0) == []


def test_the_shipped_scheme_and_bad_schemes() -> None:
    scheme = load_scheme()
    assert scheme.total_weight == 100 and scheme.normalisation == "best" and scheme.laggards == 3
    assert [i.code for i in scheme.indicators][:2] == ["target_rate", "entries"]
    assert all(item.definition for item in scheme.indicators)
    with pytest.raises(UserError, match="不认识"):
        load_scheme({"indicators": [{"code": "profit", "name": "利润", "weight": 1}]})
    with pytest.raises(UserError, match="权重"):
        load_scheme({"indicators": [{"code": "entries", "name": "入库", "weight": 0}]})
    with pytest.raises(UserError, match="换算方法"):
        load_scheme({**TWO, "normalisation": "zscore"})
    with pytest.raises(UserError, match="格式"):
        load_scheme({"indicators": [{"code": "entries"}]})


# --- figures from the database ------------------------------------------------------------------

_serial = count(1)
LIANDU, QINGTIAN, JINYUN = "331102", "331121", "331122"


def _firm(
    session: Session,
    region: str,
    entries: list[tuple[str, int]],
    *,
    trademark: bool | None = None,
    exited_on: dt.date | None = None,
    figures: dict[str, float] | None = None,
) -> None:
    n = next(_serial)
    firm = Enterprise(
        uscc=uscc.make("9", "1", region, f"MA2E{n:04d}"),
        name=f"丽水评价{n}号机械有限公司",
        region_code=region,
        own_trademark=trademark,
    )
    session.add(firm)
    session.flush()
    for program, year in entries:
        status = "已退出" if exited_on else "培育中"
        session.add(
            Cultivation(enterprise_id=firm.id, program_code=program, year=year, status=status, exited_on=exited_on)
        )
    if figures is not None:
        session.add(AnnualReport(enterprise_id=firm.id, year=2019, **figures))
    session.flush()


def _three_units(session: Session) -> None:
    """莲都: two firms entered 2019 with full figures. 青田: one firm entering two programs in 2019.
    缙云: one firm entered 2018 and exited mid-2019, one entered 2019 with no figures at all."""
    pool, champion = "ZJTX_POOL", "YXGJ_PROV_POOL"
    figures = {"tax_paid": 100, "land_area": 10, "nc_rate": 60, "rd_expense": 30, "main_revenue": 1000}
    _firm(session, LIANDU, [(pool, 2019)], trademark=True, figures=figures)
    figures = {"tax_paid": 50, "land_area": 5, "nc_rate": 40, "rd_expense": 10, "main_revenue": 1000}
    _firm(session, LIANDU, [(pool, 2019)], trademark=False, figures=figures)
    figures = {"tax_paid": 300, "land_area": 10, "nc_rate": 50, "rd_expense": 50, "main_revenue": 1000}
    _firm(session, QINGTIAN, [(pool, 2019), (champion, 2019)], trademark=True, figures=figures)
    _firm(session, JINYUN, [(pool, 2018)], trademark=True, exited_on=dt.date(2019, 6, 30))
    _firm(session, JINYUN, [(pool, 2019)])


def test_figures_scores_and_ranks_on_three_units(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        _three_units(session)
        result = evaluate(session, 2019, unit_codes=[LIANDU, QINGTIAN, JINYUN])
    raw = {u.unit: {s.code: s.value for s in u.scores} for u in result.ranked}
    # Targets 2017–2020 (annex): pool 80 / 150 / 150, provincial champions 2 / 3 / 3 — mean of the two rates.
    assert raw["莲都区"]["target_rate"] == pytest.approx((2 / 80 + 0 / 2) / 2 * 100)  # 1.25
    assert raw["青田县"]["target_rate"] == pytest.approx((1 / 150 + 1 / 3) / 2 * 100)  # 17.0
    # 缙云: the exited firm still counts for the target (intake), but is not in the pool at the year's end.
    assert raw["缙云县"]["target_rate"] == pytest.approx((2 / 150) / 2 * 100)
    assert [raw[u]["entries"] for u in ("莲都区", "青田县", "缙云县")] == [2, 1, 1]  # 青田's firm counts once
    assert [raw[u]["trademark_share"] for u in ("莲都区", "青田县", "缙云县")] == [50, 100, 0]
    assert raw["莲都区"]["nc_rate"] == 50 and raw["莲都区"]["tax_per_mu"] == 10 and raw["莲都区"]["rd_intensity"] == 2
    assert raw["青田县"]["tax_per_mu"] == 30 and raw["青田县"]["rd_intensity"] == 5
    # No figure filed: no data, and 0 points for it.
    jinyun = next(u for u in result.ranked if u.unit == "缙云县")
    assert all(
        s.value is None and s.score == 0 for s in jinyun.scores if s.code in ("nc_rate", "tax_per_mu", "rd_intensity")
    )
    # 青田 leads every indicator but entries (1 of 2 → 50): (30×100 + 15×50 + 10×100 + 15×100 + 15×100 + 15×100) / 100.
    # 莲都: target 1.25/17 → 7.35; nc 100; tax 10/30 → 33.3; rd 2/5 → 40; trademark 50; entries 100.
    # 缙云: target 0.667/17 → 3.92; entries 50; the rest 0.
    assert [(u.unit, u.composite, u.rank) for u in result.ranked] == [
        ("青田县", 92.5, 1),
        ("莲都区", 48.21, 2),
        ("缙云县", 8.68, 3),
    ]
    # The shipped scheme names the last three places, but never the leader.
    assert [u.unit for u in result.laggards] == ["莲都区", "缙云县"]
    assert result.progress.current  # 2017–2020 contains 2019


def test_without_a_target_period_the_target_indicator_has_no_data(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        _three_units(session)
        result = evaluate(session, 2023, unit_codes=[LIANDU, QINGTIAN, JINYUN])
    # The annex periods ended in 2020: nothing judges 2023 against them.
    assert all(u.scores[0].code == "target_rate" and u.scores[0].value is None for u in result.ranked)
    assert "没有包含2023年的目标期间" in result.progress.explanation


def test_the_printed_ranking_names_the_laggards(ctx: AppContext, tmp_path: Path) -> None:
    out = tmp_path / "evaluation.pdf"
    with transaction(ctx.sessions) as session:
        _three_units(session)
        generate_report(session, ReportRequest("evaluation", year=2019, today=dt.date(2020, 3, 1)), out)
    reader = PdfReader(out)
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)  # landscape A4
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert "2019年度县域“专精特新”发展综合评价" in text
    assert "综合得分第一的是青田县（92.50 分）" in text
    # Seven units have no data at all: 0 points, tied last — the laggards; 缙云 (third) is not among them.
    laggard_part = text[text.index("排名靠后的单位：") : text.index("请上述单位")]
    assert "景宁畲族自治县（第 4 名，0.00 分" in laggard_part and "缙云县" not in laggard_part
    assert "权重" in text and "原值 ÷ 参评单位中的最好值 × 100" in text
