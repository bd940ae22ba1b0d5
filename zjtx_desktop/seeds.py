"""Reference data from db/seeds/: units, programs, industries, the fifteen tasks and the annex targets."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zjtx_desktop import server_locks
from zjtx_desktop.models import Industry, PolicyTask, Program, Region, RuleSet, Setting, Target, TargetPlan
from zjtx_desktop.paths import seeds_path
from zjtx_desktop.server_locks import hold_until_commit

TARGETS_SEEDED_KEY = "seed.targets_loaded"


@dataclass
class SeedResult:
    regions: int = 0
    programs: int = 0
    industries: int = 0
    tasks: int = 0
    targets: int = 0
    plans: int = 0
    rule_sets: int = 0

    @property
    def total(self) -> int:
        return self.regions + self.programs + self.industries + self.tasks + self.targets + self.plans + self.rule_sets


def load_seed(name: str, folder: Path | None = None) -> dict[str, Any]:
    path = (folder or seeds_path()) / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _insert_missing(session: Session, model: Any, key: str, rows: list[dict[str, Any]]) -> int:
    existing = set(session.scalars(select(getattr(model, key))))
    added = 0
    for row in rows:
        if row[key] not in existing:
            session.add(model(**row))
            added += 1
    session.flush()
    return added


def seed_reference_data(session: Session) -> SeedResult:
    """Add whatever reference rows are missing; never overwrite rows the bureau may have edited.

    The annex targets are loaded once, when the database is new: later the target table belongs to
    the bureau (revised counts, new periods), and re-adding deleted rows would undo its edits.
    """
    result = SeedResult()
    hold_until_commit(session, server_locks.SCHEMA)  # several clients opening a new database at once
    # Parents first: units refer to the city.
    regions = sorted(load_seed("regions")["regions"], key=lambda r: r["parent_code"] is not None)
    result.regions = _insert_missing(session, Region, "code", regions)
    result.programs = _insert_missing(session, Program, "code", load_seed("programs")["programs"])
    result.industries = _insert_missing(session, Industry, "code", load_seed("industries")["industries"])
    result.tasks = _insert_missing(session, PolicyTask, "number", load_seed("policy_tasks")["tasks"])
    if session.get(Setting, TARGETS_SEEDED_KEY) is None:
        annex = load_seed("targets")
        issued = dt.datetime.fromisoformat(annex["issued_on"])
        for table in annex["tables"]:
            for region_code, count in table["counts"].items():
                session.add(
                    Target(
                        region_code=region_code,
                        program_code=table["program"],
                        start_year=table["start_year"],
                        end_year=table["end_year"],
                        count=count,
                        document_no=annex["document_no"],
                        note=table.get("note"),
                        # The document's date, not the seeding time: every new database then holds
                        # the same rows, and packages exchanged between them compare equal.
                        created_at=issued,
                        updated_at=issued,
                    )
                )
                result.targets += 1
        session.add(Setting(key=TARGETS_SEEDED_KEY, value=annex["document_no"]))
        session.flush()
    result.plans = _add_missing_plans(session, load_seed("targets"))
    result.rule_sets = _add_missing_rule_sets(session)
    return result


def _add_missing_rule_sets(session: Session, folder: Path | None = None) -> int:
    """Rule sets shipped in db/seeds/rules/*.json that the database does not have yet (by kind, code and
    year). Existing ones are never overwritten: the bureau may have edited their thresholds."""
    folder = folder or seeds_path() / "rules"
    have = {
        (kind, code, year) for kind, code, year in session.execute(select(RuleSet.kind, RuleSet.code, RuleSet.year))
    }
    added = 0
    for path in sorted(folder.glob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8"))["rule_sets"]:
            key = (row["kind"], row["code"], row.get("year"))
            if key in have:
                continue
            have.add(key)
            session.add(
                RuleSet(
                    kind=row["kind"],
                    code=row["code"],
                    name=row["name"],
                    year=row.get("year"),
                    definition=row["definition"],
                    note=row.get("note"),
                )
            )
            added += 1
    session.flush()
    return added


def _add_missing_plans(session: Session, annex: dict[str, Any]) -> int:
    """A TargetPlan for every program × period that has unit targets but no plan (a new database, or one
    from before plans existed). The annex's own periods get its wording, document and stated totals."""
    planned: set[tuple[str, int, int]] = {
        (code, start, end)
        for code, start, end in session.execute(
            select(TargetPlan.program_code, TargetPlan.start_year, TargetPlan.end_year)
        )
    }
    issued = dt.datetime.fromisoformat(annex["issued_on"])
    titles = {(t["program"], t["start_year"], t["end_year"]): t.get("note") for t in annex["tables"]}
    added = 0
    periods = session.execute(
        select(Target.program_code, Target.start_year, Target.end_year, Target.document_no).order_by(Target.id)
    )
    for program_code, start_year, end_year, document_no in periods:
        key = (program_code, start_year, end_year)
        if key in planned:
            continue
        planned.add(key)
        from_annex = key in titles and document_no == annex["document_no"]
        stamp = issued if from_annex else None
        session.add(
            TargetPlan(
                program_code=program_code,
                start_year=start_year,
                end_year=end_year,
                title=titles[key] if from_annex else None,
                document_no=document_no,
                issued_on=issued.date() if from_annex else None,
                stated_total=annex["expected_totals"].get(f"{program_code} {start_year}-{end_year}")
                if from_annex
                else None,
                **({"created_at": stamp, "updated_at": stamp} if stamp else {}),
            )
        )
        added += 1
    session.flush()
    return added
