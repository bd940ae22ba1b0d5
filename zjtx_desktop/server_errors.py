"""Why a PostgreSQL server could not be used, in words for the clerk and the city's IT staff."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def explain_connection_failure(url: str, exc: BaseException) -> str | None:
    """A Chinese sentence for the usual reasons a connection fails, or None when it is something else.

    The server's own first line is kept at the end for the database administrator.
    """
    original = getattr(exc, "orig", None) or exc
    first = (str(original).strip().splitlines() or [type(original).__name__])[0]
    state = getattr(original, "sqlstate", None)
    target = make_url(url)
    where = f"{target.host or '本机'}:{target.port or 5432}"
    lowered = first.lower()
    if state == "28P01" or "password authentication failed" in lowered:
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
