"""Request validation against the contract, compiled once per operation at start-up.

Rules:
1. Nothing walks the spec per request. :func:`compile_request_validator` turns an operation's
   parameters and request body into two JSON Schemas (one for the parameters, one for the
   body), each compiled once with ``jsonschema_rs``; and one coercer per parameter.
2. Query, path and form values arrive as strings: each is coerced to its schema's type before
   validating (``"15"`` -> ``15`` for an integer, ``"true"`` -> ``True`` for a boolean). A
   parameter whose schema also accepts strings stays a string.
3. Errors are the model's errors, rendered by :mod:`mock_server.rendering` in the shape of the
   API family:

   * a path parameter outside its schema (a version date not in the enum, a format that is not
     ``xml|json|csv``) -> 404 ``RecordNotFound`` (the route does not exist for that version);
   * a bad query or form parameter -> 403 ``RecordInvalid`` (class shape,
     ``invalid_data`` names the parameter);
   * a bad JSON body -> 403 ``RecordInvalid`` in the Rails field shape
     ``{"errors": {"pool_type": ["can't be blank"]}}``, unless the failing schema carries the
     vendor extension ``x-invalid-data`` (a message) or the failure is inside ``local_center``:
     then the class shape the seed shows, ``"Invalid Key in Local Center."``.
   * for the legacy RingPool API a missing ``ring_pool_key`` is ``InvalidKey`` (the seed's
     ``API Key '' is not valid for resource 'N'``).
4. Unknown query parameters are allowed (the RingPool API takes free-form custom and affiliate
   parameter names); ``oauth_token`` is removed from the query and body before validation
   (it is a credential, read by :mod:`mock_server.auth`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import orjson
from werkzeug.datastructures import MultiDict

from simulator.errors import InvalidKey, RecordInvalid, RecordNotFound

Coercer = Callable[[list[str]], Any]

#: Rails' words for the JSON Schema keywords that fail most often.
RAILS_MESSAGES: dict[str, str] = {
    "Required": "can't be blank",
    "Type": "is invalid",
    "Enum": "is not included in the list",
    "Constant": "is not included in the list",
    "MaxLength": "is too long",
    "MinLength": "is too short",
    "Minimum": "is too small",
    "ExclusiveMinimum": "is too small",
    "Maximum": "is too large",
    "ExclusiveMaximum": "is too large",
    "Pattern": "is invalid",
    "Format": "is invalid",
    "AdditionalProperties": "is not a known attribute",
    "MaxItems": "has too many items",
    "MinItems": "has too few items",
}

LOCAL_CENTER_MESSAGE = "Invalid Key in Local Center."
CREDENTIAL_KEYS = ("oauth_token",)
TRUE_WORDS = frozenset({"true", "1", "yes", "t", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "f", "n"})


def resolve(node: Any, root: Mapping[str, Any]) -> Any:
    """Follow local ``$ref``s (``#/components/...``) until a non-reference node."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def schema_types(schema: Any, root: Mapping[str, Any]) -> set[str]:
    """Every JSON type a (possibly composed) schema accepts; empty means 'anything'."""
    schema = resolve(schema, root)
    if not isinstance(schema, Mapping):
        return set()
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(t for t in declared if isinstance(t, str))
    if "enum" in schema and not declared:
        found.update(_json_type(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()) or ():
            found |= schema_types(sub, root)
    return found


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"


def _scalar(value: str, types: set[str]) -> Any:
    if not types or "string" in types:
        return value
    if "integer" in types:
        try:
            return int(value)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            pass
    if "boolean" in types:
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return value


def coercer_for(schema: Any, root: Mapping[str, Any], *, explode: bool = True) -> Coercer:
    """A function from a parameter's raw string values to the value its schema wants."""
    types = schema_types(schema, root)
    if "array" in types and "string" not in types:
        resolved = resolve(schema, root)
        item_types = schema_types(resolved.get("items", {}), root) if isinstance(
            resolved, Mapping) else set()

        def coerce_array(values: list[str]) -> Any:
            parts = values if explode else [p for v in values for p in v.split(",")]
            return [_scalar(p, item_types) for p in parts]

        return coerce_array

    def coerce_scalar(values: list[str]) -> Any:
        return _scalar(values[-1], types)

    return coerce_scalar


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header
    required: bool
    coerce: Coercer


def _operation_parameters(
    path_item: Mapping[str, Any], operation: Mapping[str, Any], root: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        param = resolve(raw, root)
        merged[(param["name"], param["in"])] = param
    return list(merged.values())


def _compile(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    document = dict(schema)
    if "components" in root:
        document["components"] = root["components"]
    return jsonschema_rs.Draft202012Validator(document)


def _walk(root: Mapping[str, Any], schema_path: list[Any]) -> list[Any]:
    nodes: list[Any] = []
    node: Any = root
    for part in schema_path:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        nodes.append(node)
    return nodes


class RequestValidator:
    """The compiled validation of one operation's request (parameters and body)."""

    def __init__(
        self,
        path_item: Mapping[str, Any],
        operation: Mapping[str, Any],
        root: Mapping[str, Any],
        *,
        family: str = "network",
    ) -> None:
        self.family = family
        params = _operation_parameters(path_item, operation, root)
        self.parameters: list[Parameter] = []
        sections: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
        required: dict[str, list[str]] = {"path": [], "query": []}
        for param in params:
            location = param.get("in", "query")
            if location not in sections:
                continue
            schema = param.get("schema", {})
            explode = param.get("explode", param.get("style", "form") == "form")
            self.parameters.append(
                Parameter(
                    name=param["name"],
                    location=location,
                    required=bool(param.get("required")) or location == "path",
                    coerce=coercer_for(schema, root, explode=explode),
                )
            )
            sections[location][param["name"]] = schema
            if param.get("required") or location == "path":
                required[location].append(param["name"])
        self.path_validator = _compile(
            {"type": "object", "properties": sections["path"], "required": required["path"]},
            root,
        )
        self.query_validator = _compile(
            {"type": "object", "properties": sections["query"], "required": required["query"]},
            root,
        )
        self.query_parameters = [p for p in self.parameters if p.location == "query"]
        self.path_parameters = [p for p in self.parameters if p.location == "path"]
        self.requires_ring_pool_key = family == "ringpool" and "ring_pool_key" in required["query"]

        body = resolve(operation.get("requestBody"), root) or {}
        content: Mapping[str, Any] = body.get("content", {}) if isinstance(body, Mapping) else {}
        self.body_required = bool(body.get("required")) if isinstance(body, Mapping) else False
        self.takes_json = any("json" in media for media in content)
        self.takes_form = any(
            media in ("application/x-www-form-urlencoded", "multipart/form-data")
            for media in content
        )
        body_schema: Mapping[str, Any] | None = None
        for media, media_object in content.items():
            if "schema" in media_object and ("json" in media or not self.takes_json):
                body_schema = media_object["schema"]
                break
        self.root = root
        self.body_schema = body_schema
        self.body_validator = _compile(body_schema, root) if body_schema is not None else None
        self.form_coercers: dict[str, Coercer] = {}
        if body_schema is not None and self.takes_form:
            props = resolve(body_schema, root).get("properties", {})
            for name, prop in props.items():
                self.form_coercers[name] = coercer_for(prop, root)
        self._body_root = self.body_validator and {
            **dict(body_schema or {}), "components": root.get("components", {})
        }

    # ------------------------------------------------------------------ parameters

    def path(self, values: Mapping[str, str]) -> dict[str, Any]:
        """Coerced path parameters; anything outside the schema -> 404 RecordNotFound."""
        coerced = {p.name: p.coerce([values[p.name]]) for p in self.path_parameters
                   if p.name in values}
        if not self.path_validator.is_valid(coerced):
            error = next(iter(self.path_validator.iter_errors(coerced)))
            name = error.instance_path[0] if error.instance_path else "path"
            raise RecordNotFound(
                f"No route matches {name} '{values.get(str(name), '')}'"
            )
        return coerced

    def query(self, args: MultiDict[str, str], ring_pool_id: Any = None) -> dict[str, Any]:
        """Coerced query parameters (declared ones coerced, the rest kept as strings)."""
        result: dict[str, Any] = {}
        for key in args:
            if key in CREDENTIAL_KEYS:
                continue
            values = args.getlist(key)
            result[key] = values[-1] if len(values) == 1 else values
        for param in self.query_parameters:
            if param.name in args:
                result[param.name] = param.coerce(args.getlist(param.name))
        if self.query_validator.is_valid(result):
            return result
        if self.requires_ring_pool_key and not result.get("ring_pool_key"):
            raise InvalidKey(f"API Key '' is not valid for resource '{ring_pool_id}'")
        messages = [
            _parameter_message(error) for error in self.query_validator.iter_errors(result)
        ]
        raise RecordInvalid("; ".join(messages))

    # ------------------------------------------------------------------ body

    def parse_body(self, raw: bytes, form: MultiDict[str, str] | None, mimetype: str) -> Any:
        """The request body as data: JSON when the operation takes JSON, else the form."""
        if not raw and not form:
            if self.body_required and self.body_validator is not None:
                raise RecordInvalid("A request body is required")
            return None
        if self.takes_json and ("json" in mimetype or not self.takes_form):
            try:
                return orjson.loads(raw) if raw else {}
            except orjson.JSONDecodeError:
                if not self.takes_form:
                    raise RecordInvalid("The request body is not valid JSON") from None
        if self.takes_form and form is not None:
            data: dict[str, Any] = {}
            for key in form:
                values = form.getlist(key)
                coerce = self.form_coercers.get(key) or self.form_coercers.get(
                    key.removesuffix("[]")
                )
                if coerce is not None:
                    data[key.removesuffix("[]") if key not in self.form_coercers else key] = (
                        coerce(values)
                    )
                else:
                    data[key] = values[-1] if len(values) == 1 else values
            return data
        return None

    def body(self, data: Any) -> Any:
        """Validate parsed body data; JSON bodies lose their ``oauth_token`` key first."""
        if isinstance(data, dict):
            for key in CREDENTIAL_KEYS:
                data.pop(key, None)
        if self.body_validator is None or data is None:
            return data
        if self.body_validator.is_valid(data):
            return data
        field_errors: dict[str, list[str]] = {}
        for error in self.body_validator.iter_errors(data):
            special = self._class_message(error)
            if special is not None:
                raise RecordInvalid(special)
            field, message = _field_message(error)
            field_errors.setdefault(field, [])
            if message not in field_errors[field]:
                field_errors[field].append(message)
        raise RecordInvalid("Validation failed", field_errors=field_errors)

    def _class_message(self, error: Any) -> str | None:
        for node in reversed(_walk(self._body_root or {}, list(error.schema_path))):
            if isinstance(node, Mapping) and isinstance(node.get("x-invalid-data"), str):
                return str(node["x-invalid-data"])
        path = list(error.instance_path)
        if path and path[0] == "local_center":
            return LOCAL_CENTER_MESSAGE
        return None


def _kind(error: Any) -> str:
    return type(error.kind).__name__


def _field_message(error: Any) -> tuple[str, str]:
    kind = _kind(error)
    path = [str(part) for part in error.instance_path]
    if kind == "Required":
        path.append(str(error.kind.property))
    elif kind == "AdditionalProperties":
        unexpected = list(getattr(error.kind, "unexpected", []) or [])
        if unexpected:
            path.append(str(unexpected[0]))
    field = ".".join(path) or "base"
    return field, RAILS_MESSAGES.get(kind, "is invalid")


def _parameter_message(error: Any) -> str:
    kind = _kind(error)
    if kind == "Required":
        return f"Missing required parameter '{error.kind.property}'"
    name = error.instance_path[0] if error.instance_path else "?"
    return f"Invalid parameter '{name}': {error.message}"
