"""Transactions: calls and conversions become rows of the Transactions API.

Rules of this module:

* :class:`TransactionLog` is append-only and ordered by transaction (the order rows were
  recorded, ascending); corrections are new rows with ``corrects_transaction_id``.
* Queries follow the Transactions API: ``from``/``to`` (dates, inclusive, on the call start
  time, both needed or neither applies), ``limit`` (the contract's default and minimum),
  ``start_after_transaction_id`` (a cursor: seeking to it is O(1) through an index, not a scan
  from the oldest row), ``transaction_id``, ``call_record_id``, ``transaction_type`` (the
  contract's query values, each selecting the column value its ``x-column-values`` names) and
  column selection (:func:`simulator.transaction_columns.columns_for`).
* Role scoping: a network sees every row of its network; an advertiser only rows of its
  advertiser; an affiliate only its own rows. Each role has its documented column set.
* Transaction ids look like ``C624DA2C-CF3367C3`` and come from a seeded ``random.Random``.
* No wall clock: instants are passed in.

Sandbox choices (for docs/fidelity.md):

* Dates and the ``start_time_local`` rendering use UTC (the docs say "user's time zone").
* ``limit``'s maximum (4000) is the contract's rule, applied at the HTTP edge (served as 4000,
  or refused when strict); a non-integer or too small limit is
  ``RecordInvalid {"limit": ["is not a number"]}``; a malformed date is
  ``RecordInvalid {"from": ["is invalid"]}``.
* An unknown ``start_after_transaction_id`` (never issued, or dropped by retention) returns
  no rows.
* ``custom_data`` is rendered only when named in ``include_columns`` (as the docs say), as a
  list of ``{name, data_type, source, value}``; a marketing-data column named on its own is
  flat (:func:`_flat_custom`).
* Every affiliate is ranked ``-1`` ("new"): the sandbox computes no rankings.
* Retention: the log keeps at most ``retention`` rows (default
  :data:`DEFAULT_TRANSACTION_RETENTION`; None = unbounded); the oldest go first.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from openapi.contract import load_spec, resolve
from simulator.errors import RecordInvalid
from simulator.transaction_columns import (
    as_text,
    blank_row,
    columns_for,
    json_value,
    json_writer,
)

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_TRANSACTION_RETENTION",
    "RANKING_COLUMNS",
    "TRANSACTION_TYPES",
    "CustomValue",
    "Transaction",
    "TransactionIds",
    "TransactionLog",
    "TransactionQuery",
    "blank_row",  # re-exported: the platform builds rows from here
    "columns_for",  # re-exported: the platform selects columns from here
    "time_fields",
]

#: transactions a log keeps by default, the most recent (the bound of every other store)
DEFAULT_TRANSACTION_RETENTION = 100_000


def _query_parameter(name: str) -> dict[str, Any]:
    """The schema of a Transactions API query parameter (``components/parameters``)."""
    spec = load_spec()
    schema: dict[str, Any] = resolve(spec, spec["components"]["parameters"][name])["schema"]
    return schema


_LIMIT = _query_parameter("Limit")
DEFAULT_LIMIT: int = _LIMIT["default"]
#: query value -> the ``transaction_type`` column's value
TRANSACTION_TYPES: dict[str, str] = dict(_query_parameter("TransactionType")["x-column-values"])
#: "0 to 5, and -1 being 'new'. Blank if no affiliate.": the columns the sandbox sets to -1
RANKING_COLUMNS = (
    "affiliate_call_volume_ranking", "affiliate_commissions_ranking",
    "affiliate_conversion_rate_ranking",
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def time_fields(start_at: datetime) -> dict[str, Any]:
    """The start_time_* columns of a call starting at ``start_at`` (rendered in UTC)."""
    at = start_at.astimezone(UTC)
    local = at.strftime("%Y-%m-%d %H:%M:%S +00:00")
    xml = at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return {
        "start_time_local": local,
        "start_time_utc": int(at.timestamp() * 1000),
        "start_time_xml": xml,
        "start_time_network_timezone": local,
        "start_time_network_timezone_xml": xml,
    }


@dataclass(frozen=True, slots=True)
class CustomValue:
    """A custom data field value on a transaction (marketing data, signals)."""

    value: Any
    data_type: str = "Short Text"
    source: str = "Api"


@dataclass(frozen=True, slots=True)
class Transaction:
    """One row: its network (for scoping), start instant and every column's value."""

    network_id: int
    start_at: datetime
    fields: Mapping[str, Any]
    custom: Mapping[str, CustomValue] = field(default_factory=dict)

    @property
    def transaction_id(self) -> str:
        return str(self.fields["transaction_id"])

    @property
    def call_record_id(self) -> str:
        return str(self.fields["complete_call_id"])

    def to_dict(self) -> dict[str, Any]:
        """Every column plus ``custom_data``, as a JSON body writes them (the full row, for
        exports and determinism)."""
        row = {column: json_value(column, value) for column, value in self.fields.items()}
        return {**row, "custom_data": _custom_list(self.custom)}


def _custom_value(value: CustomValue) -> Any:
    """A ``custom_data`` value: "For data_type = Signal: true, false or null. For all other
    data types it is the string value of the field." """
    if value.value is None:
        return None
    return bool(value.value) if value.data_type == "Signal" else as_text(value.value)


def _custom_list(custom: Mapping[str, CustomValue]) -> list[dict[str, Any]]:
    """The ``custom_data`` array ("null values are not returned")."""
    return [
        {"name": name, "data_type": v.data_type, "source": v.source, "value": _custom_value(v)}
        for name, v in custom.items()
        if v.value is not None
    ]


class TransactionIds:
    """Deterministic transaction ids like ``C624DA2C-CF3367C3``, never repeated."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._issued: set[str] = set()

    def next(self) -> str:
        while True:
            value = f"{self._rng.getrandbits(32):08X}-{self._rng.getrandbits(32):08X}"
            if value not in self._issued:
                self._issued.add(value)
                return value


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return out


def _parse_date(name: str, value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if not _DATE.match(str(value)):
        raise RecordInvalid(field_errors={name: ["is invalid"]})
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RecordInvalid(field_errors={name: ["is invalid"]}) from None


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    """The parsed query parameters of a Transactions API request."""

    from_date: date | None = None
    to_date: date | None = None
    limit: int = DEFAULT_LIMIT
    start_after_transaction_id: str = ""
    transaction_id: str = ""
    call_record_id: str = ""
    transaction_types: tuple[str, ...] = ()
    include_columns: tuple[str, ...] = ()
    exclude_columns: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TransactionQuery:
        """Parse request parameters (strings, or lists for repeated keys); RecordInvalid."""

        def one(name: str) -> str:
            value = params.get(name)
            if isinstance(value, list | tuple):
                value = value[-1] if value else None
            return "" if value is None else str(value)

        problems: dict[str, list[str]] = {}
        limit = DEFAULT_LIMIT
        raw_limit = one("limit").strip()
        if raw_limit:
            if not re.fullmatch(r"\d+", raw_limit) or int(raw_limit) < _LIMIT["minimum"]:
                problems["limit"] = ["is not a number"]
            else:
                limit = int(raw_limit)  # at most 4000: the contract's rule (clamp or refusal)
        dates: dict[str, date | None] = {}
        for name in ("from", "to"):
            try:
                dates[name] = _parse_date(name, one(name))
            except RecordInvalid as error:
                problems.update(error.field_errors or {})
        types: list[str] = []
        raw_types = params.get("transaction_type", params.get("transaction_type[]"))
        for kind in _as_list(raw_types):
            if kind not in TRANSACTION_TYPES:
                problems["transaction_type"] = ["is not included in the list"]
            else:
                types.append(kind)
        if problems:
            raise RecordInvalid("Validation failed", field_errors=problems)
        return cls(
            from_date=dates.get("from"),
            to_date=dates.get("to"),
            limit=limit,
            start_after_transaction_id=one("start_after_transaction_id"),
            transaction_id=one("transaction_id"),
            call_record_id=one("call_record_id"),
            transaction_types=tuple(types),
            include_columns=tuple(_as_list(params.get("include_columns"))),
            exclude_columns=tuple(_as_list(params.get("exclude_columns"))),
        )


class TransactionLog:
    """Append-only transactions, ordered by transaction; O(1) cursor seek; bounded."""

    def __init__(self, retention: int | None = DEFAULT_TRANSACTION_RETENTION) -> None:
        if retention is not None and retention < 1:
            raise ValueError("retention must be positive or None")
        self.retention = retention
        self._rows: list[Transaction] = []
        self._dropped = 0  # how many rows were forgotten from the front
        self._position: dict[str, int] = {}  # transaction_id -> absolute position
        self._by_call: dict[str, list[int]] = {}
        #: custom field names in order of first appearance (for $invoca_custom_columns)
        self._custom_names: dict[int, dict[str, None]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def append(self, transaction: Transaction) -> Transaction:
        with self._lock:
            if transaction.transaction_id in self._position:
                raise ValueError(f"duplicate transaction_id {transaction.transaction_id}")
            position = self._dropped + len(self._rows)
            self._rows.append(transaction)
            self._position[transaction.transaction_id] = position
            self._by_call.setdefault(transaction.call_record_id, []).append(position)
            names = self._custom_names.setdefault(transaction.network_id, {})
            for name in transaction.custom:
                names.setdefault(name, None)
            if self.retention is not None and len(self._rows) > self.retention:
                self._trim_locked(len(self._rows) - self.retention)
            return transaction

    def _trim_locked(self, count: int) -> None:
        for old in self._rows[:count]:
            self._position.pop(old.transaction_id, None)
            positions = self._by_call.get(old.call_record_id)
            if positions is not None:
                del positions[0]
                if not positions:
                    del self._by_call[old.call_record_id]
        del self._rows[:count]
        self._dropped += count

    def all(self) -> list[Transaction]:
        with self._lock:
            return list(self._rows)

    def get(self, transaction_id: str) -> Transaction | None:
        with self._lock:
            position = self._position.get(transaction_id)
            return None if position is None else self._rows[position - self._dropped]

    def for_call(self, call_record_id: str) -> list[Transaction]:
        with self._lock:
            return [self._rows[p - self._dropped] for p in self._by_call.get(call_record_id, [])]

    def custom_names(self, network_id: int) -> list[str]:
        with self._lock:
            return list(self._custom_names.get(network_id, {}))

    def select(
        self,
        query: TransactionQuery,
        *,
        network_id: int,
        advertiser_id: int | None = None,
        affiliate_id: int | None = None,
    ) -> list[Transaction]:
        """The matching transactions (at most ``query.limit``), in transaction order."""
        types = {TRANSACTION_TYPES[t] for t in query.transaction_types}
        dated = query.from_date is not None and query.to_date is not None

        def matches(row: Transaction) -> bool:
            fields = row.fields
            if row.network_id != network_id:
                return False
            if advertiser_id is not None and fields["advertiser_id"] != advertiser_id:
                return False
            if affiliate_id is not None and fields["affiliate_id"] != affiliate_id:
                return False
            if types and fields["transaction_type"] not in types:
                return False
            if query.call_record_id and row.call_record_id != query.call_record_id:
                return False
            if dated:
                day = row.start_at.astimezone(UTC).date()
                assert query.from_date is not None and query.to_date is not None
                if not query.from_date <= day <= query.to_date:
                    return False
            return True

        with self._lock:
            if query.transaction_id:
                position = self._position.get(query.transaction_id)
                if position is None:
                    return []
                candidates: Iterable[Transaction] = [self._rows[position - self._dropped]]
            elif query.call_record_id:
                candidates = [self._rows[p - self._dropped]
                              for p in self._by_call.get(query.call_record_id, [])]
            else:
                start = 0
                if query.start_after_transaction_id:
                    position = self._position.get(query.start_after_transaction_id)
                    if position is None:
                        return []
                    start = position - self._dropped + 1
                candidates = (self._rows[i] for i in range(start, len(self._rows)))
            if query.start_after_transaction_id and (query.transaction_id or
                                                     query.call_record_id):
                cursor = self._position.get(query.start_after_transaction_id, -1)
                candidates = [r for r in candidates if self._position[r.transaction_id] > cursor]
            found: list[Transaction] = []
            for row in candidates:
                if matches(row):
                    found.append(row)
                    if len(found) >= query.limit:
                        break
            return found

    def render(self, rows: Sequence[Transaction], columns: Sequence[str]) -> list[dict[str, Any]]:
        """Rows as dicts holding ``columns`` in that order, valued as a JSON body writes them
        (:func:`json_value`; marketing-data columns by :func:`_flat_custom`)."""
        plan = [(column, json_writer(column)) for column in columns]
        out: list[dict[str, Any]] = []
        for row in rows:
            fields = row.fields
            rendered: dict[str, Any] = {}
            for column, convert in plan:
                if column in fields:
                    value = fields[column]
                    if convert is not None:
                        rendered[column] = convert(value)
                    else:
                        rendered[column] = value if type(value) is str else as_text(value)
                elif column == "custom_data":
                    rendered[column] = _custom_list(row.custom)
                else:
                    rendered[column] = _flat_custom(row.custom, column)
            out.append(rendered)
        return out


def _flat_custom(custom: Mapping[str, CustomValue], column: str) -> Any:
    """A marketing-data column of a row (the docs' second way, "All formats"): the value (a
    signal as 1, 0 when not met, null when not applied, as the 2016 docs' signal columns),
    or ``<name>.source``; null when the row has no such field."""
    if column not in custom and column.endswith(".source"):
        found = custom.get(column[:-7])
        return None if found is None else found.source
    found = custom.get(column)
    if found is None or found.value is None:
        return None
    if found.data_type == "Signal":
        return 1 if found.value else 0
    return as_text(found.value)
