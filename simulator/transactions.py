"""Transactions: calls and conversions become rows of the Transactions API.

Rules of this module:

* :class:`TransactionLog` is append-only and ordered by transaction (the order rows were
  recorded, ascending); corrections are new rows with ``corrects_transaction_id``.
* Queries follow the Transactions API: ``from``/``to`` (dates, inclusive, on the call start
  time, both needed or neither applies), ``limit`` (default 1000),
  ``start_after_transaction_id`` (a cursor: seeking to it is O(1) through an index, not a scan
  from the oldest row), ``transaction_id``, ``call_record_id``, ``transaction_type`` (one or
  several of Call, PostCallEvent, Sale, Signal) and column selection with
  ``include_columns``/``exclude_columns`` and the constants ``$invoca_default_columns``,
  ``$invoca_custom_columns`` and ``$invoca_custom_source_columns``.
* Role scoping: a network sees every row of its network; an advertiser only rows of its
  advertiser; an affiliate only its own rows. Each role has its documented column set.
* Transaction ids look like ``C624DA2C-CF3367C3`` and come from a seeded ``random.Random``.
* No wall clock: instants are passed in.

Sandbox choices (for docs/fidelity.md):

* Dates and the ``start_time_local`` rendering use UTC (the docs say "user's time zone").
* ``limit``'s maximum (4000) is the contract's rule, applied at the HTTP edge (served as 4000,
  or refused when strict); a non-integer or < 1 limit is
  ``RecordInvalid {"limit": ["is not a number"]}``; a malformed date is
  ``RecordInvalid {"from": ["is invalid"]}``.
* An unknown ``start_after_transaction_id`` (never issued, or dropped by retention) returns
  no rows.
* Columns come in one order whatever the order of ``include_columns``: the role's documented
  order (the contract's ``x-csv-columns``; ``advertiser_campaign_country`` after
  ``advertiser_campaign_name`` as the 2022 docs list it), then marketing-data columns in the
  order named (or of first appearance for ``$invoca_custom_columns``), ``custom_data`` too.
* Unknown column names in ``include_columns`` are ignored; ``call_record_id`` names
  ``complete_call_id`` (the docs' "Call Record ID"), served under its documented name. A
  column named in ``include_columns`` survives a constant in ``exclude_columns`` (the docs'
  example 2); a column named in ``exclude_columns`` always goes. ``custom_data`` is rendered
  only when named in ``include_columns`` (as the docs say), as a list of
  ``{name, data_type, source, value}``.
* JSON value types follow the most used typed client, tap-invoca: integers for durations,
  ``start_time_utc``, ``dynamic_number_pool_id`` and ``opt_in_SMS``; the Invoca ids
  (``advertiser_id``, ``advertiser_campaign_id``, ``affiliate_id``, ``virtual_line_id``) and
  rankings as strings; date-times, URLs and amounts as strings. A typed column with no value
  is ``null``, text with no value ``""`` (see :func:`json_value`). Every affiliate is ranked
  ``-1`` ("new"): the sandbox computes no rankings. AdWords, demographic (``*_data_append``,
  with the 2016 docs' ``do_not_call_data_append``) and ``recording_download_url`` columns are
  empty in the sandbox and returned only when named in ``include_columns``.
* Retention: the log keeps at most ``retention`` rows (None = unbounded); the oldest go first.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from simulator.errors import RecordInvalid

__all__ = [
    "ADVERTISER_COLUMNS",
    "AFFILIATE_COLUMNS",
    "COLUMN_ALIASES",
    "CONVERSION_COLUMNS",
    "DEFAULT_LIMIT",
    "DNPR_COLUMNS",
    "NETWORK_COLUMNS",
    "ROLES",
    "SIGNAL_COLUMNS",
    "TRANSACTION_TYPES",
    "CustomValue",
    "Transaction",
    "TransactionIds",
    "TransactionLog",
    "TransactionQuery",
    "columns_for",
    "documented_columns",
    "json_types",
    "json_value",
    "time_fields",
]

DEFAULT_LIMIT = 1000
ROLES = ("network", "advertiser", "affiliate")

#: query value -> the ``transaction_type`` column's value
TRANSACTION_TYPES: dict[str, str] = {
    "Call": "Call",
    "PostCallEvent": "Post Call Event",
    "Sale": "Reported Conversion",
    "Signal": "Signal",
}

NETWORK_COLUMNS: tuple[str, ...] = (
    "advertiser_call_fee_localized", "advertiser_campaign_id",
    "advertiser_campaign_id_from_network", "advertiser_campaign_name", "advertiser_id",
    "advertiser_id_from_network", "advertiser_name", "advertiser_payin_localized",
    "affiliate_call_volume_ranking", "affiliate_commissions_ranking",
    "affiliate_conversion_rate_ranking", "affiliate_id", "affiliate_id_from_network",
    "affiliate_name", "affiliate_payout_localized", "call_fee_localized",
    "call_result_description_detail", "call_source_description", "calling_phone_number", "city",
    "complete_call_id", "connect_duration", "corrected_at", "corrects_transaction_id",
    "destination_phone_number", "duration", "ivr_duration", "keypress_1", "keypress_2",
    "keypress_3", "keypress_4", "keypresses", "margin_localized",
    "matching_advertiser_payin_policies", "matching_affiliate_payout_policies", "media_type",
    "mobile", "notes", "opt_in_SMS", "original_order_id", "payin_conditions", "payout_conditions",
    "qualified_regions", "recording", "region", "repeat_calling_phone_number", "start_time_local",
    "start_time_utc", "start_time_xml", "start_time_network_timezone",
    "start_time_network_timezone_xml", "transaction_id", "transaction_type",
    "transfer_from_type", "verified_zip", "hangup_cause", "virtual_line_id",
)
NETWORK_OPTIONAL_COLUMNS = (
    "affiliate_campaign_id_from_network", "promo_line_description", "real_time_response",
)
ADVERTISER_COLUMNS: tuple[str, ...] = (
    "advertiser_campaign_id", "advertiser_campaign_id_from_network", "advertiser_campaign_name",
    "advertiser_payin_localized", "advertiser_promo_line_description",
    "affiliate_call_volume_ranking", "affiliate_commissions_ranking",
    "affiliate_conversion_rate_ranking", "affiliate_id", "affiliate_id_from_network",
    "affiliate_name", "call_result_description_detail_managed_advertiser",
    "call_source_description", "calling_phone_number", "city", "complete_call_id",
    "connect_duration", "corrected_at", "corrects_transaction_id", "destination_phone_number",
    "duration", "ivr_duration", "keypress_1", "keypress_2", "keypress_3", "keypress_4",
    "keypresses", "matching_advertiser_payin_policies", "media_type", "mobile", "notes",
    "opt_in_SMS", "original_order_id", "payin_conditions", "qualified_regions", "recording",
    "region", "repeat_calling_phone_number", "start_time_local", "start_time_utc",
    "start_time_xml", "start_time_network_timezone", "start_time_network_timezone_xml",
    "syndicated_ident", "transaction_id", "transaction_type", "transfer_from_type",
    "verified_zip", "virtual_line_id",
)
ADVERTISER_OPTIONAL_COLUMNS = (
    "advertiser_call_fee_localized", "affiliate_campaign_id_from_network", "margin_localized",
    "promo_line_description", "real_time_response",
)
AFFILIATE_COLUMNS: tuple[str, ...] = (
    "advertiser_campaign_id", "advertiser_campaign_id_from_network", "advertiser_campaign_name",
    "advertiser_id", "advertiser_id_from_network", "advertiser_name",
    "affiliate_payout_localized", "call_result_description_detail", "call_source_description",
    "city", "complete_call_id", "connect_duration", "corrected_at", "corrects_transaction_id",
    "duration", "ivr_duration", "keypress_1", "keypress_2", "keypress_3", "keypress_4",
    "keypresses", "matching_affiliate_payout_policies", "media_type", "mobile", "notes",
    "opt_in_SMS", "original_order_id", "payout_conditions", "promo_line_description",
    "qualified_regions", "region", "start_time_local", "start_time_utc", "start_time_xml",
    "start_time_network_timezone", "start_time_network_timezone_xml", "syndicated_ident",
    "transaction_id", "transaction_type", "transfer_from_type", "verified_zip",
    "virtual_line_id",
)
AFFILIATE_OPTIONAL_COLUMNS = (
    "signal_name", "external_data", "recording", "calling_phone_number",
    "repeat_calling_phone_number", "real_time_response",
)
DNPR_COLUMNS: tuple[str, ...] = (
    "dynamic_number_pool_id",
    "dynamic_number_pool_pool_type",
    *(f"dynamic_number_pool_referrer_param{n}_{part}" for n in range(1, 26)
      for part in ("name", "value")),
    "dynamic_number_pool_referrer_search_engine",
    "dynamic_number_pool_referrer_search_keywords",
    "dynamic_number_pool_referrer_search_type",
)
CONVERSION_COLUMNS: tuple[str, ...] = (
    "address1", "address2", "cell_phone_number", "country", "email_address",
    "home_phone_number", "name", "order_city", "quantity_list", "reason_code", "sale_amount",
    "sku_list", "state_or_province", "zip_code",
)
SIGNAL_COLUMNS: tuple[str, ...] = (
    "signal_name", "signal_description", "signal_partner_unique_id", "signal_occurred_at",
    "signal_source", "signal_value", "revenue", "signal_custom_parameter_1",
    "signal_custom_parameter_2", "signal_custom_parameter_3",
)
ADWORDS_COLUMNS: tuple[str, ...] = (
    "dynamic_number_pool_referrer_ad", "dynamic_number_pool_referrer_ad_group",
    "dynamic_number_pool_referrer_ad_group_id", "dynamic_number_pool_referrer_ad_id",
    "dynamic_number_pool_referrer_referrer_campaign",
    "dynamic_number_pool_referrer_referrer_campaign_id",
    "dynamic_number_pool_referrer_search_keywords_id",
    "dynamic_number_pool_referrer_keyword_match_type",
)
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = tuple(f"{name}_data_append" for name in (
    "address_city", "address_country", "address_full_street", "address_state", "address_type",
    "address_zip", "age_range", "carrier", "display_name", "do_not_call", "first_name", "gender",
    "is_prepaid", "last_name", "line_type", "primary_email_address", "linked_email_addresses",
    "household_income", "marital_status", "home_owner_status", "home_market_value",
    "length_of_residence_years", "occupation", "education", "has_children", "high_net_worth",
))
#: columns Invoca added after 2016-10-01 (2022-08-01 docs)
LATER_COLUMNS = ("advertiser_campaign_country",)

# ---- JSON value types --------------------------------------------------------------------
# Invoca documents no JSON types. The sandbox follows the most used typed client,
# Matatika/tap-invoca (facts §4 [C3]): the columns below are integers, date-times or URLs;
# the Invoca ids and affiliate rankings are strings; every other column is text. A typed
# column with no value is null; text with no value is "" (the docs: ``mobile`` is "empty
# string if type is unknown"). CSV and XML write null as an empty cell.

#: integers (tap-invoca: IntegerType)
INTEGER_COLUMNS = frozenset({
    "duration", "connect_duration", "ivr_duration", "start_time_utc", "dynamic_number_pool_id",
    "opt_in_SMS",
})
#: Invoca ids, strings of digits (tap-invoca and a TypeScript SDK type them as strings)
ID_COLUMNS = frozenset({
    "advertiser_id", "advertiser_campaign_id", "affiliate_id", "virtual_line_id",
})
#: "0 to 5, and -1 being 'new'. Blank if no affiliate." (strings, as tap-invoca types them)
RANKING_COLUMNS = (
    "affiliate_call_volume_ranking", "affiliate_commissions_ranking",
    "affiliate_conversion_rate_ranking",
)
#: Soap XML formatted times (tap-invoca: DateTimeType)
DATE_TIME_COLUMNS = frozenset({"start_time_xml", "start_time_network_timezone_xml"})
#: URLs (tap-invoca: URIType for ``recording``; the docs: "Signed URL" for the other)
URL_COLUMNS = frozenset({"recording", "recording_download_url"})
#: amounts (decimal strings; the TUNE mirror: "Nullable Decimal")
DECIMAL_COLUMNS = frozenset({
    "advertiser_call_fee_localized", "advertiser_payin_localized", "affiliate_payout_localized",
    "call_fee_localized", "margin_localized", "sale_amount", "revenue",
})
#: text only some transactions carry: "[Correction only]", "[Sales reporting only]", and the
#: signal's time and value ("null if it is not a signal transaction")
OCCASIONAL_COLUMNS = frozenset({
    "corrected_at", "corrects_transaction_id", "original_order_id", "signal_occurred_at",
    "signal_value",
})
#: typed columns every transaction has (never null)
EVERY_ROW_COLUMNS = frozenset({
    "duration", "connect_duration", "ivr_duration", "start_time_utc", "start_time_xml",
    "start_time_network_timezone_xml", "advertiser_id", "advertiser_campaign_id",
})
#: typed columns written as strings (null when the row has none)
_TYPED_TEXT = (ID_COLUMNS | set(RANKING_COLUMNS) | DATE_TIME_COLUMNS | URL_COLUMNS
               | DECIMAL_COLUMNS | OCCASIONAL_COLUMNS)
_WHOLE = re.compile(r"-?\d+")


def _integer(value: Any) -> int | None:
    if type(value) is int:
        return value
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return int(text) if _WHOLE.fullmatch(text) else None


def _typed_text(value: Any) -> str | None:
    return None if value is None or value == "" else _as_text(value)


def _as_text(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


#: column -> how its value is written in JSON (text columns are not listed)
_JSON_VALUE: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(INTEGER_COLUMNS, _integer), **dict.fromkeys(_TYPED_TEXT, _typed_text),
}


def json_value(column: str, value: Any) -> Any:
    """``value`` of ``column`` as a JSON body carries it (see the rules above)."""
    convert = _JSON_VALUE.get(column)
    return _as_text(value) if convert is None else convert(value)


def json_types(column: str) -> frozenset[str]:
    """The JSON types ``column`` can have in a body: ``{"string"}`` for text, with
    ``"null"`` for a typed column some rows have no value of."""
    kind = "integer" if column in INTEGER_COLUMNS else "string"
    if column in _JSON_VALUE and column not in EVERY_ROW_COLUMNS:
        return frozenset({kind, "null"})
    return frozenset({kind})


def _with_later(columns: tuple[str, ...]) -> tuple[str, ...]:
    """``columns`` with the later columns where the 2022 docs list them (after
    ``advertiser_campaign_name``)."""
    at = columns.index("advertiser_campaign_name") + 1
    return (*columns[:at], *LATER_COLUMNS, *columns[at:])


_DEFAULTS: dict[str, tuple[str, ...]] = {
    "network": (*_with_later(NETWORK_COLUMNS), *DNPR_COLUMNS, *CONVERSION_COLUMNS,
                *SIGNAL_COLUMNS),
    "advertiser": (*_with_later(ADVERTISER_COLUMNS), *DNPR_COLUMNS, *CONVERSION_COLUMNS,
                   *SIGNAL_COLUMNS),
    "affiliate": AFFILIATE_COLUMNS,
}
#: columns a role gets only when it names them in include_columns
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "network": (*NETWORK_OPTIONAL_COLUMNS, "recording_download_url", *ADWORDS_COLUMNS,
                *DEMOGRAPHIC_COLUMNS),
    "advertiser": (*ADVERTISER_OPTIONAL_COLUMNS, "recording_download_url", *ADWORDS_COLUMNS,
                   *DEMOGRAPHIC_COLUMNS),
    "affiliate": AFFILIATE_OPTIONAL_COLUMNS,
}
#: the order of a role's columns in every response (the docs' order, the contract's
#: ``x-csv-columns``); ``custom_data`` and marketing-data columns follow in the order named


def documented_columns(role: str) -> tuple[str, ...]:
    """A role's columns as the docs list them: the call columns (``recording_download_url``
    after ``recording``), the optional ones, DNPR, AdWords, conversion, signal, demographic."""
    if role == "affiliate":
        return (*AFFILIATE_COLUMNS, *AFFILIATE_OPTIONAL_COLUMNS)
    calls, optional = ((NETWORK_COLUMNS, NETWORK_OPTIONAL_COLUMNS) if role == "network"
                       else (ADVERTISER_COLUMNS, ADVERTISER_OPTIONAL_COLUMNS))
    names = list(_with_later(calls))
    names.insert(names.index("recording") + 1, "recording_download_url")
    return (*names, *optional, *DNPR_COLUMNS, *ADWORDS_COLUMNS, *CONVERSION_COLUMNS,
            *SIGNAL_COLUMNS, *DEMOGRAPHIC_COLUMNS)


_ORDER: dict[str, dict[str, int]] = {
    role: {name: n for n, name in enumerate(documented_columns(role))} for role in ROLES
}
#: every column a row may carry
ALL_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys((
    *NETWORK_COLUMNS, *NETWORK_OPTIONAL_COLUMNS, *ADVERTISER_COLUMNS,
    *ADVERTISER_OPTIONAL_COLUMNS, *AFFILIATE_COLUMNS, *AFFILIATE_OPTIONAL_COLUMNS,
    *LATER_COLUMNS, *DNPR_COLUMNS, *CONVERSION_COLUMNS, *SIGNAL_COLUMNS, *ADWORDS_COLUMNS,
    *DEMOGRAPHIC_COLUMNS, "recording_download_url",
)))

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def blank_row() -> dict[str, Any]:
    """Every column, empty: ``""`` for text, ``None`` for the typed columns."""
    row: dict[str, Any] = dict.fromkeys(ALL_COLUMNS, "")
    for column in _JSON_VALUE:
        row[column] = None
    return row


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
    return bool(value.value) if value.data_type == "Signal" else _as_text(value.value)


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
            if not re.fullmatch(r"\d+", raw_limit) or int(raw_limit) < 1:
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


#: column names the docs use for a column the rows carry under its documented name: the
#: "Call Record ID" (complete_call_id) is also the ``call_record_id`` query parameter
COLUMN_ALIASES: dict[str, str] = {"call_record_id": "complete_call_id"}


def columns_for(
    role: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    custom_names: Sequence[str] = (),
) -> list[str]:
    """The ordered columns of a response for ``role`` (see module docstring).

    ``include_columns``: "field names to be returned (if not specified, all available fields
    ... minus any columns in exclude_columns)"; ``exclude_columns``: "field names to be
    excluded". A constant stands for its columns, and a column named in ``include_columns``
    stays even when a constant in ``exclude_columns`` covers it: the docs' example
    ``include_columns=transaction_id,$invoca_custom_columns&exclude_columns=
    $invoca_default_columns`` gives "only the transaction_id and all custom data columns".
    A column named in ``exclude_columns`` always goes.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    defaults = _DEFAULTS[role]
    known = set(defaults) | set(_OPTIONAL[role]) | {"custom_data"}
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


class TransactionLog:
    """Append-only transactions, ordered by transaction; O(1) cursor seek; bounded."""

    def __init__(self, retention: int | None = None) -> None:
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
        plan = [(column, _JSON_VALUE.get(column)) for column in columns]
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
                        rendered[column] = value if type(value) is str else _as_text(value)
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
    return _as_text(found.value)
