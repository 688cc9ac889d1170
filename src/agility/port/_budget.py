"""The port's budget: calls and USD, reserved before they are spent, never exceeded.

Every call the port makes (a target call while searching, an optimiser call, the final holdout
scoring) is *reserved* before it is sent: a call counts as one against ``calls``, and its
worst-case cost against ``usd``. The worst case is an upper bound on the tokens a request can
be billed for: one token per UTF-8 byte of its messages plus a framing allowance (a byte-level
tokenizer never makes more tokens than bytes), and ``max_tokens`` out. A batch that does not
fit what is left is cut or skipped, so the budget holds exactly, whatever the answers.

After a batch, its reservation is settled against what the calls really cost. A call that was
reserved but left no record (the process was killed while it was in flight) stays counted at
its worst case: it may have been sent and billed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agility.chat import ChatRequest
from agility.pricing import Price
from agility.store import NewEvent, ResultRecord, Store

__all__ = ["Budget", "Ledger", "Spend", "worst_case_usd"]

#: tokens of chat framing allowed per message (role markers) and per request (BOS, template)
FRAMING_TOKENS_PER_MESSAGE = 16
FRAMING_TOKENS_PER_REQUEST = 64


def worst_case_usd(price: Price | None, request: ChatRequest, extra_usd: float = 0.0
                   ) -> float | None:
    """An upper bound on what ``request`` can cost (None when it cannot be bounded).

    Args:
        price: the model's price (None: not priced, no bound).
        request: the messages and settings; ``config.max_tokens`` must be set.
        extra_usd: per-query extras (retrieval), USD.
    """
    if price is None:
        return None
    max_out = request.config.max_tokens
    if max_out is None:
        return None
    tokens_in = sum(len(m.content.encode("utf-8")) + FRAMING_TOKENS_PER_MESSAGE
                    for m in request.messages) + FRAMING_TOKENS_PER_REQUEST
    return (tokens_in * price.input + max_out * price.output) / 1_000_000 + extra_usd


@dataclass
class Spend:
    """What the port has spent: calls and USD (reserved and settled), attempts, tokens."""

    calls: int = 0
    usd: float = 0.0
    #: None until some call's cost was measured
    measured_usd: float | None = None
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    failed_calls: int = 0
    #: calls reserved whose outcome was never recorded (counted at their worst case)
    unrecorded_calls: int = 0


@dataclass
class Budget:
    """The limits and what has been spent against them.

    Args:
        calls: calls at most (None: no limit).
        usd: USD at most (None: no limit).
    """

    calls: int | None = None
    usd: float | None = None
    spent: Spend = field(default_factory=Spend)
    #: calls and USD held back for a later phase (the holdout scoring)
    held_calls: int = 0
    held_usd: float = 0.0

    def fits(self, calls: int, usd: float | None, *, use_held: bool = False) -> bool:
        """Whether ``calls`` more calls costing at most ``usd`` fit what is left.

        ``use_held`` lets the phase the reserve was held for spend it.
        """
        held_calls = 0 if use_held else self.held_calls
        held_usd = 0.0 if use_held else self.held_usd
        if self.calls is not None and self.spent.calls + calls + held_calls > self.calls:
            return False
        if self.usd is not None:
            if usd is None:
                return False
            if self.spent.usd + usd + held_usd > self.usd + 1e-12:
                return False
        return True

    def take(self, worst_cases: Sequence[float | None], *, use_held: bool = False) -> int:
        """How many of the calls (in order) fit; the longest prefix, at least 0."""
        taken, total = 0, 0.0
        for cost in worst_cases:
            if cost is None and self.usd is not None:
                break
            step = total + (cost or 0.0)
            if not self.fits(taken + 1, step if self.usd is not None else None,
                             use_held=use_held):
                break
            taken, total = taken + 1, step
        return taken

    def remaining_calls(self) -> int | None:
        """Calls left (None: no limit), the held reserve excluded."""
        if self.calls is None:
            return None
        return max(0, self.calls - self.spent.calls - self.held_calls)


class Ledger:
    """Reservations written to the store before calls are sent, so a resumed port knows what
    it spent (see the module docstring).

    Args:
        store: the store.
        port: the port's name (the events' subject).
    """

    KIND = "port.reserve"

    def __init__(self, store: Store, port: str) -> None:
        self.store, self.port = store, port

    def reserve(self, run: str, ids: Sequence[str], worst_usd: Sequence[float | None],
                phase: str) -> None:
        """Record that calls for ``ids`` of run ``run`` are about to be sent."""
        self.store.log_event(NewEvent(kind=self.KIND, subject=self.port, payload={
            "run": run, "ids": list(ids), "worst_usd": [w or 0.0 for w in worst_usd],
            "phase": phase}))

    def spend(self) -> Spend:
        """What every reservation of this port has cost so far (see the module docstring)."""
        events = self.store.events(subject=self.port, kind=self.KIND)
        last: dict[tuple[str, str], int] = {}
        for index, event in enumerate(events):
            for example_id in event.payload["ids"]:
                last[(event.payload["run"], example_id)] = index
        results: dict[str, dict[str, ResultRecord]] = {}
        spent = Spend()
        for index, event in enumerate(events):
            run = event.payload["run"]
            if run not in results:
                record = self.store.get_run(run)
                results[run] = {} if record is None else {
                    r.example_id: r for r in self.store.results(record.id)}
            for example_id, worst in zip(event.payload["ids"], event.payload["worst_usd"]):
                spent.calls += 1
                result = results[run].get(example_id)
                if result is None or last[(run, example_id)] != index:
                    # sent (or maybe sent) and not recorded, or superseded by a later call of
                    # the same example: it may have been billed, so it counts at its worst
                    spent.usd += worst
                    spent.unrecorded_calls += int(result is None)
                    continue
                spent.attempts += result.attempts
                spent.failed_calls += int(result.error is not None)
                spent.input_tokens += result.input_tokens or 0
                spent.output_tokens += result.output_tokens or 0
                if result.cost_usd is not None and not result.cached:
                    spent.usd += result.cost_usd
                    spent.measured_usd = (spent.measured_usd or 0.0) + result.cost_usd
        return spent
