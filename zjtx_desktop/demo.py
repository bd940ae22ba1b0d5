"""Deterministic, realistic demo data for Lishui: enterprises, cultivation entries, annual monitoring, help visits."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.database import refresh_statistics
from zjtx_desktop.errors import UserError
from zjtx_desktop.models import AnnualReport, Base, Cultivation, Enterprise, HelpVisit, Program, Region, Target
from zjtx_desktop.search_text import enterprise_search_text, name_initials

ProgressCallback = Callable[[int, int, str], None]

# Everything is dated relative to this fixed day, never to the clock, so two runs give identical rows.
DEMO_TODAY = dt.date(2025, 9, 30)
REPORT_YEARS = (2019, 2020, 2021, 2022, 2023)
# At this many enterprises a city-wide demo resembles Lishui's own pools: annex targets 40–70% met.
CITY_SCALE = 2000
# DESIGN §7 province scale: 120,000 cultivation rows for 100,000 enterprises.
CULTIVATIONS_PER_ENTERPRISE = 1.2
ABOVE_SCALE_SHARE = 0.225
MAX_COUNT = 500_000
_CHUNK = 20_000

ABOVE = "规上"
BELOW = "规下"
INDIVIDUAL = "个体工业"


@dataclass(frozen=True)
class DemoSummary:
    """How many rows generate_demo() wrote."""

    enterprises: int
    cultivations: int
    annual_reports: int
    help_visits: int


# --- what each unit makes ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Cluster:
    """A line of business typical of a county: the words its firms' names use, its GB/T 4754
    division, main products and niche markets."""

    words: tuple[str, ...]
    industry: str
    products: tuple[str, ...]
    niches: tuple[str, ...]
    weight: int


@dataclass(frozen=True)
class _Unit:
    code: str
    county: str  # as written in an address after 浙江省
    local_prefixes: tuple[str, ...]  # name prefixes any firm may use; the first also names 个体 firms
    province_prefixes: tuple[str, ...]  # 浙江… prefixes, mostly taken by larger firms
    area_codes: tuple[str, ...]  # USCC positions 3–8 of firms registered here
    above_scale: int  # above-scale firms in 2019 (DOMAIN §10): where 规上 firms are
    below_weight: int  # the annex pool quota: where 规下 firms are
    export_share: float  # share of firms that export
    towns: tuple[str, ...]
    clusters: tuple[_Cluster, ...]


# code | address county | local prefixes | 浙江 prefixes | USCC areas | 规上 2019 | pool quota | exporters | towns
_UNIT_TABLE = """
331100 | 丽水市莲都区 | 丽水 丽水市 | 浙江 | 331100 | 0 | 0 | 0.10 | 白云街道 紫金街道 岩泉街道 万象街道
LSKFQ | 丽水经济技术开发区 | 丽水 丽水市 | 浙江 | 331100 331102 | 209 | 80 | 0.25 | 南明山街道 富岭街道 水阁街道
331102 | 丽水市莲都区 | 丽水市莲都区 丽水 丽水市 | 浙江 | 331102 | 55 | 80 | 0.15 | 紫金街道 联城街道 碧湖镇 老竹畲族镇 大港头镇
331181 | 龙泉市 | 龙泉市 龙泉 | 浙江龙泉 浙江 | 331181 | 87 | 110 | 0.20 | 龙渊街道 剑池街道 西街街道 塔石街道 八都镇 上垟镇
331121 | 丽水市青田县 | 青田县 青田 | 浙江青田 浙江 | 331121 | 157 | 150 | 0.45 | 鹤城街道 瓯南街道 油竹街道 温溪镇 船寮镇 海口镇
331125 | 丽水市云和县 | 云和县 云和 | 浙江云和 浙江 | 331125 | 65 | 70 | 0.55 | 浮云街道 元和街道 白龙山街道 凤凰山街道 崇头镇
331126 | 丽水市庆元县 | 庆元县 庆元 | 浙江庆元 浙江 | 331126 | 48 | 70 | 0.30 | 松源街道 屏都街道 濛洲街道 黄田镇 竹口镇
331122 | 丽水市缙云县 | 缙云县 缙云 | 浙江缙云 浙江 | 331122 | 147 | 150 | 0.30 | 五云街道 新碧街道 仙都街道 壶镇镇 新建镇 东方镇
331123 | 丽水市遂昌县 | 遂昌县 遂昌 | 浙江遂昌 浙江 | 331123 | 68 | 70 | 0.10 | 妙高街道 云峰街道 金竹镇 大柘镇 北界镇
331124 | 丽水市松阳县 | 松阳县 松阳 | 浙江松阳 浙江 | 331124 | 90 | 70 | 0.15 | 西屏街道 水南街道 望松街道 古市镇 象溪镇
331127 | 丽水市景宁畲族自治县 | 景宁畲族自治县 景宁 | 浙江景宁 浙江 | 331127 | 16 | 50 | 0.10 | 红星街道 鹤溪街道 澄照乡 东坑镇
"""

# unit | name words | division | main products | niche markets | weight
_CLUSTER_TABLE = """
331100 | 生物医药 制药 | C27 | 中成药 原料药 医用敷料 | 中成药 医用敷料 | 2
331100 | 智能装备 自动化设备 | C35 | 自动化专用设备 智能检测设备 输送设备 | 自动化专用设备 | 2
331100 | 电子科技 电子 | C39 | 电子元器件 传感器 线路板组件 | 温度传感器 | 1
LSKFQ | 新材料科技 新材料 | C26 | 功能性聚氨酯树脂 水性涂层材料 特种胶粘剂 改性塑料粒子 | 合成革用聚氨酯树脂 水性环保涂层材料 | 4
LSKFQ | 合成革 超纤材料 | C29 | 超细纤维合成革 PU合成革 汽车内饰革 | 超纤合成革 汽车内饰革 | 3
LSKFQ | 半导体 电子科技 | C39 | 功率半导体器件 芯片封装测试 LED驱动芯片 | 功率半导体封装 LED驱动芯片 | 3
LSKFQ | 精密制造 智能装备 机械制造 | C34 | 精密减速机 数控机床附件 自动化生产线 | 工业机器人减速机 自动化装配线 | 3
LSKFQ | 生物科技 药业 | C27 | 中药饮片 原料药 保健食品 | 中药饮片 特色原料药 | 1
LSKFQ | 新能源科技 电池 | C38 | 锂电池模组 储能电池 电池管理系统 | 储能电池模组 | 1
331102 | 精密机械 机械制造 机械 | C34 | 精密齿轮 传动轴 液压件 机械配件 | 小型精密传动部件 液压元件 | 4
331102 | 电子 电子科技 | C39 | 电子元器件 线路板组件 传感器 | 小家电控制板 温度传感器 | 3
331102 | 电器 电气 | C38 | 低压电器 开关插座 配电箱 | 低压配电电器 | 2
331102 | 汽车配件 汽车零部件 | C36 | 汽车制动件 汽车紧固件 车灯支架 | 汽车制动零部件 | 2
331102 | 食品 农产品开发 | C14 | 山茶油 笋干制品 糕点 | 山区特色食品 | 1
331102 | 包装印刷 印务 | C23 | 彩印包装盒 瓦楞纸箱 不干胶标签 | 食品包装印刷 | 1
331181 | 汽车空调部件 汽车空调配件 汽车空调 | C36 | 汽车空调压缩机配件 电磁离合器 压缩机缸体 冷凝器 | 汽车空调压缩机零部件 电磁离合器 | 6
331181 | 汽车零部件 汽车配件 | C36 | 汽车制动零件 转向节 精密铸件 | 汽车底盘零部件 | 2
331181 | 青瓷 瓷业 | C30 | 青瓷茶具 青瓷工艺品 日用青瓷 | 龙泉青瓷 | 2
331181 | 宝剑 刀剑 | C24 | 龙泉宝剑 工艺刀剑 户外刀具 | 传统刀剑工艺品 | 1
331181 | 竹木制品 木业 | C20 | 竹木家居用品 竹地板 木门 | 竹木家居用品 | 1
331121 | 阀门 泵阀 流体控制 | C34 | 不锈钢球阀 闸阀 截止阀 止回阀 | 不锈钢工业阀门 卫生级阀门 | 5
331121 | 鞋业 鞋材 | C19 | 男式皮鞋 休闲鞋 鞋底 | 外贸皮鞋 休闲皮鞋 | 4
331121 | 不锈钢 精密铸造 | C33 | 不锈钢铸件 管件法兰 精密铸钢件 | 不锈钢精密铸件 | 2
331121 | 石雕 工艺品 | C24 | 青田石雕 印章石 石雕摆件 | 青田石雕工艺品 | 1
331125 | 木制玩具 玩具 木玩 | C24 | 木制益智玩具 积木 过家家玩具 拼图 | 出口木制玩具 幼儿益智玩具 | 6
331125 | 木业 木制品 | C20 | 木制工艺品 木制家居用品 胶合板 | 木制家居用品 | 2
331125 | 机械 阀门 | C34 | 阀门 机械配件 水泵 | 小型阀门 | 1
331126 | 竹木制品 竹业 竹木 | C20 | 竹砧板 竹餐具 竹筷 竹制收纳盒 | 竹木厨房用品 竹制家居用品 | 5
331126 | 文具 铅笔 | C24 | 木制铅笔 彩色铅笔 木制文具 | 木制文具 | 3
331126 | 食用菌 菇业 | C13 | 香菇干品 香菇酱 食用菌制品 | 香菇深加工 | 2
331126 | 家具 家居 | C21 | 实木家具 竹木家具 | 竹木家具 | 1
331122 | 锯床 锯业 带锯床 | C34 | 金属带锯床 数控锯床 双金属带锯条 | 金属带锯床 双金属带锯条 | 4
331122 | 机床 数控机床 机械 | C34 | 数控车床 钻床 机床附件 | 小型数控机床 | 3
331122 | 厨具 炊具 厨房用品 | C33 | 不锈钢锅具 厨房刀具 不锈钢厨具 | 不锈钢厨具 | 3
331122 | 厨电 电器 | C38 | 集成灶 电饭煲 电磁炉 | 集成灶 厨房小家电 | 2
331122 | 五金工具 工具 | C33 | 手工具 电动工具配件 五金件 | 五金手工具 | 2
331122 | 户外用品 休闲用品 | C24 | 户外帐篷 休闲椅 烧烤架 | 户外休闲用品 | 1
331123 | 金属制品 五金 金属结构 | C33 | 金属结构件 五金配件 金属丝网 | 建筑五金配件 | 4
331123 | 竹炭 竹炭科技 | C20 | 竹炭 竹醋液 竹炭日用品 | 竹炭制品 | 3
331123 | 矿山机械 机械 | C35 | 矿山破碎机 筛分设备 耐磨件 | 矿山破碎筛分设备 | 2
331123 | 茶业 茶叶 | C15 | 绿茶 红茶 茶叶深加工 | 高山绿茶 | 1
331124 | 特钢 特种钢 | C31 | 不锈钢无缝管 特种合金管 精密钢管 | 不锈钢无缝钢管 锅炉用特种钢管 | 5
331124 | 不锈钢管 管业 钢管 | C31 | 不锈钢焊管 不锈钢装饰管 流体输送管 | 不锈钢焊接钢管 | 4
331124 | 茶叶机械 茶机 | C35 | 茶叶揉捻机 杀青机 茶叶烘干机 | 茶叶加工机械 | 2
331124 | 门业 金属门窗 | C33 | 钢质门 防盗门 铝合金门窗 | 钢质安全门 | 1
331127 | 茶业 茶叶 | C15 | 惠明茶 绿茶 红茶 | 惠明茶 | 3
331127 | 竹木制品 木业 | C20 | 竹木工艺品 竹制日用品 | 竹木工艺品 | 2
331127 | 电子 电子科技 | C39 | 电子元件 线束 连接器 | 电子线束 | 2
331127 | 水电设备 电气 | C38 | 小水电机组 发电机配件 控制柜 | 小水电设备 | 1
331127 | 食品 农业开发 | C14 | 畲乡特色食品 笋干 山茶油 | 畲乡特色食品 | 1
"""


def _table_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


def _parse_units() -> tuple[_Unit, ...]:
    clusters: dict[str, list[_Cluster]] = {}
    for unit, words, industry, products, niches, weight in _table_rows(_CLUSTER_TABLE):
        cluster = _Cluster(tuple(words.split()), industry, tuple(products.split()), tuple(niches.split()), int(weight))
        clusters.setdefault(unit, []).append(cluster)
    return tuple(
        _Unit(
            code, county, tuple(local.split()), tuple(provincial.split()), tuple(areas.split()), int(above),
            int(below), float(exporters), tuple(towns.split()), tuple(clusters[code]),
        )
        for code, county, local, provincial, areas, above, below, exporters, towns in _table_rows(_UNIT_TABLE)
    )  # fmt: skip


_UNITS = _parse_units()
_UNIT_BY_CODE = {unit.code: unit for unit in _UNITS}
_CITY = "331100"
_CITY_SHARE = 0.01  # the city's own firms (市本级): a few
_ABOVE_TOTAL = sum(unit.above_scale for unit in _UNITS)
_BELOW_TOTAL = sum(unit.below_weight for unit in _UNITS)


def _unit_shares() -> dict[str, float]:
    """Each unit's share of all firms: mostly where above-scale firms are (开发区 largest, 景宁
    smallest), tempered by where the annex puts below-scale firms."""
    shares = {_CITY: _CITY_SHARE}
    for unit in _UNITS:
        if unit.code != _CITY:
            blend = 0.75 * unit.above_scale / _ABOVE_TOTAL + 0.25 * unit.below_weight / _BELOW_TOTAL
            shares[unit.code] = (1 - _CITY_SHARE) * blend
    return shares


_SHARES = _unit_shares()


def _above_scale_probability(code: str) -> float:
    """Chosen so that above-scale firms follow DOMAIN §10 across units and make up ABOVE_SCALE_SHARE."""
    if code == _CITY:
        return 0.3
    return ABOVE_SCALE_SHARE * (1 - _CITY_SHARE) * _UNIT_BY_CODE[code].above_scale / _ABOVE_TOTAL / _SHARES[code]


@dataclass(frozen=True)
class _RealFirm:
    name: str
    unit: str
    industry: str
    products: tuple[str, ...]
    niche: str


# DOMAIN §12: real firms named in public sources; their codes and figures here are fictitious.
# 宇恒电池 has no county in those sources: it is placed in the development zone.
_REAL_FIRMS = tuple(
    _RealFirm(name, unit, industry, tuple(products.split()), niche)
    for name, unit, industry, products, niche in _table_rows("""
浙江锯力煌工业科技股份有限公司 | 331122 | C34 | 双金属带锯条 带锯床 锯切配件 | 双金属带锯条
浙江天喜厨电股份有限公司 | 331122 | C38 | 集成灶 电饭煲 厨房小家电 | 厨房小家电
浙江晨龙锯床股份有限公司 | 331122 | C34 | 金属带锯床 数控锯床 锯切中心 | 金属带锯床
浙江三田汽车空调压缩机有限公司 | 331181 | C36 | 汽车空调压缩机 电动压缩机 | 汽车空调压缩机
浙江创新汽车空调有限公司 | 331181 | C36 | 汽车空调压缩机 电磁离合器 | 汽车空调压缩机
浙江蓝通空调设备有限公司 | 331181 | C36 | 汽车空调压缩机 冷凝器 | 汽车空调压缩机
双枪科技股份有限公司 | 331126 | C20 | 竹砧板 竹筷 竹木餐厨具 | 竹木餐厨用品
浙江华威门业有限公司 | 331124 | C33 | 钢质门 防火门 室内门 | 钢质安全门
浙江新云木业集团有限公司 | 331125 | C24 | 木制玩具 益智积木 教具 | 出口木制玩具
浙江宇恒电池股份有限公司 | LSKFQ | C38 | 碱性电池 锌锰电池 纽扣电池 | 民用干电池
""")
)
_REAL_FIRMS_FROM = 8  # a unit with fewer demo firms gets none of the real ones

# Trade names (字号) are two characters; the real firms' own are left out so that no fake twin appears.
_TRADE_FIRST = "宏恒华金永鑫三天正中东方泰瑞盛丰隆昌顺富广汇联嘉佳康利明诚信德鸿海乐凯科力龙绿美南欧普奇荣润圣通伟祥兴旭雅亿益远长振志卓博大飞丽浙瓯松银鼎"
_TRADE_SECOND = "达力兴盛丰源泰宇昌隆通信诚和鑫发利新美嘉润瑞晟威腾翔业远越洲辉光明能特工虹凯扬峰邦佳安聚宏锦程"
_REAL_TRADE_NAMES = ("锯力", "天喜", "晨龙", "三田", "创新", "蓝通", "双枪", "华威", "新云", "宇恒")
_TRADE_NAMES = tuple(a + b for a in _TRADE_FIRST for b in _TRADE_SECOND if a != b and a + b not in _REAL_TRADE_NAMES)

# Common Lishui surnames appear more than once, so a uniform pick weights them (蓝 and 雷 for 景宁's 畲族).
_SURNAMES = "叶叶叶吴吴吴陈陈陈王王王李李周周刘刘徐徐潘潘林林季季蓝雷金金毛杨张朱胡郑何应楼项鲍留程郭黄梅邱蔡"
_GIVEN = "建国伟军华明东平志强海林斌勇丽芳敏燕红霞俊杰晓磊鹏飞超辉文良春秋新宇德荣福"
_MOBILE_PREFIXES = ("13", "15", "17", "18", "19")
_ROADS = ("工业园区", "兴业路", "创业大道", "工业路", "经济开发区", "园区路", "环城路", "科创路")
_OLD_ORG_PREFIXES = ("14", "25", "55", "66", "68", "69", "70", "72", "73", "74", "75", "76", "77", "79")
_MA_THIRD = "89ADEHJKLM"
_CERTIFICATIONS = ((None, 30), ("ISO 9001", 35), ("ISO 9001、ISO 14001", 20), ("ISO 9001、ISO 14001、ISO 45001", 15))
_RD_LEVELS = {
    ABOVE: (("无", 25), ("县级", 20), ("市级", 30), ("省级", 22), ("国家级", 3)),
    BELOW: (("无", 62), ("县级", 20), ("市级", 14), ("省级", 4)),
    INDIVIDUAL: (("无", 95), ("县级", 5)),
}
_DIGITAL_LEVELS = (("一级", 30), ("二级", 40), ("三级", 24), ("四级", 6))
# Value added per tonne of standard coal (万元/吨标煤) is far lower in steel, chemicals, ceramics.
_ENERGY_PRODUCTIVITY = {"C31": 0.35, "C26": 0.7, "C30": 0.6, "C29": 0.9, "C22": 0.6, "C17": 0.9}


# --- enterprises ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Firm:
    """What later stages need to know about a generated enterprise."""

    index: int
    unit: str
    scale: str
    registered_on: dt.date
    industry: str
    employees: int
    revenue: float  # 营业收入 of the latest report year, 万元
    main_share: float  # 主营业务收入 ÷ 营业收入
    officer: str
    exporter: bool
    entries: list[_Entry] = field(default_factory=list)
    enterprise_id: int = 0

    @property
    def registered_year(self) -> int:
        return self.registered_on.year


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    total = sum(weight for _value, weight in pairs)
    pick = rng.random() * total
    for value, weight in pairs:
        pick -= weight
        if pick < 0:
            return value
    return pairs[-1][0]


def _apportion(count: int, shares: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of count by shares: exact totals, no randomness."""
    total = sum(shares.values())
    exact = {code: count * share / total for code, share in shares.items()}
    result = {code: int(value) for code, value in exact.items()}
    rest = count - sum(result.values())
    for code in sorted(exact, key=lambda c: (result[c] - exact[c], c))[:rest]:
        result[code] += 1
    return result


def size_class(employees: int, revenue: float) -> str:
    """工信部联企业〔2011〕300号, industry: 大型 / 中型 / 小型 / 微型 from employees and revenue (万元)."""
    if employees >= 1000 and revenue >= 40000:
        return "大型"
    if employees >= 300 and revenue >= 2000:
        return "中型"
    if employees >= 20 and revenue >= 300:
        return "小型"
    return "微型"


class _People:
    """Chinese personal names and phone numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def name(self) -> str:
        rng = self.rng
        given = rng.choice(_GIVEN) if rng.random() < 0.3 else rng.choice(_GIVEN) + rng.choice(_GIVEN)
        return rng.choice(_SURNAMES) + given

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.55:
            return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**9):09d}"
        return f"0578-{rng.randrange(2_000_000, 9_000_000)}"


class _EnterpriseMaker:
    """Builds firms and their enterprise rows, keeping names and codes unique."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people = _People(rng)
        self.names: set[str] = {firm.name for firm in _REAL_FIRMS}
        self.codes: set[str] = set()
        self.rows: list[list[Any]] = []
        self.firms: list[_Firm] = []

    def officers(self, firms: int) -> list[str]:
        return [self.people.name() for _ in range(max(3, min(40, round(firms / 60))))]

    def uscc(self, unit: _Unit, scale: str, registered_on: dt.date) -> str:
        rng = self.rng
        kind = "2" if scale == INDIVIDUAL and rng.random() < 0.75 else "1"
        area = unit.area_codes[0] if len(unit.area_codes) == 1 else rng.choice(unit.area_codes)
        while True:
            if kind == "1" and registered_on < dt.date(2015, 10, 1):
                # Firms registered before the 2015 reform kept their old organization code.
                org8 = rng.choice(_OLD_ORG_PREFIXES) + f"{rng.randrange(10**6):06d}"
            else:
                org8 = "MA2" + rng.choice(_MA_THIRD) + "".join(rng.choices(uscc.ALPHABET, k=4))
            code = uscc.make("9", kind, area, org8)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def name(self, unit: _Unit, scale: str, cluster: _Cluster) -> str:
        rng = self.rng
        for attempt in range(1000):
            trade = rng.choice(_TRADE_NAMES)
            if attempt > 20:  # a crowded unit: three-character trade names are plentiful
                trade += rng.choice(_TRADE_SECOND)
            word = rng.choice(cluster.words)
            if scale == INDIVIDUAL:
                name = f"{unit.local_prefixes[0]}{trade}{word}{rng.choice(('厂', '加工厂'))}"
            else:
                provincial = rng.random() < (0.5 if scale == ABOVE else 0.1)
                prefix = rng.choice(unit.province_prefixes if provincial else unit.local_prefixes)
                suffix = "股份有限公司" if scale == ABOVE and rng.random() < 0.08 else "有限公司"
                name = f"{prefix}{trade}{word}{suffix}"
            if name not in self.names:
                self.names.add(name)
                return name
        raise UserError("演示企业数量过多，无法生成不重名的企业名称。")

    def add(self, unit: _Unit, scale: str, officers: list[str], real: _RealFirm | None = None) -> None:
        rng = self.rng
        people = self.people
        index = len(self.firms)
        cluster = _weighted(rng, [(c, c.weight) for c in unit.clusters])
        # Registration 1990–2021, more of it recent; above-scale firms are older on average.
        span = (dt.date(2021, 12, 31) - dt.date(1990, 1, 1)).days
        skew = rng.random() ** (0.8 if scale == ABOVE else 0.55)
        registered_on = dt.date(1990, 1, 1) + dt.timedelta(days=int(span * skew))
        main_share = rng.uniform(0.86, 1.0)
        if scale == ABOVE:
            revenue = math.exp(rng.gauss(math.log(7000), 0.85))
            revenue = max(revenue, 2000 / main_share * rng.uniform(1.02, 1.3))
            if real is not None:
                revenue = rng.uniform(30000, 120000)
            employees = max(30, round(revenue / (80 * math.exp(rng.gauss(0, 0.35)))))
            capital = revenue * rng.uniform(0.08, 0.4)
        elif scale == BELOW:
            revenue = math.exp(rng.gauss(math.log(520), 0.8))
            if revenue * main_share >= 2000:
                revenue = 1990 / main_share * rng.uniform(0.5, 0.99)
            revenue = max(revenue, 60.0)
            employees = max(5, min(300, round(revenue / (42 * math.exp(rng.gauss(0, 0.4))))))
            capital = max(50.0, revenue * rng.uniform(0.1, 0.8))
        else:
            revenue = min(1500.0, max(20.0, math.exp(rng.gauss(math.log(150), 0.7))))
            employees = max(2, min(40, round(revenue / (30 * math.exp(rng.gauss(0, 0.4))))))
            capital = rng.choice((5, 10, 20, 30, 50, 100))
        revenue = round(revenue, 2)
        industry = real.industry if real else cluster.industry
        products = (
            real.products if real else rng.sample(cluster.products, min(len(cluster.products), rng.randint(2, 3)))
        )
        niche = real.niche if real else rng.choice(cluster.niches)
        name = real.name if real else self.name(unit, scale, cluster)
        code = self.uscc(unit, scale, registered_on)
        officer = rng.choice(officers)
        exporter = rng.random() < unit.export_share
        firm = _Firm(
            index, unit.code, scale, registered_on, industry, employees, revenue, main_share, officer, exporter
        )
        self.firms.append(firm)

        rd_share = rng.uniform(0.05, 0.25) if scale == ABOVE else rng.uniform(0.0, 0.15)
        leading = scale == ABOVE and rng.random() < 0.4
        town = rng.choice(unit.towns)
        road = rng.choice(_ROADS)
        initials_text = name_initials(name)
        address = f"浙江省{unit.county}{town}{road}{rng.randrange(1, 300)}号"
        email = None
        if rng.random() < 0.35:
            domain = rng.choice(("163.com", "126.com", "sina.com"))
            email = f"{initials_text[:8]}{rng.randrange(1, 1000)}@{domain}"
        elif rng.random() < 0.2:
            email = f"{rng.randrange(10**7, 4 * 10**9)}@qq.com"
        # Stamps follow the data: recorded once the pools were set up, last touched at report time.
        created = dt.datetime.combine(max(registered_on, dt.date(2018, 6, 20)), dt.time(9)) + dt.timedelta(
            minutes=index % 480
        )
        updated = max(created, dt.datetime(2024, 4, 20, 10) + dt.timedelta(minutes=index % 600))
        # fmt: off
        self.rows.append([
            code, name, initials_text, enterprise_search_text(name, code, address), unit.code, registered_on,
            _nice(capital), industry, size_class(employees, revenue), scale, address,
            people.name(), people.name(), people.phone(), email, employees, round(employees * rd_share),
            "、".join(products), niche,
            round(rng.uniform(0.5, 25), 1) if leading else None, rng.randint(1, 30) if leading else None,
            scale == ABOVE and rng.random() < 0.004,
            rng.random() < (0.95 if scale == ABOVE else 0.85 if scale == BELOW else 0.5),
            rng.random() < (0.08 if scale == ABOVE else 0.01 if scale == BELOW else 0.0),
            _weighted(rng, _CERTIFICATIONS) if scale != INDIVIDUAL else None,
            _weighted(rng, _RD_LEVELS[scale]),
            _weighted(rng, _DIGITAL_LEVELS) if scale != INDIVIDUAL else None,
            officer, created, updated, 1,
        ])
        # fmt: on


_ENTERPRISE_COLUMNS = (
    "uscc", "name", "name_initials", "search_text", "region_code", "registered_on", "registered_capital", "industry_code",
    "size_class", "scale_type", "address", "legal_representative", "contact_person", "phone", "email",
    "employees", "rd_staff", "main_products", "niche_market", "market_share", "market_rank", "is_listed",
    "own_trademark", "zhejiang_made", "certifications", "rd_institution_level", "digital_level",
    "help_officer", "created_at", "updated_at", "version",
)  # fmt: skip


def _nice(value: float) -> float:
    """Registered capital as people register it: two significant figures."""
    return float(round(value, 1 - math.floor(math.log10(value))))


def _make_firms(rng: random.Random, counts: dict[str, int], progress: Callable[[int], None]) -> _EnterpriseMaker:
    maker = _EnterpriseMaker(rng)
    for unit in _UNITS:
        count = counts.get(unit.code, 0)
        if not count:
            continue
        officers = maker.officers(count)
        reals = [r for r in _REAL_FIRMS if r.unit == unit.code] if count >= _REAL_FIRMS_FROM else []
        above = _above_scale_probability(unit.code)
        for real in reals:
            maker.add(unit, ABOVE, officers, real)
        for _ in range(count - len(reals)):
            roll = rng.random()
            scale = ABOVE if roll < above else INDIVIDUAL if roll > 1 - (1 - above) * 0.15 else BELOW
            maker.add(unit, scale, officers)
            if len(maker.firms) % 2000 == 0:
                progress(len(maker.firms))
    return maker


# --- cultivation entries ----------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    program: str
    year: int
    batch: str = "第一批"
    review: bool = False  # a re-confirmation after the 3-year validity, not a new title


_POOLS = ("ZJTX_POOL", "YXGJ_CITY_POOL", "YXGJ_PROV_POOL")
# Moving to one of these later turns an entry's status into 已升级.
_HIGHER = {
    "ZJTX_POOL": ("YXGJ_CITY_POOL", "YXGJ_CITY", "YXGJ_PROV_POOL", "YXGJ_PROV", "ZJTX_SME", "XJR"),
    "YXGJ_CITY_POOL": ("YXGJ_CITY", "YXGJ_PROV_POOL", "YXGJ_PROV"),
    "YXGJ_CITY": ("YXGJ_PROV_POOL", "YXGJ_PROV"),
    "YXGJ_PROV_POOL": ("YXGJ_PROV",),
    "CXX_SME": ("ZJTX_SME", "XJR"),
    "ZJTX_SME": ("XJR",),
    "XJR": ("DXGJ",),
}
_DOCUMENT_PREFIX = {
    "ZJTX_POOL": "丽经信", "YXGJ_CITY_POOL": "丽经信", "YXGJ_CITY": "丽经信",
    "YXGJ_PROV_POOL": "浙经信企业", "YXGJ_PROV": "浙经信企业", "CXX_SME": "浙经信企业",
    "ZJTX_SME": "浙经信企业", "XJR": "工信厅企业函", "DXGJ": "工信厅联政法函",
}  # fmt: skip
_POOL_EXITS = (
    "企业注销", "企业迁出本市", "连续两年主要经济指标下滑，不再符合入库条件",
    "发生安全生产事故，取消入库资格", "企业申请退出", "被列入严重失信主体名单",
)  # fmt: skip
_TITLE_EXITS = ("有效期满未通过复核", "企业主动放弃称号", "发生重大安全、环保事故，撤销称号")
_POOL_YEARS = ((2017, 30), (2018, 24), (2019, 24), (2020, 22))  # 270 of the 900 entered in 2017
_GRADIENT_YEARS = ((2022, 40), (2023, 25), (2024, 20), (2025, 15))


def _quota_scale(x: float) -> float:
    """How quotas grow with the number of firms relative to the city scale: in proportion up to
    it, more slowly beyond, so that a moderately larger demo still leaves every target unmet."""
    return x if x <= 1 else x**0.75


def _year_after(rng: random.Random, earliest: int, latest: int) -> int:
    return rng.randint(earliest, latest) if earliest <= latest else latest


class _Cultivator:
    """Gives firms their history across the 2018 Lishui scheme and the 2022 national gradient."""

    def __init__(self, rng: random.Random, targets: dict[tuple[str, str], int]) -> None:
        self.rng = rng
        self.targets = targets

    def plan(self, firms: list[_Firm], total: int) -> None:
        rng = self.rng
        by_unit: dict[str, list[_Firm]] = {}
        for firm in firms:
            by_unit.setdefault(firm.unit, []).append(firm)
        for unit in _UNITS:
            members = by_unit.get(unit.code, [])
            if members:
                scale = _quota_scale(len(members) / (CITY_SCALE * _SHARES[unit.code]))
                self._pool(members, unit.code, scale)
                self._champions(members, unit.code, scale)
        for firm in firms:
            self._gradient(firm)
        self._innovative(firms, round(total * CULTIVATIONS_PER_ENTERPRISE))
        for firm in firms:
            firm.entries.sort(key=lambda e: (e.year, _PROGRAM_ORDER[e.program], e.review))
            for entry in firm.entries:
                if entry.year != 2017 and entry.year != 2025 and rng.random() < 0.4:
                    entry.batch = "第二批"

    def _quota(self, program: str, unit: str, scale: float, available: int, nominal: float) -> int:
        target = self.targets.get((program, unit))
        wanted = target * self.rng.uniform(0.40, 0.70) * scale if target is not None else nominal
        return max(0, min(round(wanted), int(available * 0.85)))

    def _pool(self, members: list[_Firm], unit: str, scale: float) -> None:
        """省专精特新培育库: below-scale firms, and a few that have since grown above scale."""
        rng = self.rng
        candidates = [
            f for f in members if f.registered_year <= 2019 and (f.scale != ABOVE or f.registered_year <= 2016)
        ]
        quota = self._quota("ZJTX_POOL", unit, scale, len(candidates), 0.3 * len(candidates))
        chosen = rng.sample(candidates, quota)
        for firm in chosen:
            year = _weighted(rng, _POOL_YEARS)
            firm.entries.append(_Entry("ZJTX_POOL", max(year, firm.registered_year + 1)))
        taken = {firm.index for firm in chosen}
        later = [f for f in members if f.index not in taken and f.scale != ABOVE and f.registered_year <= 2020]
        for firm in rng.sample(later, min(len(later), round(quota * 0.1))):
            firm.entries.append(_Entry("ZJTX_POOL", 2021))
        for firm in chosen:
            if firm.scale == ABOVE and rng.random() < 0.7:  # grew out of the pool into the city tier
                firm.entries.append(_Entry("YXGJ_CITY_POOL", _year_after(rng, firm.entries[0].year + 1, 2021)))

    def _champions(self, members: list[_Firm], unit: str, scale: float) -> None:
        """The 隐形冠军 ladder for above-scale firms."""
        rng = self.rng
        above = [f for f in members if f.scale == ABOVE and not f.entries]
        veterans = [f for f in above if f.registered_year <= 2015]
        quota = self._quota("YXGJ_PROV_POOL", unit, scale, len(veterans) // 3, 0.05 * len(veterans))
        provincial = rng.sample(veterans, quota)
        for firm in provincial:
            year = _weighted(rng, ((2017, 25), (2018, 35), (2019, 20), (2020, 20)))
            if year > 2017 and rng.random() < 0.7:
                city_year = rng.randint(2017, year - 1)
                firm.entries.append(_Entry("YXGJ_CITY_POOL", city_year))
                if rng.random() < 0.5:
                    firm.entries.append(_Entry("YXGJ_CITY", rng.randint(city_year, year)))
            firm.entries.append(_Entry("YXGJ_PROV_POOL", year))
            if rng.random() < 0.35:
                firm.entries.append(_Entry("YXGJ_PROV", rng.randint(year + 1, 2021)))
        for firm in above:
            if not firm.entries and rng.random() < 0.2:
                year = _year_after(rng, max(2017, firm.registered_year + 1), 2021)
                firm.entries.append(_Entry("YXGJ_CITY_POOL", year))
                if year < 2021 and rng.random() < 0.3:
                    firm.entries.append(_Entry("YXGJ_CITY", rng.randint(year + 1, 2021)))

    def _gradient(self, firm: _Firm) -> None:
        """专精特新中小企业 and 小巨人 (2022 onwards); 创新型 usually comes first."""
        if firm.scale == INDIVIDUAL:  # 个体工商户 cannot hold the enterprise titles
            return
        rng = self.rng
        programs = {entry.program for entry in firm.entries}
        veteran = bool(programs & {"YXGJ_PROV_POOL", "YXGJ_PROV", "YXGJ_CITY"})
        if firm.scale == ABOVE and rng.random() < (0.3 if veteran else 0.045):
            giant = _weighted(rng, ((2023, 40), (2024, 35), (2025, 25)))
            specialised = rng.randint(2022, giant - 1)
            firm.entries.append(_Entry("XJR", giant))
            if giant == 2025 and rng.random() < 0.05:
                firm.entries.append(_Entry("DXGJ", 2025))
        else:
            chance = 0.2 if firm.scale == ABOVE else 0.12 if "ZJTX_POOL" in programs else 0.04
            if rng.random() >= chance:
                return
            specialised = _weighted(rng, _GRADIENT_YEARS)
        firm.entries.append(_Entry("ZJTX_SME", specialised))
        if rng.random() < 0.7:
            firm.entries.append(_Entry("CXX_SME", rng.randint(2022, specialised)))
        if specialised == 2022 and not any(e.program == "XJR" for e in firm.entries) and rng.random() < 0.8:
            firm.entries.append(_Entry("ZJTX_SME", 2025, review=True))

    def _innovative(self, firms: list[_Firm], wanted_rows: int) -> None:
        """创新型中小企业, the broad base of the gradient, fills up to the intended row count."""
        rng = self.rng
        rows = sum(len(firm.entries) for firm in firms)
        gradient = ("CXX_SME", "ZJTX_SME", "XJR")
        open_firms = [f for f in firms if f.scale != INDIVIDUAL and not any(e.program in gradient for e in f.entries)]
        # Firms already in a pool are likelier to have applied: try them first.
        rng.shuffle(open_firms)
        open_firms.sort(key=lambda f: 0 if f.entries else 1)
        for firm in open_firms:
            if rows >= wanted_rows:
                break
            year = max(_weighted(rng, _GRADIENT_YEARS), min(2025, firm.registered_year + 1))
            firm.entries.append(_Entry("CXX_SME", year))
            rows += 1
            if year == 2022 and rng.random() < 0.75:
                firm.entries.append(_Entry("CXX_SME", 2025, review=True))
                rows += 1


_PROGRAM_ORDER = {
    code: order
    for order, code in enumerate(
        ("ZJTX_POOL", "YXGJ_CITY_POOL", "YXGJ_CITY", "YXGJ_PROV_POOL", "YXGJ_PROV", "CXX_SME", "ZJTX_SME",
         "XJR", "DXGJ")
    )
}  # fmt: skip
_CULTIVATION_COLUMNS = (
    "enterprise_id", "program_code", "year", "batch", "document_no", "entered_on", "status", "exited_on",
    "exit_reason", "note", "created_at", "updated_at", "version",
)  # fmt: skip


def _documents(rng: random.Random) -> dict[tuple[str, int, str], tuple[str, dt.date]]:
    """One list document (文号 and date) per program, year and batch, as the bureaus publish them."""
    documents = {}
    for program in _PROGRAM_ORDER:
        for year in range(2017, 2026):
            for batch, months in (("第一批", (5, 8)), ("第二批", (10, 12))):
                issued = dt.date(year, rng.randint(*months), rng.randint(1, 28))
                number = rng.randint(8, 180)
                documents[program, year, batch] = (f"{_DOCUMENT_PREFIX[program]}〔{year}〕{number}号", issued)
    return documents


def _cultivation_rows(rng: random.Random, firms: list[_Firm], validity: dict[str, int]) -> Iterator[list[Any]]:
    """Rows with statuses that follow each firm's history: 已升级 when a higher tier followed, 已退出
    (date and reason) for some pool members and for titles whose validity ran out unrenewed."""
    documents = _documents(rng)
    serial = 0
    for firm in firms:
        entries = firm.entries
        for position, entry in enumerate(entries):
            document_no, entered_on = documents[entry.program, entry.year, entry.batch]
            later = entries[position + 1 :]
            higher = _HIGHER.get(entry.program, ())
            upgrade = next((e for e in later if e.program in higher), None)
            renewed = any(e.program == entry.program and e.review for e in later)
            exited_on: dt.date | None = None
            reason = None
            changed_on = entered_on
            if upgrade is not None:
                status = "已升级"
                changed_on = max(entered_on, documents[upgrade.program, upgrade.year, upgrade.batch][1])
            elif renewed:
                status = "已认定"
            elif entry.program in _POOLS:
                status = "培育中"
                if rng.random() < 0.1:
                    status = "已退出"
                    days = (dt.date(2024, 12, 31) - entered_on).days
                    exited_on = entered_on + dt.timedelta(days=rng.randint(min(365, days), max(365, days)))
                    reason = rng.choice(_POOL_EXITS)
            else:
                status = "已认定"
                years = validity.get(entry.program)
                expired = years is not None and entry.year + years <= DEMO_TODAY.year
                if expired or rng.random() < 0.01:
                    status = "已退出"
                    exited_on = min(DEMO_TODAY, dt.date(entry.year + (years or 2), 6, 30))
                    reason = _TITLE_EXITS[0] if expired else rng.choice(_TITLE_EXITS[1:])
            if exited_on is not None:
                changed_on = exited_on
            created = dt.datetime.combine(entered_on, dt.time(10)) + dt.timedelta(minutes=serial % 360)
            updated = max(created, dt.datetime.combine(changed_on, dt.time(16)))
            note = "有效期届满复核通过" if entry.review else None
            serial += 1
            # fmt: off
            yield [
                firm.enterprise_id, entry.program, entry.year, entry.batch, document_no, entered_on, status,
                exited_on, reason, note, created, updated, 1,
            ]
            # fmt: on


# --- help visits ------------------------------------------------------------------------------

_VISIT_KINDS = (("走访", 55), ("电话", 20), ("座谈", 15), ("现场办公", 10))
_PROBLEMS = (
    ("企业扩产用地指标紧张，申请新增工业用地", "协调自然资源部门纳入年度供地计划，指导办理用地预审"),
    ("流动资金周转困难，需要银行贷款支持", "推荐参加政银企对接会，对接“专精特新”专项信贷产品"),
    ("一线技术工人招工难", "联系人社部门发布招聘信息，对接职业院校开展订单式培养"),
    ("申报专精特新中小企业需要辅导", "组织申报辅导，逐项对照评价指标完善材料"),
    ("技改项目设备补助资金申请", "指导填报技改项目申报材料，跟踪补助资金拨付"),
    ("电力增容审批周期长", "协调供电公司开辟绿色通道"),
    ("新建厂房消防验收手续未办结", "协调住建部门上门指导整改"),
    ("产品进入新市场缺少检测认证", "对接检验检测机构，协助办理产品认证"),
    ("研发人员不足，希望与高校合作", "牵线对接省内高校院所，推动共建研发中心"),
    ("排污许可证到期需续办", "协调生态环境分局指导办理延续"),
    ("希望参与“浙江制造”标准制定", "联系市场监管部门开展标准研制辅导"),
    ("商标被仿冒侵权", "联系市场监管部门开展商标维权指导"),
    (None, "走访了解企业生产经营情况，宣传惠企政策"),
)
_HELP_COLUMNS = (
    "enterprise_id", "visited_on", "officer", "kind", "problem", "action", "status", "deadline", "closed_on",
    "created_at", "updated_at", "version",
)  # fmt: skip


def _visit_rows(rng: random.Random, firms: list[_Firm]) -> Iterator[list[Any]]:
    start = dt.date(2018, 7, 1)
    for firm in firms:
        if not firm.entries:
            continue
        first = max(start, dt.date(firm.entries[0].year, 3, 1))
        span = (DEMO_TODAY - first).days
        visits = 1 + (rng.random() < 0.45) + (rng.random() < 0.15)
        for _ in range(visits):
            visited_on = first + dt.timedelta(days=rng.randint(0, span))
            problem, action = rng.choice(_PROBLEMS)
            officer = firm.officer
            kind = _weighted(rng, _VISIT_KINDS)
            age = (DEMO_TODAY - visited_on).days
            deadline: dt.date | None = None
            closed_on: dt.date | None = visited_on
            if problem is not None:
                deadline = visited_on + dt.timedelta(days=rng.choice((15, 30, 60, 90)))
                still_open = rng.random() < (0.6 if age < 90 else 0.15 if age < 365 else 0.03)
                closed_on = None if still_open else min(DEMO_TODAY, visited_on + dt.timedelta(days=rng.randint(2, 80)))
            created = dt.datetime.combine(visited_on, dt.time(17, 30))
            updated = dt.datetime.combine(closed_on, dt.time(17, 30)) if closed_on else created
            # fmt: off
            yield [
                firm.enterprise_id, visited_on, officer, kind, problem, action, "已办结" if closed_on else "办理中",
                deadline, closed_on, created, updated, 1,
            ]
            # fmt: on


# --- annual monitoring ------------------------------------------------------------------------

_ANNUAL_COLUMNS = (
    "enterprise_id", "year", "revenue", "main_revenue", "gross_output", "value_added", "total_profit",
    "net_profit", "tax_paid", "export_value", "total_assets", "total_liabilities", "rd_expense",
    "employees_avg", "rd_staff", "land_area", "energy_use", "electricity", "cod", "so2", "nh3n", "nox",
    "nc_rate", "patents_invention", "patents_utility", "patents_design", "software_copyrights",
    "standards_led", "safety_incidents", "env_penalties", "created_at", "updated_at", "version",
)  # fmt: skip
# Mean growth of revenue into each year: the 2020 dip, the 2021 rebound.
_GROWTH = {2020: -0.01, 2021: 0.15, 2022: 0.04, 2023: 0.06}
_SPECIALISED = ("ZJTX_SME", "XJR", "DXGJ", "YXGJ_PROV", "YXGJ_PROV_POOL")


def _annual_rows(rng: random.Random, firms: list[_Firm]) -> Iterator[list[Any]]:
    random_ = rng.random
    uniform = rng.uniform
    gauss = rng.gauss
    last_year = REPORT_YEARS[-1]
    for firm in firms:
        above = firm.scale == ABOVE
        first_year = max(REPORT_YEARS[0], firm.registered_year)
        years = range(first_year, last_year + 1)
        revenue = {last_year: firm.revenue}
        for year in range(last_year, first_year, -1):
            growth = max(-0.35, min(0.8, gauss(_GROWTH[year], 0.12)))
            revenue[year - 1] = revenue[year] / (1 + growth)
        # Firm-level ratios, then a little noise each year.
        specialised = any(e.program in _SPECIALISED for e in firm.entries)
        margin = gauss(0.06, 0.03)
        tax_rate = uniform(0.04, 0.07) if above else uniform(0.015, 0.04)
        rd_rate = uniform(0.03, 0.05) if specialised else uniform(0.008, 0.03) if above else uniform(0.0, 0.025)
        va_rate = uniform(0.2, 0.26)
        asset_ratio = uniform(0.6, 1.6)
        debt_ratio = uniform(0.25, 0.75)
        export_share = uniform(0.1, 0.7) if firm.exporter else 0.0
        rd_staff_share = uniform(0.05, 0.25) if above else uniform(0.0, 0.15)
        # Land is sized so that 亩均税收 lands near the city's figures (规上 ≈ 19 万元/亩).
        density = math.exp(gauss(math.log(25.0 if above else 8.0), 0.45))
        land = round(max(0.5 if firm.scale == INDIVIDUAL else 2.0, firm.revenue * tax_rate / density), 1)
        productivity = _ENERGY_PRODUCTIVITY.get(firm.industry, 1.6) * math.exp(gauss(0, 0.3))
        electric_share = uniform(0.5, 0.85)
        nc_base = uniform(35, 75) if above else uniform(10, 55)
        nc_step = uniform(0.5, 4)
        inventions = int(random_() * (6 if above else 2) + (3 if specialised else 0))
        utility = int(random_() * (25 if above else 8))
        design = int(random_() * (8 if above else 3))
        software = int(random_() * (5 if above else 2))
        standards = int(random_() * 3) if above and random_() < 0.3 else 0
        filed = dt.datetime(2000, 4, 1 + firm.index % 28, 8 + firm.index % 10, firm.index % 60)
        for year in years:
            value = revenue[year]
            step = year - REPORT_YEARS[0]
            gross = value * uniform(0.95, 1.08)
            added = gross * va_rate * uniform(0.97, 1.03)
            profit = value * (margin + gauss(0, 0.015))
            employees = (
                firm.employees if year == last_year else max(1, round(firm.employees * (value / firm.revenue) ** 0.5))
            )
            energy = added / (productivity * (1 + 0.02 * step))
            stamp = filed.replace(year=year + 1)
            # fmt: off
            yield [
                firm.enterprise_id, year,
                round(value, 2), round(value * firm.main_share, 2), round(gross, 2), round(added, 2),
                round(profit, 2), round(profit * 0.85 if profit > 0 else profit, 2),
                round(value * tax_rate * uniform(0.9, 1.1), 2), round(value * export_share, 2),
                round(value * asset_ratio, 2), round(value * asset_ratio * debt_ratio, 2),
                round(value * rd_rate * uniform(0.85, 1.15), 2),
                employees, round(employees * rd_staff_share),
                land, round(energy, 1), round(energy * electric_share / 1.229, 1),
                # Main pollutants are reported by above-scale firms only.
                round(energy * 0.0015, 3) if above else None, round(energy * 0.0008, 3) if above else None,
                round(energy * 0.00015, 3) if above else None, round(energy * 0.0012, 3) if above else None,
                round(min(95.0, nc_base + nc_step * step), 1),
                # Patents and standards are stocks, growing over the years.
                inventions + step // 2, utility + step * (2 if above else 1), design + step // 2,
                software + step // 3, standards,
                1 if random_() < 0.004 else 0, 1 if random_() < 0.01 else 0,
                stamp, stamp, 1,
            ]
            # fmt: on


# --- writing ----------------------------------------------------------------------------------


def _chunks(rows: Iterable[list[Any]], size: int = _CHUNK) -> Iterator[list[list[Any]]]:
    chunk: list[list[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Writer:
    """Bulk inserts of rows given as lists in a fixed column order.

    On SQLite the INSERT compiled for the dialect goes straight to the driver's executemany, after each
    value has been through its column type's bind processor, so rows are stored exactly as Core would
    store them: SQLAlchemy's per-row parameter handling would otherwise take more time than SQLite
    itself (about 35 s instead of 25 s for 100,000 enterprises). Other databases get an ordinary Core
    insert, which batches with insertmanyvalues."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.dialect = self.connection.dialect

    def write_all(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Iterable[list[Any]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Insert rows chunk by chunk (generated rows never all sit in memory); returns how many."""
        written = 0
        for chunk in _chunks(rows):
            self.write(table, columns, chunk)
            written += len(chunk)
            if progress is not None:
                progress(written)
        return written

    def write(self, table: Table, columns: Sequence[str], rows: list[list[Any]]) -> None:
        if not rows:
            return
        compiled = insert(table).compile(dialect=self.dialect, column_keys=list(columns))
        order = compiled.positiontup or []
        # A column whose default we would not supply falls back to Core, which fills it in.
        if self.dialect.name != "sqlite" or sorted(order) != sorted(columns):
            self.session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
            return
        for i, name in enumerate(columns):
            processor = table.c[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
            if processor is None:
                continue
            # Dates and stamps repeat a lot: convert each distinct value once.
            converted: dict[Any, Any] = {}
            for row in rows:
                value = row[i]
                if value is not None:
                    stored = converted.get(value)
                    if stored is None:
                        stored = converted[value] = processor(value)
                    row[i] = stored
        position = {name: i for i, name in enumerate(columns)}
        indexes = [position[name] for name in order]
        if indexes == list(range(len(columns))):
            parameters = list(map(tuple, rows))
        else:
            parameters = [tuple(row[i] for i in indexes) for row in rows]
        self.connection.exec_driver_sql(compiled.string, parameters)


# --- entry point ------------------------------------------------------------------------------


def _targets(session: Session) -> dict[tuple[str, str], int]:
    """The annex's cumulative targets (the longest period of each program), read from the database
    so that revised counts are followed."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    rows = session.execute(
        select(Target.program_code, Target.region_code, Target.start_year, Target.end_year, Target.count)
        .where(Target.program_code.in_(("ZJTX_POOL", "YXGJ_PROV_POOL")), Target.start_year <= 2020)
        .order_by(Target.program_code, Target.region_code, Target.start_year, Target.end_year)
    )
    for program, region, start, end, count in rows:
        key = (program, region)
        if key not in found or end - start > found[key][0]:
            found[key] = (end - start, count)
    return {key: count for key, (_span, count) in found.items()}


def generate_demo(
    session: Session,
    count: int,
    seed: int,
    *,
    unit_code: str | None = None,
    progress: ProgressCallback | None = None,
) -> DemoSummary:
    """Fill an empty database with `count` fictitious but realistic Lishui enterprises and their
    cultivation entries, annual monitoring (2019–2023) and help visits.

    The same count, seed and unit give identical rows. With unit_code only that unit's firms are
    made (a county installation); otherwise firms are spread over the units like the real ones.
    Rows are inserted in bulk inside the session's transaction; the caller commits. Refuses (UserError)
    when the database already holds enterprises.
    """

    def report(done: int, message: str) -> None:
        if progress is not None:
            progress(done, 100, message)

    def stage(start: int, end: int, expected: int, message: str) -> Callable[[int], None]:
        """Reports rows written so far as a share of the start–end stretch of the 0–100 scale."""
        return lambda written: report(start + (end - start) * min(written, expected) // max(1, expected), message)

    if count < 1 or count > MAX_COUNT:
        raise UserError(f"演示企业数量应在 1 到 {MAX_COUNT} 之间，现为 {count}。")
    existing = session.scalar(select(func.count()).select_from(Enterprise)) or 0
    if existing:
        raise UserError(f"数据库中已有 {existing} 家企业，演示数据只能生成到没有企业的空数据库中。")
    known = set(session.scalars(select(Region.code)))
    if unit_code is not None:
        if unit_code not in _UNIT_BY_CODE or unit_code not in known:
            raise UserError(f"未知的单位代码“{unit_code}”，无法生成演示数据。")
        counts = {unit_code: count}
    else:
        counts = _apportion(count, {code: share for code, share in _SHARES.items() if code in known})

    report(0, "正在生成企业…")
    maker = _make_firms(random.Random(f"{seed}:enterprises"), counts, stage(0, 20, count, "正在生成企业…"))
    firms = maker.firms
    writer = _Writer(session)
    writer.write_all(_table(Enterprise), _ENTERPRISE_COLUMNS, maker.rows, stage(20, 26, count, "正在写入企业…"))
    ids = {code: id_ for code, id_ in session.execute(select(Enterprise.uscc, Enterprise.id))}
    for firm, row in zip(firms, maker.rows, strict=True):
        firm.enterprise_id = ids[row[0]]
    del maker.rows[:]

    report(26, "正在生成培育记录…")
    _Cultivator(random.Random(f"{seed}:cultivation"), _targets(session)).plan(firms, count)
    validity = {
        code: years
        for code, years in session.execute(select(Program.code, Program.validity_years))
        if years is not None
    }
    entries = _cultivation_rows(random.Random(f"{seed}:entries"), firms, validity)
    cultivations = writer.write_all(_table(Cultivation), _CULTIVATION_COLUMNS, entries)
    report(36, "正在生成帮扶记录…")
    visits = writer.write_all(_table(HelpVisit), _HELP_COLUMNS, _visit_rows(random.Random(f"{seed}:visits"), firms))

    expected = sum(REPORT_YEARS[-1] + 1 - max(REPORT_YEARS[0], firm.registered_year) for firm in firms)
    annual_rows = _annual_rows(random.Random(f"{seed}:annual"), firms)
    annual = writer.write_all(
        _table(AnnualReport), _ANNUAL_COLUMNS, annual_rows, stage(45, 100, expected, "正在生成年度监测数据…")
    )
    refresh_statistics(session)
    report(100, "演示数据已生成")
    return DemoSummary(len(firms), cultivations, annual, visits)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table
