"""Reports: saved whole, read back, merged by summing, refused with a clear message when they are not reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockserver.coverage import Coverage, catalogue_for, gaps, html_page, merge_all, summary
from mockserver.errors import CoverageFileError

FAST_OK = {"operation": "upscaleImageFast", "status": 200, "delivered": {"as_json": False}, "key": "key_aaaaaaaaaaaa"}
FAST_429 = {"operation": "upscaleImageFast", "status": 429, "retry_after": "60", "key": "key_bbbbbbbbbbbb"}


def measured(*records: dict[str, Any]) -> Coverage:
    return Coverage.measure(list(records), catalogue_for("seed"))


def test_a_saved_report_reads_back_equal(tmp_path: Path) -> None:
    report = measured(FAST_OK, FAST_OK, FAST_429)
    report.save(tmp_path / "c.json")
    again = Coverage.load(tmp_path / "c.json")
    assert again == report
    assert again.counts["upscaleImageFast:image"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_merging_sums_counts_as_one_measurement_of_every_record_would() -> None:
    parts = [measured(FAST_OK), measured(FAST_429), measured(FAST_OK)]
    assert merge_all(parts) == measured(FAST_OK, FAST_429, FAST_OK)
    assert merge_all([]) is None


def test_reports_of_another_profile_or_key_do_not_merge() -> None:
    with pytest.raises(CoverageFileError, match="profile live"):
        measured(FAST_OK).merged(Coverage.measure([FAST_OK], catalogue_for("live")))
    with pytest.raises(CoverageFileError, match="key"):
        measured(FAST_OK).merged(Coverage.measure([FAST_OK], catalogue_for("seed"), key="key_aaaaaaaaaaaa"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "not a coverage report"),
        ('{"format": "stability-mock-coverage/1", "behaviours": [{"id": 1}]}', "malformed"),
    ],
)
def test_a_file_that_is_not_a_report_is_refused_with_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CoverageFileError, match=message):
        Coverage.load(path)


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(CoverageFileError, match=r"nothing\.json"):
        Coverage.load(tmp_path / "nothing.json")


def test_the_summary_and_gaps_say_what_was_met_and_what_never_was() -> None:
    report = measured(FAST_OK, FAST_429)
    text = summary(report)
    assert text.splitlines()[0] == "Behaviour coverage, profile seed (every key): 3 of 82 met, 3.7%"
    fast_row = next(line for line in text.splitlines() if line.startswith("upscaleImageFast "))
    assert fast_row.split() == ["upscaleImageFast", "1/2", "-", "1/9", "1/2", "0/3"]
    listed = gaps(report)
    assert listed.startswith("Never exercised (79):")
    assert (
        "200 JSON (base64 image)" in listed and "429 rate_limit_exceeded" in listed.split("upscaleImageConservative")[1]
    )


def test_the_html_page_marks_each_behaviour_met_or_not_and_escapes_what_it_shows() -> None:
    report = Coverage(
        "seed",
        catalogue_for("seed").behaviours,
        {"upscaleImageFast:image": 3},
        key="<script>",
    )
    page = html_page(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<tr class="met" data-behaviour="upscaleImageFast:image">' in page
    assert page.count('<tr class="gap"') == 81
    assert json.loads(json.dumps(report.as_json()))["met"] == 1
