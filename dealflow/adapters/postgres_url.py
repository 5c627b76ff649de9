"""The PostgreSQL store URL: checked before connecting, named in messages without its
password, and the driver's errors put in words that say what to do.

A URL is read the way libpq reads it (``postgresql://[user[:password]@][host][:port][,...]
[/dbname][?param=value&...]``), by hand and totally: any string gives parts, so that even a
malformed URL's message can name its server, and a password never shows in a message, also
where libpq quotes the URL back or an unescaped character moved it into the host part.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple
from urllib.parse import unquote

from dealflow.errors import StoreError


class _Url(NamedTuple):
    """A PostgreSQL URL cut into its parts as written (percent-encoded), the way libpq reads
    ``postgresql://[user[:password]@][host][:port][,...][/dbname][?param=value&...]``."""

    scheme: str
    user: str | None
    password: str | None
    hosts: str
    path: str
    query: str | None

    def param(self, name: str) -> str | None:
        """The value of a query parameter (the last one given), decoded; None if absent."""
        found = None
        for pair in (self.query or "").split("&"):
            key, _, value = pair.partition("=")
            if unquote(key) == name:
                found = unquote(value)
        return found


def _cut(url: str) -> _Url:
    """Cut a store URL into its parts as libpq does: the user and password end at the first
    ``@`` before any ``/``, the hosts at the next ``/`` or ``?``. Total: any string gives
    parts, so that a message about a malformed URL can still name its server."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    at = rest.find("@", 0, rest.find("/") % (len(rest) + 1))
    userinfo, rest = (rest[:at], rest[at + 1 :]) if at != -1 else (None, rest)
    end = min((i for i in (rest.find("/"), rest.find("?")) if i != -1), default=len(rest))
    hosts, tail = rest[:end], rest[end:]
    path, question, query = tail.partition("?")
    user, colon, password = (userinfo or "").partition(":")
    return _Url(
        scheme=f"{scheme}{sep}",
        user=user if userinfo is not None else None,
        password=password if colon else None,
        hosts=hosts,
        path=path,
        query=query if question else None,
    )


def _hidden_login(url: str) -> bool:
    """True when a ``user:password@`` seems to come after a ``/``: libpq would read part of
    an unescaped password as the host or port, so no part of the URL may be shown."""
    parts = _cut(url)
    return parts.user is None and "@" in url and ":" in url.rpartition("@")[0].partition("://")[2]


def masked(url: str) -> str:
    """The URL as written, with its password (in the user part or a query) shown as ***."""
    parts = _cut(url)
    if _hidden_login(url):
        return f"{parts.scheme}***"
    login = ""
    if parts.user is not None:
        login = f"{parts.user}{':***' if parts.password is not None else ''}@"
    query = ""
    if parts.query is not None:
        pairs = [
            f"{key}=***" if unquote(key) == "password" else f"{key}{sep}{value}"
            for key, sep, value in (p.partition("=") for p in parts.query.split("&"))
        ]
        query = "?" + "&".join(pairs)
    return f"{parts.scheme}{login}{parts.hosts}{parts.path}{query}"


def where_to(url: str) -> str:
    """The server and database a URL names, without its password, for messages. Total."""
    parts = _cut(url)
    if _hidden_login(url):
        return "the server of the store URL"
    given = parts.param("host")
    hosts = given if given is not None else unquote(parts.hosts)
    port = parts.param("port")
    if port and (given is not None or ":" not in parts.hosts.rpartition("]")[2]):
        hosts = f"{hosts}:{port}"
    database = parts.param("dbname")
    if database is None:
        database = unquote(parts.path.removeprefix("/"))
    return f"{hosts or 'localhost'}/{database}" if database else hosts or "localhost"


def _port_problem(port: str) -> str | None:
    """What is wrong with a port as written, or None (empty means the default port)."""
    if not port:
        return None
    if not (port.isascii() and port.isdigit()):
        return f"the port {port!r} is not a number"
    if not 1 <= int(port) <= 65535:
        return f"the port {int(port)} is out of range; a port is a number from 1 to 65535"
    return None


def url_problem(url: str) -> str | None:
    """What is wrong with the shape of a PostgreSQL store URL, in words, or None.

    Catches what would otherwise surface deep in libpq or as a parse error: a port that is
    not a number or not from 1 to 65535 (in the host part or a ``port=`` parameter), an IPv6
    address opened with ``[`` and not closed, text after ``]``. Never raises.
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        return "it has a control character (a line break, a tab, a NUL...)"
    if any("\ud800" <= c <= "\udfff" for c in url):  # bytes that were not UTF-8
        return "it is not valid UTF-8 text"
    parts = _cut(url)
    for entry in parts.hosts.split(","):
        if entry.startswith("["):
            close = entry.find("]")
            if close == -1:
                return "an IPv6 address opened with [ is not closed with ]"
            after = entry[close + 1 :]
            if after and not after.startswith(":"):
                return f"{after!r} follows the IPv6 address {entry[: close + 1]}"
            port = after[1:]
        elif "]" in entry or "[" in entry:
            return "a host has a [ or ] out of place; write an IPv6 address as [address]:port"
        else:
            port = entry.partition(":")[2]
        problem = _port_problem(port)
        if problem:
            return problem
    for port in (parts.param("port") or "").split(","):
        problem = _port_problem(port.strip())
        if problem:
            return problem
    return None


def bad_url(url: str, problem: str) -> str:
    return (
        f"the store URL {masked(url)} is malformed: {problem} (a store URL reads "
        "postgresql://user:password@host:5432/database)"
    )


_HIDDEN_LOGIN = (
    "the store URL is malformed: an @ comes after a /, so the password (or the database "
    "name) has a character a URL must escape: write / as %2F, ? as %3F, @ as %40"
)


def check_url(url: str, psycopg: Any) -> None:
    """Refuse a malformed store URL before connecting, saying what is wrong with it: first
    the shape (:func:`url_problem`), then whatever else libpq's own parser refuses (a bad
    percent-escape, an unknown parameter), its message without the URI it quotes."""
    if _hidden_login(url):
        raise StoreError(_HIDDEN_LOGIN)
    problem = url_problem(url)
    if problem is None:
        try:
            psycopg.conninfo.conninfo_to_dict(url)
        except (psycopg.Error, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            problem = re.sub(r' in URI: ".*"$|: "postgres(ql)?://.*"$', "", first)
            problem = scrub(problem, url)
    if problem is not None:
        raise StoreError(bad_url(url, problem))


def scrub(text: str, url: str) -> str:
    """A driver message with the URL's password taken out (libpq quotes the URI it could not
    read, password and all)."""
    text = text.replace(url, masked(url))
    parts = _cut(url)
    secrets = {parts.password, parts.param("password")}
    if _hidden_login(url):  # libpq reads pieces of the password as host, port, database
        wide = url.rpartition("@")[0].partition("://")[2].partition(":")[2]
        secrets.update({wide, *re.split(r"[/?#:,]", wide)})
    found = {s for s in secrets if s} | {unquote(s) for s in secrets if s}
    for secret in sorted(found, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
        else:  # a short password only where it stands alone, so that words stay readable
            text = re.sub(rf"(?<![\w%]){re.escape(secret)}(?![\w%])", "***", text)
    return text


def explain(exc: Exception, url: str) -> str:
    """What went wrong, in words that say what to do. Total: any URL, any driver message."""
    message = str(exc).strip()
    text = scrub(message.splitlines()[0] if message else type(exc).__name__, url)
    server = where_to(url)
    parts = _cut(url)
    user = parts.param("user") or unquote(parts.user or "") or "the current user"
    lowered = text.casefold()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"PostgreSQL at {server} refused the login of {user}; check the user and the "
            "password in the store URL (or PGPASSWORD)"
        )
    if "role" in lowered and "does not exist" in lowered:
        return f"PostgreSQL at {server} has no user {user}; create it or fix the store URL"
    if "database" in lowered and "does not exist" in lowered:
        return f"PostgreSQL at {server}: the database does not exist; create it first"
    if any(
        sign in lowered
        for sign in (
            "connection refused",
            "could not connect",
            "timeout",
            "resolve host",
            "no such file or directory",  # no server on the local socket
        )
    ):
        return (
            f"cannot reach PostgreSQL at {server}; is the server running and the host and "
            "port in the store URL right?"
        )
    if "read-only" in lowered or "read only" in lowered:
        return f"PostgreSQL at {server} is read-only; use a writable primary server"
    if "no space" in lowered or "disk full" in lowered:
        return f"PostgreSQL at {server} has no disk space left; nothing was written"
    return f"PostgreSQL at {server} failed: {text}"
