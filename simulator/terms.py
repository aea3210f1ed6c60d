"""Advertiser campaign terms: the payin/payout summaries and the IVR tree rules of the docs.

Rules of this module:

* A payin or payout is written as ``{"policies": [...]}``; a GET adds the read-only summary
  the docs show (:func:`pay_summary`): ``min`` (the Base amounts), ``max`` (Base plus every
  Bonus), ``currency`` (the policies'), ``pricing`` ("$3.50 per call", or one
  "<type>: <amount> per call[ if <condition>]" per policy when there are several) and
  ``range`` ("$4.50 - $7.25 per call", one amount when min equals max). A body that sends a
  summary back (self-correction) has it dropped (:func:`written_pay`): it is derived.
* An IVR tree node missing a parameter the docs' node table marks required ("\\* => required
  parameter") is refused with the docs' singular ``error`` body, nested by child index:
  ``{"error": {"ivr_tree": {"children": [{"0": {"prompt": ["cannot be empty"]}}]}}}``
  (:class:`IvrTreeInvalid`). The table's Connect row also stars ``destination_country_code``
  and ``destination_extension``, which the docs' own examples leave empty or out: they are not
  required here (sandbox choice).
* A node's ``prompt_id_from_network`` names a professional prompt recording of the campaign's
  network or advertiser (the prompt recordings page); the node then shows the recording's
  text as its ``prompt``, with ``prompt_url`` and ``prompt_received`` (:func:`with_prompts`).
  An unknown id is refused like a missing parameter, at the node.
* No I/O; numbers only (amounts sent as numeric strings are read as numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simulator.errors import RecordInvalid
from simulator.fields import copied, read_only, refs_to

__all__ = [
    "IVR_REQUIRED_PARAMETERS",
    "PAY_FIELDS",
    "PAY_SUMMARY_FIELDS",
    "IvrTreeInvalid",
    "ivr_tree_errors",
    "pay_summary",
    "terms_shown",
    "with_prompts",
    "written_pay",
]

#: the terms written as ``{"policies": [...]}`` and read back with a summary
PAY_FIELDS = refs_to("AdvertiserCampaignWrite", "Pay")
#: the read-only keys a GET adds to a payin or payout
PAY_SUMMARY_FIELDS = read_only("Pay")
CURRENCY_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€"}
#: node type -> the parameters the docs' node table marks required (see the module's rules)
IVR_REQUIRED_PARAMETERS: dict[str, tuple[str, ...]] = {
    "Menu": ("prompt",),
    "Connect": ("destination_phone_number",),
    "Failover": ("destination_phone_number",),
    "SmsPromo": ("prompt", "sms_promo_copy"),
    "Condition": ("condition",),
    "DynamicRoute": ("dynamic_route_destination",),
    "AnyKeyPress": ("prompt",),
    "NumberQuestion": ("prompt", "number_question_type"),
    "YesOrNo": ("prompt",),
    "RingGroup": ("ring_group_destinations", "ring_group_connect_timeout"),
}
EMPTY = "cannot be empty"
UNKNOWN_RECORDING = "is not a prompt recording of this campaign's network or advertiser"


class IvrTreeInvalid(RecordInvalid):
    """An IVR tree breaks the node table: 403 with the docs' singular ``error`` body."""

    def __init__(self, tree_errors: Mapping[str, Any]) -> None:
        super().__init__("Validation failed")
        self.tree_errors = dict(tree_errors)

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"ivr_tree": self.tree_errors}}


def _number(value: Any) -> Any:
    """``value`` as a JSON number when it is one (``"7.0"`` -> 7, ``4.5`` -> 4.5)."""
    if isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


def written_pay(pay: Any) -> Any:
    """A payin/payout as stored: without the read-only summary, amounts as numbers."""
    if not isinstance(pay, Mapping):
        return pay
    stored = {key: value for key, value in pay.items() if key not in PAY_SUMMARY_FIELDS}
    policies = stored.get("policies")
    if isinstance(policies, list):
        stored["policies"] = [
            {**policy, "amount": _number(policy["amount"])}
            if isinstance(policy, Mapping) and "amount" in policy else policy
            for policy in policies
        ]
    return stored


def pay_summary(pay: Any) -> Any:
    """A stored payin/payout with the summary a GET shows (unchanged without policies)."""
    if not isinstance(pay, Mapping):
        return pay
    policies = [p for p in pay.get("policies") or () if isinstance(p, Mapping)]
    if not policies:
        return dict(pay)
    currency = str(next((p["currency"] for p in policies if p.get("currency")), "USD"))
    symbol = CURRENCY_SYMBOLS.get(currency, "")

    def amount(policy: Mapping[str, Any]) -> float:
        number = _number(policy.get("amount", 0))
        return float(number) if isinstance(number, int | float) else 0.0

    def money(value: float) -> str:
        return f"{symbol}{value:,.2f}"

    def phrase(policy: Mapping[str, Any]) -> str:
        condition = str(policy.get("condition") or "").strip()
        text = f"{money(amount(policy))} per call"
        return f"{text} if {condition}" if condition else text

    low = sum(amount(p) for p in policies if p.get("type", "Base") != "Bonus")
    high = low + sum(amount(p) for p in policies if p.get("type") == "Bonus")
    pricing = phrase(policies[0]) if len(policies) == 1 else " ".join(
        f"{p.get('type', 'Base')}: {phrase(p)}" for p in policies
    )
    spread = money(low) if low == high else f"{money(low)} - {money(high)}"
    return {
        **pay,
        "min": _number(low),
        "max": _number(high),
        "currency": currency,
        "pricing": pricing,
        "range": f"{spread} per call",
    }


def terms_shown(values: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """Terms fields as a GET shows them: payin/payout with their summary, the read-only
    ``pricing_type`` (the sandbox prices calls at fixed amounts), ``expiration_date`` (the
    docs' read-only alias of ``pause_date``) and each named region's display ``text``."""
    terms = {name: copied(values.get(name)) for name in names}
    for name in PAY_FIELDS:
        if name in terms:
            terms[name] = pay_summary(terms[name])
    for region in (r for named in terms.get("named_regions") or () if isinstance(named, dict)
                   for r in named.get("regions") or () if isinstance(r, dict)):
        region.setdefault("text", region.get("value"))  # the region's read-only display text
    terms["pricing_type"] = "Fixed"
    if "pause_date" in terms:
        terms["expiration_date"] = terms["pause_date"]
    return terms


def _blank(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _node_errors(node: Any, recordings: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(node, Mapping):
        return {"node_type": [EMPTY]}
    errors: dict[str, Any] = {}
    node_type = node.get("node_type")
    if _blank(node_type):
        errors["node_type"] = [EMPTY]
    recording = node.get("prompt_id_from_network")
    for name in IVR_REQUIRED_PARAMETERS.get(str(node_type), ()):
        if _blank(node.get(name)) and not (name == "prompt" and not _blank(recording)):
            errors[name] = [EMPTY]
    if not _blank(recording) and str(recording) not in recordings:
        errors["prompt_id_from_network"] = [UNKNOWN_RECORDING]
    children = node.get("children")
    if isinstance(children, list):
        nested = [{str(index): problems} for index, child in enumerate(children)
                  if (problems := _node_errors(child, recordings))]
        if nested:
            errors["children"] = nested
    return errors


def ivr_tree_errors(tree: Any, recordings: Mapping[str, Any]) -> dict[str, Any]:
    """The errors of an IVR tree's root node and its children (``{}`` when it is valid): the
    child's index (its keypress minus one) keys each failing child, as in the docs. A node's
    ``prompt_id_from_network`` must name one of ``recordings`` (the campaign's network's and
    advertiser's prompt recordings); a recording stands for the node's prompt."""
    if not isinstance(tree, Mapping) or "root" not in tree:
        return {}
    return _node_errors(tree["root"], recordings)


def with_prompts(tree: Any, recordings: Mapping[str, Mapping[str, Any]]) -> Any:
    """``tree`` with each node that names a prompt recording showing it as the docs' GET does:
    ``prompt`` (the recording's text), ``prompt_url`` and ``prompt_received``. An empty
    ``prompt_id_from_network`` unassigns it (the node keeps only what was sent)."""
    if not isinstance(tree, Mapping) or not isinstance(tree.get("root"), Mapping):
        return tree

    def node(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        shown = dict(value)
        recording = recordings.get(str(shown.get("prompt_id_from_network") or ""))
        if recording is not None:
            shown.update(prompt=recording["prompt_text"], prompt_url=recording["prompt_url"],
                         prompt_received=recording["prompt_received"])
        if isinstance(shown.get("children"), list):
            shown["children"] = [node(child) for child in shown["children"]]
        return shown

    return {**tree, "root": node(tree["root"])}
