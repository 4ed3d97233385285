"""The rate limit across windows and blocks, with time moved by the app's clock (no sleeping)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import AUTH, Clock

#: A result id nobody created: a cheap keyed call (404) that counts like any other.
UNKNOWN = "/v2beta/results/" + "0" * 64
OTHER_KEY = {"Authorization": "Bearer sk-someone-else"}


def calls(client: FlaskClient, count: int, headers: dict[str, str] = AUTH) -> list[int]:
    return [client.get(UNKNOWN, headers=headers).status_code for _ in range(count)]


def retry_after(client: FlaskClient) -> int:
    blocked = client.get(UNKNOWN, headers=AUTH)
    assert blocked.status_code == 429
    assert blocked.get_json()["name"] == "rate_limit_exceeded"
    return int(blocked.headers["Retry-After"])


@pytest.fixture
def limited(client: FlaskClient) -> FlaskClient:
    """3 calls per 10 s, then a 60 s block (the clock starts on a window's first second)."""
    settings = {"rate_limit": "3/10s", "rate_limit_block_seconds": 60}
    assert client.patch("/_mock/settings", json=settings).status_code == 200
    return client


def test_the_call_over_the_limit_is_told_the_whole_block(limited: FlaskClient) -> None:
    assert calls(limited, 3) == [404, 404, 404]
    assert retry_after(limited) == 60


def test_a_blocked_key_stays_blocked_after_its_window_rolls_over(limited: FlaskClient, clock: Clock) -> None:
    calls(limited, 4)
    clock.advance(10)
    assert retry_after(limited) == 50
    clock.advance(25.5)
    assert retry_after(limited) == 25
    clock.advance(24)
    assert retry_after(limited) == 1


def test_the_block_ends_after_its_seconds(limited: FlaskClient, clock: Clock) -> None:
    calls(limited, 4)
    clock.advance(60)
    assert calls(limited, 3) == [404, 404, 404]
    assert retry_after(limited) == 60


def test_calls_while_blocked_do_not_lengthen_the_block(limited: FlaskClient, clock: Clock) -> None:
    calls(limited, 4)
    for _ in range(5):
        clock.advance(10)
        calls(limited, 2)
    assert retry_after(limited) == 10


def test_the_count_is_per_window(limited: FlaskClient, clock: Clock) -> None:
    assert calls(limited, 3) == [404, 404, 404]
    clock.advance(10)
    assert calls(limited, 3) == [404, 404, 404]
    clock.advance(9.9)
    assert retry_after(limited) == 60


def test_calls_anywhere_in_one_window_add_up(limited: FlaskClient, clock: Clock) -> None:
    calls(limited, 2)
    clock.advance(5)
    calls(limited, 1)
    clock.advance(4.9)
    assert retry_after(limited) == 60


def test_each_key_has_its_own_count_and_block(limited: FlaskClient) -> None:
    calls(limited, 4)
    assert calls(limited, 3, OTHER_KEY) == [404, 404, 404]
    assert calls(limited, 1, OTHER_KEY) == [429]


def test_a_block_of_zero_seconds_still_asks_for_one(client: FlaskClient) -> None:
    client.patch("/_mock/settings", json={"rate_limit": "1/10s", "rate_limit_block_seconds": 0})
    assert calls(client, 1) == [404]
    assert retry_after(client) == 1


def test_the_refusal_states_the_configured_limit(limited: FlaskClient) -> None:
    calls(limited, 3)
    assert limited.get(UNKNOWN, headers=AUTH).get_json()["errors"] == [
        "You have exceeded the rate limit of 3 requests within a 10 second period, "
        "and have been timed out for 60 seconds."
    ]
