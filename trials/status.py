"""The status a trial is shown with: ClinicalTrials.gov's "Unknown status" rule, applied at read time.

The registry shows a study as "Unknown status" when its last reported status
is open (recruiting, not yet recruiting, enrolling by invitation, active), its
completion date has passed and its status has not been verified for two
years. Records keep what the sponsor reported; whether that has lapsed
depends on the day it is read, so it is decided here, once, both in Python
(``shown_status``, for a trial in hand) and as SQL (``lapsed``, for filters
and counts), and ``test_status`` holds the two to each other on real records.

A verification date is a month ("2022-03", as the registry gives it): a status
verified in March 2022 counts as verified until the end of that month, and
lapses on 1 April 2024. A completion date has passed when its whole period
(day, month or year, as precise as the registry gave it) is over; without a
completion date, the primary completion date is read.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Case, F, Q, Value, When
from django.db.models.fields import CharField
from django.utils import timezone

from . import choices

if TYPE_CHECKING:
    from .models import Trial

# Statuses that lapse into "Unknown status" when left unverified.
LAPSING_STATUSES = (*choices.OPEN_STATUSES, choices.OverallStatus.ACTIVE_NOT_RECRUITING)
VERIFIED_MONTHS = 24
RECENTLY_VERIFIED_MONTHS = 12
UNKNOWN = choices.OverallStatus.UNKNOWN

# The columns the rule reads, for querysets that load only some (list rows, related trials).
COLUMNS = (
    "overall_status",
    "status_verified_date",
    "completion_date",
    "completion_date_precision",
    "primary_completion_date",
    "primary_completion_date_precision",
)


def today() -> datetime.date:
    """The day the rule is applied on; tests replace it to move the clock."""
    return timezone.localdate()


def month_back(day: datetime.date, months: int) -> str:
    """``YYYY-MM`` of the month ``months`` before ``day``'s month: verified before it means not since."""
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _period_starts(day: datetime.date) -> dict[str, datetime.date]:
    """Per precision, the first day of the period ``day`` is in: dates before it are over."""
    return {
        choices.DatePrecision.DAY: day,
        choices.DatePrecision.MONTH: day.replace(day=1),
        choices.DatePrecision.YEAR: day.replace(month=1, day=1),
    }


def _passed(field: str, day: datetime.date) -> Q:
    passed = Q()
    for precision, start in _period_starts(day).items():
        passed |= Q(**{f"{field}_date_precision": precision, f"{field}_date__lt": start})
    return passed


def lapse_dates(day: datetime.date | None = None) -> Q:
    """The rule's dates alone: verified too long ago, completion passed (the status is matched apart)."""
    day = day or today()
    completion_passed = Q(completion_date__isnull=False) & _passed("completion", day)
    completion_passed |= Q(completion_date__isnull=True) & _passed("primary_completion", day)
    return (
        ~Q(status_verified_date="") & Q(status_verified_date__lt=month_back(day, VERIFIED_MONTHS)) & completion_passed
    )


def lapsed(day: datetime.date | None = None) -> Q:
    """Trials shown as "Unknown status" on ``day`` though they report an open status."""
    return Q(overall_status__in=LAPSING_STATUSES) & lapse_dates(day)


def shown_status_expression(day: datetime.date | None = None) -> Case:
    """The status code a trial is shown with, in SQL: for grouping the status counts."""
    return Case(
        When(lapsed(day), then=Value(UNKNOWN)), default=F("overall_status"), output_field=CharField(max_length=32)
    )


def recently_verified(day: datetime.date | None = None) -> Q:
    """Trials whose status was verified in the last 12 months (this month and the 11 before)."""
    return Q(status_verified_date__gte=month_back(day or today(), RECENTLY_VERIFIED_MONTHS - 1))


def _date_passed(value: datetime.date | None, precision: str, day: datetime.date) -> bool:
    return value is not None and value < _period_starts(day).get(precision, day)


def is_lapsed(trial: Trial, day: datetime.date | None = None) -> bool:
    """``lapsed`` for one trial in hand."""
    day = day or today()
    if trial.overall_status not in LAPSING_STATUSES or not trial.status_verified_date:
        return False
    if not trial.status_verified_date < month_back(day, VERIFIED_MONTHS):
        return False
    if trial.completion_date is not None:
        return _date_passed(trial.completion_date, trial.completion_date_precision, day)
    return _date_passed(trial.primary_completion_date, trial.primary_completion_date_precision, day)


def shown_status(trial: Trial, day: datetime.date | None = None) -> str:
    return UNKNOWN if is_lapsed(trial, day) else trial.overall_status


def verified_display(verified: str) -> str:
    """ "2022-03" → "March 2022", as precise as the registry gave it."""
    try:
        year, month = (int(part) for part in verified.split("-")[:2])
        return datetime.date(year, month, 1).strftime("%B %Y")
    except ValueError:
        return verified


def verified_ago(verified: str, day: datetime.date | None = None) -> str:
    """ "2023-03" → "March 2023 (3 years ago)"; "" when the registry gave no date."""
    if not verified:
        return ""
    shown = verified_display(verified)
    try:
        year, month = (int(part) for part in verified.split("-")[:2])
    except ValueError:
        return shown
    day = day or today()
    months = day.year * 12 + day.month - (year * 12 + month)
    if months <= 0:
        return f"{shown} (this month)"
    if months < 12:
        return f"{shown} ({months} month{'s' if months > 1 else ''} ago)"
    years = months // 12
    return f"{shown} ({years} year{'s' if years > 1 else ''} ago)"


def status_label(trial: Trial, day: datetime.date | None = None) -> str:
    """The status in words: "Unknown status — last reported Recruiting, not verified since March 2022"."""
    reported = choices.OverallStatus(trial.overall_status).label if trial.overall_status else ""
    if is_lapsed(trial, day):
        since = verified_display(trial.status_verified_date)
        return f"Unknown status — last reported {reported}, not verified since {since}"
    return reported
