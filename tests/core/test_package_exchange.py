"""Packages between county and city: round trip, other units' packages, edited packages, conflicts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.demo import generate_demo
from zjtx_desktop.exchange.importer import commit_plan, plan_import
from zjtx_desktop.exchange.package import verify_package, write_package
from zjtx_desktop.exchange.reading import UnusableFile
from zjtx_desktop.models import Enterprise
from zjtx_desktop.registry import get_enterprise, update_enterprise
from zjtx_desktop.settings import configure_installation


@pytest.fixture
def county_package(ctx: AppContext, tmp_path: Path) -> Path:
    """青田县's package from a database with demo data."""
    with transaction(ctx.sessions) as session:
        generate_demo(session, 120, 5, unit_code="331121")
    path = tmp_path / "青田县报送包.xlsx"
    with transaction(ctx.sessions) as session:
        write_package(path, session, "青田县经信局", unit_code="331121")
    return path


def _another_database(template_db: Path, tmp_path: Path, name: str, unit: str | None = None) -> AppContext:
    path = tmp_path / name
    shutil.copyfile(template_db, path)
    other = open_database(resolve_location(str(path)), actor="市局")
    if unit:
        with transaction(other.sessions) as session:
            configure_installation(session, unit, None, "2024-01-01T00:00:00")
    return other


def test_export_import_export_is_the_identity(county_package: Path, template_db: Path, tmp_path: Path) -> None:
    city = _another_database(template_db, tmp_path, "city.sqlite3")
    try:
        with transaction(city.sessions) as session:
            plan = plan_import(session, county_package)
            assert plan.package is not None and plan.package.unit_code == "331121"
            assert plan.count("error") == 0 and plan.warnings == []
            commit_plan(session, "市局", plan)
        again = tmp_path / "再次导出.xlsx"
        with transaction(city.sessions) as session:
            write_package(again, session, "市局", unit_code="331121")
    finally:
        city.close()
    original, copy = verify_package(county_package), verify_package(again)
    assert original.matches and copy.matches
    assert copy.actual_digest == original.actual_digest


def test_a_county_refuses_another_units_package(county_package: Path, template_db: Path, tmp_path: Path) -> None:
    lianduo = _another_database(template_db, tmp_path, "lianduo.sqlite3", unit="331102")
    try:
        with pytest.raises(UnusableFile, match="青田县"), transaction(lianduo.sessions) as session:
            plan_import(session, county_package, scope_unit="331102")
        with transaction(lianduo.sessions) as session:
            assert session.scalar(select(func.count()).select_from(Enterprise)) == 0
    finally:
        lianduo.close()


def test_an_edited_package_is_flagged(county_package: Path, template_db: Path, tmp_path: Path) -> None:
    workbook = load_workbook(county_package)
    sheet = workbook["企业信息"]
    sheet.cell(3, 5).value = 12345  # someone "corrects" a figure after export
    edited = tmp_path / "改过的.xlsx"
    workbook.save(edited)
    city = _another_database(template_db, tmp_path, "city.sqlite3")
    try:
        with transaction(city.sessions) as session:
            plan = plan_import(session, edited)
    finally:
        city.close()
    assert any("被修改过" in warning for warning in plan.warnings)


def test_a_newer_format_is_refused(county_package: Path, template_db: Path, tmp_path: Path) -> None:
    workbook = load_workbook(county_package)
    metadata = workbook["说明"]
    for row in metadata.iter_rows():
        if row[0].value == "格式版本":
            row[1].value = 99
    newer = tmp_path / "新格式.xlsx"
    workbook.save(newer)
    city = _another_database(template_db, tmp_path, "city.sqlite3")
    try:
        with pytest.raises(UnusableFile, match="更新版本"), transaction(city.sessions) as session:
            plan_import(session, newer)
    finally:
        city.close()


def test_an_older_incoming_row_is_a_conflict_kept_unless_taken(
    county_package: Path, template_db: Path, tmp_path: Path
) -> None:
    city = _another_database(template_db, tmp_path, "city.sqlite3")
    try:
        with transaction(city.sessions) as session:
            commit_plan(session, "市局", plan_import(session, county_package))
        with transaction(city.sessions) as session:  # the city corrects one enterprise afterwards
            enterprise = session.scalars(select(Enterprise).order_by(Enterprise.uscc)).first()
            assert enterprise is not None
            record = get_enterprise(session, enterprise.id)
            update_enterprise(session, "市局", enterprise.id, record.version, {"contact_person": "市局核实人"})
        # The county sends its (older) package again, with that enterprise's contact changed there too.
        workbook = load_workbook(county_package)
        sheet = workbook["企业信息"]
        header = [c.value for c in sheet[2]]
        contact = header.index("联系人") + 1
        for row in range(3, sheet.max_row + 1):
            if sheet.cell(row, 2).value == enterprise.uscc:
                sheet.cell(row, contact).value = "县里的联系人"
                conflict_row = row
        resent = tmp_path / "再次报送.xlsx"
        workbook.save(resent)
        with transaction(city.sessions) as session:
            plan = plan_import(session, resent)
            [conflict] = list(plan.rows("conflict"))
            assert (conflict.row, conflict.note) == (conflict_row, "表中数据比本机的旧")
            commit_plan(session, "市局", plan)  # conflicts are kept as stored unless taken
            assert get_enterprise(session, enterprise.id).values["contact_person"] == "市局核实人"
        with transaction(city.sessions) as session:
            plan = plan_import(session, resent)
            commit_plan(session, "市局", plan, take_conflicts=[("企业信息", conflict_row)])
            assert get_enterprise(session, enterprise.id).values["contact_person"] == "县里的联系人"
    finally:
        city.close()
