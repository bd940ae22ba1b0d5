"""Several clients at once on one PostgreSQL server: editors, an importer and a reader as separate processes.

Checks that no update is lost, nothing deadlocks, a reader sees an import whole or not at all and the audit
chain stays intact, and reports throughput. Uses ZJTX_BENCH_PG_URL (a user that may create databases) when
set, else a throw-away server on loopback (tests/pg_server.py); without PostgreSQL's binaries it says so and
skips. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import multiprocessing as mp
import os
import queue
import random
import sys
import tempfile
import textwrap
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from import_bench import AREAS, HEADERS, UNITS
from province import ROOT
from run import Result, print_table, verdict
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from zjtx_desktop import uscc
from zjtx_desktop.audit import check_audit_chain, record
from zjtx_desktop.context import AppContext, open_database
from zjtx_desktop.database import resolve_location, transaction
from zjtx_desktop.demo import generate_demo
from zjtx_desktop.enterprise_query import EnterpriseFilter, search_ids
from zjtx_desktop.exchange.importer import commit_plan, plan_import
from zjtx_desktop.models import AuditEntry, Enterprise
from zjtx_desktop.progress import progress_by_unit
from zjtx_desktop.registry import VersionConflict, get_enterprise, update_enterprise

URL_ENV = "ZJTX_BENCH_PG_URL"
PORT = 54331  # the throw-away server's; 54329 is the developers' own (tests/POSTGRESQL.md)
DEADLOCK_SQLSTATE = "40P01"
# The street of the second, updating import of the contended list: the reader counts the firms found under it.
UPDATED_STREET = "并发基准二路"


@dataclass(frozen=True)
class Settings:
    editors: int = 4
    readers: int = 1
    enterprises: int = 3000  # demo enterprises in the fresh database
    hot: int = 16  # enterprises the editors share, so that their edits really collide
    rows: int = 2000  # rows of each imported county list
    duration: float = 20.0  # seconds the editors run (at least until the importer is done)
    import_after: float = 5.0  # seconds of editing before the importer starts, for edits/s without an import
    alone: float = 5.0  # seconds one editor runs by itself first, for the uncontended figures
    edits: int = 0  # instead of a duration: successful edits per editor
    think_ms: float = 0.0  # pause between reading a record and saving it, as a clerk's form would
    timeout: float = 180.0  # seconds after the run's end by which every process must have finished
    seed: int = 1


@dataclass(frozen=True)
class Job:
    """What one client process does; plain data, as it crosses into a spawned process."""

    role: str  # "editor", "reader" or "importer"
    index: int
    url: str
    settings: Settings
    hot: tuple[int, ...] = ()
    lists: tuple[str, ...] = ()  # the importer's workbooks, imported in this order

    @property
    def name(self) -> str:
        return f"{self.role} {self.index}"

    @property
    def actor(self) -> str:
        return f"bench-{self.role}-{self.index}"


# --- workbooks -------------------------------------------------------------------------------


def build_list(path: Path, first: int, rows: int, street: str, seed: int) -> Path:
    """A county list of `rows` firms numbered from `first`, in import_bench's columns. The codes (organisation
    code QB…) never meet the demo's; the same first and seed give the same firms, so a second list with another
    street updates only the address of each."""
    from openpyxl import Workbook

    rng = random.Random(f"{seed}:{first}")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业信息")
    sheet.append(["“专精特新”培育企业基本信息表"])
    sheet.append(HEADERS)
    for n in range(first, first + rows):
        unit = rng.choice(UNITS)
        code = uscc.make("9", "1", AREAS[unit], f"QB{n:06d}")
        employees = rng.randint(10, 400)
        sheet.append([
            f"丽水并发{n}号精密机械有限公司", code, unit, dt.date(2000 + n % 20, 1 + n % 12, 1 + n % 28),
            round(rng.uniform(50, 5000), 1), "张伟", f"浙江省丽水市{unit}{street}{n % 300}号", "C34 通用设备制造业",
            rng.choice(["规上", "规下"]), rng.choice(["小型", "微型", "中型"]), employees, employees // 10, "李娜",
            f"1385781{n % 10000:04d}", "阀门、管件", "工业阀门", rng.choice(["是", "否"]), "否", "市级", "王芳",
        ])  # fmt: skip
    workbook.save(path)
    return path


@dataclass(frozen=True)
class ImportTiming:
    file: str
    created: int
    updated: int
    plan_s: float
    commit_s: float
    started: float  # wall-clock times, to tell the editors' edits during the import from the others
    ended: float

    @property
    def seconds(self) -> float:
        return self.plan_s + self.commit_s

    @property
    def rows(self) -> int:
        return self.created + self.updated


def import_list(ctx: AppContext, path: Path) -> ImportTiming:
    """As the 导入 page does it: check the file in one session, then commit the plan in a new transaction."""
    started, wall = time.perf_counter(), time.time()
    with ctx.sessions() as session:
        plan = plan_import(session, path)
    planned = time.perf_counter()
    if plan.errors:
        raise RuntimeError(f"{path.name}: {len(plan.errors)} rejected cells, first {plan.errors[0]}")
    with transaction(ctx.sessions) as session:
        result = commit_plan(session, ctx.actor, plan)
    ended = time.perf_counter()
    if not result.committed:
        raise RuntimeError(f"{path.name} was not committed: {result}")
    return ImportTiming(
        path.name, result.created, result.updated, planned - started, ended - planned, wall, time.time()
    )


# --- the clients (each in its own process) ---------------------------------------------------


def edit(ctx: AppContext, job: Job, go: Event, stop: Event) -> dict[str, Any]:
    """Read-modify-write: read a hot enterprise, add one to its 从业人员 saving with the version read; on a
    VersionConflict read again and retry. Only edits that were saved are counted."""
    settings = job.settings
    rng = random.Random(f"{settings.seed}:editor:{job.index}")
    saved: Counter[int] = Counter()
    latencies: list[float] = []  # first read to the saving commit, retries included
    finished_at: list[float] = []
    conflicts = abandoned = most_retries = 0
    go.wait()
    while not stop.is_set() and not (settings.edits and len(latencies) >= settings.edits):
        enterprise_id = rng.choice(job.hot)
        started = time.perf_counter()
        retries = 0
        while True:
            with ctx.sessions() as session:
                current = get_enterprise(session, enterprise_id)
            if settings.think_ms:
                time.sleep(settings.think_ms / 1000)
            try:
                with transaction(ctx.sessions) as session:
                    employees = current.values["employees"] + 1
                    update_enterprise(session, ctx.actor, enterprise_id, current.version, {"employees": employees})
            except VersionConflict:
                conflicts += 1
                if stop.is_set():
                    abandoned += 1
                    break
                retries += 1
                continue
            saved[enterprise_id] += 1
            latencies.append(time.perf_counter() - started)
            finished_at.append(time.time())
            most_retries = max(most_retries, retries)
            break
    return {
        "saved": dict(saved),
        "latencies": latencies,
        "finished_at": finished_at,
        "conflicts": conflicts,
        "abandoned": abandoned,
        "most_retries": most_retries,
    }


def read(ctx: AppContext, job: Job, go: Event, stop: Event) -> dict[str, Any]:
    """What a colleague's screen shows meanwhile: the 企业库 count, the firms under the updated street, and
    progress for every unit. Records each distinct count in the order seen."""
    everything, updated = EnterpriseFilter(), EnterpriseFilter(text=UPDATED_STREET)
    totals: list[int] = []
    tagged: list[int] = []
    rounds: list[float] = []
    go.wait()
    last = False
    while not last:
        last = stop.is_set()  # one round after the stop: it starts after the importer's last commit
        started = time.perf_counter()
        with ctx.sessions() as session:
            total = len(search_ids(session, everything))
            found = len(search_ids(session, updated))
            progress_by_unit(session, previous_year_end=dt.date.today().year - 1)
        rounds.append(time.perf_counter() - started)
        if not totals or totals[-1] != total:
            totals.append(total)
        if not tagged or tagged[-1] != found:
            tagged.append(found)
    return {"totals": totals, "tagged": tagged, "rounds": rounds}


def run_imports(ctx: AppContext, job: Job, go: Event, stop: Event) -> dict[str, Any]:
    go.wait()
    if stop.wait(job.settings.import_after):
        return {"imports": []}
    # Plain values: a class of a spawned script's main module cannot be unpickled by the parent.
    return {"imports": [dataclasses.asdict(import_list(ctx, Path(path))) for path in job.lists]}


ROLES: dict[str, Callable[[AppContext, Job, Event, Event], dict[str, Any]]] = {
    "editor": edit,
    "reader": read,
    "importer": run_imports,
}


def _is_deadlock(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if getattr(seen, "sqlstate", None) == DEADLOCK_SQLSTATE:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


def client(job: Job, go: Event, stop: Event, results: Any) -> None:
    """A process's whole life: open the database as its own client, say ready, work, report."""
    try:
        ctx = open_database(resolve_location(job.url), actor=job.actor, daily=False)
    except Exception as error:  # noqa: BLE001 - every failure is reported to the parent, which decides
        results.put(("failed", job.name, traceback.format_exc(), _is_deadlock(error)))
        return
    try:
        results.put(("ready", job.name))
        outcome = ROLES[job.role](ctx, job, go, stop)
    except Exception as error:  # noqa: BLE001
        results.put(("failed", job.name, traceback.format_exc(), _is_deadlock(error)))
    else:
        results.put(("done", job.name, outcome))
    finally:
        ctx.close()


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Run:
    """What the parent saw: each client's report, failures, and how long the contended phase lasted."""

    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    deadlocks: int = 0  # clients that failed with PostgreSQL's deadlock_detected
    unfinished: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_clients(jobs: list[Job], settings: Settings) -> Run:
    spawn = mp.get_context("spawn")
    go, stop = spawn.Event(), spawn.Event()
    results = spawn.Queue()
    processes = {job.name: spawn.Process(target=client, args=(job, go, stop, results), name=job.name) for job in jobs}
    run = Run()
    for process in processes.values():
        process.start()
    editors = {job.name for job in jobs if job.role == "editor"}
    importers = {job.name for job in jobs if job.role == "importer"}
    ready: set[str] = set()
    started = 0.0
    deadline = time.monotonic() + settings.timeout  # for starting up; then for the run itself
    try:
        while len(run.outcomes) + len(run.failures) < len(jobs) and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                message = results.get(timeout=0.2)
                if message[0] == "ready":
                    ready.add(message[1])
                    if len(ready) == len(jobs):
                        started = time.monotonic()
                        deadline = started + settings.duration + settings.timeout
                        go.set()
                elif message[0] == "done":
                    run.outcomes[message[1]] = message[2]
                else:
                    _, name, trace, deadlock = message
                    run.failures.append(f"{name}: {trace.strip()}")
                    run.deadlocks += bool(deadlock)
                    go.set()  # the others must not wait for one that is gone
                    stop.set()
            if go.is_set() and not stop.is_set() and importers <= run.outcomes.keys():
                editing_done = editors <= run.outcomes.keys() if settings.edits else False
                if editing_done or time.monotonic() - started >= settings.duration:
                    run.seconds = time.monotonic() - started
                    stop.set()
        stop.set()
        if not run.seconds and started:
            run.seconds = time.monotonic() - started
        for name, process in processes.items():
            process.join(timeout=max(1.0, deadline - time.monotonic()))
            if process.is_alive() or (
                name not in run.outcomes and not any(f.startswith(f"{name}:") for f in run.failures)
            ):
                run.unfinished.append(name)
    finally:
        go.set()
        stop.set()
        for process in processes.values():
            if process.is_alive():
                process.kill()  # only our own clients, by their process
                process.join()
    return run


# --- checks and figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class HotRecord:
    id: int
    employees: int
    version: int


def hot_set(ctx: AppContext, settings: Settings) -> tuple[int, ...]:
    """The enterprises every editor picks from (demo firms with a 从业人员 figure)."""
    with ctx.sessions() as session:
        ids = list(
            session.scalars(
                select(Enterprise.id)
                .where(Enterprise.deleted_at.is_(None), Enterprise.employees.is_not(None))
                .order_by(Enterprise.id)
            )
        )
    return tuple(sorted(random.Random(f"{settings.seed}:hot").sample(ids, settings.hot)))


def hot_records(ctx: AppContext, ids: tuple[int, ...]) -> list[HotRecord]:
    with ctx.sessions() as session:
        records = [get_enterprise(session, enterprise_id) for enterprise_id in ids]
    return [HotRecord(r.id, r.values["employees"], r.version) for r in records]


def live_total(ctx: AppContext, street: str = "") -> int:
    with ctx.sessions() as session:
        return len(search_ids(session, EnterpriseFilter(text=street)))


def audit_total(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def audited_employees(ctx: AppContext, hot: list[HotRecord], after_id: int) -> list[str]:
    """Each hot enterprise's update entries, in order, must hand 从业人员 on from one to the next: an entry whose
    `before` is not the previous entry's `after` means a save was made over a value it never saw."""
    problems: list[str] = []
    with ctx.sessions() as session:
        for record_ in hot:
            entries = session.execute(
                select(AuditEntry.before, AuditEntry.after)
                .where(
                    AuditEntry.id > after_id,
                    AuditEntry.entity == "enterprise",
                    AuditEntry.entity_id == str(record_.id),
                    AuditEntry.action == "update",
                )
                .order_by(AuditEntry.id)
            ).all()
            value = record_.employees
            for before, after in entries:
                if (before or {}).get("employees") != value:
                    problems.append(f"enterprise {record_.id}: audit says {before} after {value}")
                    break
                value = (after or {}).get("employees")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def server_settings(engine: Engine) -> str:
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar()
        fsync = connection.exec_driver_sql("SHOW fsync").scalar()
        commit = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
    return f"PostgreSQL {version}, fsync={fsync}, synchronous_commit={commit}"


def deadlock_count(engine: Engine, database: str) -> int:
    """The server's own count of deadlocks it broke in this database (flushed as each client disconnects)."""
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = :name"), {"name": database}
        ).scalar()
    return int(found or 0)


def bench(server_url: str, settings: Settings, folder: Path, keep: bool = False) -> tuple[list[Result], str, bool]:
    """Make the database, import alone, run the clients, check. Returns the rows, a heading and whether all
    checks passed."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    database = f"zjtx_bench_{os.getpid()}"
    url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.exec_driver_sql(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0")
    try:
        heading = f"{server_settings(admin)}, database {database}"
        results, passed = _bench(url, settings, folder, admin, database)
        return results, heading, passed
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


def _bench(url: str, settings: Settings, folder: Path, admin: Engine, database: str) -> tuple[list[Result], bool]:
    rows, seed = settings.rows, settings.seed
    alone_new = build_list(folder / "alone.xlsx", 0, rows, "工业路", seed)
    alone_update = build_list(folder / "alone-updated.xlsx", 0, rows, "并发基准一路", seed)
    contended_new = build_list(folder / "contended.xlsx", rows, rows, "工业路", seed)
    contended_update = build_list(folder / "contended-updated.xlsx", rows, rows, UPDATED_STREET, seed)

    ctx = open_database(resolve_location(url), actor="bench")
    try:
        with transaction(ctx.sessions) as session:
            generate_demo(session, settings.enterprises, seed)
            record(session, ctx.actor, "demo", "database", after={"count": settings.enterprises, "seed": seed})
        alone = [import_list(ctx, alone_new), import_list(ctx, alone_update)]
        hot_ids = hot_set(ctx, settings)
    finally:
        ctx.close()
    # One editor by itself first: what an edit costs when nobody else is working.
    by_itself = dataclasses.replace(settings, duration=settings.alone, edits=0)
    solo = run_clients([Job("editor", 0, url, by_itself, hot=hot_ids)], by_itself)

    ctx = open_database(resolve_location(url), actor="bench", daily=False)
    try:
        hot = hot_records(ctx, hot_ids)
        total_before = live_total(ctx)
        with ctx.sessions() as session:
            last_audit_id = session.scalar(select(func.max(AuditEntry.id))) or 0
        audit_before = audit_total(ctx)
    finally:
        ctx.close()
    deadlocks_before = deadlock_count(admin, database)

    jobs = [Job("editor", n, url, settings, hot=hot_ids) for n in range(1, settings.editors + 1)]
    jobs += [Job("reader", n, url, settings) for n in range(1, settings.readers + 1)]
    jobs.append(Job("importer", 1, url, settings, lists=(str(contended_new), str(contended_update))))
    run = run_clients(jobs, settings)
    run.failures[:0] = solo.failures
    run.unfinished[:0] = solo.unfinished
    run.deadlocks += solo.deadlocks

    ctx = open_database(resolve_location(url), actor="bench", daily=False)
    try:
        results = _checks(ctx, settings, hot, run, total_before, audit_before, last_audit_id)
        server_deadlocks = deadlock_count(admin, database) - deadlocks_before
        results.insert(1, _deadlock_row(settings, run, server_deadlocks, len(jobs)))
    finally:
        ctx.close()
    results += _figures(settings, run, alone, solo)
    passed = not run.failures and not any(r.verdict == "FAIL" for r in results)
    for failure in run.failures:
        print(f"\n{failure}", file=sys.stderr)
    return results, passed


def imported(run: Run) -> list[ImportTiming]:
    return [ImportTiming(**timing) for timing in run.outcomes.get("importer 1", {}).get("imports", [])]


def _editor_outcomes(run: Run) -> dict[str, dict[str, Any]]:
    return {name: outcome for name, outcome in sorted(run.outcomes.items()) if name.startswith("editor")}


def _checks(
    ctx: AppContext,
    settings: Settings,
    hot: list[HotRecord],
    run: Run,
    total_before: int,
    audit_before: int,
    last_audit_id: int,
) -> list[Result]:
    editors = _editor_outcomes(run)
    saved: Counter[int] = Counter()
    for outcome in editors.values():
        saved.update({int(k): v for k, v in outcome["saved"].items()})
    edits = sum(saved.values())

    lost = Result("no lost update", "none lost")
    with ctx.sessions() as session:
        final = {r.id: get_enterprise(session, r.id) for r in hot}
    wrong = [
        f"{r.id}: {final[r.id].values['employees']} ≠ {r.employees} + {saved[r.id]}"
        for r in hot
        if final[r.id].values["employees"] != r.employees + saved[r.id]
        or final[r.id].version != r.version + saved[r.id]
    ]
    chain_breaks = audited_employees(ctx, hot, last_audit_id)
    lost.measured = f"{len(wrong)} lost"
    lost.verdict = verdict(not wrong and not chain_breaks and len(editors) == settings.editors)
    lost.note = (
        f"{len(hot)} hot enterprises, {edits:,} saved edits: final 从业人员 and version = initial + saved edits; "
        "each audited update starts from the previous one's value"
    )
    if wrong or chain_breaks:
        lost.note = "; ".join((wrong + chain_breaks)[:3])

    imports = imported(run)
    created = sum(i.created for i in imports)
    updated = sum(i.updated for i in imports)
    audit = Result("audit chain intact, one entry per change", "intact")
    with ctx.sessions() as session:
        chain = check_audit_chain(session)
    added = audit_total(ctx) - audit_before
    expected = edits + created + updated
    audit.measured = f"{chain.entries:,} entries"
    audit.verdict = verdict(chain.ok and added == expected and created == updated == settings.rows)
    audit.note = f"+{added:,} during the run = {edits:,} edits + {created:,} imported + {updated:,} updated by import"
    if not chain.ok:
        audit.note = chain.problems[0]
    elif added != expected:
        audit.note = f"+{added:,} during the run, expected {expected:,} ({edits:,} edits, {created + updated:,} import)"

    whole = Result("import seen whole or not at all", "before or after")
    readers = [outcome for name, outcome in run.outcomes.items() if name.startswith("reader")]
    allowed_totals, allowed_tagged = [total_before, total_before + settings.rows], [0, settings.rows]
    partial = [
        f"counts seen {outcome['totals']} / {outcome['tagged']}"
        for outcome in readers
        if any(t not in allowed_totals for t in outcome["totals"])
        or any(t not in allowed_tagged for t in outcome["tagged"])
        or outcome["totals"] != sorted(outcome["totals"])
        or outcome["tagged"] != sorted(outcome["tagged"])
    ]
    final_counts = (live_total(ctx), live_total(ctx, UPDATED_STREET))
    rounds = sum(len(outcome["rounds"]) for outcome in readers)
    whole.measured = f"{len(partial)} partial"
    whole.verdict = verdict(
        not partial and len(readers) == settings.readers and final_counts == (allowed_totals[1], allowed_tagged[1])
    )
    whole.note = (
        f"{rounds:,} reader rounds saw 企业库 {' → '.join(f'{t:,}' for t in readers[0]['totals']) if readers else '—'} "
        f"and the updated street {' → '.join(f'{t:,}' for t in readers[0]['tagged']) if readers else '—'}"
    )
    if partial:
        whole.note = partial[0]
    return [lost, audit, whole]


def _deadlock_row(settings: Settings, run: Run, server_deadlocks: int, clients: int) -> Result:
    result = Result("no deadlock, every client finished", "none")
    result.measured = f"{server_deadlocks + run.deadlocks} deadlocks"
    result.verdict = verdict(not server_deadlocks and not run.deadlocks and not run.unfinished and not run.failures)
    result.note = (
        f"{clients} processes finished within {settings.timeout:.0f} s of the end; "
        "the server's deadlock count for the database unchanged"
    )
    if run.unfinished:
        result.note = f"did not finish: {', '.join(run.unfinished)}"
    elif run.failures:
        result.note = f"{len(run.failures)} client(s) failed: {run.failures[0].splitlines()[-1]}"
    return result


def _figures(settings: Settings, run: Run, alone: list[ImportTiming], solo: Run) -> list[Result]:
    editors = _editor_outcomes(run)
    if not editors or not run.seconds:
        return []
    latencies = [x for outcome in editors.values() for x in outcome["latencies"]]
    edits, seconds = len(latencies), run.seconds
    conflicts = sum(outcome["conflicts"] for outcome in editors.values())
    attempts = edits + conflicts
    by_itself = solo.outcomes.get("editor 0", {}).get("latencies", [])

    throughput = Result(f"  saved edits/s, {len(editors)} editors (information)", "—", verdict="info")
    throughput.measured = f"{edits / seconds:.0f} /s"
    per_client = " / ".join(f"{len(o['latencies']) / seconds:.0f}" for o in editors.values())
    throughput.note = f"{edits:,} edits in {seconds:.1f} s ({per_client} /s each) on a hot set of {settings.hot}"
    if by_itself and solo.seconds:
        throughput.baseline = f"{len(by_itself) / solo.seconds:.0f} /s"
        throughput.note += "; baseline: one editor by itself"
    imports = imported(run)
    if imports:
        first, last = min(i.started for i in imports), max(i.ended for i in imports)
        moments = [t for outcome in editors.values() for t in outcome["finished_at"]]
        during = sum(1 for t in moments if first <= t <= last)
        quiet = seconds - (last - first)
        throughput.note += f"; {during / (last - first):.0f} /s while importing" + (
            f", {(edits - during) / quiet:.0f} /s otherwise" if quiet > 1 else ""
        )
    collisions = Result("  version conflicts (information)", "—", verdict="info")
    collisions.measured = f"{conflicts:,}"
    collisions.note = (
        f"{conflicts / attempts:.0%} of {attempts:,} saves met a newer version: read again and retried; "
        f"most retries for one edit {max(o['most_retries'] for o in editors.values())}, "
        f"{sum(o['abandoned'] for o in editors.values())} given up at the end"
    )
    latency = Result("  edit latency p50 / p95 (information)", "—", verdict="info")
    latency.measured = f"{percentile(latencies, 0.5) * 1000:.0f} / {percentile(latencies, 0.95) * 1000:.0f} ms"
    latency.note = f"first read to the saving commit, retries included; slowest {max(latencies) * 1000:.0f} ms"
    if by_itself:
        latency.baseline = f"{percentile(by_itself, 0.5) * 1000:.0f} / {percentile(by_itself, 0.95) * 1000:.0f} ms"
        latency.ratio = f"{percentile(latencies, 0.5) / percentile(by_itself, 0.5):.1f}×"
        latency.note += "; baseline: one editor by itself; ratio of p50"
    figures = [throughput, collisions, latency]

    for kind, contended, quiet in zip(("new", "updated"), imports, alone, strict=False):
        row = Result(f"  import {settings.rows:,} {kind} rows, contended (information)", "—", verdict="info")
        row.measured = f"{contended.rows / contended.seconds:,.0f} rows/s"
        row.baseline = f"{quiet.rows / quiet.seconds:,.0f} rows/s"
        row.ratio = f"{contended.seconds / quiet.seconds:.1f}×"
        row.note = (
            f"check {contended.plan_s:.2f} s + commit {contended.commit_s:.2f} s while the others ran; "
            f"baseline: the same import alone, {quiet.plan_s:.2f} s + {quiet.commit_s:.2f} s; ratio of times"
        )
        figures.append(row)
    readers = [o for name, o in run.outcomes.items() if name.startswith("reader")]
    rounds = [x for o in readers for x in o["rounds"]]
    if rounds:
        reader = Result("  reader round p50 / p95 (information)", "—", verdict="info")
        reader.measured = f"{percentile(rounds, 0.5) * 1000:.0f} / {percentile(rounds, 0.95) * 1000:.0f} ms"
        reader.note = "企业库 count, the count for a street, progress for every unit and program"
        figures.append(reader)
    return figures


# --- the server ----------------------------------------------------------------------------------


@contextlib.contextmanager
def server(port: int) -> Iterator[tuple[str | None, str]]:
    """(URL of a user that may create databases, where it came from); URL None when there is no server to use."""
    given = os.environ.get(URL_ENV)
    if given:
        yield given, URL_ENV
        return
    sys.path.insert(0, str(ROOT / "tests"))
    import pg_server

    if pg_server.find_bin_dir() is None:
        yield None, "no PostgreSQL server binaries (Debian package: postgresql)"
        return
    folder = Path(tempfile.mkdtemp(prefix="zjtx-bench-pg-"))
    try:
        yield pg_server.start(folder, port), f"a throw-away server on port {port}"
    finally:
        pg_server.stop(folder)


def main() -> int:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or ""))
    parser.add_argument("--editors", type=int, default=defaults.editors)
    parser.add_argument("--readers", type=int, default=defaults.readers)
    parser.add_argument("--enterprises", type=int, default=defaults.enterprises, help="demo enterprises")
    parser.add_argument("--hot", type=int, default=defaults.hot, help="enterprises the editors share")
    parser.add_argument("--rows", type=int, default=defaults.rows, help="rows of each imported list")
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds the editors run")
    parser.add_argument("--edits", type=int, default=defaults.edits, help="saved edits per editor instead")
    parser.add_argument("--alone", type=float, default=defaults.alone, help="seconds one editor runs by itself first")
    parser.add_argument("--import-after", type=float, default=defaults.import_after, help="seconds before importing")
    parser.add_argument("--think-ms", type=float, default=defaults.think_ms, help="pause between read and save")
    parser.add_argument("--timeout", type=float, default=defaults.timeout)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--port", type=int, default=PORT, help=f"the throw-away server's port (without {URL_ENV})")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    settings = Settings(
        editors=args.editors,
        readers=args.readers,
        enterprises=args.enterprises,
        hot=args.hot,
        rows=args.rows,
        duration=args.duration,
        edits=args.edits,
        import_after=args.import_after,
        alone=args.alone,
        think_ms=args.think_ms,
        timeout=args.timeout,
        seed=args.seed,
    )
    with server(args.port) as (url, origin):
        if url is None:
            print(f"Concurrent clients on PostgreSQL: skipped, {origin}.")
            return 0
        with tempfile.TemporaryDirectory() as folder:
            results, heading, passed = bench(url, settings, Path(folder), keep=args.keep)
    print(
        f"Concurrent clients on PostgreSQL ({origin}; {heading}): {settings.editors} editors, 1 importer, "
        f"{settings.readers} reader(s) as processes; {settings.enterprises:,} demo enterprises"
    )
    print_table(results)
    if not passed:
        failed = [r.name for r in results if r.verdict == "FAIL"]
        print(f"\n{len(failed)} check(s) failed: {'; '.join(failed)}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
