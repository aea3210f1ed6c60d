"""The columns of a transaction row: what the contract declares, and how a query selects them.

The column facts are read once per process from the contract (openapi/invoca.yaml, through
:func:`openapi.contract.load_spec`); nothing here restates them:

* a role's columns, in the order of every answer: ``x-csv-columns`` of
  ``<Role>TransactionsCsv`` (the docs' order);
* the columns a role gets only when ``include_columns`` names them: ``x-only-when-named`` on
  the ``<Role>Transaction`` property (the AdWords and demographic columns and
  ``recording_download_url``, empty in the sandbox, and a few per role);
* a column's JSON value, from the property's ``type`` (the contract's reading of tap-invoca):
  an ``integer`` column is an integer (null when the value is not a whole number); a column
  whose type admits ``null`` is null when the row has no value; any other column is text,
  ``""`` when empty (the docs: ``mobile`` is "empty string if type is unknown"). CSV and XML
  write null as an empty cell.

The selection rules are the model's (the documents'): see :func:`columns_for`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from openapi.contract import load_spec, resolve

__all__ = [
    "COLUMN_ALIASES",
    "ROLES",
    "as_text",
    "blank_row",
    "columns_for",
    "documented_columns",
    "json_types",
    "json_value",
    "json_writer",
]

ROLES = ("network", "advertiser", "affiliate")

#: column names the docs use for a column the rows carry under its documented name: the
#: "Call Record ID" (complete_call_id) is also the ``call_record_id`` query parameter
COLUMN_ALIASES: dict[str, str] = {"call_record_id": "complete_call_id"}

_WHOLE = re.compile(r"-?\d+")


def _integer(value: Any) -> int | None:
    if type(value) is int:
        return value
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return int(text) if _WHOLE.fullmatch(text) else None


def _nullable_text(value: Any) -> str | None:
    return None if value is None or value == "" else as_text(value)


def as_text(value: Any) -> str:
    """A text column's value: ``""`` for none, ``true``/``false`` for booleans."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read_contract() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]],
                              dict[str, frozenset[str]]]:
    """Per role its documented columns and its default ones; every column's JSON types."""
    spec = load_spec()
    schemas = spec["components"]["schemas"]
    documented: dict[str, tuple[str, ...]] = {}
    defaults: dict[str, tuple[str, ...]] = {}
    types: dict[str, frozenset[str]] = {}
    for role in ROLES:
        name = role.title()
        columns = tuple(resolve(spec, schemas[f"{name}TransactionsCsv"])["x-csv-columns"])
        properties = resolve(spec, schemas[f"{name}Transaction"])["properties"]
        documented[role] = columns
        defaults[role] = tuple(c for c in columns
                               if not resolve(spec, properties[c]).get("x-only-when-named"))
        for column in columns:
            kind = resolve(spec, properties[column])["type"]
            declared = frozenset([kind] if isinstance(kind, str) else kind)
            if types.setdefault(column, declared) != declared:
                # one writer per column: the roles' schemas must agree on its type
                raise ValueError(f"the contract types column {column} differently by role")
    return documented, defaults, types


_DOCUMENTED, _DEFAULTS, _TYPES = _read_contract()

#: column -> how its value is written in JSON (text columns are not listed)
_JSON_VALUE: dict[str, Callable[[Any], Any]] = {
    column: _integer if "integer" in kinds else _nullable_text
    for column, kinds in _TYPES.items() if "integer" in kinds or "null" in kinds
}
#: every column a row may carry: the network's, then the other roles' own, in their order
_ALL_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(c for role in ROLES for c in _DOCUMENTED[role]))
#: the order of a role's columns in every response; marketing-data columns follow
_ORDER: dict[str, dict[str, int]] = {
    role: {name: n for n, name in enumerate(columns)} for role, columns in _DOCUMENTED.items()
}
_KNOWN: dict[str, frozenset[str]] = {
    role: frozenset((*columns, "custom_data")) for role, columns in _DOCUMENTED.items()
}


def json_writer(column: str) -> Callable[[Any], Any] | None:
    """How ``column``'s value is written in JSON; None for a text column (:func:`as_text`)."""
    return _JSON_VALUE.get(column)


def json_value(column: str, value: Any) -> Any:
    """``value`` of ``column`` as a JSON body carries it (see the module docstring)."""
    convert = _JSON_VALUE.get(column)
    return as_text(value) if convert is None else convert(value)


def json_types(column: str) -> frozenset[str]:
    """The JSON types ``column`` can have in a body (the contract's; text for a marketing-data
    column)."""
    return _TYPES.get(column, frozenset({"string"}))


def blank_row() -> dict[str, Any]:
    """Every column, empty: ``""`` for text, ``None`` for the typed columns."""
    row: dict[str, Any] = dict.fromkeys(_ALL_COLUMNS, "")
    for column in _JSON_VALUE:
        row[column] = None
    return row


def documented_columns(role: str) -> tuple[str, ...]:
    """A role's columns in the docs' order (the contract's ``x-csv-columns``)."""
    return _DOCUMENTED[role]


def columns_for(
    role: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    custom_names: Sequence[str] = (),
) -> list[str]:
    """The ordered columns of a response for ``role``.

    ``include_columns``: "field names to be returned (if not specified, all available fields
    ... minus any columns in exclude_columns)"; ``exclude_columns``: "field names to be
    excluded". ``$invoca_default_columns`` stands for the role's columns but those returned
    only when named; ``$invoca_custom_columns`` / ``$invoca_custom_source_columns`` for the
    marketing-data columns (``<name>.source``) in order of first appearance; affiliates get
    no marketing data. A column named in ``include_columns`` stays even when a constant in
    ``exclude_columns`` covers it: the docs' example ``include_columns=transaction_id,
    $invoca_custom_columns&exclude_columns=$invoca_default_columns`` gives "only the
    transaction_id and all custom data columns". A column named in ``exclude_columns`` always
    goes. Unknown names are ignored; ``call_record_id`` names ``complete_call_id``.

    Order: the role's documented order whatever the order named, then marketing-data columns
    (and ``custom_data``) in the order named.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    defaults = _DEFAULTS[role]
    known = _KNOWN[role]
    custom_allowed = role != "affiliate"  # affiliates get only $invoca_default_columns

    def expand(names: Sequence[str]) -> tuple[list[str], set[str]]:
        """The columns ``names`` stand for, and those of them named one by one."""
        out: list[str] = []
        named: set[str] = set()
        for name in names:
            if name == "$invoca_default_columns":
                out.extend(defaults)
            elif name == "$invoca_custom_columns":
                if custom_allowed:
                    out.extend(custom_names)
            elif name == "$invoca_custom_source_columns":
                if custom_allowed:
                    out.extend(f"{n}.source" for n in custom_names)
            else:
                column = name if name in known else COLUMN_ALIASES.get(name, name)
                if column in known or (custom_allowed and (
                    column in custom_names or column.removesuffix(".source") in custom_names
                )):
                    out.append(column)
                    named.add(column)
        return out, named

    chosen, kept = expand(include) if include else (list(defaults), set())
    excluded, named_out = expand(exclude)
    dropped = {c for c in excluded if c in named_out or c not in kept}
    selected = [c for c in dict.fromkeys(chosen) if c not in dropped]
    order = _ORDER[role]
    return ([c for c in sorted(selected, key=lambda c: order.get(c, -1)) if c in order]
            + [c for c in selected if c not in order])

