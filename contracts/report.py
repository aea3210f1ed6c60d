"""What a contract run saw: operations covered, cases run, failures grouped by check.

The suites record into one :class:`Report` per pytest session (``config.stash``); the CLI
prints :meth:`Report.summary`. A failure is kept once per (check, operation, title, or its
``key`` when it names one): the last case recorded for it wins, which after Hypothesis
shrinking is the smallest reproduction. The summary prints each failure's message once and
whole, then its reproduction (:mod:`contracts.reproduction`): the curl commands of the
requests that led up to it, the failing one last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from contracts.reproduction import Reproduction


@dataclass(frozen=True)
class FailureRecord:
    check: str
    operation: str
    title: str
    message: str
    curl: str
    suite: str
    #: the pytest node that recorded it
    test: str = ""
    #: the requests that led up to it, the failing one last (filled by the report when the
    #: suite gives none)
    reproduction: Reproduction | None = None
    #: what makes it distinct when not its title (a title that names instants, say)
    key: str = ""

    @property
    def commands(self) -> tuple[str, ...]:
        """The reproduction's curl commands (the one ``curl`` when there is no sequence)."""
        if self.reproduction is not None and self.reproduction.commands:
            return self.reproduction.commands
        return (self.curl,) if self.curl else ()

    def details(self) -> list[str]:
        """The lines printed under the title: the message (whole, without the title's
        repetition), then the reproduction."""
        message = self.message.strip("\n")
        lines = message.splitlines()
        if lines and lines[0].strip() == self.title.strip():
            lines = lines[1:]
        lines = [line.rstrip() for line in lines]
        while lines and not lines[0].strip():
            lines.pop(0)
        if self.reproduction is not None and self.reproduction.commands:
            return lines + self.reproduction.lines()
        return lines + ([f"reproduce (bash): {self.curl}"] if self.curl else [])


@dataclass
class Report:
    #: operation label -> cases sent
    cases: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, str, str], FailureRecord] = field(default_factory=dict)
    #: every operation of the contract (filled by the conformance suite)
    operations: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    #: failures of tests marked xfail (known deviations): reported apart, not counted
    known: dict[tuple[str, str, str], FailureRecord] = field(default_factory=dict)
    current_test: str = ""
    #: names of the checks that ran
    checks: set[str] = field(default_factory=set)
    #: the running scenario's reproduction up to an answer (the plugin sets the target's)
    reproduce: Callable[[Any], Reproduction] | None = None

    def record_case(self, operation: str) -> None:
        self.cases[operation] += 1

    def _complete(self, record: FailureRecord, answer: Any) -> FailureRecord:
        if not record.test and self.current_test:
            record = replace(record, test=self.current_test)
        if record.reproduction is None and self.reproduce is not None:
            reproduction = self.reproduce(answer)
            if reproduction.commands:
                record = replace(record, reproduction=reproduction,
                                 curl=record.curl or reproduction.failing)
        return record

    def record_failure(self, record: FailureRecord, answer: Any = None) -> None:
        """Keep ``record``; its reproduction, when it has none, is the running scenario's up
        to ``answer`` (the failing response; else the scenario's last request)."""
        record = self._complete(record, answer)
        self.failures[(record.check, record.operation, record.key or record.title)] = record

    def record_known(self, record: FailureRecord, answer: Any = None) -> None:
        """A failure that is a known deviation of the target (reported apart, not counted)."""
        record = self._complete(record, answer)
        self.known[(record.check, record.operation, record.key or record.title)] = record

    def recorded_by(self, test: str) -> bool:
        """Whether ``test`` recorded a failure (a known one included)."""
        return any(record.test == test
                   for record in (*self.failures.values(), *self.known.values()))

    def mark_expected(self, test: str) -> None:
        """The failures ``test`` recorded are a known deviation (the test is xfail)."""
        for key in [key for key, record in self.failures.items() if record.test == test]:
            self.known[key] = self.failures.pop(key)

    @property
    def cases_run(self) -> int:
        return sum(self.cases.values())

    def by_check(self) -> dict[str, list[FailureRecord]]:
        grouped: dict[str, list[FailureRecord]] = {}
        for key in sorted(self.failures):
            record = self.failures[key]
            grouped.setdefault(record.check, []).append(record)
        return grouped

    def summary(self, *, base_url: str = "", tests_failed: int = 0, width: int = 100) -> str:
        covered = [name for name in self.cases if name in self.operations]
        lines = [
            f"Contract run against {base_url}" if base_url else "Contract run",
            f"  operations covered: {len(covered)}"
            + (f" of {len(self.operations)}" if self.operations else ""),
            f"  cases run:          {self.cases_run}",
            f"  failures:           {len(self.failures)} distinct"
            + (f" ({tests_failed} failing tests)" if tests_failed else ""),
        ]
        if self.checks:
            lines.append(f"  checks:             {len(self.checks)}: "
                         + ", ".join(sorted(self.checks)))
        missing = sorted(self.operations - set(self.cases))
        if missing and len(missing) <= 10:
            lines.append(f"  not covered:        {', '.join(missing)}")
        if self.known:
            lines.append(f"  known deviations:   {len(self.known)} (tests marked xfail)")
        for check, records in self.by_check().items():
            lines += ["", f"{check}: {len(records)}"]
            for record in records:
                lines.append(f"  - [{record.suite}] {record.operation}: {record.title}")
                lines += [f"      {line}" if line else "" for line in record.details()]
        if self.known:
            lines += ["", "known deviations (xfail, not counted):"]
            for record in (self.known[key] for key in sorted(self.known)):
                lines.append(f"  - [{record.suite}] {record.check} {record.operation}: "
                             f"{record.title}"[:width * 2])
        if self.skipped:
            lines += ["", "skipped:"] + [f"  - {reason}" for reason in sorted(set(self.skipped))]
        return "\n".join(lines)
