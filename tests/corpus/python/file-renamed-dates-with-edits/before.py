"""Date helpers shared by the reporting jobs."""

from datetime import date, datetime, timedelta

from pytz import UTC


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def week_number(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return first, next_month - timedelta(days=1)


def business_days(start: date, end: date) -> int:
    count = 0
    current = start
    while current <= end:
        if current.weekday() < 5:
            count += 1
        current += timedelta(days=1)
    return count
