"""Small date arithmetic the standard library lacks."""

import calendar
from datetime import datetime


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier; the day is clamped to the
    month's length (31 March minus one month is 28 or 29 February)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
