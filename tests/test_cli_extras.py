"""The ``invoca-sandbox`` entry point when an optional extra is not installed."""

from __future__ import annotations

import sys

import pytest

from mock_server import cli


@pytest.fixture
def without_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if ``requests`` (of the ``contract`` extra) were not installed."""
    monkeypatch.delitem(sys.modules, "contracts.cli", raising=False)
    monkeypatch.setitem(sys.modules, "requests", None)


@pytest.mark.usefixtures("without_requests")
def test_contract_names_the_pip_install_when_its_extra_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["contract", "--help"]) == 2
    err = capsys.readouterr().err
    assert err == ("invoca-sandbox contract: needs 'requests' from the 'contract' extra, which is "
                   "not installed: pip install 'invoca-sandbox[contract]'\n")


def test_extra_named_when_module_belongs_to_an_extra() -> None:
    assert cli.extra_for("schemathesis.core") == "contract"
    assert cli.extra_for("simpy") == "bench"
    assert cli.extra_for("flask") is None  # a required dependency


def test_plain_pip_install_named_when_module_is_no_extra_of_the_package() -> None:
    assert cli.missing_message("serve", "granian.server") == (
        "invoca-sandbox serve: needs the Python package 'granian', which is not installed: "
        "pip install granian")


def test_command_failure_names_the_extra_when_it_imports_a_missing_one_late(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def needs_simpy(argv: list[str]) -> int:
        raise ModuleNotFoundError("No module named 'simpy'", name="simpy")

    monkeypatch.setattr("openapi.cli.main", needs_simpy)
    assert cli.main(["spec"]) == 2
    assert "pip install 'invoca-sandbox[bench]'" in capsys.readouterr().err


def test_own_bug_not_hidden_when_a_package_module_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(argv: list[str]) -> int:
        raise ModuleNotFoundError("No module named 'simulator.gone'", name="simulator.gone")

    monkeypatch.setattr("openapi.cli.main", broken)
    with pytest.raises(ModuleNotFoundError):
        cli.main(["spec"])
