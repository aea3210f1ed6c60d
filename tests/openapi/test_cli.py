"""``invoca-sandbox spec``: print the contract as YAML or JSON, or validate it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mock_server.cli import main as invoca_sandbox
from openapi import SPEC_PATH
from openapi.cli import main
from openapi.contract import load_spec


def test_spec_prints_yaml_when_run_without_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out == SPEC_PATH.read_text(encoding="utf-8")
    assert yaml.load(out, Loader=yaml.CSafeLoader) == load_spec()


def test_spec_prints_json_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out) == load_spec()


def test_spec_reports_counts_per_family_when_validating(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoca_sandbox(["spec", "--validate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("valid OpenAPI 3.1.0")
    counts = {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1]) for line in lines[1:]}
    assert counts == {
        "Legacy RingPool": 1,
        "Bulk RingPool": 1,
        "Network Integration": 92,
        "Transactions": 3,
        "Signal": 6,
        "Conversion Reporting": 4,
        "Calls In Progress": 3,
        "Call API": 1,
        "Call Ingestion": 2,
        "SMS Messaging": 12,
        "total": 125,
    }


def test_spec_fails_validation_when_document_is_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "openapi: 3.1.0\ninfo: {title: t}\npaths:\n  /x:\n    get:\n      responses: {}\n",
        encoding="utf-8",
    )
    assert main(["--validate", "--path", str(broken)]) == 1
    assert "invalid:" in capsys.readouterr().err


def test_spec_fails_when_document_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--path", str(tmp_path / "none.yaml")]) == 1
    assert main(["--validate", "--path", str(tmp_path / "none.yaml")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_spec_refuses_when_json_and_validate_are_combined() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--json", "--validate"])
    assert exc.value.code == 2


def test_spec_fails_validation_when_openapi_version_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swagger = tmp_path / "swagger.yaml"
    swagger.write_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", "utf-8")
    assert main(["--validate", "--path", str(swagger)]) == 1
    assert "unsupported version" in capsys.readouterr().err
