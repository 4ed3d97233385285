"""The drift report a person reads at a glance: a verdict banner, the differences, then each probe's two answers."""

from __future__ import annotations

from importlib import resources

import jinja2

from mockserver.drift.compare import HIGH
from mockserver.drift.report import in_reading_order, summary, to_json
from mockserver.drift.runner import Report


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (no script, no file beside it)."""
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
        resources.files("mockserver.drift").joinpath("report.html").read_text("utf-8")
    )
    data = to_json(report)
    unexplained = len(report.unexplained)
    if unexplained:
        verdict = f"{unexplained} unexplained difference{'s' * (unexplained != 1)}"
    else:
        verdict = "No unexplained difference"
    ordered = [difference.to_json() for difference in in_reading_order(report.differences)]
    high = sum(difference.severity == HIGH for difference in report.unexplained)
    return template.render(
        high=high, data=data, differences=ordered, unexplained=unexplained, verdict=verdict, summary=summary(report)
    )


__all__ = ["render_html"]
