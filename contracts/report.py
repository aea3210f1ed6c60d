"""What a contract run saw: operations covered, cases run, failures grouped by check.

The suites record into one :class:`Report` per pytest session (``config.stash``); the CLI
prints :meth:`Report.summary`. A failure is kept once per (check, operation, title): the last
case recorded for it wins, which after Hypothesis shrinking is the smallest reproduction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace


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

    def record_case(self, operation: str) -> None:
        self.cases[operation] += 1

    def record_failure(self, record: FailureRecord) -> None:
        if not record.test and self.current_test:
            record = replace(record, test=self.current_test)
        self.failures[(record.check, record.operation, record.title)] = record

    def record_known(self, record: FailureRecord) -> None:
        """A failure that is a known deviation of the target (reported apart, not counted)."""
        self.known[(record.check, record.operation, record.title)] = record

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
                first = record.message.strip().splitlines()[0] if record.message.strip() else ""
                lines.append(f"  - [{record.suite}] {record.operation}: {record.title}")
                if first and first != record.title:
                    lines.append(f"      {first[: width - 6]}")
                lines.append(f"      {record.curl}")
        if self.known:
            lines += ["", "known deviations (xfail, not counted):"]
            for record in (self.known[key] for key in sorted(self.known)):
                lines.append(f"  - [{record.suite}] {record.check} {record.operation}: "
                             f"{record.title}"[:width * 2])
        if self.skipped:
            lines += ["", "skipped:"] + [f"  - {reason}" for reason in sorted(set(self.skipped))]
        return "\n".join(lines)
