"""The app's routes write their url_for builders on first use (mockserver.web.url_rules), and build the same URLs."""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from werkzeug.routing import Map, Rule

from mockserver import Config, create_app
from mockserver.web.url_rules import LazyBuilderRule


@pytest.fixture
def app() -> Flask:
    return create_app(Config(store="memory://"))


def mock_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_every_route_is_lazy_and_no_builder_is_written_at_start(app: Flask) -> None:
    rules = mock_rules(app)
    assert len(rules) > 20
    assert all(isinstance(rule, LazyBuilderRule) for rule in rules)
    assert {rule._build.__name__ for rule in rules} == {"build_on_first_use"}
    assert {rule._build_unknown.__name__ for rule in rules} == {"build_on_first_use"}


def test_the_routes_build_the_urls_plain_werkzeug_rules_build(app: Flask) -> None:
    plain = Map([Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods) for rule in mock_rules(app)])
    lazy_urls, plain_urls = app.url_map.bind("mock.test"), plain.bind("mock.test")
    for rule in mock_rules(app):
        values = {name: "a b/é?" for name in rule.arguments}
        method = sorted(rule.methods or {"GET"})[0]
        # Both builders (extra values appended or not), relative and absolute, each called twice:
        # the first call writes the builder, the second uses it.
        calls = [
            ({**values, **extra}, append, external)
            for extra in ({}, {"page": "2", "tag": ["x", "y"]})
            for append in (True, False)
            for external in (False, True)
        ] * 2
        for given, append, external in calls:
            expected = plain_urls.build(
                rule.endpoint, given, method=method, force_external=external, append_unknown=append
            )
            built = lazy_urls.build(rule.endpoint, given, method=method, force_external=external, append_unknown=append)
            assert built == expected, rule.rule
    # Rule by rule, too (the adapter picks one rule per endpoint and method).
    for rule, twin in zip(mock_rules(app), plain.iter_rules(), strict=True):
        values = {name: "a b/é?" for name in rule.arguments}
        for append in (True, False, True, False):
            assert rule.build({**values, "page": "2"}, append) == twin.build({**values, "page": "2"}, append)
    written = {(rule._build.__name__, rule._build_unknown.__name__) for rule in mock_rules(app)}
    assert "build_on_first_use" not in {name for pair in written for name in pair}


def test_url_for_and_the_dashboard_redirect_work(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("ui.index") == "/_mock/ui/"
        assert url_for("results.result", id="abc") == "/v2beta/stable-image/upscale/creative/result/abc"
    answer = app.test_client().get("/", headers={"Accept": "text/html"})
    assert (answer.status_code, answer.headers.get("Location")) == (302, "/_mock/ui/")
