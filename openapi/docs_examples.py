"""Every example request of Invoca's documents, as data: ``openapi/docs_examples.json``.

The sources live outside the repository (``/work/shared/reference`` holds two branches of the
Sphinx documentation, ``/work/shared/seeds`` the plain-text seeds), so the extracted examples
are committed and CI reads the JSON::

    python -m openapi.docs_examples extract --reference /work/shared/reference   # rewrite
    python -m openapi.docs_examples check --reference /work/shared/reference     # exit 1: stale

One record per example: branch, source file and line, title, method, URL (path and query,
placeholders such as ``<network_id>`` kept, ``@@..._VERSION`` resolved with the branch's
``doc_versions.py``), the version, curl headers, the request body (parsed, after the hand
corrections of :mod:`openapi.docs_corrections`), the documented status (or the design
principles' default: POST 201, others 200), the documented response body (parsed JSON, XML or
CSV text, or "same as a GET response") and the documented format. Code blocks that belong to no
request (an error body shown alone) are kept as ``fragments``; examples a correction excludes
are kept under ``excluded`` with the reason. Nothing is dropped silently.

:func:`match` finds the contract operation of an example (method and path template against
``paths`` of the contract); :func:`family` names the API family, or the documentation folder of
a family the sandbox does not implement.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openapi import docs_corrections
from openapi.contract import FAMILIES, Operation, operations
from openapi.docs_pages import (
    Body,
    Fragment,
    RawExample,
    Token,
    assemble,
    rst_tokens,
    text_tokens,
)

JSON_PATH = Path(__file__).with_name("docs_examples.json")

#: documentation branches under the reference directory (``invoca-docs-<branch>``)
BRANCHES = ("2016-10-01", "2022-08-01")
#: the seeds were cut from the 2016-10-01 pages: its doc_versions.py resolves their placeholders
SEEDS = "seeds"
SEEDS_VERSIONS_FROM = "2016-10-01"

#: languages of code blocks that hold API bodies (HTML, Ruby, JavaScript snippets of the web
#: integration pages are not kept as fragments)
BODY_LANGUAGES = ("json", "xml", "text", "csv")

#: design principles ("Status Codes"): success is 200 or 201; create (POST) answers 201
DEFAULT_STATUS = {"POST": 201}

#: where a documented page's verb is not written: its file name (``_get_advertiser.rst``)
_FILE_VERB = re.compile(r"^_(get|post|put|delete)_")


@dataclass(frozen=True)
class Page:
    branch: str
    #: path relative to the branch root (``api_documentation/.../_get_advertiser.rst``)
    source: str
    path: Path


def example_id(branch: str, source: str, line: int) -> str:
    """``2016-10-01/network_integration/advertisers/_get_advertiser.rst:11``."""
    return f"{branch}/{source.removeprefix('api_documentation/')}:{line}"


# ----------------------------------------------------------------------------- the sources


def pages(reference: Path, seeds: Path | None) -> Iterator[Page]:
    """Every page of both branches (sorted) and every seed, in that order."""
    for branch in BRANCHES:
        root = reference / f"invoca-docs-{branch}"
        for path in sorted(root.rglob("*.rst")):
            yield Page(branch, path.relative_to(root).as_posix(), path)
    if seeds is not None and seeds.is_dir():
        for path in sorted(seeds.glob("*.txt")):
            yield Page(SEEDS, path.name, path)


def doc_versions(path: Path) -> dict[str, str]:
    """The ``VERSIONS`` mapping of a branch's ``doc_versions.py`` (read, never executed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "VERSIONS"):
            value = ast.literal_eval(node.value)
            return {str(key): str(date) for key, date in value.items()}
    raise ValueError(f"{path} has no VERSIONS mapping")


def endpoint_verbs(reference: Path, branch: str) -> dict[tuple[str, str], str]:
    """(folder, page) -> verb of every ``.. api_endpoint::`` directive of a branch."""
    root = reference / f"invoca-docs-{branch}"
    found: dict[tuple[str, str], str] = {}
    for index in sorted(root.rglob("index.rst")):
        verb = None
        for line in index.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(":verb:"):
                verb = stripped.split(":", 2)[2].strip().upper()
            elif stripped.startswith(":page:") and verb:
                page = stripped.split(":", 2)[2].strip()
                found[(index.parent.relative_to(root).as_posix(), page)] = verb
    return found


# ----------------------------------------------------------------------------- extraction


def _normalize(text: str) -> str:
    """Soft hyphens (U+00AD) of the docs' HTML export: a hyphen between letters, else nothing."""
    text = re.sub(r"(?<=[A-Za-z])\u00ad(?=[A-Za-z])", "-", text)
    return text.replace("\u00ad", "")


def _tokens(page: Page, fixer: docs_corrections.Fixes) -> list[Token]:
    lines = page.path.read_text(encoding="utf-8").splitlines()

    def fix(line: int, text: str) -> str:
        return fixer.apply(example_id(page.branch, page.source, line), _normalize(text))

    reader = text_tokens if page.branch == SEEDS else rst_tokens
    return list(reader(lines, fix))


def _resolve_versions(text: str, versions: Mapping[str, str]) -> str:
    return re.sub(r"@@[A-Z_]+_VERSION", lambda m: versions.get(m.group(0), m.group(0)), text)


def _parse_body(body: Body) -> dict[str, Any]:
    lang = body.lang.lower()
    text = body.text
    if lang == "json" or (lang in ("text", "") and text.lstrip()[:1] in "{["):
        try:
            return {"format": "json", "body": json.loads(text)}
        except ValueError as exc:
            return {"format": "json", "text": text, "error": str(exc)}
    if lang in ("xml", "html") and text.lstrip().startswith("<?xml"):
        return {"format": "xml", "text": text}
    if lang == "text" and "," in text.splitlines()[0]:
        return {"format": "csv", "text": text}
    return {"format": lang or "text", "text": text}


def _page_method(page: Page, verbs: Mapping[tuple[str, str], str]) -> str:
    """The verb of a page that gives none: its ``.. api_endpoint::``, else its file name."""
    stem = Path(page.source).stem
    verb = verbs.get((Path(page.source).parent.as_posix(), stem.lstrip("_")))
    if verb:
        return verb
    found = _FILE_VERB.match(stem)
    return found.group(1).upper() if found else "GET"


def _record(raw: RawExample, page: Page, versions: Mapping[str, str],
            method: str) -> dict[str, Any]:
    """The JSON record of one example (one method of it: ``PUT/POST`` pages give two)."""
    url = _resolve_versions(raw.url, versions).replace("\\<", "<").replace("\\>", ">")
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    version = re.match(r"^/api/([^/]+)/", parts.path)
    record: dict[str, Any] = {
        "id": example_id(page.branch, page.source, raw.line),
        "branch": page.branch,
        "source": page.source,
        "line": raw.line,
        "title": raw.title,
        "method": method,
        "host": parts.netloc,
        "url": path,
        "version": version.group(1) if version else None,
        "origin": raw.origin,
    }
    headers = {name: _resolve_versions(value, versions) for name, value in raw.headers.items()}
    if headers:
        record["headers"] = headers
    if raw.basic_auth:
        record["auth"] = "basic"
    if raw.request is not None:
        record["request"] = _parse_body(raw.request)
    elif raw.form is not None:
        record["request"] = {"format": "form", "body": [list(pair) for pair in raw.form]}
    record["status_documented"] = raw.status is not None
    record["status"] = raw.status if raw.status is not None else DEFAULT_STATUS.get(method, 200)
    if raw.response is not None:
        record["response"] = _parse_body(raw.response)
    elif raw.note is not None:
        record["response"] = {"same_as": "GET", "note": raw.note}
        if raw.note.startswith("An array"):
            record["response"]["array"] = True
    if raw.format:
        record["format"] = raw.format
    return record


def _fragment(fragment: Fragment, page: Page) -> dict[str, Any]:
    parsed = _parse_body(fragment.body)
    return {"id": example_id(page.branch, page.source, fragment.line), "branch": page.branch,
            "source": page.source, "line": fragment.line, "title": fragment.title,
            "part": fragment.part, "status": fragment.status, **parsed}


def extract(reference: Path, seeds: Path | None = None,
            corrections: tuple[Sequence[docs_corrections.Fix],
                               Sequence[docs_corrections.Override]] | None = None,
            ) -> dict[str, Any]:
    """The examples, fragments and exclusions of every page (the content of the JSON file).

    ``corrections`` (fixes, overrides) default to the hand table of
    :mod:`openapi.docs_corrections`; each must be used, or the extraction fails.
    """
    fix_table, override_table = corrections or (docs_corrections.FIXES,
                                                docs_corrections.OVERRIDES)
    fixes = docs_corrections.Fixes(fix_table)
    overrides = docs_corrections.Overrides(override_table)
    found: dict[str, list[dict[str, Any]]] = {"examples": [], "fragments": [], "excluded": []}
    verbs = {branch: endpoint_verbs(reference, branch) for branch in BRANCHES}
    for page in pages(reference, seeds):
        branch = page.branch if page.branch != SEEDS else SEEDS_VERSIONS_FROM
        versions = doc_versions(reference / f"invoca-docs-{branch}" / "doc_versions.py")
        page_method = _page_method(page, verbs[branch] if page.branch != SEEDS else {})
        for kind, record in _page_records(page, versions, page_method, fixes, overrides):
            found[kind].append(record)
    for branch in BRANCHES:
        found["examples"].extend(openapi_document_examples(reference, branch))
    fixes.check_used()
    overrides.check_used()
    return found


def _filled(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]``."""
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], template)


#: Invoca's own OpenAPI documents (their ``.rst`` pages only embed Swagger UI): source under
#: ``invoca-docs-<branch>/`` -> (host, base path of every path of the document)
OPENAPI_DOCUMENTS = {
    "api_documentation/sms_messaging_api/sms-openapi.json": ("messaging.invoca.net",
                                                             "/sms/2022-08-01"),
}


def openapi_document_examples(reference: Path, branch: str) -> Iterator[dict[str, Any]]:
    """One example per operation of each of :data:`OPENAPI_DOCUMENTS` the branch has: its
    path with the parameters' own examples, its request body example, and its first success
    response that has a JSON example (``line`` is the operation's position in the document)."""
    for source, (host, base) in OPENAPI_DOCUMENTS.items():
        path = reference / f"invoca-docs-{branch}" / source
        if not path.exists():
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        parameters = (document.get("components") or {}).get("parameters") or {}
        values = {str(p["name"]): str(p["example"]) for p in parameters.values()
                  if isinstance(p, Mapping) and "example" in p}
        line = 0
        for template, item in document.get("paths", {}).items():
            for method in ("get", "post", "put", "delete"):
                operation = item.get(method)
                if not isinstance(operation, Mapping):
                    continue
                line += 1
                success = next(((code, response) for code, response in
                                (operation.get("responses") or {}).items()
                                if str(code).startswith("2") and "example" in
                                ((response.get("content") or {}).get("application/json")
                                 or {})), None)
                if success is None:
                    continue
                url = base + _filled(template, values)
                record: dict[str, Any] = {
                    "id": example_id(branch, source, line), "branch": branch,
                    "source": source, "line": line, "title": str(operation.get("summary", "")),
                    "method": method.upper(), "host": host, "url": url,
                    "version": str(document["info"]["version"]), "origin": "openapi"}
                body = (((operation.get("requestBody") or {}).get("content") or {})
                        .get("application/json") or {})
                if "example" in body:
                    record["request"] = {"format": "json", "body": body["example"]}
                code, response = success
                record["status_documented"] = True
                record["status"] = int(code)
                record["response"] = {"format": "json", "body":
                                      response["content"]["application/json"]["example"]}
                yield record


def _page_records(page: Page, versions: Mapping[str, str], page_method: str,
                  fixes: docs_corrections.Fixes, overrides: docs_corrections.Overrides,
                  ) -> Iterator[tuple[str, dict[str, Any]]]:
    """("examples" | "fragments" | "excluded", record) of one page, in document order."""
    raws, loose = assemble(_tokens(page, fixes), page_method)
    for fragment in loose:
        if overrides.promote(example_id(page.branch, page.source, fragment.line)) is None:
            if fragment.body.lang in BODY_LANGUAGES:
                yield "fragments", _fragment(fragment, page)
            continue
        raws.append(RawExample(line=fragment.line, title=fragment.title, url="",
                               response=fragment.body, status=fragment.status,
                               token_lines=[fragment.line]))
    for raw in sorted(raws, key=lambda item: item.line):
        changes = overrides.raw_changes(example_id(page.branch, page.source, raw.line))
        raw.url = _normalize(str(changes.get("url", raw.url)))
        verb = str(changes.get("method") or raw.method or page_method).upper()
        reasons = [reason for line in raw.token_lines for reason in fixes.reasons.get(
            example_id(page.branch, page.source, line), [])]
        for method in verb.split("/"):
            record = _record(raw, page, versions, method)
            if reasons:
                record["corrections"] = list(dict.fromkeys(reasons))
            if "/" in verb:
                record["id"] += f"#{method}"
            record = overrides.apply(record)
            yield ("excluded" if record.get("excluded") else "examples"), record


def render(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


# ----------------------------------------------------------------------------- reading


def load(path: Path = JSON_PATH) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def examples(path: Path = JSON_PATH) -> list[dict[str, Any]]:
    """The committed examples, in extraction order."""
    found: list[dict[str, Any]] = load(path)["examples"]
    return found


# ----------------------------------------------------------------------------- the contract


@dataclass(frozen=True)
class Match:
    """The contract operation an example calls (``None`` when its method has none there)."""

    operation: Operation | None
    #: the contract path the URL matches (``None``: no operation of the contract has it)
    path: str | None
    #: path parameters as written in the example (``{"advertiser_id_from_network": "2"}``)
    parameters: dict[str, str]
    #: the family tag of the path's operations
    family: str | None


def _template(path: str) -> re.Pattern[str]:
    pattern = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", path):
        pattern += re.escape(literal)
        if name:
            pattern += f"(?P<{name}>[^/]+?)"
    return re.compile(f"^{pattern}$")


def match(example: Mapping[str, Any], spec: Mapping[str, Any] | None = None) -> Match:
    """The operation of ``example`` (method + path template against the contract's paths)."""
    path = str(example["url"]).split("?", 1)[0]
    best: tuple[int, str, dict[str, str]] | None = None
    by_path: dict[str, list[Operation]] = {}
    for operation in operations(spec):
        by_path.setdefault(operation.path, []).append(operation)
    for template in by_path:
        found = _template(template).match(path)
        if found is None:
            continue
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        if best is None or literal > best[0]:
            best = (literal, template, dict(found.groupdict()))
    if best is None:
        return Match(None, None, {}, None)
    _, template, parameters = best
    candidates = by_path[template]
    chosen = next((op for op in candidates if op.method.upper() == example["method"]), None)
    return Match(chosen, template, parameters, candidates[0].family)


#: readable names of the documentation folders of families the sandbox does not implement
FOLDER_NAMES = {
    "call_api": "call API transcripts",
    "calls_in_progress_api": "calls in progress",
    "call_ingestion_api": "call ingestion",
    "sms_messaging_api": "SMS",
    "conversion_reporting_pixel": "conversion pixel",
    "ppc_platform_authentication_access_tokens": "access tokens",
}


def family(example: Mapping[str, Any], spec: Mapping[str, Any] | None = None) -> str:
    """The API family of an example, or ``not implemented: <documentation folder>``."""
    found = match(example, spec)
    if found.family:
        return found.family
    return f"not implemented: {unimplemented_name(example)}"


def unimplemented_name(example: Mapping[str, Any]) -> str:
    parts = str(example["source"]).removeprefix("api_documentation/").split("/")
    if parts[0] == "network_integration" and len(parts) > 2:
        name = parts[1]
    elif len(parts) > 1 and parts[0] != "basics":
        name = parts[0]
    else:
        name = Path(parts[-1]).stem
    return FOLDER_NAMES.get(name, name)


def documented_response(example: Mapping[str, Any], spec: Mapping[str, Any] | None = None,
                        pool: Sequence[Mapping[str, Any]] | None = None) -> Any:
    """The documented response of ``example``; "same as a GET response" followed to that GET.

    That GET is a documented GET example of the same branch (of the same page folder first)
    that reads the resource: the same path (an update, or a create on the item's path), or an
    item path right under the collection the example creates in.
    """
    response = example.get("response")
    if not isinstance(response, Mapping) or response.get("same_as") != "GET":
        return response
    found = match(example, spec)
    if found.path is None:
        return None
    folder = str(example["source"]).rsplit("/", 1)[0]
    candidates = [candidate for candidate in (pool if pool is not None else examples())
                  if candidate["branch"] == example["branch"] and candidate["method"] == "GET"
                  and isinstance(candidate.get("response"), Mapping)
                  and isinstance(candidate["response"].get("body"), dict)]
    candidates.sort(key=lambda candidate: str(candidate["source"]).rsplit("/", 1)[0] != folder)
    sent = (example.get("request") or {}).get("body")
    for candidate in candidates:
        other = match(candidate, spec).path
        if other is not None and _reads(found.path, other):
            body = _as_sent(candidate["response"]["body"], sent)
            if response.get("array"):  # "An array of campaigns are returned."
                return {"format": "json", "body": [body]}
            return {**candidate["response"], "body": body}
    return None


def _as_sent(borrowed: Any, sent: Any) -> Any:
    """A borrowed GET body in which every object the request sends (an ``ivr_tree``, say)
    has the request's own shape: the GET example shows another object's tree, the answer
    holds the one this request sent."""
    if not isinstance(sent, Mapping):
        return borrowed
    objects = {key: value for key, value in sent.items() if isinstance(value, Mapping)}

    def replace(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {key: objects[key] if key in objects else replace(value)
                    for key, value in node.items()}
        if isinstance(node, list):
            return [replace(item) for item in node]
        return node

    return replace(borrowed) if objects else borrowed


def _reads(path: str, other: str) -> bool:
    """Whether the GET at ``other`` reads what is written at ``path`` (itself or its item)."""
    collection = path.removesuffix(".json")
    return other == path or (re.fullmatch(re.escape(collection) + r"/\{[^/}]+\}\.json", other)
                             is not None)


# ----------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class Tally:
    """The examples of one family in one branch: how many pass, fail as expected, are skipped."""

    family: str
    branch: str
    examples: int
    #: owner -> examples expected to fail (the table of :mod:`openapi.docs_expectations`)
    expected: Mapping[str, int]
    not_implemented: int

    @property
    def passing(self) -> int:
        return self.examples - sum(self.expected.values()) - self.not_implemented


def tally(found: Sequence[Mapping[str, Any]], owners: Mapping[str, str],
          spec: Mapping[str, Any] | None = None) -> list[Tally]:
    """Counts per (family, branch): families in contract order, then the unimplemented ones.

    ``owners`` maps the id of each example expected to fail to its work package.
    """
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for example in found:
        groups.setdefault((family(example, spec), str(example["branch"])), []).append(example)
    order = {name: index for index, name in enumerate(FAMILIES)}
    branches = {name: index for index, name in enumerate((*BRANCHES, SEEDS))}
    rows = []
    for (name, branch), members in sorted(groups.items(), key=lambda item: (
            order.get(item[0][0], len(order)), item[0][0], branches[item[0][1]])):
        expected: dict[str, int] = {}
        for example in members:
            owner = owners.get(str(example["id"]))
            if owner is not None:
                expected[owner] = expected.get(owner, 0) + 1
        skipped = len(members) if name.startswith("not implemented") else 0
        rows.append(Tally(name, branch, len(members), dict(sorted(expected.items())), skipped))
    return rows


# ----------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m openapi.docs_examples",
                                     description="Extract (or check) docs_examples.json.")
    parser.add_argument("command", choices=("extract", "check"))
    parser.add_argument("--reference", type=Path, default=Path("/work/shared/reference"),
                        help="directory holding invoca-docs-<branch>/")
    parser.add_argument("--seeds", type=Path, default=None,
                        help="the plain-text seeds (default: <reference>/../seeds)")
    parser.add_argument("--output", type=Path, default=JSON_PATH)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    seeds = args.seeds or args.reference.parent / "seeds"
    text = render(extract(args.reference, seeds))
    if args.command == "check":
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python -m openapi.docs_examples extract",
                  file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    data = json.loads(text)
    print(f"wrote {args.output}: {len(data['examples'])} examples, "
          f"{len(data['fragments'])} fragments, {len(data['excluded'])} excluded")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
