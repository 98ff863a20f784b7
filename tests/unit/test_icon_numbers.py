"""The number a scene says: what illustrated scenes draw as icons or set as type."""

from __future__ import annotations

import pytest

from activities.numbers import first_number


@pytest.mark.parametrize(("text", "shown", "value", "noun"), [
    ("An octopus has three hearts.", "3", 3.0, "hearts"),
    ("Two small hearts push blood through the gills.", "2", 2.0, "hearts"),
    ("Honey can outlive you by three thousand years.", "3,000", 3000.0, "years"),
    ("Pots of honey 3,000 years old were still safe.", "3,000", 3000.0, "years"),
    ("Heated to about seventeen hundred degrees, sand melts.", "1,700", 1700.0, "degrees"),
    ("One spin takes two hundred and forty three Earth days.", "243", 243.0, "days"),
    ("Sharks survived all five great mass extinctions on our planet.", "5", 5.0, "extinctions"),
    ("The first glass was made in 1850, they say.", "1850", 1850.0, ""),
    ("About 40% of it is water.", "40%", 40.0, ""),
    ("About forty percent of it is water.", "40%", 40.0, ""),
    ("It took 2.5 seconds, then two more.", "2.5", 2.5, "seconds"),
])
def test_a_scene_says_its_number_in_digits_or_words(text: str, shown: str, value: float, noun: str):
    found = first_number(text)
    assert found is not None and (found.text, found.value, found.noun) == (shown, value, noun)
    assert not found.factor


@pytest.mark.parametrize(("text", "shown"), [
    ("Lightning is five times hotter than the sun.", "5×"),
    ("Lightning strikes the ground about forty times every second.", "40×"),
])
def test_a_factor_is_set_with_its_sign_and_counts_nothing(text: str, shown: str):
    found = first_number(text)
    assert found is not None and found.factor and found.text == shown and found.noun == ""


@pytest.mark.parametrize("text", [
    "One big heart feeds the rest of the body.",  # an article
    "Two thirds of their neurons live in their arms.",  # a share, not two arms
    "Half of the honey was gone.",
    "A quarter of them sleep.",
    "The first true trees grew on land.",  # an ordinal
    "Bees make honey.",
])
def test_no_count_where_the_scene_names_none(text: str):
    assert first_number(text) is None
