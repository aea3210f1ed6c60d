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
* The tree's settings (the campaign-feature pages) follow the contract's ``IvrTree``: each is
  read in its kind (``"true"`` -> true, ``"3"`` -> 3; ``null`` clears it), ``x-model-checks``
  enums (``call_activity_tracking``, ``tts_voice_talent_id``), ``x-ivr-condition`` fields parsed
  by :mod:`simulator.ivr_conditions` (``""`` removes a condition), ``x-prompt-recording`` fields
  naming a recording like a node's ``prompt_id_from_network`` (``""`` unassigns), a voice from
  its language's table (``x-voices-by-language``, the campaign's ``campaign_language``), a
  ``whisper_prompt_condition`` only with a whisper prompt. Every problem is one key of the
  docs' IVR error body, next to the root node's own keys.
* Node rules read from the contract's ``IvrNode``: a Condition node's ``condition`` in the
  grammar; a RingGroup's ``distribution_method`` from its enum, each of its
  ``ring_group_destinations`` an object with a ``ring_group_number`` (errors one entry per
  destination, ``{}`` for a valid one), ``distribution_weight`` only with Weighted,
  ``ring_group_destination_total_limit`` only with Random.
* No I/O; numbers only (amounts sent as numeric strings are read as numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simulator.errors import RecordInvalid
from simulator.fields import FieldSpec, coerce, copied, fields_of, read_only, refs_to, schema
from simulator.ivr_conditions import condition_error

__all__ = [
    "IVR_REQUIRED_PARAMETERS",
    "IVR_SETTINGS",
    "PAY_FIELDS",
    "PAY_SUMMARY_FIELDS",
    "IvrTreeInvalid",
    "checked_ivr_tree",
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
NOT_IN_LIST = "is not included in the list"
_TREE = schema("IvrTree")["properties"]
_NODE = schema("IvrNode")["properties"]
#: the tree's settings (every ``IvrTree`` property but ``root``), read in their contract kinds
IVR_SETTINGS: dict[str, FieldSpec] = {
    spec.name: spec for spec in fields_of("IvrTree", without=("root",))}
#: settings and node parameters whose value is a condition of the IVR grammar
CONDITION_SETTINGS = tuple(n for n, p in _TREE.items() if p.get("x-ivr-condition"))
#: settings naming a professional prompt recording
RECORDING_SETTINGS = tuple(n for n, p in _TREE.items() if p.get("x-prompt-recording"))
#: settings with a list of allowed values the model checks (``x-model-checks``)
SETTING_CHOICES: dict[str, frozenset[str]] = {
    n: frozenset(str(v) for v in p["x-model-checks"]["enum"])
    for n, p in _TREE.items() if "enum" in (p.get("x-model-checks") or {})}
#: campaign language -> its documented voice ids (the prompt voice page's tables)
VOICES_BY_LANGUAGE: dict[str, frozenset[int]] = {
    language: frozenset(ids)
    for language, ids in _TREE["tts_voice_talent_id"]["x-voices-by-language"].items()}
DISTRIBUTION_METHODS = frozenset(_NODE["distribution_method"]["x-model-checks"]["enum"])
_DESTINATION = _NODE["ring_group_destinations"]["x-model-checks"]["items"]
_DESTINATION_FIELDS = {
    name: FieldSpec(name, rule["type"], minimum=rule.get("minimum"), maximum=rule.get("maximum"))
    for name, rule in _DESTINATION["properties"].items()}
_TOTAL_LIMIT = _NODE["ring_group_destination_total_limit"]["x-model-checks"]
TOTAL_LIMIT_FIELD = FieldSpec("ring_group_destination_total_limit", _TOTAL_LIMIT["type"],
                              minimum=_TOTAL_LIMIT["minimum"], maximum=_TOTAL_LIMIT["maximum"])


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
    condition = node.get("condition")
    if node_type == "Condition" and not _blank(condition) and (
            problem := _condition_problem(condition)):
        errors["condition"] = [problem]
    if node_type == "RingGroup":
        errors.update(_ring_group_errors(node))
    children = node.get("children")
    if isinstance(children, list):
        nested = [{str(index): problems} for index, child in enumerate(children)
                  if (problems := _node_errors(child, recordings))]
        if nested:
            errors["children"] = nested
    return errors


def _condition_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "is invalid"
    problem = condition_error(value)
    return None if problem is None else f"is not a valid condition: {problem}"


def _ring_group_errors(node: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    method = node.get("distribution_method")
    if not _blank(method) and str(method) not in DISTRIBUTION_METHODS:
        errors["distribution_method"] = [NOT_IN_LIST]
    method = "InOrder" if _blank(method) else str(method)
    destinations = node.get("ring_group_destinations")
    if not _blank(destinations):
        if not isinstance(destinations, list):
            errors["ring_group_destinations"] = ["is invalid"]
        else:
            entries = [_destination_errors(item, method) for item in destinations]
            if any(entries):
                errors["ring_group_destinations"] = entries
    limit = node.get("ring_group_destination_total_limit")
    if not _blank(limit):
        _, problem = coerce(TOTAL_LIMIT_FIELD, limit)
        if problem is None and method != "Random":
            problem = "may only be set when distribution_method is Random"
        if problem is not None:
            errors["ring_group_destination_total_limit"] = [problem]
    return errors


def _destination_errors(item: Any, method: str) -> dict[str, list[str]]:
    if not isinstance(item, Mapping):
        return {"ring_group_number": [EMPTY]}
    errors: dict[str, list[str]] = {}
    for name in _DESTINATION.get("x-required-by-model") or ():
        if _blank(item.get(name)) or not isinstance(item.get(name), str | int):
            errors[name] = [EMPTY]
    for name, spec in _DESTINATION_FIELDS.items():
        if _blank(item.get(name)):
            continue
        _, problem = coerce(spec, item[name])
        if problem is None and name == "distribution_weight" and method != "Weighted":
            problem = "may only be set when distribution_method is Weighted"
        if problem is not None:
            errors[name] = [problem]
    return errors


def checked_ivr_tree(tree: Any, recordings: Mapping[str, Any],
                     language: Any = None) -> tuple[Any, dict[str, Any]]:
    """``tree`` with its settings read in their kinds, and its errors (``{}`` when valid): the
    settings' (see the module rules; ``language`` is the campaign's ``campaign_language``)
    next to the root node's (:func:`ivr_tree_errors`)."""
    if not isinstance(tree, Mapping):
        return tree, {}
    stored = dict(tree)
    errors: dict[str, Any] = {}
    for name, spec in IVR_SETTINGS.items():
        if name not in stored or stored[name] is None:
            continue
        value, problem = coerce(spec, stored[name])
        if problem is None and str(value) not in SETTING_CHOICES.get(name, (str(value),)):
            problem = NOT_IN_LIST
        if problem is None and name in CONDITION_SETTINGS and value != "":
            problem = _condition_problem(value)
        if problem is None and name in RECORDING_SETTINGS and value != "" and (
                str(value) not in recordings):
            problem = UNKNOWN_RECORDING
        if problem is None and name == "tts_voice_talent_id":
            voices = VOICES_BY_LANGUAGE.get(str(language or "English"))
            if voices is not None and value not in voices:
                problem = f"is not a voice of the campaign's language ({language or 'English'})"
        if problem is not None:
            errors[name] = [problem]
        else:
            stored[name] = value
    whisper = ("whisper_prompt_text", "whisper_prompt_id_from_network")
    if not _blank(stored.get("whisper_prompt_condition")) and (
            "whisper_prompt_condition" not in errors) and all(
            _blank(stored.get(name)) for name in whisper):
        errors["whisper_prompt_condition"] = [
            "needs a whisper prompt (whisper_prompt_text or whisper_prompt_id_from_network)"]
    node_errors = ivr_tree_errors(stored, recordings)
    return stored, {**node_errors, **errors}


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
