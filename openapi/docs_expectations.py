"""The documented examples the sandbox does not answer as documented yet: ONE table.

Each entry: the work package that owns the fix, the cause in one line, and the examples (ids of
``openapi/docs_examples.json``). The walk (``contracts/suites/test_docs_examples.py``) marks
them ``xfail(strict=True)`` against a sandbox: an example listed here that starts passing fails
the run, so the table shrinks as fixes land. ``python -m mock_server.coverage`` counts them in
docs/coverage.md.

Owners: the work package of issue 13 that fixes it (A versions, strictness and validation; B
Transactions; C Signal and Conversion Reporting; D Network Integration). Empty since issue 13
landed: an example that fails now is a regression, and fails the walk.
"""

from __future__ import annotations

from dataclasses import dataclass

OWNERS = {
    "A": "versions, strictness, validation",
    "B": "Transactions",
    "C": "Signal and Conversion Reporting",
    "D": "Network Integration",
}


@dataclass(frozen=True)
class Expected:
    """Examples that fail today for one cause, and who fixes it."""

    owner: str
    cause: str
    examples: tuple[str, ...]


EXPECTED_FAILURES: tuple[Expected, ...] = ()


def expected_failures() -> dict[str, Expected]:
    """Example id -> its entry (an id listed twice is a mistake in the table)."""
    found: dict[str, Expected] = {}
    for entry in EXPECTED_FAILURES:
        if entry.owner not in OWNERS:
            raise ValueError(f"unknown owner {entry.owner!r} for {entry.cause!r}")
        for example in entry.examples:
            if example in found:
                raise ValueError(f"{example} is listed twice")
            found[example] = entry
    return found
