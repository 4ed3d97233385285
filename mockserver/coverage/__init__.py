"""Behaviour coverage: which of the API's behaviours a client's own tests met, read from the journal.

``catalogue`` (the behaviours of one profile's API, derived from its document
and the staging vocabulary), ``classify`` (which behaviours one journal record
shows were met), ``report`` (a measurement: counts per behaviour, saved,
loaded and merged) and ``render`` (a terminal table, the gaps, an HTML page).

Imports: ``control`` (a key's fingerprint), ``models``, ``openapi``, ``errors``.
"""

from mockserver.coverage.catalogue import GROUPS, Behaviour, Catalogue, catalogue_for, catalogue_of
from mockserver.coverage.classify import behaviours_met
from mockserver.coverage.render import gaps, headline, html_page, summary, table
from mockserver.coverage.report import FORMAT, Coverage, merge_all

__all__ = [
    "FORMAT",
    "GROUPS",
    "Behaviour",
    "Catalogue",
    "Coverage",
    "behaviours_met",
    "catalogue_for",
    "catalogue_of",
    "gaps",
    "headline",
    "html_page",
    "merge_all",
    "summary",
    "table",
]
