"""The run summary: counts, failures grouped by check with curl, known deviations apart."""

from __future__ import annotations

from contracts.report import FailureRecord, Report


def record(check: str, title: str, test: str = "") -> FailureRecord:
    return FailureRecord(check=check, operation="GET /x", title=title, message=title,
                         curl=f"curl -X GET 'http://h/x?{title}'", suite="conformance",
                         test=test)


def test_failures_are_grouped_by_check_with_curl_when_summarised() -> None:
    report = Report(operations={"GET /x", "GET /y"})
    report.record_case("GET /x")
    report.record_case("GET /x")
    report.record_failure(record("status_code_conformance", "one"))
    report.record_failure(record("csv_body_conformance", "two"))
    text = report.summary(base_url="http://h")
    assert "operations covered: 1 of 2" in text
    assert "cases run:          2" in text
    assert "failures:           2 distinct" in text
    assert text.index("csv_body_conformance: 1") < text.index("status_code_conformance: 1")
    assert "curl -X GET 'http://h/x?one'" in text


def test_failures_of_an_xfail_test_are_set_apart_when_marked_expected() -> None:
    report = Report()
    report.current_test = "suite.py::test_a"
    report.record_failure(record("error_shape", "known"))
    report.current_test = "suite.py::test_b"
    report.record_failure(record("error_shape", "new"))
    report.mark_expected("suite.py::test_a")
    assert [r.title for r in report.failures.values()] == ["new"]
    assert [r.title for r in report.known.values()] == ["known"]
    assert "known deviations:   1" in report.summary()


def test_the_same_failure_is_kept_once_when_recorded_while_shrinking() -> None:
    report = Report()
    for _ in range(5):
        report.record_failure(record("not_a_server_error", "boom"))
    assert len(report.failures) == 1
