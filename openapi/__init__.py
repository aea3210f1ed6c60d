"""The contract: ``invoca.yaml`` (OpenAPI) and small tools to load and report on it."""

from __future__ import annotations

from pathlib import Path

SPEC_PATH = Path(__file__).with_name("invoca.yaml")
