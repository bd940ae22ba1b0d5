"""Why a PostgreSQL server could not be used, in words for the clerk and the city's IT staff.

SQLAlchemy is imported inside the functions: the GUI's job runner uses this module, and its window must
open before the database layer has loaded.
"""

from __future__ import annotations


def explain_connection_failure(url: str, exc: BaseException) -> str | None:
    """A Chinese sentence for the usual reasons a connection fails, or None when it is something else.

    The server's own first line is kept at the end for the database administrator.
    """
    from sqlalchemy.engine import make_url

    original = getattr(exc, "orig", None) or exc
    first = (str(original).strip().splitlines() or [type(original).__name__])[0]
    state = getattr(original, "sqlstate", None)
    target = make_url(url)
    where = f"{target.host or '本机'}:{target.port or 5432}"
    lowered = first.lower()
    if state is not None and not state.startswith(("08", "28", "3D")):
        return None  # the server answered: something during work (see explain_server_error), not the connection
    if "no password supplied" in lowered:
        reason = (
            f"本机没有数据库账户“{target.username}”的密码"
            "（请在当前 Windows 账户的 %APPDATA%\\postgresql\\pgpass.conf 中登记，见“市级共享部署”）"
        )
    elif state == "28P01" or "password authentication failed" in lowered:
        reason = f"数据库账户“{target.username}”的密码不对"
    elif state == "3D000" or ("database" in lowered and "does not exist" in lowered):
        reason = f"服务器 {where} 上没有数据库“{target.database}”（请数据库管理员先建库，见“市级共享部署”）"
    elif (
        (state and state.startswith("28"))
        or "no pg_hba.conf entry" in lowered
        or ("role" in lowered and "does not exist" in lowered)
    ):
        reason = f"数据库服务器 {where} 不允许账户“{target.username}”从本机登录（账户不存在或未授权）"
    elif "failed to resolve host" in lowered or "could not translate host name" in lowered:
        reason = f"找不到数据库服务器“{target.host}”（地址写错，或本机连不上政务网）"
    elif "connection refused" in lowered:
        reason = f"数据库服务器 {where} 拒绝连接（服务没有启动，或端口不对）"
    elif "timeout" in lowered or "timed out" in lowered:
        reason = f"连接数据库服务器 {where} 超时（网络不通，或被防火墙阻止）"
    elif "ssl" in lowered or "certificate" in lowered:
        reason = f"与数据库服务器 {where} 建立加密连接失败（检查连接地址中的 sslmode 和服务器证书）"
    else:
        return None
    return f"{reason}。服务器返回：{first}"


# SQLSTATEs a shared server raises in normal operation, and what the clerk should make of them.
_RUNTIME_STATES = {
    "42501": "数据库账户没有这项操作所需的权限，没有写入任何内容。请数据库管理员按使用说明“市级共享部署”检查程序账户的权限",
    "40P01": "与其他电脑上的操作互相等待（死锁），服务器已取消本次操作，没有保存任何内容。请重试",
    "40001": "与其他电脑上同时进行的操作冲突，本次没有保存。请重试",
    "55P03": "所需的数据正被其他电脑锁定，本次没有保存。请稍后重试",
    "57014": "数据库服务器处理超时，已取消本次操作，没有保存任何内容。请稍后重试",
    "57P01": "数据库服务器正在关闭或重启，本次操作没有完成。请稍后重试",
    "53300": "数据库服务器的连接数已满，请稍后重试，或请数据库管理员调大 max_connections",
}
_LOST = ("server closed the connection", "terminating connection", "connection is closed", "consuming input failed")


def explain_server_error(exc: BaseException) -> str | None:
    """A Chinese sentence for an error a shared server raised during work, or None when it is not one of those.

    Everything here ends the transaction without writing anything, so the sentence can say so.
    """
    from sqlalchemy.exc import DBAPIError, PendingRollbackError

    # A session closed after the server cut its connection reports that instead: the cause is further back.
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, DBAPIError):
        if isinstance(seen, PendingRollbackError) and "invalid transaction" in str(seen):
            found = _first_dbapi_error(seen)
            if found is None:
                return "与数据库服务器的连接中断，本次操作没有完成，未保存的内容没有写入。请检查网络后重试。"
            seen = found
            break
        seen = seen.__cause__ or seen.__context__
    if not isinstance(seen, DBAPIError) or seen.orig is None:
        return None
    exc = seen
    state = getattr(exc.orig, "sqlstate", None)
    first = (str(exc.orig).strip().splitlines() or [""])[0]
    if state in _RUNTIME_STATES:
        return f"{_RUNTIME_STATES[state]}。服务器返回：{first}"
    if exc.connection_invalidated or any(words in first.lower() for words in _LOST):
        return (
            f"与数据库服务器的连接中断，本次操作没有完成，未保存的内容没有写入。请检查网络后重试。服务器返回：{first}"
        )
    return None


def _first_dbapi_error(exc: BaseException) -> BaseException | None:
    from sqlalchemy.exc import DBAPIError

    seen = exc.__cause__ or exc.__context__
    while seen is not None and not isinstance(seen, DBAPIError):
        seen = seen.__cause__ or seen.__context__
    return seen
