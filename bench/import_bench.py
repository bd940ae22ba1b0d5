"""Import benchmark (DESIGN §7): 50,000 rows × 20 columns validated and committed, against a bare
python-calamine parse of the same file, measured in the same process."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from province import DB_PATH, ROOT

from zjtx_desktop import uscc
from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.exchange.importer import commit_plan, plan_import

ROWS = 50_000
HEADERS = [
    "企业名称", "统一社会信用代码", "所属单位", "成立日期", "注册资本(万元)", "法定代表人", "注册地址", "所属行业",
    "企业类型", "企业规模", "从业人员(人)", "研发人员(人)", "联系人", "联系电话", "主导产品", "细分市场",
    "自主商标", "浙江制造认证", "研发机构级别", "联系干部",
]  # fmt: skip
UNITS = ["莲都区", "龙泉市", "青田县", "云和县", "庆元县", "缙云县", "遂昌县", "松阳县", "景宁畲族自治县"]
AREAS = {"莲都区": "331102", "龙泉市": "331181", "青田县": "331121", "云和县": "331125", "庆元县": "331126",
         "缙云县": "331122", "遂昌县": "331123", "松阳县": "331124", "景宁畲族自治县": "331127"}  # fmt: skip


def build_workbook(path: Path, rows: int = ROWS, seed: int = 7) -> Path:
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业信息")
    sheet.append(["“专精特新”培育企业基本信息表"])
    sheet.append(HEADERS)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for n in range(rows):
        unit = rng.choice(UNITS)
        body = "MA" + "".join(rng.choice(alphabet) for _ in range(6))
        code = uscc.make("9", "1", AREAS[unit], body)
        employees = rng.randint(10, 400)
        sheet.append([
            f"丽水{n}号精密机械有限公司", code, unit, dt.date(2000 + n % 20, 1 + n % 12, 1 + n % 28),
            round(rng.uniform(50, 5000), 1), "张伟", f"浙江省丽水市{unit}工业路{n % 300}号", "C34 通用设备制造业",
            rng.choice(["规上", "规下"]), rng.choice(["小型", "微型", "中型"]), employees, employees // 10, "李娜",
            f"1385781{n % 10000:04d}", "阀门、管件", "工业阀门", rng.choice(["是", "否"]), "否", "市级", "王芳",
        ])  # fmt: skip
    workbook.save(path)
    return path


def bare_parse(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    workbook = CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    workbook.close()
    return time.perf_counter() - started


def import_ratio(folder: Path, province: Path | None = None, runs: int = 3) -> tuple[float, float]:
    """(median seconds to import and commit, median seconds for the bare parse), same file, same process.

    With `province`, each run imports into a fresh copy of that database (DESIGN §7 measures on the
    province-scale database: the new rows join 100,000 stored enterprises and their indexes).
    """
    path = build_workbook(folder / "import-50k.xlsx")
    imports: list[float] = []
    parses: list[float] = []
    for run in range(runs):
        target = folder / f"import-{run}.sqlite3"
        if province is not None:
            shutil.copyfile(province, target)
        parses.append(bare_parse(path))
        ctx = open_database(resolve_location(str(target)))
        try:
            started = time.perf_counter()
            with transaction(ctx.sessions) as session:
                plan = plan_import(session, path)
                result = commit_plan(session, "bench", plan)
            imports.append(time.perf_counter() - started)
        finally:
            ctx.close()
        assert result.committed and result.created + result.updated == ROWS, (result, plan.errors[:3])
        for leftover in folder.glob(f"{target.name}*"):
            leftover.unlink()
    return statistics.median(imports), statistics.median(parses)


def main() -> int:
    province = DB_PATH if DB_PATH.exists() else None
    with tempfile.TemporaryDirectory() as folder:
        seconds, baseline = import_ratio(Path(folder), province)
    print(
        f"导入 {ROWS:,} 行 × 20 列：{seconds:.2f} s；裸解析 {baseline:.2f} s；比值 {seconds / baseline:.2f}（预算 ≤ 2）"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
