"""Field specifications: one description per field drives forms, validation, templates, import and export."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

FieldKind = Literal[
    "text", "int", "float", "date", "bool", "choice", "uscc", "region", "industry", "program", "phone", "email"
]

SIZE_CLASSES = ("大型", "中型", "小型", "微型")
SCALE_TYPES = ("规上", "规下", "个体工业")
RD_INSTITUTION_LEVELS = ("无", "县级", "市级", "省级", "国家级")
DIGITAL_LEVELS = ("一级", "二级", "三级", "四级")  # 中小企业数字化水平评测的四个等级


@dataclass(frozen=True)
class FieldSpec:
    """One field: how it is labelled, typed, constrained and grouped."""

    key: str  # the model attribute
    label: str  # Chinese label without unit
    kind: FieldKind = "text"
    unit: str | None = None  # 万元, 亩, 人, % … shown in headers and beside inputs
    required: bool = False
    section: str = ""
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    synonyms: tuple[str, ...] = ()  # other header texts seen in spreadsheets
    hint: str = ""
    allow_future: bool = False  # dates: a deadline may lie ahead, a founding date may not

    @property
    def header(self) -> str:
        """The column header with its unit, as templates and exports write it: 注册资本(万元)."""
        return f"{self.label}({self.unit})" if self.unit else self.label


ENTERPRISE_SECTIONS = ("基本信息", "规模与行业", "联系方式", "产品与市场", "创新与品牌", "培育服务")

ENTERPRISE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "name",
        "企业名称",
        required=True,
        section="基本信息",
        max_length=100,
        synonyms=("单位名称", "企业全称", "公司名称"),
    ),
    FieldSpec(
        "uscc",
        "统一社会信用代码",
        kind="uscc",
        required=True,
        section="基本信息",
        synonyms=("社会信用代码", "信用代码", "统一代码", "组织机构代码"),
        hint="18位，字母大写；常见的小写、空格、全角字符和字母O会自动纠正",
    ),
    FieldSpec(
        "region_code",
        "所属单位",
        kind="region",
        required=True,
        section="基本信息",
        synonyms=("所属地区", "所在地区", "县（市、区）", "所在县（市、区）", "地区", "属地", "县区"),
    ),
    FieldSpec("registered_on", "成立日期", kind="date", section="基本信息", synonyms=("注册日期", "成立时间")),
    FieldSpec(
        "registered_capital",
        "注册资本",
        kind="float",
        unit="万元",
        section="基本信息",
        min_value=0,
        max_value=10_000_000,
    ),
    FieldSpec("legal_representative", "法定代表人", section="基本信息", max_length=40, synonyms=("法人代表", "法人")),
    FieldSpec("address", "注册地址", section="基本信息", max_length=200, synonyms=("地址", "企业地址", "生产经营地址")),
    FieldSpec(
        "industry_code",
        "所属行业",
        kind="industry",
        section="规模与行业",
        synonyms=("行业", "行业代码", "国民经济行业"),
    ),
    FieldSpec(
        "scale_type",
        "企业类型",
        kind="choice",
        choices=SCALE_TYPES,
        section="规模与行业",
        synonyms=("规上规下", "是否规上"),
    ),
    FieldSpec(
        "size_class",
        "企业规模",
        kind="choice",
        choices=SIZE_CLASSES,
        section="规模与行业",
        synonyms=("规模", "企业规模类型"),
    ),
    FieldSpec(
        "employees",
        "从业人员",
        kind="int",
        unit="人",
        section="规模与行业",
        min_value=0,
        max_value=1_000_000,
        synonyms=("职工人数", "员工人数"),
    ),
    FieldSpec("rd_staff", "研发人员", kind="int", unit="人", section="规模与行业", min_value=0, max_value=1_000_000),
    FieldSpec("contact_person", "联系人", section="联系方式", max_length=40),
    FieldSpec(
        "phone",
        "联系电话",
        kind="phone",
        section="联系方式",
        synonyms=("电话", "手机", "联系方式"),
        hint="座机带区号（如 0578-2123456）或11位手机号",
    ),
    FieldSpec("email", "电子邮箱", kind="email", section="联系方式", max_length=100, synonyms=("邮箱", "E-mail")),
    FieldSpec("main_products", "主导产品", section="产品与市场", max_length=200, hint="不超过3个，用顿号分隔"),
    FieldSpec("niche_market", "细分市场", section="产品与市场", max_length=200),
    FieldSpec(
        "market_share", "细分市场占有率", kind="float", unit="%", section="产品与市场", min_value=0, max_value=100
    ),
    FieldSpec("market_rank", "细分市场排名", kind="int", section="产品与市场", min_value=1, max_value=100_000),
    FieldSpec("is_listed", "是否上市", kind="bool", section="产品与市场"),
    FieldSpec("own_trademark", "自主商标", kind="bool", section="创新与品牌", synonyms=("是否有自主商标",)),
    FieldSpec(
        "zhejiang_made", "浙江制造认证", kind="bool", section="创新与品牌", synonyms=("“浙江制造”认证", "浙江制造")
    ),
    FieldSpec("certifications", "管理体系认证", section="创新与品牌", max_length=200),
    FieldSpec(
        "rd_institution_level", "研发机构级别", kind="choice", choices=RD_INSTITUTION_LEVELS, section="创新与品牌"
    ),
    FieldSpec("digital_level", "数字化水平", kind="choice", choices=DIGITAL_LEVELS, section="创新与品牌"),
    FieldSpec("help_officer", "联系干部", section="培育服务", max_length=40, synonyms=("帮扶干部", "联系人干部")),
    FieldSpec("note", "备注", section="培育服务", max_length=2000),
)

ENTERPRISE_FIELD_BY_KEY = {spec.key: spec for spec in ENTERPRISE_FIELDS}

_LANDLINE = re.compile(r"^(?:\(0\d{2,3}\)|0\d{2,3})[- ]?\d{7,8}(?:[-转]\d{1,6})?$")
_MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


# Full-width digits and Latin letters become ordinary ones, the ideographic space an ordinary space,
# zero-width characters go. Chinese punctuation (，：（）) is left alone: it is correct in Chinese text
# and in registered names such as 浙江××（丽水）有限公司.
_TIDY = str.maketrans(
    {
        **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "\u3000": " ",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
NEEDS_TIDYING = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u200b-\u200d\ufeff]")


def clean_text(value: str) -> str:
    """Text as people type it, tidied only where certain (see _TIDY) and trimmed at both ends."""
    return value.translate(_TIDY).strip()


def is_valid_phone(text: str) -> bool:
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))  # NFKC turns （） into ()
    return bool(_LANDLINE.match(compact) or _MOBILE.match(compact))


def is_valid_email(text: str) -> bool:
    return bool(_EMAIL.match(unicodedata.normalize("NFKC", text).strip()))


def check_value(spec: FieldSpec, value: Any, *, today: dt.date) -> str | None:
    """A Chinese message when a typed value breaks the field's own rules, else None.

    Rules that need the database (unknown unit, duplicate code) are the services' business.
    """
    if value is None or value == "":
        return f"{spec.label}不能为空" if spec.required else None
    if spec.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{spec.label}应为数字"
        if spec.kind == "int" and not float(value).is_integer():
            return f"{spec.label}应为整数"
        if spec.min_value is not None and value < spec.min_value:
            return f"{spec.label}不能小于 {spec.min_value:g}" if spec.min_value else f"{spec.label}不能为负数"
        if spec.max_value is not None and value > spec.max_value:
            return f"{spec.label}不能大于 {spec.max_value:g}{spec.unit or ''}"
    elif spec.kind == "date":
        if not isinstance(value, dt.date):
            return f"{spec.label}应为日期"
        if value > today and not spec.allow_future:
            return f"{spec.label}不能晚于今天（{today.isoformat()}）"
        if value.year < 1900:
            return f"{spec.label}早于1900年，请核对"
    elif spec.kind == "bool":
        if not isinstance(value, bool):
            return f"{spec.label}应为“是”或“否”"
    elif spec.kind == "choice":
        if value not in spec.choices:
            return f"{spec.label}应为{'、'.join(spec.choices)}之一"
    elif isinstance(value, str):
        if spec.max_length is not None and len(value) > spec.max_length:
            return f"{spec.label}过长（最多 {spec.max_length} 字，现为 {len(value)} 字）"
        if spec.kind == "phone" and not is_valid_phone(value):
            return f"{spec.label}“{value}”格式不对：座机请带区号（如 0578-2123456），手机为11位数字"
        if spec.kind == "email" and not is_valid_email(value):
            return f"{spec.label}“{value}”不是有效的邮箱地址"
    return None


CULTIVATION_STATUSES = ("培育中", "已认定", "已升级", "已退出")
VISIT_KINDS = ("走访", "电话", "座谈", "现场办公", "线上")
VISIT_STATUSES = ("办理中", "已办结")

CULTIVATION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("program_code", "培育层级", kind="program", required=True, synonyms=("层级", "培育类别", "入库类别")),
    FieldSpec(
        "year", "入库年份", kind="int", required=True, min_value=2000, max_value=2100, synonyms=("年份", "入库年度")
    ),
    FieldSpec("batch", "批次", max_length=20),
    FieldSpec("document_no", "文号", max_length=60, synonyms=("认定文号", "发文文号")),
    FieldSpec("entered_on", "入库日期", kind="date", synonyms=("认定日期", "公布日期")),
    FieldSpec("status", "状态", kind="choice", choices=CULTIVATION_STATUSES, required=True),
    FieldSpec("exited_on", "退出日期", kind="date"),
    FieldSpec("exit_reason", "退出原因", max_length=200),
    FieldSpec("note", "备注", max_length=2000),
)

ANNUAL_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("year", "年度", kind="int", required=True, min_value=2000, max_value=2100),
    FieldSpec("revenue", "营业收入", kind="float", unit="万元", min_value=0),
    FieldSpec("main_revenue", "主营业务收入", kind="float", unit="万元", min_value=0),
    FieldSpec("gross_output", "工业总产值", kind="float", unit="万元", min_value=0),
    FieldSpec("value_added", "工业增加值", kind="float", unit="万元"),
    FieldSpec("total_profit", "利润总额", kind="float", unit="万元"),
    FieldSpec("net_profit", "净利润", kind="float", unit="万元"),
    FieldSpec(
        "tax_paid", "税收实际贡献", kind="float", unit="万元", min_value=0, synonyms=("实缴税金", "实缴税收", "税收")
    ),
    FieldSpec("export_value", "出口额", kind="float", unit="万元", min_value=0),
    FieldSpec("total_assets", "资产总额", kind="float", unit="万元", min_value=0),
    FieldSpec("total_liabilities", "负债总额", kind="float", unit="万元", min_value=0),
    FieldSpec("rd_expense", "研发费用", kind="float", unit="万元", min_value=0, synonyms=("研发投入", "R&D经费")),
    FieldSpec(
        "employees_avg", "从业人员年平均数", kind="int", unit="人", min_value=0, synonyms=("从业人员", "年平均从业人员")
    ),
    FieldSpec("rd_staff", "研发人员", kind="int", unit="人", min_value=0),
    FieldSpec("land_area", "用地面积", kind="float", unit="亩", min_value=0, synonyms=("占地面积", "土地面积")),
    FieldSpec("energy_use", "综合能耗", kind="float", unit="吨标煤", min_value=0),
    FieldSpec("electricity", "用电量", kind="float", unit="万千瓦时", min_value=0),
    FieldSpec("cod", "化学需氧量排放", kind="float", unit="吨", min_value=0),
    FieldSpec("so2", "二氧化硫排放", kind="float", unit="吨", min_value=0),
    FieldSpec("nh3n", "氨氮排放", kind="float", unit="吨", min_value=0),
    FieldSpec("nox", "氮氧化物排放", kind="float", unit="吨", min_value=0),
    FieldSpec("nc_rate", "装备数控化率", kind="float", unit="%", min_value=0, max_value=100),
    FieldSpec("patents_invention", "发明专利", kind="int", unit="件", min_value=0),
    FieldSpec("patents_utility", "实用新型专利", kind="int", unit="件", min_value=0),
    FieldSpec("patents_design", "外观设计专利", kind="int", unit="件", min_value=0),
    FieldSpec("software_copyrights", "软件著作权", kind="int", unit="件", min_value=0),
    FieldSpec("standards_led", "主导制定标准", kind="int", unit="项", min_value=0),
    FieldSpec("safety_incidents", "安全生产事故", kind="int", unit="起", min_value=0),
    FieldSpec("env_penalties", "环境违法处罚", kind="int", unit="次", min_value=0),
)

VISIT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("visited_on", "走访日期", kind="date", required=True, synonyms=("日期", "帮扶日期")),
    FieldSpec("officer", "联系干部", required=True, max_length=40, synonyms=("帮扶干部", "走访人")),
    FieldSpec("kind", "方式", kind="choice", choices=VISIT_KINDS, required=True, synonyms=("帮扶方式", "走访方式")),
    FieldSpec("problem", "反映问题", max_length=2000, synonyms=("企业诉求", "存在问题")),
    FieldSpec("action", "办理情况", max_length=2000, synonyms=("帮扶措施", "解决情况")),
    FieldSpec("status", "办理状态", kind="choice", choices=VISIT_STATUSES, required=True),
    FieldSpec("deadline", "办结时限", kind="date", allow_future=True),
    FieldSpec("closed_on", "办结日期", kind="date"),
)
