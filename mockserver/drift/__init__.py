"""Drift: the mock checked against the real service (or any upstream), probe by probe, within a credit budget.

``probes`` (the catalogue: free probes that cannot be charged, then paid ones at
production's prices), ``observe`` (an answer reduced to what is compared),
``client`` (:class:`Side`: one side, sending a probe and following its job),
``mockside`` (the mock, in-process on loopback, with the profile asked for),
``compare`` (each :class:`Difference` with a severity), ``budget`` (which paid
probes a budget buys), ``known`` (the file of accepted differences and its stale
entries), ``control`` (``--control``'s seeded differences), ``runner``
(:func:`run_drift`: the whole check), ``report`` (the terminal table and the JSON)
and ``page`` (the HTML report, from ``report.html``).

Imports: the web app (the mock side), ``pipeline.credits`` (prices), ``settings``,
``operations`` and ``errors``; only ``cli`` sits above it. The public names load
on first use, so importing this package loads neither Flask nor requests.
"""

import typing

from mockserver.util import lazy_exports

if typing.TYPE_CHECKING:
    from mockserver.drift.budget import Plan
    from mockserver.drift.compare import Difference
    from mockserver.drift.known import Known, load_known
    from mockserver.drift.page import render_html
    from mockserver.drift.probes import Probe, catalogue
    from mockserver.drift.report import json_text, table
    from mockserver.drift.runner import DriftOptions, Report, run_drift

__all__ = [
    "Difference",
    "DriftOptions",
    "Known",
    "Plan",
    "Probe",
    "Report",
    "catalogue",
    "json_text",
    "load_known",
    "render_html",
    "run_drift",
    "table",
]

__getattr__, __dir__ = lazy_exports.exports(
    __name__,
    {
        "Difference": "mockserver.drift.compare",
        "DriftOptions": "mockserver.drift.runner",
        "Known": "mockserver.drift.known",
        "Plan": "mockserver.drift.budget",
        "Probe": "mockserver.drift.probes",
        "Report": "mockserver.drift.runner",
        "catalogue": "mockserver.drift.probes",
        "json_text": "mockserver.drift.report",
        "load_known": "mockserver.drift.known",
        "render_html": "mockserver.drift.page",
        "run_drift": "mockserver.drift.runner",
        "table": "mockserver.drift.report",
    },
)
