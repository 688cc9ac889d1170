"""What a run did, counted as it goes: results, failures by message, empty answers, cost."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from agility.store import ResultRecord

__all__ = ["Tally", "error_signature"]

_REQUEST = re.compile(r",? request [^,)\s]+")


def error_signature(error: str) -> str:
    """A failure's message without what differs from call to call (the request id)."""
    return _REQUEST.sub("", error).replace(" ()", "")


@dataclass
class Tally:
    """Counts of one run call."""

    done: int = 0
    errors: int = 0
    cached: int = 0
    empty: int = 0
    #: None until some result's cost was measured (a sum over None is not $0)
    cost_usd: float | None = None
    messages: Counter[str] = field(default_factory=Counter)

    def add(self, result: ResultRecord) -> None:
        """Count one result."""
        self.done += 1
        self.cached += int(result.cached)
        if result.error is not None:
            self.errors += 1
            self.messages[error_signature(result.error)] += 1
        elif not (result.output or "").strip() and not result.tool_calls:  # a call answers
            self.empty += 1
        if result.cost_usd is not None:  # a cached answer was measured and cost nothing
            self.cost_usd = (self.cost_usd or 0.0) + (0.0 if result.cached else result.cost_usd)

    def top_errors(self, n: int = 3) -> list[tuple[str, int]]:
        """The most common failure messages with their counts."""
        return self.messages.most_common(n)
