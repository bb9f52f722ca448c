"""Registry values as the registry writes them: partial dates and ages.

Pure functions, shared by the importers, the models and the pages.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from .choices import DatePrecision

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


@dataclass(frozen=True)
class PartialDate:
    """A date as precise as the registry gave it: ``2020``, ``2020-06`` or ``2020-06-15``.

    ``date`` is the first day of the period, so partial dates sort and filter
    with full ones; ``precision`` says how much of it is real.
    """

    date: datetime.date
    precision: str

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _PARTIAL_DATE.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = match.groups()
        if month and day:
            precision = DatePrecision.DAY
        elif month:
            precision = DatePrecision.MONTH
        else:
            precision = DatePrecision.YEAR
        try:
            value = datetime.date(int(year), int(month or 1), int(day or 1))
        except ValueError as error:
            raise ValueError(f"{text!r} is not a valid date: {error}") from None
        return cls(value, precision)

    def isoformat(self) -> str:
        if self.precision == DatePrecision.YEAR:
            return f"{self.date:%Y}"
        if self.precision == DatePrecision.MONTH:
            return f"{self.date:%Y-%m}"
        return self.date.isoformat()

    def display(self) -> str:
        if self.precision == DatePrecision.YEAR:
            return f"{self.date:%Y}"
        if self.precision == DatePrecision.MONTH:
            return f"{self.date:%B %Y}"
        return f"{self.date:%B} {self.date.day}, {self.date:%Y}"

    def last_day(self) -> datetime.date:
        """The last day the period could mean, for comparisons at mixed precision."""
        if self.precision == DatePrecision.YEAR:
            return datetime.date(self.date.year, 12, 31)
        if self.precision == DatePrecision.MONTH:
            following = (self.date.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            return following - datetime.timedelta(days=1)
        return self.date


_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?$", re.IGNORECASE)
_YEARS_PER_UNIT = {
    "year": 1.0,
    "month": 1 / 12,
    "week": 7 / 365.25,
    "day": 1 / 365.25,
    "hour": 1 / (365.25 * 24),
    "minute": 1 / (365.25 * 24 * 60),
}
NO_AGE_LIMIT = {"", "N/A", "NA", "NONE"}


def parse_age(text: str) -> tuple[str, float | None]:
    """``"18 Years"`` → ``("18 Years", 18.0)``; ``"N/A"`` or ``""`` → ``("", None)``.

    Keeps the text as written and adds its value in years, so ages written in
    months or weeks compare with ages in years.
    """
    text = " ".join(text.split())
    if text.upper() in NO_AGE_LIMIT:
        return "", None
    match = _AGE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not an age (expected e.g. '18 Years' or 'N/A')")
    number, unit = match.groups()
    return text, float(number) * _YEARS_PER_UNIT[unit.lower()]


def is_age(text: str) -> bool:
    text = " ".join(text.split())
    return text.upper() in NO_AGE_LIMIT - {""} or bool(_AGE.match(text))
