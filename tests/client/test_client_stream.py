"""Client.stream: retries until the first piece is handed over, never after; an outcome as
Client.call gives; leaving early cancels the upstream call. Against the fake OpenAI server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from agility.chat import ChatRequest, Message
from agility.client import Client, RetryPolicy
from agility.errors import ProviderAuthError, ProviderTimeout, StreamError
from agility.pricing import Price
from agility.providers import get_provider
from agility.testing import FakeOpenAIServer, Fault

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)
REQUEST = ChatRequest(messages=[Message(role="user", content="one two three four")])


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-client-stream-0123456789")


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def _client(server: FakeOpenAIServer, **kwargs: object) -> Client:
    kwargs.setdefault("retry", FAST)
    return Client(get_provider("openai/fake", base_url=server.base_url), **kwargs)


async def _read(client: Client, request: ChatRequest = REQUEST) -> tuple[list[str], object]:
    pieces = []
    async with client.stream(request) as call:
        async for delta in call:
            pieces.append(delta.text)
    await client.aclose()
    return pieces, call


async def test_pieces_then_an_outcome_with_usage_and_cost(server: FakeOpenAIServer) -> None:
    client = _client(server, price=Price(input=1_000_000, output=2_000_000))
    pieces, call = await _read(client)
    assert pieces == ["one ", "two ", "three ", "four"]
    outcome = call.outcome
    assert outcome.ok and outcome.attempts == 1 and outcome.completion.text == "one two three four"
    # the fake counts 4 prompt words and 4 answer words: 4 * $1 + 4 * $2
    assert outcome.cost_usd == pytest.approx(12.0)
    assert call.delivered


@pytest.mark.parametrize("fault", [Fault.rate_limit(retry_after_s=0), Fault.server_error(503),
                                   Fault.cut_stream(after_tokens=0)])
async def test_a_failure_before_the_first_piece_is_retried(server: FakeOpenAIServer,
                                                           fault: Fault) -> None:
    server.set_faults([fault])
    pieces, call = await _read(_client(server))
    assert "".join(pieces) == "one two three four"
    assert call.outcome.ok and call.outcome.attempts == 2 and len(server.requests) == 2


async def test_a_failure_after_the_first_piece_is_not_retried(server: FakeOpenAIServer) -> None:
    server.set_faults([Fault.cut_stream(after_tokens=2)])
    pieces, call = await _read(_client(server))
    assert pieces == ["one ", "two "]
    assert isinstance(call.outcome.error, StreamError) and call.outcome.attempts == 1
    assert len(server.requests) == 1 and call.delivered


async def test_auth_failures_are_never_retried(server: FakeOpenAIServer) -> None:
    server.set_faults([Fault.auth_error()])
    pieces, call = await _read(_client(server))
    assert pieces == [] and not call.delivered
    assert isinstance(call.outcome.error, ProviderAuthError) and call.outcome.attempts == 1
    assert "sk-test-client-stream" not in str(call.outcome.error)


async def test_a_hung_upstream_times_out(server: FakeOpenAIServer) -> None:
    server.set_faults([Fault.hang(seconds=10)])
    client = _client(server, timeout_s=0.3, retry=RetryPolicy(max_attempts=1))
    started = time.perf_counter()
    pieces, call = await _read(client)
    assert pieces == [] and isinstance(call.outcome.error, ProviderTimeout)
    assert time.perf_counter() - started < 3


async def test_the_timeout_covers_the_whole_stream_not_just_the_first_piece() -> None:
    with FakeOpenAIServer(token_delay_ms=150) as slow:
        client = _client(slow, timeout_s=0.4, retry=RetryPolicy(max_attempts=1))
        pieces, call = await _read(client)
    assert 1 <= len(pieces) < 4 and isinstance(call.outcome.error, ProviderTimeout)


async def test_leaving_early_cancels_the_upstream_call() -> None:
    with FakeOpenAIServer(token_delay_ms=50) as slow:
        client = _client(slow)
        long = ChatRequest(messages=[Message(role="user", content=" ".join(["w"] * 200))])
        async with client.stream(long) as call:
            async for _delta in call:
                break
        deadline = time.monotonic() + 5
        while slow.responses_abandoned < 1:
            assert time.monotonic() < deadline, "the upstream kept streaming"
            await asyncio.sleep(0.02)
        await client.aclose()
        assert call.outcome is None and slow.completed == 0


async def test_a_cancelled_task_cancels_the_upstream_call() -> None:
    with FakeOpenAIServer(token_delay_ms=50) as slow:
        client = _client(slow)
        long = ChatRequest(messages=[Message(role="user", content=" ".join(["w"] * 200))])
        first = asyncio.Event()

        async def consume() -> None:
            async with client.stream(long) as call:
                async for _delta in call:
                    first.set()

        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        deadline = time.monotonic() + 5
        while slow.responses_abandoned < 1:
            assert time.monotonic() < deadline, "the upstream kept streaming"
            await asyncio.sleep(0.02)
        await client.aclose()


async def test_a_one_call_at_a_time_model_queues_calls_outside_their_timeout() -> None:
    """A model in this process answers one call at a time: calls waiting for it must not
    spend their per-call timeout waiting (they did, and timed out in a queue of 8)."""
    import asyncio as _asyncio

    from agility.chat import ChatRequest as _Request
    from agility.chat import Message as _Message
    from agility.client import Client as _Client
    from agility.providers import MockProvider

    class OneAtATime(MockProvider):
        max_parallel_calls = 1

        def __init__(self) -> None:
            super().__init__("echo", ttft_ms=250)
            self.busy = _asyncio.Lock()

        async def complete(self, request, *, example_id=None):  # type: ignore[no-untyped-def]
            async with self.busy:  # the model itself, taking one call at a time
                return await super().complete(request, example_id=example_id)

    from agility.client import RetryPolicy as _Retry

    client = _Client(OneAtATime(), concurrency=4, timeout_s=0.6, retry=_Retry(max_attempts=1))
    request = _Request(messages=[_Message(role="user", content="hi")])
    outcomes = await _asyncio.gather(*(client.call(request, example_id=str(i))
                                       for i in range(4)))
    assert all(o.ok for o in outcomes), [o.error_text for o in outcomes]
