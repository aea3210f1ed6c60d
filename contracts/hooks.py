"""Schemathesis hooks module: ``SCHEMATHESIS_HOOKS=contracts.hooks schemathesis run ...``.

Importing it registers the XML/CSV/text deserializers (:mod:`contracts.deserializers`) and our
extra checks (:mod:`contracts.checks`), so a plain ``schemathesis run openapi/invoca.yaml --url
URL`` validates XML and CSV bodies and runs the same checks as ``invoca-sandbox contract``.
"""

from __future__ import annotations

from contracts import checks, deserializers

__all__ = ["checks", "deserializers"]
