"""A project's task tree: outline levels and positions from parents and sibling order, summary
roll-ups, and durations in working days, the way Project computes them on save."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sandbox.projectserver.types import ORDER

Doc = dict[str, Any]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(d|h|w|day|days|hrs?|hours?|wks?|weeks?)?\s*$")
HOURS_PER_DAY = 8.0


@dataclass(frozen=True)
class Placed:
    """A task with what its position in the tree gives it."""

    doc: Doc
    level: int
    position: str  # OutlinePosition / TaskOutlineNumber: "1.2.3"
    index: int  # TaskIndex: 1-based row in the project, after the project summary (0)
    is_summary: bool
    start: dt.datetime | None
    finish: dt.datetime | None
    percent: int


def place(tasks: list[Doc]) -> list[Placed]:
    """Tasks in outline order (depth first, siblings by their order)."""
    known = {task["Id"] for task in tasks}
    children: dict[str | None, list[Doc]] = {}
    for task in tasks:
        parent = task.get("ParentId") if task.get("ParentId") in known else None
        children.setdefault(parent, []).append(task)
    for group in children.values():
        group.sort(key=lambda task: (task.get(ORDER, 0.0), task["Id"]))
    placed: list[Placed] = []

    def walk(parent: str | None, level: int, prefix: str) -> tuple[Any, Any, float, float]:
        first: dt.datetime | None = None
        last: dt.datetime | None = None
        done = weight = 0.0
        for number, task in enumerate(children.get(parent, []), start=1):
            position = f"{prefix}{number}"
            slot = len(placed)
            placed.append(Placed(task, level, position, slot + 1, False, None, None, 0))
            start, finish = task.get("Start"), task.get("Finish")
            percent = int(task.get("PercentComplete") or 0)
            days = working_days(start, finish) or 1.0
            if task["Id"] in children:
                start, finish, sub_done, sub_weight = walk(task["Id"], level + 1, position + ".")
                percent = round(sub_done / sub_weight) if sub_weight else 0
                days = sub_weight
            placed[slot] = Placed(
                task, level, position, slot + 1, task["Id"] in children, start, finish, percent
            )
            first = start if first is None or (start is not None and start < first) else first
            last = finish if last is None or (finish is not None and finish > last) else last
            done += percent * days
            weight += days
        return first, last, done, weight

    walk(None, 1, "")
    return placed


def descendants(tasks: list[Doc], root: str) -> set[str]:
    """Ids of every task below `root`."""
    below: set[str] = set()
    frontier = {root}
    while frontier:
        frontier = {t["Id"] for t in tasks if t.get("ParentId") in frontier} - below
        below |= frontier
    return below


def working_days(start: dt.datetime | None, finish: dt.datetime | None) -> float:
    """Working days (Monday to Friday) from `start` to `finish`, both days counted."""
    if start is None or finish is None or finish < start:
        return 0.0
    days, day = 0, start.date()
    while day <= finish.date():
        days += day.weekday() < 5
        day += dt.timedelta(days=1)
    return float(days)


def add_working_days(start: dt.datetime, days: float) -> dt.datetime:
    """The finish of a task of `days` working days that starts at `start` (17:00 that day)."""
    remaining, day = max(1, round(days)), start
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    while remaining > 1:
        day += dt.timedelta(days=1)
        remaining -= day.weekday() < 5
    return day.replace(hour=17, minute=0, second=0, microsecond=0)


def duration_days(text: str | None) -> float | None:
    """`"5d"`, `"16h"`, `"2w"` as working days; None when unreadable."""
    if not text:
        return None
    match = _DURATION.match(text.lower())
    if match is None:
        return None
    number, unit = float(match.group(1)), (match.group(2) or "d")[0]
    return number / HOURS_PER_DAY if unit == "h" else number * (5 if unit == "w" else 1)


def hours(text: str | None) -> float:
    """A work amount (`"16h"`, `"2d"`) in hours; 0 when empty or unreadable."""
    days = duration_days(text) if text and not text.strip().endswith("h") else None
    if days is not None:
        return days * HOURS_PER_DAY
    match = _DURATION.match((text or "").lower())
    return float(match.group(1)) if match else 0.0


def format_days(days: float) -> str:
    return f"{days:g}d"
