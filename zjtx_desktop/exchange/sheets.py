"""The exchange workbook's sheets: which columns each holds, in which order, and how rows are matched.

Templates, exports, packages and the importer all read these specs (built from `fields.py`), so a
column is described once.
"""

from __future__ import annotations

from dataclasses import dataclass

from zjtx_desktop.fields import (
    ANNUAL_FIELDS,
    CULTIVATION_FIELDS,
    ENTERPRISE_FIELD_BY_KEY,
    ENTERPRISE_FIELDS,
    VISIT_FIELDS,
    FieldSpec,
)

FORMAT_VERSION = 1
METADATA_SHEET = "说明"
LISTS_SHEET = "选项"  # hidden: long drop-down lists live here (inline lists over 255 characters corrupt files)

UPDATED_AT = FieldSpec("updated_at", "最后修改时间", kind="text", synonyms=("修改时间", "更新时间"))
ENTERPRISE_REF = FieldSpec(
    "uscc", "统一社会信用代码", kind="uscc", required=True, synonyms=ENTERPRISE_FIELD_BY_KEY["uscc"].synonyms
)
ENTERPRISE_NAME_REF = FieldSpec(
    "enterprise_name",
    "企业名称",
    synonyms=ENTERPRISE_FIELD_BY_KEY["name"].synonyms,
    hint="仅供核对，按统一社会信用代码匹配企业",
)

TARGET_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("region_code", "所属单位", kind="region", required=True, synonyms=("单位", "县（市、区）", "地区")),
    FieldSpec("program_code", "培育层级", kind="program", required=True, synonyms=("层级", "类别")),
    FieldSpec(
        "start_year", "起始年份", kind="int", required=True, min_value=2000, max_value=2100, synonyms=("开始年份",)
    ),
    FieldSpec(
        "end_year",
        "截止年份",
        kind="int",
        required=True,
        min_value=2000,
        max_value=2100,
        synonyms=("结束年份", "到年份"),
    ),
    FieldSpec(
        "count",
        "目标数",
        kind="int",
        unit="家",
        required=True,
        min_value=0,
        max_value=100_000,
        synonyms=("目标", "任务数"),
    ),
    FieldSpec("document_no", "文件依据", max_length=60, synonyms=("文号", "依据文件")),
    FieldSpec("note", "说明", max_length=2000, synonyms=("备注",)),
)


@dataclass(frozen=True)
class SheetSpec:
    """One sheet of the exchange workbook."""

    kind: str  # enterprises / cultivation / monitoring / visits / targets
    name: str  # the sheet name people see
    title: str  # the title row above the header
    columns: tuple[FieldSpec, ...]
    match_keys: tuple[str, ...]  # the columns that identify a row for update-or-create

    def column(self, key: str) -> FieldSpec:
        for spec in self.columns:
            if spec.key == key:
                return spec
        raise KeyError(key)

    @property
    def headers(self) -> list[str]:
        return [spec.header for spec in self.columns]


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("enterprises", "企业信息", "“专精特新”培育企业基本信息表", ENTERPRISE_FIELDS, ("uscc",)),
    SheetSpec(
        "cultivation",
        "培育记录",
        "“专精特新”企业培育记录表",
        (ENTERPRISE_REF, ENTERPRISE_NAME_REF, *CULTIVATION_FIELDS),
        ("uscc", "program_code", "year"),
    ),
    SheetSpec(
        "monitoring",
        "年度监测",
        "培育企业年度监测数据表",
        (ENTERPRISE_REF, ENTERPRISE_NAME_REF, *ANNUAL_FIELDS),
        ("uscc", "year"),
    ),
    SheetSpec(
        "visits",
        "帮扶记录",
        "培育企业联系帮扶记录表",
        (ENTERPRISE_REF, ENTERPRISE_NAME_REF, *VISIT_FIELDS),
        ("uscc", "visited_on", "officer", "kind"),
    ),
    SheetSpec(
        "targets",
        "目标任务",
        "“专精特新”培育目标任务分解表",
        TARGET_FIELDS,
        ("region_code", "program_code", "start_year", "end_year"),
    ),
)
SHEET_BY_KIND = {sheet.kind: sheet for sheet in SHEETS}
SHEET_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
