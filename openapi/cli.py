"""``invoca-sandbox spec``: print the contract, or validate it.

    invoca-sandbox spec              print the document as YAML (as stored)
    invoca-sandbox spec --json       print it as JSON
    invoca-sandbox spec --validate   validate it with openapi-spec-validator and print the number
                                     of operations per API family

Exit status: 0 on success, 1 when validation fails, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from openapi import SPEC_PATH
from openapi.contract import count_by_family, parse_spec


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoca-sandbox spec", description="Print or validate the OpenAPI contract."
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the document as JSON")
    output.add_argument(
        "--validate",
        action="store_true",
        help="validate the document and print the operation count per API family",
    )
    parser.add_argument(
        "--path", type=Path, default=SPEC_PATH, help="document to read (default: the contract)"
    )
    return parser


def validation_errors(document: dict[str, Any]) -> list[str]:
    """Messages of every error openapi-spec-validator finds (empty when the document is valid)."""
    from openapi_spec_validator import (  # noqa: PLC0415 - slow import
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )

    version = str(document.get("openapi", ""))
    validators = {"3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}
    validator_class = validators.get(version[:3])
    if validator_class is None:
        return [f"openapi: unsupported version {version!r} (3.0.x or 3.1.x expected)"]
    validator = validator_class(document)
    return [
        f"{'/'.join(map(str, err.absolute_path)) or '(document)'}: {err.message}"
        for err in validator.iter_errors()
    ]


def report(document: dict[str, Any], out: TextIO) -> None:
    counts = count_by_family(document)
    width = max(len(name) for name in counts)
    for family, count in counts.items():
        out.write(f"{family:<{width}}  {count:>3}\n")
    out.write(f"{'total':<{width}}  {sum(counts.values()):>3}\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return run(args)
    except BrokenPipeError:  # output piped into e.g. head: not an error
        sys.stderr.close()
        return 0


def run(args: argparse.Namespace) -> int:
    path: Path = args.path
    if args.validate:
        try:
            document = parse_spec(path)
        except (OSError, ValueError) as exc:
            print(f"invoca-sandbox spec: cannot read {path}: {exc}", file=sys.stderr)
            return 1
        errors = validation_errors(document)
        if errors:
            for message in errors:
                print(f"invalid: {message}", file=sys.stderr)
            return 1
        print(f"{path}: valid OpenAPI {document.get('openapi')}")
        report(document, sys.stdout)
        return 0
    try:
        text = (
            json.dumps(parse_spec(path), indent=2, ensure_ascii=False) + "\n"
            if args.json
            else path.read_text(encoding="utf-8")
        )
    except (OSError, ValueError) as exc:
        print(f"invoca-sandbox spec: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
