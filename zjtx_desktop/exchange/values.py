"""Reading cell values as people really type them, and refusing what cannot be read for sure.

Each parser returns the typed value or a Chinese reason. What is certain is normalised (full-width
digits, "1,234.5", 2018年6月15日, √, 景宁县 for 景宁畲族自治县); what is ambiguous is rejected, never
guessed: a number below 1 in a percentage column, 2018.1 typed as a number (January or October?),
a date serial 60 (Excel's non-existent 1900-02-29), an 18-digit code that Excel stored as a number.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop import uscc
from zjtx_desktop.fields import NEEDS_TIDYING, FieldSpec, check_value, clean_text, is_valid_email, is_valid_phone
from zjtx_desktop.models import Industry, Program, Region

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's phantom 1900-02-29 is skipped
TRUE_WORDS = {"是", "有", "√", "✓", "✔", "y", "yes", "true", "1", "对", "已认证", "已上市"}
FALSE_WORDS = {"否", "无", "×", "✗", "✘", "n", "no", "false", "0", "没有", "未认证", "未上市", "/"}
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "scale_type": {
        "规模以上": "规上",
        "规上企业": "规上",
        "规模以下": "规下",
        "规下企业": "规下",
        "个体": "个体工业",
        "个体工商户": "个体工业",
    },
    "size_class": {
        "大": "大型",
        "中": "中型",
        "小": "小型",
        "微": "微型",
        "大型企业": "大型",
        "中型企业": "中型",
        "小型企业": "小型",
        "微型企业": "微型",
    },
    "rd_institution_level": {"没有": "无", "国家": "国家级", "省": "省级", "市": "市级", "县": "县级"},
}

_DATE_TEXT = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
_MONTH_TEXT = [re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$"), re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月$")]


@dataclass
class Lookups:
    """Reference names from the database, so that 景宁县, 景宁 and 331127 all mean the same unit."""

    regions: dict[str, str] = field(default_factory=dict)
    industries: dict[str, str] = field(default_factory=dict)
    programs: dict[str, str] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Lookups:
        lookups = cls()
        for region in session.scalars(select(Region)):
            lookups.region_names[region.code] = region.name
            for key in (region.code, region.name, region.short_name, *region.aliases):
                lookups.regions[_key(key)] = region.code
        for industry in session.scalars(select(Industry)):
            for key in (
                industry.code,
                industry.code[1:],
                industry.name,
                f"{industry.code}{industry.name}",
                *industry.aliases,
            ):
                lookups.industries[_key(key)] = industry.code
        for program in session.scalars(select(Program)):
            for key in (program.code, program.name, program.short_name, *program.aliases):
                lookups.programs[_key(key)] = program.code
        return lookups


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class ParseOptions:
    # Our own exports write percentages as percent points; only there is 0.5 certainly 0.5%.
    trusted_numbers: bool = False


def _key(text: str) -> str:
    """Compare names ignoring width, case, spaces and the typographic quotes around 专精特新."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\"'“”‘’「」]", "", folded)


def clean(raw: Any) -> Any:
    """Strings tidied (full-width letters and digits, odd spaces) and trimmed; empty text becomes None.

    Each parser normalises further where its kind allows it (codes, numbers, dates); free text keeps
    its Chinese punctuation.
    """
    if isinstance(raw, str):
        text = clean_text(raw)
        return text or None
    if isinstance(raw, float) and math.isnan(raw):
        return None
    return raw


def _show(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _number_text(text: str, unit: str | None) -> str:
    """Drop thousands separators, spaces and a trailing unit that repeats the column's own."""
    compact = re.sub(r"[\s,，]", "", unicodedata.normalize("NFKC", text))
    if unit and unit != "%" and compact.endswith(unit):
        compact = compact[: -len(unit)]
    return compact


def parse_number(spec: FieldSpec, raw: Any, options: ParseOptions) -> Parsed:
    if isinstance(raw, bool):
        return Parsed(error=f"“{raw}”不是数字")
    percent_column = spec.unit == "%"
    if isinstance(raw, int | float):
        number = float(raw)
        if percent_column and 0 < abs(number) < 1 and not options.trusted_numbers:
            return Parsed(
                error=f"“{_show(raw)}”不能确定是 {number:g}% 还是 {number * 100:g}%（单元格可能设成了百分比格式），请填写百分数，如 35 或 35%"
            )
    else:
        text = _number_text(str(raw), spec.unit)
        is_percent_text = text.endswith("%")
        if is_percent_text:
            text = text[:-1]
        if spec.unit == "万元" and text.endswith("元"):
            return Parsed(error=f"“{raw}”的单位是元，本列为万元，请换算后填写")
        try:
            number = float(text)
        except ValueError:
            return Parsed(error=f"“{raw}”不是数字")
        if is_percent_text and not percent_column:
            return Parsed(error=f"“{raw}”是百分数，本列单位为{spec.unit or '数值'}")
    if not math.isfinite(number):
        return Parsed(error=f"“{raw}”不是有效的数字")
    if spec.kind == "int":
        if not number.is_integer():
            return Parsed(error=f"“{_show(raw)}”应为整数")
        return Parsed(int(number))
    return Parsed(number)


def _serial_to_date(serial: float) -> Parsed:
    day = int(serial)  # a fraction is the time of day
    if day == 60:
        return Parsed(error="日期序号 60 对应 Excel 中并不存在的 1900年2月29日")
    if day < 1 or day > 2_958_465:
        return Parsed(error=f"“{_show(serial)}”不是有效的日期")
    offset = day if day > 60 else day + 1  # before March 1900 Excel counts one day too few
    return Parsed(EXCEL_EPOCH + dt.timedelta(days=offset))


def _year_dot_month(number: float) -> Parsed:
    """2018.6 typed into a number cell. Excel keeps 2018.6 but turns 2018.10 into 2018.1, so .1 is ambiguous."""
    year_text, month_text = repr(number).split(".")
    if month_text == "1":
        return Parsed(error=f"“{number}”不能确定是{year_text}年1月还是10月，请写成 {year_text}-01 或 {year_text}-10")
    month = int(month_text)
    if not 1 <= month <= 12:
        return Parsed(error=f"“{number}”不是有效的年月")
    return Parsed(dt.date(int(year_text), month, 1))


def parse_date(raw: Any) -> Parsed:
    if isinstance(raw, dt.datetime):
        return Parsed(raw.date())
    if isinstance(raw, dt.date):
        return Parsed(raw)
    if isinstance(raw, bool):
        return Parsed(error=f"“{raw}”不是日期")
    if isinstance(raw, int | float):
        number = float(raw)
        if 1900 <= number < 2101:
            if number.is_integer():
                return Parsed(error=f"“{int(number)}”只有年份，请填写完整日期，如 {int(number)}-06-15")
            return _year_dot_month(number)
        return _serial_to_date(number)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    for pattern in _DATE_TEXT:
        match = pattern.match(text)
        if match:
            return _make_date(text, int(match["y"]), int(match["m"]), int(match["d"]))
    for pattern in _MONTH_TEXT:
        match = pattern.match(text)
        if match:
            return _make_date(text, int(match["y"]), int(match["m"]), 1)
    return Parsed(error=f"“{text}”不是可识别的日期（可写成 2018-06-15、2018/6/15 或 2018年6月15日）")


def _make_date(text: str, year: int, month: int, day: int) -> Parsed:
    try:
        return Parsed(dt.date(year, month, day))
    except ValueError:
        return Parsed(error=f"“{text}”不是有效的日期")


def parse_bool(raw: Any) -> Parsed:
    if isinstance(raw, bool):
        return Parsed(raw)
    word = _key(_show(raw))
    if word in TRUE_WORDS:
        return Parsed(True)
    if word in FALSE_WORDS:
        return Parsed(False)
    return Parsed(error=f"“{raw}”应为“是”或“否”")


def parse_text(spec: FieldSpec, raw: Any) -> Parsed:
    text = _show(raw) if isinstance(raw, int | float) else str(raw)
    text = text.strip()
    if spec.max_length is not None and len(text) > spec.max_length:
        return Parsed(error=f"内容过长（最多 {spec.max_length} 字，现为 {len(text)} 字）")
    if spec.kind == "phone" and not is_valid_phone(text):
        return Parsed(error=f"“{text}”不是有效的电话号码（座机请带区号，手机为11位）")
    if spec.kind == "email" and not is_valid_email(text):
        return Parsed(error=f"“{text}”不是有效的邮箱地址")
    return Parsed(text)


def parse_uscc(raw: Any) -> Parsed:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return Parsed(
            error=f"代码“{_show(raw)}”被 Excel 存成了数字，末尾几位可能已丢失；请把该列设为文本格式后重新填写"
        )
    result = uscc.check(str(raw))
    if not result.ok:
        return Parsed(error=result.message)
    return Parsed(result.code)


def parse_choice(spec: FieldSpec, raw: Any) -> Parsed:
    text = _show(raw).strip()
    if text in spec.choices:
        return Parsed(text)
    alias = CHOICE_ALIASES.get(spec.key, {}).get(text)
    if alias:
        return Parsed(alias)
    return Parsed(error=f"“{text}”应为{'、'.join(spec.choices)}之一")


def _lookup(table: dict[str, str], raw: Any, what: str) -> Parsed:
    code = table.get(_key(_show(raw)))
    if code is None:
        return Parsed(error=f"未知的{what}“{_show(raw)}”")
    return Parsed(code)


def parse_industry(raw: Any, lookups: Lookups) -> Parsed:
    text = _show(raw).strip()
    found = lookups.industries.get(_key(text))
    if found is None:
        # "C34 通用设备制造业" or "C34通用设备…": the leading division code decides, if it is one.
        match = re.match(r"^[Cc]?(\d{2})\b", text)
        if match:
            found = lookups.industries.get(match.group(1))
    if found is None:
        return Parsed(error=f"未知的行业“{text}”（应为制造业大类代码 C13—C43 或其名称）")
    return Parsed(found)


def parse_cell(spec: FieldSpec, raw: Any, lookups: Lookups, options: ParseOptions | None = None) -> Parsed:
    """The typed value of one cell for one column, or the reason it cannot be read."""
    value = clean(raw)
    if value is None:
        return Parsed(None)
    options = options or ParseOptions()
    parsers: dict[str, Callable[[], Parsed]] = {
        "int": lambda: parse_number(spec, value, options),
        "float": lambda: parse_number(spec, value, options),
        "date": lambda: parse_date(value),
        "bool": lambda: parse_bool(value),
        "choice": lambda: parse_choice(spec, value),
        "uscc": lambda: parse_uscc(value),
        "region": lambda: _lookup(lookups.regions, value, "单位"),
        "industry": lambda: parse_industry(value, lookups),
        "program": lambda: _lookup(lookups.programs, value, "培育层级"),
    }
    parser = parsers.get(spec.kind)
    return parser() if parser else parse_text(spec, value)


ColumnParser = Callable[[Any], tuple[Any, str | None]]


def column_parser(
    spec: FieldSpec, lookups: Lookups, options: ParseOptions, *, today: dt.date, factor: float = 1.0
) -> ColumnParser:
    """One column's parser, prepared once per sheet: (value, None) or (None, Chinese message).

    Same rules as `parse_cell` followed by `check_value`, with fast paths for the common cells (plain
    ASCII text, floats from the spreadsheet), because an import reads a million cells.
    Parse errors are prefixed with the column's label; rule messages already name it.
    """
    label = spec.label

    def checked(value: Any) -> tuple[Any, str | None]:
        if factor != 1.0 and isinstance(value, int | float) and not isinstance(value, bool):
            value = round(value * factor, 6)
            if spec.kind == "int" and float(value).is_integer():
                value = int(value)
        message = check_value(spec, value, today=today)
        return (None, message) if message else (value, None)

    def general(raw: Any) -> tuple[Any, str | None]:
        parsed = parse_cell(spec, raw, lookups, options)
        if parsed.error:
            return None, f"{label}：{parsed.error}"
        return (None, None) if parsed.value is None else checked(parsed.value)

    if spec.kind in ("text", "phone", "email"):
        limit = spec.max_length or 10_000
        extra_check = spec.kind != "text"

        def text(raw: Any) -> tuple[Any, str | None]:
            # Text that needs no tidying (no full-width letters or digits, no odd spaces) is taken as it is.
            if raw.__class__ is str and not extra_check:
                value = raw.strip()
                plain = value.isascii() or not NEEDS_TIDYING.search(value)
                if plain and len(value) <= limit:
                    return (value or None), None
            return general(raw)

        return text

    if spec.kind == "date":
        earliest = dt.date(1900, 1, 1)

        def date(raw: Any) -> tuple[Any, str | None]:
            if raw.__class__ is dt.date and earliest <= raw and (raw <= today or spec.allow_future):
                return raw, None
            return general(raw)

        return date

    if spec.kind in ("int", "float") and factor == 1.0 and spec.unit != "%":
        low, high, whole = spec.min_value, spec.max_value, spec.kind == "int"

        def number(raw: Any) -> tuple[Any, str | None]:
            if raw.__class__ is float and (low is None or raw >= low) and (high is None or raw <= high):
                if not whole:
                    return raw, None
                if raw.is_integer():
                    return int(raw), None
            return general(raw)

        return number

    if spec.kind == "uscc":

        def code(raw: Any) -> tuple[Any, str | None]:
            if raw.__class__ is str:
                result = uscc.check(raw)
                if result.ok:
                    return result.code, None
            return general(raw)

        return code

    if spec.kind in ("region", "industry", "program", "choice", "bool"):
        cache: dict[Any, tuple[Any, str | None]] = {}

        def lookup(raw: Any) -> tuple[Any, str | None]:
            # A handful of distinct unit, industry and program names repeat down the column.
            try:
                return cache[raw]
            except KeyError:
                cache[raw] = result = general(raw)
                return result

        return lookup

    return general


ColumnReader = Callable[[Sequence[Any]], tuple[list[Any], dict[int, str]]]
_MISS = object()  # a cell the fast path could not decide: it goes through the column's full parser


# Columns whose few distinct values repeat down the sheet (units, industries, 是/否): each distinct
# value is parsed once.
REPEATING_KINDS = ("region", "industry", "program", "choice", "bool")


def column_reader(
    spec: FieldSpec, lookups: Lookups, options: ParseOptions, *, today: dt.date, factor: float = 1.0
) -> ColumnReader:
    """Read a whole column at once: (values, {position: message}). Same rules as `column_parser`, but
    the common cells are decided in one list comprehension, which is what makes a 50,000-row import
    take seconds rather than tens of seconds."""
    parse = column_parser(spec, lookups, options, today=today, factor=factor)
    fast = _fast_column(spec, today, factor)
    repeating = spec.kind in REPEATING_KINDS
    maybe_repeating = spec.kind == "text"  # 企业规模, 法定代表人, 主导产品: often few distinct values

    def decide_distinct(cells: Sequence[Any]) -> list[Any] | None:
        try:
            distinct = set(cells)
        except TypeError:  # an unhashable cell value: never from a spreadsheet reader, but be safe
            return None
        if len(distinct) > (1000 if repeating else len(cells) // 4):
            return None
        if any(v.__class__ is bool for v in distinct):
            return None  # True == 1.0 as a dict key: such columns take the cell-by-cell path
        decided: dict[Any, Any] = {}
        for raw in distinct:
            value, message = parse(raw)
            decided[raw] = _MISS if message else value
        return [decided[v] for v in cells]

    def read(cells: Sequence[Any]) -> tuple[list[Any], dict[int, str]]:
        values = (decide_distinct(cells) if repeating or maybe_repeating else None) or fast(cells)
        errors: dict[int, str] = {}
        position = 0
        while True:  # list.index finds the undecided cells at C speed; most columns have none
            try:
                position = values.index(_MISS, position)
            except ValueError:
                return values, errors
            values[position], message = parse(cells[position])
            if message:
                errors[position] = message
            position += 1

    return read


def _fast_column(spec: FieldSpec, today: dt.date, factor: float) -> Callable[[Sequence[Any]], list[Any]]:
    miss = _MISS
    if spec.kind in ("int", "float") and factor == 1.0 and spec.unit != "%":
        low = -math.inf if spec.min_value is None else spec.min_value
        high = math.inf if spec.max_value is None else spec.max_value
        if spec.kind == "float":
            return lambda cells: [
                v if v.__class__ is float and low <= v <= high else None if v == "" or v is None else miss
                for v in cells
            ]
        return lambda cells: [
            int(v)
            if v.__class__ is float and v.is_integer() and low <= v <= high
            else None
            if v == "" or v is None
            else miss
            for v in cells
        ]
    if spec.kind == "text":
        limit = spec.max_length or 10_000
        untidy = NEEDS_TIDYING.search
        return lambda cells: [
            (s or None)
            if v.__class__ is str and len(s := v.strip()) <= limit and (s.isascii() or not untidy(s))
            else None
            if v is None
            else miss
            for v in cells
        ]
    if spec.kind == "phone":
        # The two everyday shapes; anything else (brackets, extensions, full-width) takes the full check.
        everyday = re.compile(r"1[3-9]\d{9}|0\d{2,3}-\d{7,8}").fullmatch
        return lambda cells: [
            s if v.__class__ is str and everyday(s := v.strip()) else None if v == "" or v is None else miss
            for v in cells
        ]
    if spec.kind == "date":
        earliest = dt.date(1900, 1, 1)
        latest = dt.date.max if spec.allow_future else today
        return lambda cells: [
            v if v.__class__ is dt.date and earliest <= v <= latest else None if v == "" or v is None else miss
            for v in cells
        ]
    return lambda cells: [None if v == "" or v is None else miss for v in cells]
