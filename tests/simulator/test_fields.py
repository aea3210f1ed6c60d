"""Field rules read from the contract (simulator.fields): kinds, enums, bounds, defaults."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openapi.contract import load_spec, resolve
from simulator.clock import ManualClock
from simulator.errors import RecordInvalid
from simulator.fields import coerce, fields_of, in_order, validate_fields
from simulator.network import RESOURCES
from simulator.platform import Platform


def test_kind_is_the_first_alternative_when_the_contract_accepts_other_spellings() -> None:
    fields = {spec.name: spec for spec in fields_of("RingPoolWrite", ("id_from_network",))}
    lifetime = fields["lifetime_seconds"]
    assert (lifetime.kind, lifetime.minimum, lifetime.default) == ("integer", 1, 1800)
    assert fields["preferred"].kind == "boolean"
    assert coerce(lifetime, "30") == (30, None)
    assert coerce(lifetime, "0") == (None, "must be greater than or equal to 1")
    assert coerce(fields["preferred"], "true") == (True, None)


def test_choices_are_the_contract_enum_when_a_field_has_one() -> None:
    schema = load_spec()["components"]["schemas"]["PromoNumberWrite"]
    media = next(spec for spec in fields_of("PromoNumberWrite", ()) if spec.name == "media_type")
    assert media.choices == tuple(resolve(load_spec(), schema["properties"]["media_type"])["enum"])
    assert coerce(media, "Offline: Carrier Pigeon") == (None, "is not included in the list")


def test_read_only_fields_are_not_stored_when_a_schema_marks_them() -> None:
    names = [spec.name for spec in fields_of("RingPoolWrite", ("id_from_network",))]
    assert "api_key" not in names and "object_url" not in names
    assert "bulk" in names  # readOnly, but a world file may set it (x-world-field)


def test_every_declared_resource_reads_its_fields_when_the_contract_is_loaded() -> None:
    for resource in RESOURCES.values():
        for spec in resource.fields:
            assert spec.kind in {"string", "integer", "boolean", "object", "array"}


def test_blank_required_field_is_refused_when_the_contract_requires_it_of_the_model() -> None:
    with pytest.raises(RecordInvalid) as caught:
        validate_fields(fields_of("AdvertiserWrite", ("id_from_network",)), {"name": " "})
    assert caught.value.field_errors == {"name": ["can't be blank"]}


def test_defaults_come_from_the_contract_when_a_create_leaves_fields_out() -> None:
    platform = Platform(ManualClock(datetime(2024, 3, 1, tzinfo=UTC)), seed=5)
    assert platform.world is not None
    admin = platform.authenticate(token=platform.world.api_token)
    made = platform.create_advertiser_campaign(admin, 1, "adv-1", {"id_from_network": "c9",
                                                                   "name": "Nine"})
    terms = made["current_terms"]
    assert (terms["campaign_type"], terms["campaign_country"], terms["auto_approve"]) == (
        "AffiliateEnabled", "US", "None")


def test_fields_follow_the_response_schema_order_when_shown() -> None:
    shown = in_order({"object_url": 1, "extra": 2, "id": 3}, "Advertiser")
    assert list(shown) == ["id", "object_url", "extra"]
