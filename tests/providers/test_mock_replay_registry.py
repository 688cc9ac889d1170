"""mock/ and replay/ providers, and the registry (unknown names, third-party providers)."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agility.chat import ChatRequest, Completion, GenerationConfig, Message
from agility.errors import (
    ConfigError,
    DatasetError,
    MissingExtraError,
    ProviderError,
    RateLimitError,
    UsageError,
)
from agility.providers import (
    Provider,
    available_providers,
    get_provider,
    load_recorded_answers,
    register_provider,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
FINANCEBENCH_RESULT = (REPO_ROOT.parent / "shared" / "datasets" / "financebench" / "results"
                       / "gpt-4_oracle.jsonl")


def _request(text: str = "hello there", max_tokens: int | None = None) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=text)],
                       config=GenerationConfig(max_tokens=max_tokens))


# -- mock ------------------------------------------------------------------------------------
async def test_mock_echo_fixed_and_responder() -> None:
    echo = await get_provider("mock/echo").complete(_request("repeat me"))
    fixed = await get_provider("mock/fixed", output="42").complete(_request())
    custom = get_provider("mock/judge", responder=lambda r: f"{len(r.messages)} message(s)")
    judged = await custom.complete(_request())
    assert (echo.text, fixed.text, judged.text) == ("repeat me", "42", "1 message(s)")
    assert custom.requests[0].messages[0].content == "hello there"  # type: ignore[attr-defined]
    assert echo.input_tokens == 2 and echo.output_tokens == 2 and not echo.tokens_estimated


async def test_mock_delays_show_in_ttft_and_latency() -> None:
    provider = get_provider("mock/echo", ttft_ms="60", token_delay_ms=20)
    completion = await provider.complete(_request("a b c"))
    assert completion.ttft_ms is not None and completion.ttft_ms >= 58
    assert completion.latency_ms is not None and completion.latency_ms >= 98


async def test_mock_fails_first_n_calls_per_example_then_answers() -> None:
    provider = get_provider("mock/echo", fail_times=2, fail_with="rate_limit")
    for _ in range(2):
        with pytest.raises(RateLimitError):
            await provider.complete(_request(), example_id="a")
    assert (await provider.complete(_request(), example_id="a")).text == "hello there"
    with pytest.raises(RateLimitError):  # the count is per example
        await provider.complete(_request(), example_id="b")


async def test_mock_respects_max_tokens() -> None:
    completion = await get_provider("mock/echo").complete(_request("a b c d", max_tokens=2))
    assert completion.text == "a b" and completion.finish_reason == "length"


def test_mock_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="mock/echo, mock/fixed"):
        get_provider("mock/unknown")
    with pytest.raises(ConfigError, match="ttft_ms"):
        get_provider("mock/echo", ttft_ms="fast")


# -- replay ----------------------------------------------------------------------------------
def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


async def test_replay_returns_recorded_figures_and_none_for_missing(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "answers.jsonl", [
        {"id": "q1", "output": "Paris", "latency_ms": 812.5, "ttft_ms": 201, "input_tokens": 30,
         "output_tokens": 2, "request_id": "abc"},
        {"id": "q2", "output": "Rome"},
    ])
    provider = get_provider(f"replay/{path}")
    full = await provider.complete(_request(), example_id="q1")
    bare = await provider.complete(_request(), example_id="q2")
    assert (full.text, full.latency_ms, full.ttft_ms, full.input_tokens, full.output_tokens,
            full.request_id) == ("Paris", 812.5, 201.0, 30, 2, "abc")
    assert bare.text == "Rome"
    assert (bare.latency_ms, bare.ttft_ms, bare.input_tokens, bare.output_tokens) == (
        None, None, None, None)


async def test_replay_unknown_id_names_id_and_file_and_is_not_retried(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", [{"id": "q1", "output": "x"}])
    provider = get_provider(f"replay/{path}")
    with pytest.raises(ProviderError) as info:
        await provider.complete(_request(), example_id="q9")
    assert "q9" in str(info.value) and str(path) in str(info.value)
    assert not provider.is_retryable(info.value)


async def test_replay_reads_csv_with_mapped_columns_without_sleeping(tmp_path: Path) -> None:
    path = tmp_path / "prod.csv"
    path.write_text("qid,answer_text,latency_ms,output_tokens\nq1,yes,5000,\nq2,no,,3\n")
    provider = get_provider(f"replay/{path}", id_field="qid", output_field="answer_text")
    start = time.perf_counter()
    first = await provider.complete(_request(), example_id="q1")
    second = await provider.complete(_request(), example_id="q2")
    assert time.perf_counter() - start < 0.5  # 5000 ms recorded, not slept
    assert (first.text, first.latency_ms, first.output_tokens) == ("yes", 5000.0, None)
    assert (second.text, second.latency_ms, second.output_tokens) == ("no", None, 3)


def test_replay_bad_rows_are_listed_with_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "output": "x"}\n{not json\n{"id": "a", "output": "y"}\n'
                    '{"output": "z"}\n{"id": "b", "output": "w", "latency_ms": -3}\n')
    with pytest.raises(DatasetError) as info:
        get_provider(f"replay/{path}")
    text = str(info.value)
    assert f"{path}:2: -: malformed JSON" in text
    assert f"{path}:3: id: id 'a' appears twice" in text
    assert f"{path}:4: id: missing example id" in text
    assert f"{path}:5: latency_ms:" in text


def test_replay_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        get_provider(f"replay/{tmp_path / 'nope.jsonl'}")


@pytest.mark.skipif(not FINANCEBENCH_RESULT.is_file(),
                    reason="needs ../shared/datasets/financebench (FinanceBench, CC BY-NC 4.0)")
async def test_replay_reads_financebench_results_as_published() -> None:
    provider = get_provider(f"replay/{FINANCEBENCH_RESULT}")
    completion = await provider.complete(_request(), example_id="financebench_id_03029")
    assert "1,577" in completion.text
    assert completion.latency_ms is None and completion.output_tokens is None


# -- registry --------------------------------------------------------------------------------
def test_unknown_provider_lists_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        get_provider("nosuch/model")
    assert "unknown provider 'nosuch'" in str(info.value) and "openai" in str(info.value)
    with pytest.raises(UsageError, match="provider/model"):
        get_provider("gpt-4o")


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if the SDK were not installed
    provider = get_provider("anthropic/claude-x")
    with pytest.raises(MissingExtraError) as info:
        provider._client()  # type: ignore[attr-defined]
    assert "pip install 'agility[anthropic]'" in str(info.value)


async def test_decorator_registered_provider_needs_no_table_edit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from agility.providers import _base

    monkeypatch.setattr(_base, "_REGISTRY", dict(_base._REGISTRY))  # keep other tests clean

    @register_provider("shout")
    class Shout(Provider):
        async def complete(self, request: ChatRequest, *,
                           example_id: str | None = None) -> Completion:
            return Completion(text=request.messages[-1].content.upper())

    assert "shout" in available_providers()
    assert (await get_provider("shout/any").complete(_request("hi"))).text == "HI"


async def test_entry_point_provider_is_found(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "agility_plugin_demo.py").write_text(textwrap.dedent("""
        from agility.chat import Completion
        from agility.providers import Provider

        class Reverse(Provider):
            name = "reverse"
            async def complete(self, request, *, example_id=None):
                return Completion(text=request.messages[-1].content[::-1])
    """))
    dist = tmp_path / "agility_plugin_demo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: agility-plugin-demo\n"
                                   "Version: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[agility.providers]\nreverse = agility_plugin_demo:Reverse\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "reverse" in available_providers()
    assert (await get_provider("reverse/x").complete(_request("abc"))).text == "cba"


def test_replay_reads_parquet_through_the_dataset_reader(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "answers.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "a", "output": "yes", "latency_ms": 12.5},
                                         {"id": "b", "output": "no", "latency_ms": None}]), path)
    answers = load_recorded_answers(path)
    assert answers["a"].output == "yes" and answers["a"].latency_ms == 12.5
    assert answers["b"].latency_ms is None  # not recorded stays not measured
