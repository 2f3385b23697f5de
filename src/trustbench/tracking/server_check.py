"""A tracking server or database that does not answer is one line within seconds.

Without this check, ``trustbench tracking.uri=http://127.0.0.1:5999`` with no server behind
it spends about 277 s in MLflow's HTTP retries and then prints a 120-line traceback, and a
PostgreSQL URI whose database is down waits through SQLAlchemy's connection retries.
:func:`check_server` asks first, with one short request and no retries: ``GET /health``
of an ``http(s)://`` server (falling back to a cheap REST call, for a server behind a path
prefix or a proxy that does not pass ``/health``), or one SQLAlchemy connection with a
``connect_timeout`` for ``postgresql://``. A server that refuses the connection, does not
answer in time, has a host name that does not resolve, or answers but is not an MLflow
server raises :class:`~trustbench.errors.ConfigError` naming the URI, what is wrong and the
fix. Anything else (TLS settings, authentication, a proxy) is left to MLflow, which knows
its credentials and certificates.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

from trustbench.errors import ConfigError

__all__ = ["TIMEOUT_S", "check_http_server", "check_postgres", "check_server", "shown"]

TIMEOUT_S = 5.0
"""Seconds the check waits for a server's answer."""
#: A cheap REST call every MLflow tracking server answers with JSON.
REST_PROBE = "/api/2.0/mlflow/experiments/search?max_results=1"
_DEFAULT_STORE = "the default local store sqlite:///mlflow.db"


def shown(uri: str) -> str:
    """``uri`` with its password, if any, replaced by ``***`` (it goes into messages)."""
    parsed = urllib.parse.urlsplit(uri)
    if parsed.password is None:
        return uri
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parsed._replace(netloc=netloc))


def _fix(uri: str) -> str:
    """What to do when no MLflow server answers at ``uri``."""
    parsed = urllib.parse.urlsplit(uri)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    host = parsed.hostname or "127.0.0.1"
    return (
        f"start one (mlflow server --backend-store-uri sqlite:///mlflow.db --host {host} "
        f"--port {port}), or use {_DEFAULT_STORE}"
    )


def _reason(exc: BaseException) -> str | None:
    """Why a request failed, in words, when it is a reason to stop; None otherwise."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return None  # MLflow has its own TLS settings (MLFLOW_TRACKING_INSECURE_TLS, ...)
    if isinstance(exc, http.client.HTTPException):  # answered, but not in HTTP
        return f"what answers there does not speak HTTP ({type(exc).__name__})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: nothing listens on that port"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {TIMEOUT_S:g} s (timeout)"
    if isinstance(exc, socket.gaierror):
        return f"the host name does not resolve ({exc.strerror or exc})"
    if isinstance(exc, ConnectionError | OSError):
        return f"the connection failed ({getattr(exc, 'strerror', None) or exc})"
    return None


def _get(url: str) -> tuple[int, str, bytes]:
    """Status, content type and the first 4 KiB of the body of ``GET url`` (no retries)."""
    request = urllib.request.Request(url, headers={"User-Agent": "trustbench-server-check"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read(4096)
    except urllib.error.HTTPError as exc:
        body = exc.read(4096) if exc.fp is not None else b""
        return exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", body


def _is_mlflow_json(body: bytes) -> bool:
    """Whether ``body`` is a JSON object, as every answer of MLflow's REST API is."""
    try:
        return isinstance(json.loads(body.decode("utf-8", "replace") or "null"), dict)
    except ValueError:
        return False


def check_http_server(uri: str) -> None:
    """Refuse, in one line, an ``http(s)://`` tracking URI with no MLflow server behind it.

    Raises
    ------
    ConfigError
        When the connection is refused, times out or the host does not resolve, or when the
        server answers neither ``/health`` with ``OK`` nor the REST API with JSON.
    """
    base = uri.rstrip("/")
    try:
        status, _, body = _get(base + "/health")
        if status == 200 and body.strip() == b"OK":
            return
        probe, kind, probe_body = _get(base + REST_PROBE)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError, timeouts
        reason = _reason(exc)
        if reason is None:
            return  # not a reason to stop: MLflow decides
        raise ConfigError(
            f"tracking uri {shown(uri)}: no MLflow server answers ({reason}); {_fix(uri)}"
        ) from None
    if probe in (401, 403, 407):  # a server that wants credentials MLflow may have
        return
    if probe == 200 and ("json" in kind or _is_mlflow_json(probe_body)):
        return
    answered = f"{probe} {kind or 'with no content type'}"
    raise ConfigError(
        f"tracking uri {shown(uri)}: the server there is not an MLflow tracking server "
        f"(GET /health answered {status}, the REST API answered {answered}); point the "
        f"tracking URI at an `mlflow server` (e.g. http://127.0.0.1:5000), or use "
        f"{_DEFAULT_STORE}"
    )


#: libpq's messages for a database server that cannot be reached at all.
_PG_UNREACHABLE = {
    "connection refused": "connection refused: no PostgreSQL server listens there",
    "timeout expired": f"no answer within {TIMEOUT_S:g} s (timeout)",
    "could not translate host name": "the host name does not resolve",
    "no such file or directory": "no PostgreSQL socket at that path",
}


def check_postgres(uri: str) -> None:
    """Refuse, in one line, a ``postgresql://`` URI whose server cannot be reached.

    One connection with libpq's ``connect_timeout`` (the psycopg2 and psycopg drivers). Only
    an unreachable server is refused; a wrong password or database name, or a missing
    driver, is left to MLflow's own message.
    """
    scheme = uri.split(":", 1)[0].lower()
    if scheme not in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        return
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(
            uri.replace("postgres://", "postgresql://", 1),
            connect_args={"connect_timeout": max(1, round(TIMEOUT_S))},
        )
    except (ImportError, sa.exc.ArgumentError):  # no driver, an unparsable URI: MLflow says so
        return
    try:
        with engine.connect():
            return
    except sa.exc.DBAPIError as exc:
        text = str(getattr(exc, "orig", None) or exc).lower()
        reason = next((why for key, why in _PG_UNREACHABLE.items() if key in text), None)
        if reason is None:
            return
        host = urllib.parse.urlsplit(uri).hostname or "localhost"
        raise ConfigError(
            f"tracking uri {shown(uri)}: the database server cannot be reached ({reason}); "
            f"start PostgreSQL on {host} (pg_ctl start), or use {_DEFAULT_STORE}"
        ) from None
    finally:
        engine.dispose()


def check_server(uri: str) -> None:
    """Refuse, in one line within seconds, a tracking URI whose server does not answer.

    ``http://`` and ``https://`` URIs get :func:`check_http_server`, ``postgresql://`` ones
    :func:`check_postgres`; local stores (SQLite, a folder) and other schemes pass.

    Raises
    ------
    ConfigError
        Naming the URI, what is wrong (connection refused, timeout, not an MLflow server)
        and the fix.
    """
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme in ("http", "https"):
        check_http_server(uri)
    elif scheme.split("+", 1)[0] in ("postgresql", "postgres"):
        check_postgres(uri)
