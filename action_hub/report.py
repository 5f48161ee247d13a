"""Counting what happened to every row, and saying it in one sentence."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    """Why a row was skipped or failed: a slug for logs, words for people."""

    slug: str
    text: str


def rows(count):
    """'1 row', '1,204 rows'."""
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


ROW_NUMBERS_SHOWN = 5


def _row_numbers(numbers, count):
    shown = ", ".join(f"{n:,}" for n in numbers[:ROW_NUMBERS_SHOWN])
    more = ", ..." if count > ROW_NUMBERS_SHOWN else ""
    return f"row {shown}{more}"


def _clauses(counter, examples):
    parts = []
    for reason, count in counter.most_common():
        numbers = examples.get(reason)
        suffix = f"; {_row_numbers(numbers, count)}" if numbers else ""
        parts.append(f"{rows(count)} ({reason.text}{suffix})")
    return ", ".join(parts)


@dataclass
class RunReport:
    """Every row read is sent, skipped for a reason, or failed for a reason."""

    call_name: str
    rows_read: int = 0
    sent: int = 0
    skipped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    stopped: str | None = None

    def skip(self, reason, count=1):
        """Count rows left out on purpose."""
        self.skipped[reason] += count

    def fail(self, reason, count=1, row=None):
        """Count rows that should have been sent and were not.

        With `row`, the row's number is kept so the sentence can name the first
        few rows that failed for this reason.
        """
        self.failed[reason] += count
        if row is not None:
            numbers = self.examples.setdefault(reason, [])
            if len(numbers) < ROW_NUMBERS_SHOWN:
                numbers.append(row)

    @property
    def success(self):
        """True only when every sendable row was accepted and the run finished."""
        return not self.failed and self.stopped is None

    def sentence(self):
        """What Looker shows: counts by outcome, and why."""
        parts = [
            f"Sent {self.sent:,} of {rows(self.rows_read)} to Segment "
            f"as {self.call_name} calls."
        ]
        if self.skipped:
            parts.append(f"Skipped {_clauses(self.skipped, self.examples)}.")
        if self.failed:
            parts.append(f"Failed {_clauses(self.failed, self.examples)}.")
        parts.extend(self.notes)
        if self.stopped:
            parts.append(self.stopped)
        return " ".join(parts)

    def counts(self):
        """Counts by outcome and reason slug, for the run's log line."""
        counts = {"rows": self.rows_read, "sent": self.sent}
        for reason, count in self.skipped.items():
            counts[f"skipped_{reason.slug}"] = count
        for reason, count in self.failed.items():
            counts[f"failed_{reason.slug}"] = count
        return counts
