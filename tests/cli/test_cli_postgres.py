"""The command-line contract against a PostgreSQL server (skipped unless ZJTX_TEST_PG_URL names one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_chinese_line, run

pytestmark = pytest.mark.postgres


def test_init_demo_check_progress_export_import_and_report(pg_url: str, tmp_path: Path) -> None:
    created = run("--db", pg_url, "init", "--demo", "60", "--seed", "3")
    assert created.returncode == 0, created.stderr
    assert "已生成演示数据：60 家企业" in created.stdout

    checked = run("--db", pg_url, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "未发现问题" in checked.stdout

    progress = json.loads(run("--db", pg_url, "progress", "--json").stdout)
    assert progress["rows"] and any(row["done"] for row in progress["rows"])

    package = tmp_path / "package.xlsx"
    exported = run("--db", pg_url, "export", "package", "--out", str(package))
    assert exported.returncode == 0, exported.stderr

    roster = tmp_path / "roster.pdf"
    reported = run("--db", pg_url, "report", "roster", "--program", "ZJTX_SME", "--out", str(roster))
    assert reported.returncode == 0, reported.stderr
    assert roster.stat().st_size > 1000

    # The package back into the database it came from: everything is already there.
    again = run("--db", pg_url, "import", str(package), "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["committed"] and summary["created"] == 0 and summary["rejected"] == 0


def test_import_into_an_empty_server_database(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "source.sqlite3"
    assert run("--db", str(source), "init", "--demo", "40", "--seed", "5").returncode == 0
    package = tmp_path / "package.xlsx"
    assert run("--db", str(source), "export", "package", "--out", str(package)).returncode == 0

    imported = run("--db", pg_url, "import", str(package), "--json")
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert summary["committed"] and summary["created"] > 40 and summary["rejected"] == 0

    ours = json.loads(run("--db", pg_url, "progress", "--json").stdout)
    theirs = json.loads(run("--db", str(source), "progress", "--json").stdout)
    assert ours == theirs


def test_backup_and_restore_name_the_servers_own_tools(pg_url: str, tmp_path: Path) -> None:
    for args in (["backup", "--out", str(tmp_path / "b.sqlite3")], ["restore", str(tmp_path / "b.sqlite3")]):
        result = run("--db", pg_url, *args)
        assert result.returncode == 1
        assert_one_chinese_line(result)
        assert "pg_dump" in result.stderr or "pg_restore" in result.stderr
    assert not (tmp_path / "b.sqlite3").exists()


def _run_script(server_url: str, script: str) -> None:
    """Run a psql script of docs/sql (statements and \\connect lines) through the driver, as psql would."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        statement: list[str] = []
        connection = engine.connect()
        for line in script.splitlines():
            if line.startswith("--") or not line.strip():
                continue
            if line.startswith("\\connect "):
                connection.close()
                engine.dispose()
                target = make_url(server_url).set(database=line.split()[1])
                engine = create_engine(target, isolation_level="AUTOCOMMIT")
                connection = engine.connect()
                continue
            statement.append(line)
            if line.rstrip().endswith(";"):
                connection.exec_driver_sql("\n".join(statement))
                statement = []
        connection.close()
    finally:
        engine.dispose()


def test_city_deployment_with_the_documented_least_privilege_roles(pg_url: str, tmp_path: Path) -> None:
    """docs/sql as the city's IT staff run it: the program's account works, but cannot alter the audit trail,
    the tables or the schema version; an upgrade waits for the owner's init, and its new tables are granted."""
    import datetime as dt
    import os
    import re
    import subprocess

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from tests.corpus import county_list
    from tests.pg_server import find_bin_dir
    from zjtx_desktop.context import open_database
    from zjtx_desktop.database import resolve_location, transaction
    from zjtx_desktop.supervision import add_note, delete_note

    server = make_url(pg_url).set(database="postgres")
    suffix = f"{os.getpid()}"
    names = {"zjtx_owner": f"owner_{suffix}", "zjtx_app": f"app_{suffix}", "zjtx": f"zjtx_city_{suffix}"}
    passwords = {"请改为所有者的强密码": "Owner-pass-2026", "请改为程序账户的强密码": "App-pass-2026"}

    def adapt(script: str) -> str:
        script = re.sub(r"\b(zjtx_owner|zjtx_app|zjtx)\b", lambda m: names[m.group(1)], script)
        for placeholder, password in passwords.items():
            script = script.replace(placeholder, password)
        return script

    def url_for(role: str, password: str) -> str:
        return (
            make_url(pg_url)
            .set(username=role, password=password, database=names["zjtx"])
            .render_as_string(hide_password=False)
        )

    owner, app = url_for(names["zjtx_owner"], "Owner-pass-2026"), url_for(names["zjtx_app"], "App-pass-2026")
    docs = Path(__file__).resolve().parents[2] / "docs" / "sql"
    server_url = server.render_as_string(hide_password=False)
    try:
        _run_script(server_url, adapt((docs / "1-roles-and-database.sql").read_text(encoding="utf-8")))
        created = run("--db", owner, "init")
        assert created.returncode == 0, created.stderr
        _run_script(owner, adapt((docs / "2-after-init.sql").read_text(encoding="utf-8")))

        imported = run("--db", app, "import", str(county_list(tmp_path / "名单.xlsx")), "--json")
        assert imported.returncode == 0, imported.stderr
        assert json.loads(imported.stdout)["created"] == 6
        checked = run("--db", app, "check")
        assert checked.returncode == 0 and "审计记录校验链完整" in checked.stdout, checked.stdout + checked.stderr

        _run_script(owner, f'REVOKE SELECT ON target FROM "{names["zjtx_app"]}";')
        refused = run("--db", app, "progress")
        assert refused.returncode == 1
        assert_one_chinese_line(refused)
        assert "数据库账户没有这项操作所需的权限" in refused.stderr and "内部错误" not in refused.stderr
        unreadable = run("--db", app, "check")
        assert unreadable.returncode == 1 and "不能读取表 target" in unreadable.stdout, unreadable.stdout
        _run_script(owner, f'GRANT SELECT ON target TO "{names["zjtx_app"]}";')

        engine = create_engine(app)
        try:
            for statement, words in (
                ("UPDATE audit_entry SET actor = '别人'", "permission denied"),
                ("DELETE FROM audit_entry", "permission denied"),
                ("DROP TRIGGER audit_entry_append_only_row ON audit_entry", "must be owner"),
                ("UPDATE alembic_version SET version_num = '0001'", "permission denied"),
                ("CREATE TABLE mine (id int)", "permission denied"),
            ):
                with pytest.raises(DBAPIError, match=words), engine.begin() as connection:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

        # Evidence goes in with its note and out with it (the cascade), but cannot be rewritten on its own.
        evidence = tmp_path / "推进会纪要.pdf"
        evidence.write_bytes(b"%PDF-1.4 minutes")
        client = open_database(resolve_location(app))
        try:
            with transaction(client.sessions) as session:
                note_id = add_note(
                    session,
                    client.actor,
                    1,
                    period="2026",
                    recorded_on=dt.date(2026, 11, 2),
                    status="推进中",
                    note="已召开推进会",
                    evidence=evidence,
                    data_dir=tmp_path,
                )
            with pytest.raises(DBAPIError, match="permission denied"), client.engine.begin() as connection:
                connection.execute(text("UPDATE evidence_content SET content = 'x', sha256 = 'y'"))
            with transaction(client.sessions) as session:
                delete_note(session, client.actor, note_id)
            with client.engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM evidence_content")).scalar_one() == 0
        finally:
            client.close()

        # A new program version with a new table: the program's account is told to wait for the owner's init.
        _run_script(owner, "DROP TABLE evidence_content;\nUPDATE alembic_version SET version_num = '0007';")
        waiting = run("--db", app, "progress")
        assert waiting.returncode == 1
        assert_one_chinese_line(waiting)
        assert "无权修改表结构" in waiting.stderr and "init" in waiting.stderr
        upgraded = run("--db", owner, "init")
        assert upgraded.returncode == 0 and "升级到" in upgraded.stdout, upgraded.stdout + upgraded.stderr
        assert run("--db", app, "progress").returncode == 0
        engine = create_engine(app)
        try:
            with engine.connect() as connection:
                granted = connection.execute(text("SELECT has_table_privilege('evidence_content', 'INSERT')"))
                assert granted.scalar_one() is True
        finally:
            engine.dispose()

        # The documented backup and restore drill: pg_dump, a new database, pg_restore, the scripts, check.
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        dump = tmp_path / "zjtx.dump"
        libpq = server.set(drivername="postgresql")
        source = libpq.set(database=names["zjtx"]).render_as_string(hide_password=False)
        subprocess.run([str(bin_dir / "pg_dump"), "-Fc", "-d", source, "-f", str(dump)], check=True)
        restored = names["zjtx"] + "_restored"
        _run_script(
            server_url,
            f'CREATE DATABASE "{restored}" OWNER "{names["zjtx_owner"]}" ENCODING \'UTF8\' TEMPLATE template0;',
        )
        target = libpq.set(database=restored).render_as_string(hide_password=False)
        subprocess.run(
            [str(bin_dir / "pg_restore"), "-d", target, "--no-owner", f"--role={names['zjtx_owner']}", str(dump)],
            check=True,
        )
        first = (docs / "1-roles-and-database.sql").read_text(encoding="utf-8")
        names["zjtx"] = restored
        _run_script(server_url, adapt("\\connect zjtx\n" + first.split("\\connect zjtx", 1)[1]))
        owner_restored = url_for(names["zjtx_owner"], "Owner-pass-2026")  # names["zjtx"] is the new database now
        app_restored = url_for(names["zjtx_app"], "App-pass-2026")
        _run_script(owner_restored, adapt((docs / "2-after-init.sql").read_text(encoding="utf-8")))
        checked = run("--db", app_restored, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "审计记录校验链完整" in checked.stdout
        same = json.loads(run("--db", app_restored, "progress", "--json").stdout)
        assert same == json.loads(run("--db", app, "progress", "--json").stdout)
        engine = create_engine(app_restored)
        try:
            with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as connection:
                connection.execute(text("DELETE FROM audit_entry"))
        finally:
            engine.dispose()
    finally:
        _run_script(
            server_url,
            f'DROP DATABASE IF EXISTS "{names["zjtx"]}" WITH (FORCE);\n'
            f'DROP DATABASE IF EXISTS "{names["zjtx"].removesuffix("_restored")}" WITH (FORCE);\n'
            f'DROP ROLE IF EXISTS "{names["zjtx_owner"]}";\nDROP ROLE IF EXISTS "{names["zjtx_app"]}";',
        )
