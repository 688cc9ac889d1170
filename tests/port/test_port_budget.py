"""The budget's ledger: reserved before sent, settled against what was recorded."""

from __future__ import annotations

from agility.chat import ChatRequest, GenerationConfig, Message
from agility.port import Budget, Ledger, worst_case_usd
from agility.pricing import Price
from agility.store import NewRun, ResultRecord, Store, utc_now


def _run(store: Store, name: str) -> int:
    return store.create_run(NewRun(name=name, model_spec="mock/echo", tool_version="t",
                                   started_at=utc_now())).id


def test_a_call_without_a_record_counts_at_its_worst(tmp_store: Store) -> None:
    run = _run(tmp_store, "port/p/a")
    ledger = Ledger(tmp_store, "p")
    ledger.reserve("port/p/a", ["x", "y"], [0.5, 0.5], "search")
    tmp_store.save_result(run, ResultRecord(example_id="x", output="ok", cost_usd=0.1,
                                            input_tokens=10, output_tokens=2, attempts=2))
    spent = ledger.spend()  # y was sent (or maybe sent) and never recorded: the process died
    assert (spent.calls, spent.unrecorded_calls, spent.attempts) == (2, 1, 2)
    assert spent.usd == 0.1 + 0.5 and spent.measured_usd == 0.1
    # the port resumes and calls y again: both calls count, the first one at its worst
    ledger.reserve("port/p/a", ["y"], [0.5], "search")
    tmp_store.save_result(run, ResultRecord(example_id="y", output="ok", cost_usd=0.2,
                                            input_tokens=10, output_tokens=2))
    spent = ledger.spend()
    assert (spent.calls, spent.unrecorded_calls) == (3, 0)
    assert abs(spent.usd - (0.1 + 0.5 + 0.2)) < 1e-12 and spent.failed_calls == 0


def test_failed_calls_count_and_other_ports_do_not(tmp_store: Store) -> None:
    run = _run(tmp_store, "port/p/a")
    Ledger(tmp_store, "other").reserve("port/p/a", ["z"], [9.0], "search")
    ledger = Ledger(tmp_store, "p")
    ledger.reserve("port/p/a", ["x"], [0.5], "search")
    tmp_store.save_result(run, ResultRecord(example_id="x", error="ProviderError: 500"))
    spent = ledger.spend()
    assert (spent.calls, spent.failed_calls, spent.usd) == (1, 1, 0.0)


def test_batches_are_cut_to_what_fits() -> None:
    budget = Budget(calls=5, usd=1.0)
    budget.held_calls = 2
    assert budget.take([0.1, 0.1, 0.1, 0.1]) == 3            # 2 calls are held back
    assert budget.take([0.1, 0.1, 0.1, 0.1], use_held=True) == 4
    assert budget.take([0.6, 0.6], use_held=True) == 1       # the second would pass $1
    assert budget.take([None]) == 0                          # a USD limit needs a bound
    assert Budget(calls=3).take([None] * 5) == 3


def test_the_worst_case_bounds_every_byte_as_a_token() -> None:
    request = ChatRequest(messages=[Message(role="user", content="héllo")],
                          config=GenerationConfig(max_tokens=10))
    price = Price(input=1_000_000.0, output=2_000_000.0)  # $1 / $2 per token
    # 6 bytes + 16 per message + 64 per request in, 10 out
    assert worst_case_usd(price, request) == 86 * 1.0 + 10 * 2.0
    assert worst_case_usd(None, request) is None
    unbounded = request.model_copy(update={"config": GenerationConfig()})
    assert worst_case_usd(price, unbounded) is None
