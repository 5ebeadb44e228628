"""Late work: due dates and a penalty policy from the course's configuration.

The policy sits in ``nbgrader_config.py`` beside nbgrader's own settings::

    c.LatePenalty.due = {"02_bn_equations": "2026-10-02 17:00:00 Europe/Paris"}
    c.LatePenalty.percent_per_day = 10     # of the points earned, per day or part of a day
    c.LatePenalty.max_percent = 50         # the cap
    c.LatePenalty.grace_minutes = 15       # submissions this close after the deadline are on time

A submission's time is nbgrader's: ``nbgrader submit`` stamps it and
``nbgrader collect`` copies the stamp into ``submitted/<student>/<assignment>/timestamp.txt``.
A submission without a stamp, or an assignment without a due date, is never late.

    days_late = ceil((submitted - due - grace) / 1 day), when positive
    percent   = min(percent_per_day * days_late, max_percent)
    penalty   = raw_score * percent / 100
"""

import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["LatePolicy", "load_policy", "parse_time", "read_timestamp", "lateness", "PolicyError", "TIMESTAMP"]

TIMESTAMP = "timestamp.txt"   # nbgrader's name, in each submission folder


class PolicyError(ValueError):
    """The late-penalty settings cannot be used (an instructor's error, reported before grading)."""


@dataclass(frozen=True)
class LatePolicy:
    """Due dates (assignment -> aware datetime) and the penalty rule."""

    due: dict = field(default_factory=dict)
    percent_per_day: float = 0.0
    max_percent: float = 100.0
    grace_minutes: float = 0.0

    def key(self, assignment):
        """What decides an assignment's penalty, as plain data (for the resume stamps)."""
        due = self.due.get(assignment)
        return None if due is None else [due.isoformat(), self.percent_per_day, self.max_percent,
                                         self.grace_minutes]

    def describe(self):
        if not self.due:
            return "no due dates: nothing is late"
        return (f"late penalty {self.percent_per_day:g}% per day, at most {self.max_percent:g}%, after "
                f"{self.grace_minutes:g} minutes' grace; due dates for {', '.join(sorted(self.due))}")


def parse_time(text, what="time"):
    """An aware datetime from nbgrader's stamp ("2026-10-02 16:59:58.123456 UTC") or ISO 8601.

    A trailing zone name (UTC, Europe/Paris) or offset is honoured; a time with
    neither is taken as UTC, as nbgrader does.
    """
    whole = str(text).strip()
    zone, clock = timezone.utc, whole
    head, _, tail = whole.rpartition(" ")
    if head and tail and not tail[0].isdigit() and tail[0] not in "+-":
        clock = head
    try:
        moment = datetime.fromisoformat(clock.replace("Z", "+00:00"))
    except ValueError:
        raise PolicyError(f"{what} {whole!r} is not a date and time like '2026-10-02 17:00:00 UTC'") from None
    if clock is head:
        try:
            zone = timezone.utc if tail.upper() in ("UTC", "Z", "GMT") else ZoneInfo(tail)
        except (ZoneInfoNotFoundError, ValueError):
            raise PolicyError(f"{what} {whole!r}: unknown time zone {tail!r}") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def load_policy(config_path):
    """The LatePolicy of ``nbgrader_config.py`` (no file or no ``LatePenalty`` section: no penalty)."""
    path = Path(config_path)
    if not path.is_file():
        return LatePolicy()
    from traitlets.config.loader import PyFileConfigLoader

    try:
        config = PyFileConfigLoader(path.name, path=str(path.parent.resolve())).load_config()
    except Exception as err:
        raise PolicyError(f"{path} could not be read: {type(err).__name__}: {err}") from None
    section = config.get("LatePenalty", {})
    known = {"due", "percent_per_day", "max_percent", "grace_minutes"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise PolicyError(f"{path}: unknown setting c.LatePenalty.{unknown[0]} (known: {', '.join(sorted(known))})")
    due = section.get("due", {})
    if not isinstance(due, dict):
        raise PolicyError(f"{path}: c.LatePenalty.due must be a dict of assignment -> due date")
    from course_lib.exercises import ASSIGNMENTS

    for assignment in due:
        if assignment not in ASSIGNMENTS:
            raise PolicyError(f"{path}: c.LatePenalty.due names {assignment!r}, which is not an assignment "
                              f"(the assignments are {', '.join(ASSIGNMENTS)})")
    numbers = {}
    for name, default in (("percent_per_day", 0.0), ("max_percent", 100.0), ("grace_minutes", 0.0)):
        value = section.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise PolicyError(f"{path}: c.LatePenalty.{name} must be a number >= 0, not {value!r}")
        numbers[name] = float(value)
    if numbers["max_percent"] > 100:
        raise PolicyError(f"{path}: c.LatePenalty.max_percent is a percentage of the score, at most 100")
    return LatePolicy(due={a: parse_time(t, f"c.LatePenalty.due[{a!r}]") for a, t in due.items()}, **numbers)


def read_timestamp(folder):
    """(ISO 8601 UTC string or None, a note for the student or None) from ``folder/timestamp.txt``."""
    path = Path(folder) / TIMESTAMP
    if not path.is_file():
        return None, None
    try:
        moment = parse_time(path.read_text(encoding="utf-8", errors="replace"), "the submission time")
    except (OSError, PolicyError) as err:
        return None, f"{TIMESTAMP} could not be read ({err}), so this submission is treated as on time"
    return moment.astimezone(timezone.utc).isoformat(), None


def lateness(policy, assignment, submitted, raw_score):
    """The Graded.late dict for a submission, or None when it is on time or cannot be late."""
    due = policy.due.get(assignment)
    if due is None or submitted is None:
        return None
    moment = datetime.fromisoformat(submitted)
    over = moment - due - timedelta(minutes=policy.grace_minutes)
    if over <= timedelta(0):
        return None
    days = math.ceil(over / timedelta(days=1))
    percent = min(policy.percent_per_day * days, policy.max_percent)
    return {
        "submitted": _show(moment),
        "due": _show(due),
        "days_late": days,
        "percent": percent,
        "penalty": round(raw_score * percent / 100, 4),
        "raw_score": round(raw_score, 4),
    }


def _show(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def default_config():
    """``nbgrader_config.py`` in the current folder, where nbgrader itself looks."""
    return Path(os.getcwd()) / "nbgrader_config.py"
