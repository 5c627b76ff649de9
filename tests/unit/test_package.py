"""The package's public face: a sorted, importable ``__all__``, a fast import that does not
load the heavy rendering, signing or PostgreSQL libraries, and one error tree."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import dealflow
from dealflow import errors


def test_all_is_sorted_and_every_name_exists() -> None:
    assert dealflow.__all__ == sorted(dealflow.__all__)
    assert len(set(dealflow.__all__)) == len(dealflow.__all__)
    for name in dealflow.__all__:
        assert hasattr(dealflow, name), name


def test_every_public_name_is_loaded_from_where_it_lives() -> None:
    home = {name: module for module, names in dealflow._MODULES.items() for name in names}
    assert set(home) | {"__version__"} == set(dealflow.__all__)
    for name, module in home.items():
        assert getattr(dealflow, name) is getattr(sys.modules[module], name), name
    assert set(dealflow.__all__) <= set(dir(dealflow))


def test_importing_the_package_loads_no_model_until_a_name_is_used() -> None:
    code = (
        "import sys, dealflow; before = 'dealflow.domain.deal' in sys.modules; "
        "from dealflow import Deal; print(before, 'dealflow.domain.deal' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]


def test_modules_are_reached_as_attributes_as_the_docs_name_them() -> None:
    code = (
        "import dealflow; "
        "print(dealflow.domain.commitments.schedule.__name__, "
        "dealflow.domain.games.customer_games.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["schedule", "customer_games"]
    with pytest.raises(AttributeError, match="nosuch"):
        dealflow.domain.nosuch  # noqa: B018


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchName"):
        dealflow.NoSuchName  # noqa: B018


def test_every_public_name_is_documented() -> None:
    for name in dealflow.__all__:
        obj = getattr(dealflow, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"


def test_import_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, dealflow, dealflow.cli.app; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'weasyprint', 'pyhanko', 'psycopg'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_every_dealflow_error_descends_from_the_root() -> None:
    classes = [
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == errors.__name__
    ]
    assert len(classes) >= 12
    for cls in classes:
        assert issubclass(cls, dealflow.DealflowError), cls
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree"


def test_errors_also_inherit_the_matching_builtin() -> None:
    assert issubclass(dealflow.DealNotFoundError, LookupError)
    assert issubclass(dealflow.DealFileError, ValueError)
    assert issubclass(dealflow.StoreError, OSError)
    assert issubclass(dealflow.WrongRoleError, PermissionError)


def test_illegal_transition_names_stage_action_and_what_is_allowed() -> None:
    exc = dealflow.IllegalTransitionError("draft", "accept", ["present", "withdraw"])
    assert str(exc) == "cannot accept a deal in stage 'draft'; allowed now: present, withdraw"
    closed = dealflow.IllegalTransitionError("lost", "offer", [])
    assert "nothing (the deal is closed)" in str(closed)


def test_the_version_is_exposed() -> None:
    assert dealflow.__version__.count(".") == 2
