"""PostgreSQL store URLs: a malformed one is refused before connecting with a message naming
what is wrong and never its password, and the error explainer says something for any URL and
any driver message without raising."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import dealflow
from dealflow.adapters.postgres_url import explain as _explain
from dealflow.adapters.postgres_url import masked as _masked
from dealflow.adapters.postgres_url import url_problem
from dealflow.adapters.postgres_url import where_to as _where_to

pytest.importorskip("psycopg")

SECRET = "S3cr3t-pw"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u@h:abc/db", "the port 'abc' is not a number"),
        ("postgresql://u@[::1/db", "an IPv6 address opened with [ is not closed with ]"),
        ("postgresql://u@h:70000/db", "the port 70000 is out of range"),
        ("postgresql://u@h:0/db", "the port 0 is out of range"),
        ("postgresql://u@h/db?port=x", "the port 'x' is not a number"),
        ("postgresql://u@h1:5432,h2:x/db", "the port 'x' is not a number"),
        ("postgresql://u@[::1]x/db", "'x' follows the IPv6 address [::1]"),
        ("postgresql://u@h]/db", "a host has a [ or ] out of place"),
        ("postgresql://u@h/d\x00b", "control character"),
        ("postgresql://u@h/d\udcffb", "not valid UTF-8"),
        ("postgresql://u@h/db?bogus=1", 'invalid URI query parameter: "bogus"'),
        ("postgresql://u@h/%ZZ", "invalid percent-encoded token"),
    ],
)
def test_a_malformed_url_is_refused_naming_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(dealflow.StoreError, match="is malformed") as refused:
        dealflow.connect(url)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://u:{SECRET}@h:abc/db",
        f"postgresql://u:{SECRET}@[::1/db",
        "postgresql://u:S3cr%ZZt-pw@h/db",  # libpq quotes the bad token: the password
        f"postgresql://u@h:abc/db?password={SECRET}",
        f"postgresql://u:{SECRET.replace('-', '/')}@h/db",  # an unescaped / in the password
    ],
)
def test_a_malformed_url_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(dealflow.StoreError) as refused:
        dealflow.connect(url)
    message = str(refused.value)
    for piece in ("S3cr3t", "S3cr%ZZt", "pw@"):
        assert piece not in message, message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://u@h/db?password=pw&sslmode=require", "?password=***&sslmode=require"),
        ("postgresql://h/db", "postgresql://h/db"),
        ("postgresql://u:a/b@h/db", "postgresql://***"),
    ],
)
def test_a_url_is_shown_with_its_password_hidden(url: str, shown: str) -> None:
    assert shown in _masked(url)


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("postgresql://u:pw@127.0.0.1:1/deals", "127.0.0.1:1/deals"),
        ("postgres://", "localhost"),
        ("postgresql:///deals?host=db.example&port=6432", "db.example:6432/deals"),
        ("postgresql://[::1]:5432/deals", "[::1]:5432/deals"),
        ("postgresql://u@h:abc/db", "h:abc/db"),
        ("postgresql://u@[::1/db", "[::1/db"),
    ],
)
def test_where_a_url_points_is_named_without_its_login(url: str, where: str) -> None:
    assert _where_to(url) == where


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h:5432/db",
        "postgres://",
        "postgresql://h1:5432,h2:5433/db?target_session_attrs=any",
        "postgresql://u@[2001:db8::1]:5432/db",
        "postgresql:///db?host=/var/run/postgresql&port=5433",
        "postgresql://u@h:/db",  # an empty port is the default port
    ],
)
def test_a_well_formed_url_has_no_problem(url: str) -> None:
    assert url_problem(url) is None


URL_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
MESSAGES = st.sampled_from(
    [
        "connection refused",
        'password authentication failed for user "{user}"',
        'invalid integer value "abc" for connection option "port"',
        'end of string reached when looking for matching "]" in URI: "{url}"',
        'invalid percent-encoded token: "{password}"',
        "",
        "\n\n",
        "server closed the connection unexpectedly\nThis probably means...",
    ]
)


@given(rest=URL_TEXT, message=st.one_of(MESSAGES, URL_TEXT))
def test_the_explainer_never_raises_on_any_url(rest: str, message: str) -> None:
    for scheme in ("postgresql://", "postgres://", ""):
        url = scheme + rest
        text = message.replace("{url}", url).replace("{user}", "u").replace("{password}", "")
        explained = _explain(Exception(text), url)
        assert isinstance(explained, str) and explained
        problem = url_problem(url)
        assert problem is None or isinstance(problem, str)


@given(
    user=st.text(alphabet="abcdefgh_", min_size=1, max_size=8),
    password=st.text(alphabet=st.characters(exclude_characters="@/%"), min_size=4, max_size=20),
    rest=URL_TEXT,
    message=MESSAGES,
)
def test_the_explainer_never_shows_the_password(
    user: str, password: str, rest: str, message: str
) -> None:
    assume(password not in user + rest and password not in message)
    assume(all(password not in word for word in ("PostgreSQL", "localhost", "the current user")))
    url = f"postgresql://{user}:{password}@{rest}"
    text = message.replace("{url}", url).replace("{user}", user).replace("{password}", password)
    explained = _explain(Exception(text), url)
    assert password not in explained
    problem = url_problem(url)
    assert problem is None or password not in problem
    assert password not in _masked(url)


def test_a_url_naming_no_server_cannot_reach_the_local_socket_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGHOST", str(tmp_path))  # a folder with no server's socket in it
    monkeypatch.delenv("PGPORT", raising=False)
    with pytest.raises(dealflow.StoreError) as refused:
        dealflow.connect("postgres://")
    assert str(refused.value).startswith("cannot reach PostgreSQL at localhost; is the server")
