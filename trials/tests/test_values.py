import datetime

import pytest

from trials.choices import DatePrecision
from trials.criteria import join_criteria, split_criteria
from trials.values import PartialDate, parse_age


@pytest.mark.parametrize(
    ("text", "date", "precision", "display"),
    [
        ("2020-06-15", datetime.date(2020, 6, 15), DatePrecision.DAY, "June 15, 2020"),
        ("2020-06", datetime.date(2020, 6, 1), DatePrecision.MONTH, "June 2020"),
        ("2024", datetime.date(2024, 1, 1), DatePrecision.YEAR, "2024"),
    ],
)
def test_partial_dates_keep_their_precision(text, date, precision, display):
    parsed = PartialDate.parse(text)
    assert (parsed.date, parsed.precision) == (date, precision)
    assert parsed.isoformat() == text
    assert parsed.display() == display


def test_a_month_ends_on_its_last_day():
    assert PartialDate.parse("2024-02").last_day() == datetime.date(2024, 2, 29)
    assert PartialDate.parse("2023").last_day() == datetime.date(2023, 12, 31)


@pytest.mark.parametrize("text", ["2020-13", "2020-02-30", "June 2020", ""])
def test_malformed_dates_are_rejected(text):
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_ages_compare_across_units():
    assert parse_age("18 Years") == ("18 Years", 18.0)
    assert parse_age("6 Months")[1] == pytest.approx(0.5)
    assert parse_age("N/A") == ("", None)
    with pytest.raises(ValueError, match="not an age"):
        parse_age("eighteen")


def test_criteria_split_into_items_with_escapes_undone():
    text = (
        "Key Inclusion Criteria:\n\n* MADRS score \\> 17\n* Adults:\n  * aged 18\\-65\n\n"
        "Exclusion Criteria:\n\n1. Leukocytes \\< 4000\n2. Pregnancy"
    )
    criteria = split_criteria(text)
    assert criteria.inclusion == ["MADRS score > 17", "Adults: aged 18-65"]
    assert criteria.exclusion == ["Leukocytes < 4000", "Pregnancy"]
    assert criteria.other == []


def test_criteria_without_headings_are_kept_as_other_items():
    assert split_criteria("Adults with asthma.\n\nNo smokers.").other == ["Adults with asthma.", "No smokers."]


def test_joined_criteria_split_back_into_the_same_items():
    text = join_criteria(["A \\> 1", "B"], ["C"])
    assert split_criteria(text).inclusion == ["A > 1", "B"]
    assert split_criteria(text).exclusion == ["C"]
