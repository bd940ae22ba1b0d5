"""A server that cannot be used is explained in Chinese, naming what to check, with the server's own words kept."""

from __future__ import annotations

import socket

import pytest

from zjtx_desktop.context import open_database
from zjtx_desktop.database import resolve_location
from zjtx_desktop.errors import DatabaseError
from zjtx_desktop.server_errors import explain_connection_failure

URL = "postgresql+psycopg://zjtx_app@db.lishui.gov.cn:5432/zjtx"


class ServerRefusal(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("message", "sqlstate", "words"),
    [
        ('FATAL:  password authentication failed for user "zjtx_app"', "28P01", "“zjtx_app”的密码不对"),
        ('FATAL:  no pg_hba.conf entry for host "10.1.2.3", user "zjtx_app"', "28000", "不允许账户“zjtx_app”"),
        ('FATAL:  database "zjtx" does not exist', "3D000", "上没有数据库“zjtx”"),
        ("failed to resolve host 'db.lishui.gov.cn'", None, "找不到数据库服务器“db.lishui.gov.cn”"),
        ('connection to server at "10.1.2.3", port 5432 failed: Connection refused', None, "拒绝连接"),
        ('connection to server at "10.1.2.3", port 5432 failed: timeout expired', None, "超时"),
        ("server does not support SSL, but SSL was required", None, "sslmode"),
    ],
)
def test_the_usual_failures_are_explained(message: str, sqlstate: str | None, words: str) -> None:
    text = explain_connection_failure(URL, ServerRefusal(message, sqlstate))
    assert text is not None and words in text
    assert text.endswith(message)  # the administrator still sees what the server said


def test_anything_else_is_left_to_the_general_message() -> None:
    assert explain_connection_failure(URL, ServerRefusal("division by zero", "22012")) is None


def test_a_server_that_is_not_listening_is_named_with_its_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(DatabaseError) as failure:
        open_database(resolve_location(f"postgresql+psycopg://zjtx@127.0.0.1:{port}/zjtx"))
    assert f"数据库服务器 127.0.0.1:{port} 拒绝连接" in str(failure.value)
    assert "Traceback" not in str(failure.value)


def _dbapi_error(message: str, sqlstate: str | None) -> Exception:
    from sqlalchemy.exc import DBAPIError

    return DBAPIError("SELECT 1", None, ServerRefusal(message, sqlstate))


@pytest.mark.parametrize(
    ("message", "sqlstate", "words"),
    [
        ("permission denied for table evidence_content", "42501", "没有这项操作所需的权限"),
        ("deadlock detected", "40P01", "死锁"),
        ("canceling statement due to statement timeout", "57014", "超时"),
        ("server closed the connection unexpectedly", None, "连接中断"),
        ("terminating connection due to administrator command", "57P01", "正在关闭或重启"),
    ],
)
def test_errors_during_work_on_a_server_are_explained(message: str, sqlstate: str | None, words: str) -> None:
    from zjtx_desktop.server_errors import explain_server_error

    text = explain_server_error(_dbapi_error(message, sqlstate))
    assert text is not None and words in text and text.endswith(message)


def test_program_errors_are_not_dressed_up_as_server_trouble() -> None:
    from zjtx_desktop.server_errors import explain_server_error

    assert explain_server_error(_dbapi_error('column "nme" does not exist', "42703")) is None
    assert explain_server_error(KeyError("name")) is None


def test_a_password_missing_from_pgpass_is_named() -> None:
    text = explain_connection_failure(URL, ServerRefusal("fe_sendauth: no password supplied"))
    assert text is not None and "没有数据库账户“zjtx_app”的密码" in text and "pgpass.conf" in text


def test_an_answer_from_the_server_during_work_is_not_taken_for_a_connection_problem() -> None:
    # A statement or lock timeout mentions "timeout" but the connection is fine.
    assert (
        explain_connection_failure(URL, ServerRefusal("canceling statement due to statement timeout", "57014")) is None
    )
    assert explain_connection_failure(URL, ServerRefusal("canceling statement due to lock timeout", "55P03")) is None


def test_check_on_a_server_it_cannot_reach_explains_instead_of_crashing() -> None:
    from zjtx_desktop.health import run_checks

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DatabaseError, match=f"数据库服务器 127.0.0.1:{port} 拒绝连接"):
        run_checks(resolve_location(f"postgresql+psycopg://zjtx@127.0.0.1:{port}/zjtx"))
