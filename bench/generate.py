"""Creates the province-scale benchmark database with generate_demo (or reuses a complete one) and times it."""

from __future__ import annotations

import dataclasses
import json
import sys
import time

from province import COUNT, DB_PATH, GENERATION_BUDGET_S, META_PATH, OUT, SEED, complete_meta, generator_fingerprint

from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.demo import generate_demo


def main() -> int:
    meta = complete_meta()
    if meta is not None:
        print(f"复用已有的省级规模数据库 {DB_PATH}（生成用时 {meta['seconds']:.1f} s）")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    # Remove a stale or half-written database with its WAL files (and the meta that described it).
    for path in (
        META_PATH,
        DB_PATH,
        DB_PATH.with_name(DB_PATH.name + "-wal"),
        DB_PATH.with_name(DB_PATH.name + "-shm"),
    ):
        path.unlink(missing_ok=True)

    print(f"正在生成省级规模数据库：{COUNT:,} 家企业，种子 {SEED} → {DB_PATH}")
    ctx = open_database(resolve_location(str(DB_PATH)))
    shown = -1

    def show(done: int, total: int, message: str) -> None:
        nonlocal shown
        if done // 10 != shown // 10:  # one line per tenth is plenty
            shown = done
            print(f"  {done:3d}% {message}", flush=True)

    try:
        started = time.perf_counter()
        with transaction(ctx.sessions) as session:
            summary = generate_demo(session, COUNT, SEED, progress=show)
        seconds = time.perf_counter() - started
    finally:
        ctx.close()

    meta = {
        "count": COUNT,
        "seed": SEED,
        "fingerprint": generator_fingerprint(),
        "seconds": round(seconds, 2),
        "summary": dataclasses.asdict(summary),
    }
    META_PATH.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    verdict = "PASS" if seconds <= GENERATION_BUDGET_S else "FAIL"
    print(
        f"生成完成：{summary.enterprises:,} 家企业、{summary.cultivations:,} 条培育记录、"
        f"{summary.annual_reports:,} 条年度监测、{summary.help_visits:,} 条帮扶记录，"
        f"用时 {seconds:.1f} s（预算 ≤ {GENERATION_BUDGET_S:.0f} s：{verdict}）"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
