"""Deadlines of data-subject requests: one month from receipt (art. 12 ust. 3 RODO).

The rule used, after Regulation (EEC, Euratom) No 1182/71 art. 3 ust. 2 lit. c (periods expressed in
months): the period ends on the day of the following month with the same number as the day of receipt;
when that month has no such day (31 January → February), it ends on the last day of that month
(28 or 29 February). The later shift of a deadline falling on a Saturday, Sunday or public holiday
(art. 3 ust. 4) is deliberately not applied: the CRM shows the earlier, always safe date.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """Return the same day ``months`` later, or the last day of that month when the day does not exist."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def request_deadline(received_on: date) -> date:
    """Return the answer deadline of a request received on ``received_on`` (one month)."""
    return add_months(received_on, 1)


def days_left(deadline: date, business_date: date) -> int:
    """Return how many days remain until the deadline on the business date (negative when overdue)."""
    return (deadline - business_date).days
