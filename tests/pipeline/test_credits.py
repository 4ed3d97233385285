"""What each outcome costs: list prices when admitted, nothing for free or failed calls, nothing with credits off."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mockserver import MemoryStore
from mockserver.errors import PaymentRequired
from mockserver.operations import CONSERVATIVE, CREATIVE, FAST, LEGACY
from mockserver.pipeline.credits import balance, charge, refund
from mockserver.settings.runtime import RuntimeSettings
from tests.conftest import API_KEY, AUTH

ON = RuntimeSettings(credits=100)
OFF = RuntimeSettings()
UNKNOWN = "/v2beta/results/" + "0" * 64


@pytest.mark.parametrize(("operation", "price"), [(FAST, 2), (CONSERVATIVE, 40), (CREATIVE, 60), (LEGACY, 25)])
def test_each_upload_costs_its_list_price(operation: str, price: int) -> None:
    store = MemoryStore()
    assert charge(store, ON, "key", operation) == price
    assert balance(store, ON, "key") == 100 - price


@pytest.mark.parametrize("operation", ["getUpscaleResult", "getUpscaleCreativeResult"])
def test_a_free_call_charges_nothing(operation: str) -> None:
    store = MemoryStore()
    assert charge(store, ON, "key", operation) == 0
    assert balance(store, ON, "key") == 100


def test_with_credits_off_nothing_is_charged_and_there_is_no_balance() -> None:
    store = MemoryStore()
    assert charge(store, OFF, "key", CREATIVE) == 0
    refund(store, OFF, "key", 0)
    assert balance(store, OFF, "key") is None


def test_a_refund_gives_back_exactly_the_charge() -> None:
    store = MemoryStore()
    taken = charge(store, ON, "key", CONSERVATIVE)
    refund(store, ON, "key", taken)
    assert balance(store, ON, "key") == 100
    refund(store, ON, "key", 0)
    assert balance(store, ON, "key") == 100


def test_a_short_balance_is_402_and_takes_nothing() -> None:
    store = MemoryStore()
    low = RuntimeSettings(credits=59)
    with pytest.raises(PaymentRequired) as caught:
        charge(store, low, "key", CREATIVE)
    assert caught.value.errors == ["credits: upscaleImageCreative costs 60 credits; the balance is lower"]
    assert balance(store, low, "key") == 59
    assert charge(store, RuntimeSettings(credits=60), "other", CREATIVE) == 60


def credits_of(client: FlaskClient) -> int | None:
    value: int | None = client.get(f"/_mock/credits/{API_KEY}").get_json()["balance"]
    return value


def test_a_failed_free_call_leaves_the_balance_alone(client: FlaskClient) -> None:
    client.patch("/_mock/settings", json={"credits": 10})
    assert client.get(UNKNOWN, headers=AUTH).status_code == 404
    assert credits_of(client) == 10


def test_with_credits_off_a_failed_call_leaves_no_balance(client: FlaskClient) -> None:
    assert client.get(UNKNOWN, headers=AUTH).status_code == 404
    assert credits_of(client) is None


def test_with_credits_off_a_balance_set_by_hand_is_shown(client: FlaskClient) -> None:
    assert client.put(f"/_mock/credits/{API_KEY}", json={"balance": 5}).status_code == 200
    assert credits_of(client) == 5
