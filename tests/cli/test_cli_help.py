"""Every command's help reads well in an 80-column terminal: its examples are whole command
lines, one per line, that the command accepts; no option or argument shows a Python type; and
``--as`` offers only the roles that may take the command's action."""

from __future__ import annotations

import re
import shlex

import pytest
import typer
from typer.testing import CliRunner

from dealflow.cli.app import app, load_all
from dealflow.cli.base import RoleName
from dealflow.domain.aftersales import KEEPERS, WAIVERS
from dealflow.domain.lifecycle import ROLES, Action
from dealflow.domain.parties import Role

WIDTH = 80
#: What Typer would show for a value without a metavar: Python's types.
PYTHON_TYPES = {"str", "int", "float", "bool", "path", "file", "dir", "datetime", "uuid"}


def _every_command_line() -> list[list[str]]:
    """The words that name each command and group: [] for the root, ["templates", "check"]."""
    lines: list[list[str]] = []

    def walk(command: object, words: list[str]) -> None:
        lines.append(words)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*words, name])

    walk(typer.main.get_command(app), [])
    return lines


load_all()  # every command registered, so that the app's group is built with them all
COMMAND_LINES = _every_command_line()
NAMES = [" ".join(words) or "dealflow" for words in COMMAND_LINES]


def _help(words: list[str]) -> str:
    result = CliRunner().invoke(app, [*words, "--help"], prog_name="dealflow", terminal_width=WIDTH)
    assert result.exit_code == 0, result.output
    return result.output


def _examples(text: str) -> list[str]:
    """The command lines under the help's ``Example:`` or ``Examples:`` heading."""
    lines = text.splitlines()
    headings = [i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")]
    assert len(headings) == 1, text
    examples = []
    for line in lines[headings[0] + 1 :]:
        if not line.strip():
            break
        examples.append(line)
    return examples


def _options(words: list[str]) -> set[str]:
    """Every option name the command (and the root before it) accepts."""
    command = typer.main.get_command(app)
    names = {name for param in command.params for name in param.opts}
    for word in words:
        command = command.commands[word]  # type: ignore[attr-defined]
        names |= {name for param in command.params for name in param.opts}
    return names | {"--help"}


def test_the_walk_finds_every_command_and_group() -> None:
    assert len(COMMAND_LINES) >= 40
    assert ["templates", "check"] in COMMAND_LINES and ["keys", "dev"] in COMMAND_LINES


@pytest.mark.parametrize("words", COMMAND_LINES, ids=NAMES)
def test_each_example_is_one_whole_line_the_command_accepts(words: list[str]) -> None:
    text = _help(words)
    examples = _examples(text)
    assert examples, text
    known = _options(words)
    for line in examples:
        # Click rewraps paragraphs; an example it broke would leave a line that is not one.
        assert line.startswith("    dealflow "), f"not a whole example: {line!r}"
        assert len(line) <= WIDTH, f"wider than {WIDTH} columns: {line!r}"
        args = shlex.split(line)[1:]
        named = [arg for arg in args if not arg.startswith("-")]
        assert all(word in named for word in words), f"{line!r} is not an example of {words}"
        for arg in args:
            if arg.startswith("-") and arg != "-":
                assert arg.partition("=")[0] in known, f"{line!r}: {arg} is not an option"


@pytest.mark.parametrize("words", COMMAND_LINES, ids=NAMES)
def test_no_help_shows_a_python_type(words: list[str]) -> None:
    text = _help(words)
    assert "<list[" not in text and " range>" not in text
    for shown in re.findall(r"<([^<>]*)>", text):
        choices = shown.split("|")
        assert all(re.fullmatch(r"[a-z0-9_+\-]+", choice) for choice in choices), shown
        assert not set(choices) & PYTHON_TYPES, f"a Python type in help: <{shown}>"
    for line in text.splitlines():
        if line.startswith("Usage:"):
            assert "[[" not in line, line


def test_the_root_help_shows_its_examples_on_lines_of_their_own() -> None:
    assert _examples(_help([])) == [
        "    dealflow demo",
        "    dealflow --store deals.db new deal.yaml",
    ]


ACTIONS = {
    "present": Action.PRESENT,
    "offer": Action.OFFER,
    "counter": Action.COUNTER,
    "accept": Action.ACCEPT,
    "reject": Action.REJECT,
    "withdraw": Action.WITHDRAW,
    "special": Action.PROPOSE_SPECIAL,
    "agree": Action.AGREE,
    "approve": Action.APPROVE,
    "decline": Action.DECLINE,
    "sign": Action.SIGN,
    "start-service": Action.START_SERVICE,
    "amend": Action.AMEND,
    "complete": Action.COMPLETE,
}


def _names(roles: tuple[Role, ...]) -> set[str]:
    return {role.value for role in roles}


#: The roles each command's --as offers: those that may take its action.
MAY = {
    **{command: _names(ROLES[action]) for command, action in ACTIONS.items()},
    "fulfil": _names(KEEPERS),
    "respond": _names(KEEPERS),
    "resolve": _names(KEEPERS),
    "waive": _names(WAIVERS),
    "log": {role.value for role in RoleName},
    "claim": {role.value for role in RoleName},
}


def test_special_terms_are_proposed_and_revised_by_the_same_roles() -> None:
    assert ROLES[Action.PROPOSE_SPECIAL] == ROLES[Action.REVISE_SPECIAL]


def test_every_command_with_as_is_in_the_table() -> None:
    with_as = {" ".join(w) for w in COMMAND_LINES if re.search(r"^  --as ", _help(w), re.M)}
    assert with_as == set(MAY)


@pytest.mark.parametrize(("command", "roles"), sorted(MAY.items()), ids=sorted(MAY))
def test_as_offers_only_the_roles_that_may_take_the_action(command: str, roles: set[str]) -> None:
    shown = re.search(r"^  --as <([a-z|]+)>", _help([command]), re.MULTILINE)
    assert shown is not None
    assert set(shown[1].split("|")) == roles
    for role in sorted({r.value for r in RoleName} - roles):
        result = CliRunner().invoke(app, [command, "some-deal", "--as", role])
        assert result.exit_code == 2, result.output
        assert f"a {role} cannot" in result.output and "only" in result.output
