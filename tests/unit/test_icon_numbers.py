"""The number a scene says: what illustrated scenes draw as icons or set as type."""

from __future__ import annotations

import pytest

from activities.icons import first_number


@pytest.mark.parametrize(("text", "shown", "value"), [
    ("An octopus has three hearts.", "3", 3.0),
    ("Honey can outlive you by three thousand years.", "3,000", 3000.0),
    ("Pots of honey 3,000 years old were still safe.", "3,000", 3000.0),
    ("About 40% of it is water.", "40%", 40.0),
    ("Lightning is five times hotter than the sun.", "5", 5.0),
    ("It took 2.5 seconds, then two more.", "2.5", 2.5),
])
def test_a_scene_says_its_number_in_digits_or_words(text: str, shown: str, value: float):
    found = first_number(text)
    assert found is not None and (found.text, found.value) == (shown, value)


@pytest.mark.parametrize("text", [
    "One big heart feeds the rest of the body.",  # an article
    "Two thirds of their neurons live in their arms.",  # a share, not two arms
    "Half of the honey was gone.",
    "Bees make honey.",
])
def test_no_count_where_the_scene_names_none(text: str):
    assert first_number(text) is None
