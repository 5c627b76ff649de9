"""The docs tell the truth: every public name is in the API reference with a docstring and an
example that parses; every event type is documented in docs/events.md."""

from __future__ import annotations

import ast
import inspect
import re
import typing
from pathlib import Path

import dealflow
from dealflow.domain.events import StoredEvent

DOCS = Path(__file__).parents[2] / "docs"


def test_every_public_name_has_a_docstring_and_an_example_in_the_api_reference() -> None:
    api = (DOCS / "api.md").read_text("utf-8")
    sections = dict(re.findall(r"### `([^`]+)`\n\n.*?\n\n```python\n(.*?)```", api, re.S))
    assert set(sections) == set(dealflow.__all__)
    for name, example in sections.items():
        ast.parse(example)  # an example that does not even parse is wrong
        thing = getattr(dealflow, name)
        if inspect.isclass(thing) or inspect.isfunction(thing):
            assert (thing.__doc__ or "").strip(), f"{name} has no docstring"


def test_every_event_type_is_documented() -> None:
    events = (DOCS / "events.md").read_text("utf-8")
    documented = set(re.findall(r"^### (\w+)$", events, re.M))
    types = {t.__name__ for t in typing.get_args(typing.get_args(StoredEvent)[0])}
    assert documented == types


def _architecture() -> str:
    return (DOCS / "architecture.md").read_text("utf-8")


def test_every_file_the_architecture_map_names_exists() -> None:
    root = DOCS.parent
    named = set(re.findall(r"`((?:dealflow|docs|tests|scripts|bench)/[\w./-]*)`", _architecture()))
    assert len(named) > 20  # the rooms, the rules and the checklists name files
    missing = sorted(path for path in named if not (root / path).exists())
    assert not missing, f"docs/architecture.md names files that no longer exist: {missing}"


def test_the_checklists_name_only_files_that_exist() -> None:
    root = DOCS.parent
    checklists = _architecture().partition("## Checklists")[2]
    for heading in ("### Adding an event", "### Adding an action", "### Adding a command"):
        assert heading in checklists
    named = re.findall(r"`((?:dealflow|docs|tests)/[\w./-]+)`", checklists)
    assert len(named) >= 12
    assert all((root / path).exists() for path in named), [
        path for path in named if not (root / path).exists()
    ]


def test_the_architecture_map_has_a_room_for_every_part_of_the_package() -> None:
    package = DOCS.parent / "dealflow"
    parts = {
        f"dealflow/{p.name}" + ("/" if p.is_dir() else "")
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists() and p.name != "samples")
        or (p.suffix == ".py" and p.name not in ("__main__.py", "__about__.py"))
    }
    rooms = _architecture().partition("## The rooms")[2].partition("## ")[0]
    listed = set(re.findall(r"^\| `(dealflow/[\w./]+)` \|", rooms, re.M))
    assert parts == listed
