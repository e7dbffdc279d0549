"""When a scheduled worker runs its passes: a plain interval, or a cron expression as users write one.

Batch scoring runs "hours or days later" in production, typically nightly (`0 2 * * *`: 02:00 every
day). Cron expressions are read by APScheduler's CronTrigger, in UTC (the store's one clock), with
the day of the week numbered as cron numbers it (0 or 7 = Sunday), not as APScheduler 3 does (0 =
Monday): numeric days are translated to day names before APScheduler sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

# crontab's five fields, in order: (how a user calls it, CronTrigger's keyword)
CRON_FIELDS = (("minute", "minute"), ("hour", "hour"), ("day of month", "day"), ("month", "month"),
               ("day of week", "day_of_week"))
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbering: 0 (and 7) = Sunday
CRON_RETRY_SECONDS = 60.0  # a failed nightly pass is tried again this soon, not the next night


class ScheduleError(ValueError):
    """A cron expression that cannot be read; the message names the bad field."""


@dataclass(frozen=True)
class Every:
    """A pass every `seconds`, the first at once (a demo's or a comparison's compressed schedule)."""

    seconds: float

    @property
    def text(self) -> str:
        return f"every {self.seconds:g} s"

    @property
    def retry_seconds(self) -> float:
        return self.seconds

    def first_run(self, now: datetime) -> datetime:
        return now

    def next_run(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Cron:
    """A pass at the times a five-field cron expression names, in UTC; the first at the next such time."""

    expression: str
    trigger: CronTrigger = field(compare=False, repr=False)

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """The schedule, or ScheduleError naming the field that is wrong and why."""
        values = expression.split()
        if len(values) != len(CRON_FIELDS):
            raise ScheduleError(f"a cron expression has {len(CRON_FIELDS)} fields "
                                f"({' '.join(name.replace(' ', '-') for name, _ in CRON_FIELDS)}); "
                                f"got {len(values)} in {expression!r}")
        keywords = {}
        for (name, keyword), value in zip(CRON_FIELDS, values, strict=True):
            if keyword == "day_of_week":
                value = _day_names(value)
            try:
                CronTrigger(**{keyword: value}, timezone=UTC)
            except ValueError as exc:
                raise ScheduleError(f"{name} field {value!r} of {expression!r}: {exc}") from None
            keywords[keyword] = value
        return cls(" ".join(values), CronTrigger(**keywords, timezone=UTC))

    @property
    def text(self) -> str:
        return f"cron {self.expression} (UTC)"

    @property
    def retry_seconds(self) -> float:
        return CRON_RETRY_SECONDS

    def first_run(self, now: datetime) -> datetime:
        return self.next_run(now)

    def next_run(self, now: datetime) -> datetime:
        return self.trigger.get_next_fire_time(None, now)


def _day_names(value: str) -> str:
    """Cron's numeric days of the week (`1-5`, `0,6`, `*/2`) as day names, which APScheduler 3 reads
    the same way cron does; names and a plain `*` pass through unchanged."""
    items = []
    for item in value.split(","):
        numeric = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", item)
        if item == "*" or numeric is None:
            items.append(item)
            continue
        start, end, step = numeric.groups()
        first, last = (0, 6) if start == "*" else (int(start), int(end if end is not None else start))
        if step is not None and start != "*" and end is None:
            last = 7  # `1/2`: from Monday on, every second day
        if not 0 <= first <= last <= 7 or (step is not None and int(step) < 1):
            raise ScheduleError(f"day of week field {value!r}: {item!r} is not a day range within 0-7 "
                                f"(0 and 7 are Sunday)")
        days = sorted({day % 7 for day in range(first, last + 1, int(step or 1))})
        items.extend(DAY_NAMES[day] for day in days)
    return ",".join(dict.fromkeys(items))

