"""The documented image rules, exactly on every bound and one past it (docs/getting-started/offline.md)."""

from __future__ import annotations

import pytest

from mockserver.imaging.rules import LARGEST_INPUT_PIXELS, RULES_BY_OPERATION
from mockserver.operations import CONSERVATIVE, CREATIVE, FAST, LEGACY

SIDE_TOO_SHORT = "image: each side must be at least"
SIDE_TOO_LONG = "image: each side must be at most"
PIXELS = "image: must have between"
ASPECT = "image: aspect ratio must be between"


def broken_rules(operation: str, width: int, height: int) -> list[str]:
    """Which rules a ``width``x``height`` image breaks, by the start of each line."""
    problems = RULES_BY_OPERATION[operation].problems(width, height)
    starts = (SIDE_TOO_SHORT, SIDE_TOO_LONG, PIXELS, ASPECT)
    return [start for start in starts for line in problems if line.startswith(start)]


@pytest.mark.parametrize(
    ("width", "height", "broken"),
    [
        (32, 32, []),
        (31, 40, [SIDE_TOO_SHORT]),
        (40, 31, [SIDE_TOO_SHORT]),
        (1536, 682, []),
        (682, 1536, []),
        (1537, 600, [SIDE_TOO_LONG]),
        (600, 1537, [SIDE_TOO_LONG]),
        (1024, 1024, []),
        (1025, 1024, [PIXELS]),
        (1536, 1536, [PIXELS]),
        (1537, 1537, [SIDE_TOO_LONG, PIXELS]),
        (1536, 32, []),
    ],
)
def test_fast_sides_32_to_1536_and_up_to_a_megapixel(width: int, height: int, broken: list[str]) -> None:
    assert broken_rules(FAST, width, height) == broken


@pytest.mark.parametrize(
    ("width", "height", "broken"),
    [
        (64, 64, []),
        (63, 100, [SIDE_TOO_SHORT]),
        (100, 63, [SIDE_TOO_SHORT]),
        (3072, 3072, []),
        (3073, 3072, [PIXELS]),
        (4000, 2000, []),
        (160, 64, []),
        (64, 160, []),
        (161, 64, [ASPECT]),
        (64, 161, [ASPECT]),
        (4800, 1920, []),
        (4801, 1920, [ASPECT]),
        (1, 5000, [SIDE_TOO_SHORT, ASPECT]),
    ],
)
def test_conservative_sides_from_64_up_to_9_4_megapixels_and_1_to_2_5(
    width: int, height: int, broken: list[str]
) -> None:
    assert broken_rules(CONSERVATIVE, width, height) == broken


@pytest.mark.parametrize("operation", [CREATIVE, LEGACY])
@pytest.mark.parametrize(
    ("width", "height", "broken"),
    [
        (64, 64, []),
        (63, 80, [SIDE_TOO_SHORT]),
        (80, 63, [SIDE_TOO_SHORT]),
        (1024, 1024, []),
        (1025, 1024, [PIXELS]),
        (1024, 1025, [PIXELS]),
        (64, 16384, []),
        (16384, 64, []),
        (64, 16385, [PIXELS]),
    ],
)
def test_creative_and_legacy_sides_from_64_up_to_a_megapixel_at_any_aspect(
    operation: str, width: int, height: int, broken: list[str]
) -> None:
    assert broken_rules(operation, width, height) == broken


def test_each_line_names_the_bound_and_the_image() -> None:
    assert RULES_BY_OPERATION[FAST].problems(31, 2000) == [
        "image: each side must be at least 32 pixels (got 31x2000)",
        "image: each side must be at most 1536 pixels (got 31x2000)",
    ]
    assert RULES_BY_OPERATION[CREATIVE].problems(2000, 2000) == [
        "image: must have between 4,096 and 1,048,576 pixels (got 2000x2000 = 4,000,000)"
    ]
    assert RULES_BY_OPERATION[CONSERVATIVE].problems(400, 100) == [
        "image: aspect ratio must be between 1:2.5 and 2.5:1 (got 400:100)"
    ]


def test_a_side_of_zero_breaks_the_side_rule_without_dividing_by_it() -> None:
    assert broken_rules(CONSERVATIVE, 0, 100) == [SIDE_TOO_SHORT, PIXELS]


def test_nothing_larger_than_conservatives_largest_input_is_decoded() -> None:
    assert LARGEST_INPUT_PIXELS == 9_437_184
