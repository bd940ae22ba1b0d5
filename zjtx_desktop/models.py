"""The data model: every entity of the cultivation work as SQLAlchemy 2 ORM classes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from zjtx_desktop.clock import utcnow as utcnow  # stamps are naive UTC; see clock.py

# Stable constraint names keep Alembic batch migrations (SQLite table copies) predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Timestamped:
    """Business rows carry created/updated stamps (the exchange compares them) and a version for
    optimistic locking, so concurrent edits are detected instead of silently overwritten."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


# --- reference data -------------------------------------------------------------------------


class Region(Base):
    """A reporting unit: the city, a county/district/county-level city, or the development zone."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    short_name: Mapped[str] = mapped_column(String(20))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(12))  # city / district / county / county_city / zone
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    is_standard: Mapped[bool] = mapped_column(Boolean, default=True)  # False: no GB/T 2260 code
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_city(self) -> bool:
        return self.kind == "city"


class Program(Base):
    """A cultivation tier (培育层级), e.g. 省"专精特新"培育库 or 专精特新"小巨人"."""

    __tablename__ = "program"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    short_name: Mapped[str] = mapped_column(String(30))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    scheme: Mapped[str] = mapped_column(String(8))  # "2018" Lishui scheme, "2022" national gradient
    level: Mapped[str] = mapped_column(String(10))  # county / city / province / nation
    size_class: Mapped[str] = mapped_column(String(20))  # 规下 / 规上 / 中小企业 …
    validity_years: Mapped[int | None] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Industry(Base):
    """A GB/T 4754-2017 manufacturing division, with older names seen in spreadsheets."""

    __tablename__ = "industry"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)  # C13 … C43
    name: Mapped[str] = mapped_column(String(60))
    aliases: Mapped[list[Any]] = mapped_column(default=list)


# --- the cultivation pools --------------------------------------------------------------------


class Enterprise(Timestamped, Base):
    """An enterprise, keyed by its 统一社会信用代码. Soft-deleted into a recycle bin, never purged by a clerk."""

    __tablename__ = "enterprise"
    __table_args__ = (
        Index("ix_enterprise_region_deleted", "region_code", "deleted_at"),
        # Search as you type scans only this index, already in list order (name): ≈ 30 ms for
        # 100,000 enterprises, where scanning the wide rows takes ≈ 170 ms.
        Index("ix_enterprise_search", "deleted_at", "name", "search_text", "name_initials"),
        # Covering index for target progress: joining 120,000 entries to their enterprises' units
        # reads this thin index instead of the wide enterprise rows.
        Index("ix_enterprise_unit_lookup", "id", "region_code", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_initials: Mapped[str] = mapped_column(String(100), default="")  # pinyin initials, lower case
    # Lower-cased "name USCC address" for substring search; kept in step by the registry service.
    search_text: Mapped[str] = mapped_column(String(400), default="", server_default="")
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    registered_capital: Mapped[float | None] = mapped_column(Float)  # 万元
    industry_code: Mapped[str | None] = mapped_column(ForeignKey("industry.code"))
    size_class: Mapped[str | None] = mapped_column(String(4))  # 大型 / 中型 / 小型 / 微型
    scale_type: Mapped[str | None] = mapped_column(String(8))  # 规上 / 规下 / 个体工业
    address: Mapped[str | None] = mapped_column(String(200))
    legal_representative: Mapped[str | None] = mapped_column(String(40))
    contact_person: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None] = mapped_column(Integer)
    rd_staff: Mapped[int | None] = mapped_column(Integer)
    main_products: Mapped[str | None] = mapped_column(String(200))  # up to three, separated by 、
    niche_market: Mapped[str | None] = mapped_column(String(200))  # 细分市场
    market_share: Mapped[float | None] = mapped_column(Float)  # % of the niche market
    market_rank: Mapped[int | None] = mapped_column(Integer)
    is_listed: Mapped[bool | None] = mapped_column(Boolean)
    own_trademark: Mapped[bool | None] = mapped_column(Boolean)
    zhejiang_made: Mapped[bool | None] = mapped_column(Boolean)  # "浙江制造" certification
    certifications: Mapped[str | None] = mapped_column(String(200))  # ISO 9001 …
    rd_institution_level: Mapped[str | None] = mapped_column(String(8))  # 无/县级/市级/省级/国家级
    digital_level: Mapped[str | None] = mapped_column(String(20))
    help_officer: Mapped[str | None] = mapped_column(String(40))  # 联系干部
    note: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(60))

    region: Mapped[Region] = relationship()
    cultivations: Mapped[list[Cultivation]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", passive_deletes=True
    )
    annual_reports: Mapped[list[AnnualReport]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", passive_deletes=True
    )
    help_visits: Mapped[list[HelpVisit]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", passive_deletes=True
    )


class Cultivation(Timestamped, Base):
    """One entry of an enterprise into a cultivation tier (enterprise × program × year/batch)."""

    __tablename__ = "cultivation"
    __table_args__ = (
        # Covering for progress counting (program, entry year → enterprises).
        Index("ix_cultivation_program_year", "program_code", "year", "enterprise_id"),
        Index("ix_cultivation_enterprise", "enterprise_id"),
    )

    STATUSES = ("培育中", "已认定", "已升级", "已退出")

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    program_code: Mapped[str] = mapped_column(ForeignKey("program.code"))
    year: Mapped[int] = mapped_column(Integer)  # the entry year, which target progress counts
    batch: Mapped[str | None] = mapped_column(String(20))  # 批次
    document_no: Mapped[str | None] = mapped_column(String(60))  # 文号
    entered_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="培育中")
    exited_on: Mapped[dt.date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship(back_populates="cultivations")
    program: Mapped[Program] = relationship()


class AnnualReport(Timestamped, Base):
    """Annual monitoring figures of one enterprise for one year; money in 万元. Ratios are derived, not stored."""

    __tablename__ = "annual_report"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "year"),
        Index("ix_annual_report_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    revenue: Mapped[float | None] = mapped_column(Float)  # 营业收入
    main_revenue: Mapped[float | None] = mapped_column(Float)  # 主营业务收入
    gross_output: Mapped[float | None] = mapped_column(Float)  # 工业总产值
    value_added: Mapped[float | None] = mapped_column(Float)  # 工业增加值
    total_profit: Mapped[float | None] = mapped_column(Float)  # 利润总额
    net_profit: Mapped[float | None] = mapped_column(Float)  # 净利润
    tax_paid: Mapped[float | None] = mapped_column(Float)  # 税收实际贡献
    export_value: Mapped[float | None] = mapped_column(Float)  # 出口额
    total_assets: Mapped[float | None] = mapped_column(Float)  # 资产总额
    total_liabilities: Mapped[float | None] = mapped_column(Float)  # 负债总额
    rd_expense: Mapped[float | None] = mapped_column(Float)  # 研发费用
    employees_avg: Mapped[int | None] = mapped_column(Integer)  # 从业人员(年平均)
    rd_staff: Mapped[int | None] = mapped_column(Integer)  # 研发人员
    land_area: Mapped[float | None] = mapped_column(Float)  # 用地面积(亩)
    energy_use: Mapped[float | None] = mapped_column(Float)  # 综合能耗(吨标煤)
    electricity: Mapped[float | None] = mapped_column(Float)  # 用电量(万千瓦时)
    cod: Mapped[float | None] = mapped_column(Float)  # 化学需氧量排放(吨)
    so2: Mapped[float | None] = mapped_column(Float)  # 二氧化硫排放(吨)
    nh3n: Mapped[float | None] = mapped_column(Float)  # 氨氮排放(吨)
    nox: Mapped[float | None] = mapped_column(Float)  # 氮氧化物排放(吨)
    nc_rate: Mapped[float | None] = mapped_column(Float)  # 装备数控化率(%)
    patents_invention: Mapped[int | None] = mapped_column(Integer)
    patents_utility: Mapped[int | None] = mapped_column(Integer)
    patents_design: Mapped[int | None] = mapped_column(Integer)
    software_copyrights: Mapped[int | None] = mapped_column(Integer)
    standards_led: Mapped[int | None] = mapped_column(Integer)
    safety_incidents: Mapped[int | None] = mapped_column(Integer)
    env_penalties: Mapped[int | None] = mapped_column(Integer)

    enterprise: Mapped[Enterprise] = relationship(back_populates="annual_reports")


class HelpVisit(Timestamped, Base):
    """A contact-and-help (联系帮扶) visit and the problem it raised, open until closed."""

    __tablename__ = "help_visit"
    __table_args__ = (Index("ix_help_visit_enterprise", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    officer: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # 走访 / 电话 / 座谈 …
    problem: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="办理中")  # 办理中 / 已办结
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)

    enterprise: Mapped[Enterprise] = relationship(back_populates="help_visits")


# --- targets and policy tasks -----------------------------------------------------------------


class Target(Timestamped, Base):
    """How many enterprises a unit should bring into a program within a period (annex of the policy)."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("region_code", "program_code", "start_year", "end_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    program_code: Mapped[str] = mapped_column(ForeignKey("program.code"))
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    document_no: Mapped[str | None] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)

    region: Mapped[Region] = relationship()
    program: Mapped[Program] = relationship()


class TargetPlan(Timestamped, Base):
    """A round of targets as the bureau issues it (program × period): the document and the total it states.

    The unit rows live in `target`; the plan's stated total is checked against their sum, so a
    mistyped unit count shows up as a 合计 that does not match the document.
    """

    __tablename__ = "target_plan"
    __table_args__ = (UniqueConstraint("program_code", "start_year", "end_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_code: Mapped[str] = mapped_column(ForeignKey("program.code"))
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(60))  # as the document words it: 到2020年, 其中2018年
    document_no: Mapped[str | None] = mapped_column(String(60))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    stated_total: Mapped[int | None] = mapped_column(Integer)  # the 合计 printed in the document
    note: Mapped[str | None] = mapped_column(Text)

    program: Mapped[Program] = relationship()


class IndicatorValue(Timestamped, Base):
    """A plan indicator that no enterprise record holds, entered by hand per unit and year
    (new small-and-micro enterprise parks)."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("code", "region_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)


class RuleSet(Timestamped, Base):
    """Scoring and screening rules kept as data, editable by the bureau without code: 亩均效益 schemes
    (kind "mujun", one per year, year None = the default) and criteria rule sets (kind "criteria")."""

    __tablename__ = "rule_set"
    __table_args__ = (UniqueConstraint("kind", "code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)


class PolicyTask(Timestamped, Base):
    """One of the fifteen tasks of the policy, with its responsible departments and measurable goal."""

    __tablename__ = "policy_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(60))
    lead_units: Mapped[list[Any]] = mapped_column(default=list)
    goal: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="未启动")  # 未启动/推进中/已完成/滞后
    deadline: Mapped[dt.date | None] = mapped_column(Date)

    progress_notes: Mapped[list[TaskProgress]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskProgress.recorded_on"
    )


class TaskProgress(Timestamped, Base):
    """A dated progress note on a policy task, optionally with an evidence file: in the data folder beside a
    SQLite database, in `evidence_content` on a server (see supervision.py)."""

    __tablename__ = "task_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("policy_task.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))  # e.g. 2018, 2018上半年
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)
    evidence_file: Mapped[str | None] = mapped_column(String(260))
    recorded_by: Mapped[str | None] = mapped_column(String(60))

    task: Mapped[PolicyTask] = relationship(back_populates="progress_notes")


class EvidenceContent(Base):
    """The evidence file of one progress note, kept in the database itself on a shared server deployment, so
    that every client can open it and the server's backups include it. Deleted with its note."""

    __tablename__ = "evidence_content"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_progress_id: Mapped[int] = mapped_column(ForeignKey("task_progress.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(260))  # the file's name as chosen, extension included
    size: Mapped[int] = mapped_column(Integer)  # bytes; at most supervision.MAX_EVIDENCE_BYTES
    sha256: Mapped[str] = mapped_column(String(64))  # hex, checked before the file is handed out
    modified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # the file's own date (naive UTC)
    # Deferred: loading a row never drags up to 50 MB along unless the content is asked for.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --- accounts, audit, imports, settings -------------------------------------------------------


class User(Timestamped, Base):
    """A login account; a county account is bound to its region."""

    __tablename__ = "user_account"

    ROLES = ("admin", "city", "county", "readonly")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """An append-only record of one change: who, when, what, before and after (hash-chained)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_entity", "entity", "entity_id"),
        Index("ix_audit_entry_enterprise", "enterprise_id"),
        # The 审计日志 viewer: newest first, by date, actor, action or kind of object (migration 0006).
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_actor_at", "actor", "at"),
        Index("ix_audit_entry_action_at", "action", "at"),
        Index("ix_audit_entry_entity_at", "entity", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(20))  # create / update / delete / restore / import …
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class ImportBatch(Base):
    """One import of a file, so that it can be reviewed and undone as a whole."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(60))
    file_name: Mapped[str] = mapped_column(String(260))
    file_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(60))


class Setting(Base):
    """A key/value setting of this installation (its unit, organisation name, …)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )
