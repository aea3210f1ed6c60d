"""Transactions API handlers: network, advertiser and affiliate paths in json, xml and csv.

Thin adapters: the platform filters, pages and selects the columns (``limit``, ``from``/
``to``, ``start_after_transaction_id``, ``include_columns``/``exclude_columns``, ...); this
module only renders. XML: root ``<Transactions>`` with one ``<Transaction>`` per row (the
contract's sandbox choice). CSV: the ``column_separator``, ``row_separator``,
``include_header`` and ``force_quotes`` options; an empty page still has its header row
(the columns the query selects, from the platform) unless ``include_header=0``.
"""

from __future__ import annotations

from typing import Any

from mock_server.handlers import Call, Reply
from openapi.contract import load_spec, resolve

__all__ = [
    "list_advertiser_transactions",
    "list_affiliate_transactions",
    "list_network_transactions",
]

#: the CSV options' parameters (``components/parameters``), whose defaults the contract holds
_CSV_PARAMETERS = ("ColumnSeparator", "RowSeparator", "IncludeHeader", "ForceQuotes")


def _csv_defaults() -> dict[str, str]:
    spec = load_spec()
    parameters = spec["components"]["parameters"]
    return {parameter["name"]: str(parameter["schema"]["default"])
            for parameter in (resolve(spec, parameters[name]) for name in _CSV_PARAMETERS)}


_CSV_DEFAULTS = _csv_defaults()


def csv_options(query: Any) -> dict[str, Any]:
    """The csv module options from the Transactions API's query parameters (an empty value
    is the contract's default)."""
    given = {name: query.get(name) for name in _CSV_DEFAULTS}
    text = {name: default if given[name] in (None, "") else str(given[name])
            for name, default in _CSV_DEFAULTS.items()}
    return {
        "column_separator": text["column_separator"],
        "row_separator": text["row_separator"],
        "include_header": text["include_header"] != "0",
        "force_quotes": text["force_quotes"] == "1",
    }


def _reply(call: Call, role: str, rows: list[dict[str, Any]]) -> Reply:
    options = csv_options(call.query) if call.format == "csv" else {}
    if call.format == "csv" and not rows:
        options["columns"] = call.platform.transaction_columns(call.principal, role, call.query)
    return Reply(rows, xml_root="Transactions", xml_item="Transaction", csv_options=options)


def list_network_transactions(call: Call) -> Any:
    """GET: the network's transactions."""
    return _reply(call, "network", call.platform.list_network_transactions(
        call.principal, *call.ids, call.query, version=call.version))


def list_advertiser_transactions(call: Call) -> Any:
    """GET: an advertiser's transactions."""
    return _reply(call, "advertiser", call.platform.list_advertiser_transactions(
        call.principal, *call.ids, call.query, version=call.version))


def list_affiliate_transactions(call: Call) -> Any:
    """GET: an affiliate's transactions."""
    return _reply(call, "affiliate", call.platform.list_affiliate_transactions(
        call.principal, *call.ids, call.query, version=call.version))
