"""Which prompts the word lists catch: only those with a listed word, in any case; no prompt is never caught."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mockserver.errors import ContentModeration, InvalidLanguage
from mockserver.pipeline.content_rules import verdict
from mockserver.settings.runtime import RuntimeSettings
from tests.conftest import AUTH, CONSERVATIVE_PATH, Upload
from tests.images import png

FILTER = RuntimeSettings(filter_words=("blurme",))


@pytest.mark.parametrize(
    ("body", "filtered"),
    [
        ({"prompt": "please blurme now"}, True),
        ({"prompt": "Please BLURME"}, True),
        ({"prompt": "a sunny day"}, False),
        ({"prompt": ""}, False),
        ({}, False),
    ],
)
def test_filter_words_filter_only_the_prompts_that_hold_them(body: dict[str, str], filtered: bool) -> None:
    assert verdict(FILTER, body) is filtered


def test_a_body_without_a_prompt_is_never_caught() -> None:
    assert verdict(RuntimeSettings(filter_words=("no", "x"), moderation_words=("one",)), {}) is False


def test_without_words_nothing_is_caught() -> None:
    assert verdict(RuntimeSettings(), {"prompt": "anything at all"}) is False


def test_an_empty_word_catches_nothing() -> None:
    everything = RuntimeSettings(moderation_words=("",), language_words=("",), filter_words=("",))
    assert verdict(everything, {"prompt": "a sunny day"}) is False


def test_moderation_is_checked_before_language() -> None:
    both = RuntimeSettings(moderation_words=("gore",), language_words=("bonjour",), filter_words=("gore",))
    with pytest.raises(ContentModeration):
        verdict(both, {"prompt": "bonjour gore"})
    with pytest.raises(InvalidLanguage):
        verdict(both, {"prompt": "bonjour"})
    assert verdict(both, {"prompt": "a sunny day"}) is False


def finish_reason(client: FlaskClient, upload: Upload, prompt: str) -> str:
    started = client.post(CONSERVATIVE_PATH, data=upload(png(64, 64), prompt=prompt), headers=AUTH)
    ready = client.get(f"/v2beta/results/{started.get_json()['id']}", headers=AUTH)
    assert ready.status_code == 200
    reason: str = ready.headers["finish-reason"]
    return reason


def test_a_prompt_without_a_filter_word_comes_back_whole(client: FlaskClient, upload: Upload) -> None:
    client.patch("/_mock/settings", json={"filter_words": ["blurme"], "pending_polls": 0})
    assert finish_reason(client, upload, "a sunny day") == "SUCCESS"
    assert finish_reason(client, upload, "blurme please") == "CONTENT_FILTERED"
