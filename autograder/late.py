"""Late work: due dates and a penalty policy from the course's configuration.

The policy sits in ``nbgrader_config.py`` beside nbgrader's own settings::

    c.LatePenalty.due = {"02_bn_equations": "2026-10-02 17:00:00 Europe/Paris"}
    c.LatePenalty.percent_per_day = 10     # of the points earned, per day or part of a day
    c.LatePenalty.max_percent = 50         # the cap
    c.LatePenalty.grace_minutes = 15       # submissions this close after the deadline are on time

A submission's time is nbgrader's: ``nbgrader submit`` stamps it and
``nbgrader collect`` copies the stamp into ``submitted/<student>/<assignment>/timestamp.txt``.
An assignment without a due date is never late. With a due date, a submission
whose time is unknown (timestamp.txt missing, unreadable or not a time) is not
taken as on time: it gets the largest penalty the policy can give, and the
report says why, so that the student can show the instructor when it was
submitted. nbgrader's exchange inbox names its folders after the time, which
counts as a stamp.

    days_late = ceil((submitted - due - grace) / 1 day), when positive
    percent   = min(percent_per_day * days_late, max_percent)
    penalty   = raw_score * percent / 100
"""

import math
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .safe_read import NotAFile, read_regular

__all__ = ["LatePolicy", "Lateness", "load_policy", "parse_time", "read_timestamp", "lateness", "PolicyError", "TIMESTAMP"]

TIMESTAMP = "timestamp.txt"   # nbgrader's name, in each submission folder
MAX_TIMESTAMP_BYTES = 1024     # nbgrader's stamp is one line of about 30 bytes
UNKNOWN_TIME = "unknown time"  # the ``status`` of a late record whose submission time is unknown


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
    """(ISO 8601 UTC string or None, a note for the student or None) from ``folder/timestamp.txt``.

    Only a regular file is read: a symbolic link is not followed, and a pipe
    or a device is not opened for reading (it could block the grader).
    """
    path = Path(folder) / TIMESTAMP
    try:
        text = _read_small_file(path)
    except FileNotFoundError:
        return None, None
    except (OSError, PolicyError) as err:
        why = err.strerror if isinstance(err, OSError) else str(err)
        return None, _unknown_note(why)
    try:
        moment = parse_time(text, "the submission time")
    except PolicyError as err:
        return None, _unknown_note(err)
    return moment.astimezone(timezone.utc).isoformat(), None


def _unknown_note(why):
    return (f"{TIMESTAMP} could not be read ({why}), so the time of this submission is unknown; where the "
            "assignment has a due date, that counts as late.")


def _read_small_file(path):
    """The text of a regular file of at most MAX_TIMESTAMP_BYTES, read without following a link."""
    try:
        data = read_regular(path, MAX_TIMESTAMP_BYTES)
    except NotAFile as err:
        raise PolicyError(str(err)) from None
    if len(data) > MAX_TIMESTAMP_BYTES:
        raise PolicyError(f"it is longer than {MAX_TIMESTAMP_BYTES} bytes, not one date and time")
    return data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Lateness:
    """How late a submission is and what it costs; ``status`` and ``message`` are set for an unknown time."""

    submitted: str
    due: str
    days_late: int
    percent: float
    penalty: float
    raw_score: float
    status: str | None = None
    message: str | None = None

    def as_dict(self):
        """As results.json stores it (status and message only when the time is unknown)."""
        return {k: v for k, v in asdict(self).items() if v is not None or k not in ("status", "message")}

    @classmethod
    def from_dict(cls, doc):
        """From results.json's ``late``; None for none."""
        if not doc:
            return None
        return cls(**{f.name: doc[f.name] for f in fields(cls) if f.name in doc})


def lateness(policy, assignment, submitted, raw_score):
    """The Lateness of a submission, or None when it is on time or cannot be late.

    submitted: the ISO 8601 time of the submission; None (or anything that is
    not a time) when unknown, which with a due date gets the largest penalty.
    """
    due = policy.due.get(assignment)
    if due is None:
        return None
    try:
        moment = datetime.fromisoformat(submitted)
    except (TypeError, ValueError):
        return _unknown_time(policy, due, raw_score)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    over = moment - due - timedelta(minutes=policy.grace_minutes)
    if over <= timedelta(0):
        return None
    days = math.ceil(over / timedelta(days=1))
    percent = min(policy.percent_per_day * days, policy.max_percent)
    return Lateness(_show(moment), _show(due), days, percent, round(raw_score * percent / 100, 4),
                    round(raw_score, 4))


def _unknown_time(policy, due, raw_score):
    """The late record of a submission whose time is unknown: as late as can be, and said so."""
    if policy.percent_per_day > 0:
        percent, days = policy.max_percent, math.ceil(policy.max_percent / policy.percent_per_day)
    else:   # a policy that takes nothing off late work takes nothing off here either
        percent, days = 0.0, 0
    message = (f"{TIMESTAMP} is missing or unreadable, so the maximum late penalty ({percent:g}%) was applied; "
               "ask your instructor if you submitted on time")
    return Lateness(f"at an unknown time ({message})", _show(due), days, percent,
                    round(raw_score * percent / 100, 4), round(raw_score, 4), UNKNOWN_TIME, message)


def _show(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def default_config():
    """``nbgrader_config.py`` in the current folder, where nbgrader itself looks."""
    return Path(os.getcwd()) / "nbgrader_config.py"
