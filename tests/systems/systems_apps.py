"""Small systems the tests run by their import path (``python:systems_apps:NAME``)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from agility.chat import Message
from agility.trace import span


async def two_calls(example: Any, settings: Any) -> dict[str, Any]:
    """Retrieve (a declared cost), then two model calls: rewrite the question, answer it."""
    with span("retrieve", kind="retrieval") as step:
        await asyncio.sleep(0.002)
        step.set(cost_usd=0.0001, documents=1)
    rewritten = await settings.generate(
        [Message(role="user", content=f"rewrite: {example.question}")], name="rewrite")
    answer = await settings.generate(
        [Message(role="user", content=f"answer: {rewritten.text}")], name="answer")
    return {"output": answer.text, "contexts": ["a document"]}


def sync_pipeline(example: Any, settings: Any) -> str:
    """A plain function: runs in a worker thread, calls the model with generate_sync."""
    with span("prepare"):
        time.sleep(0.001)
    return settings.generate_sync([Message(role="user", content=example.question)]).text


def echo_only(example: Any) -> str:
    """One parameter: the settings are not passed."""
    return example.question.upper()


async def fails_on_one(example: Any, settings: Any) -> str:
    """Raises for the example 'ex-001', answers the others."""
    with span("lookup", kind="tool"):
        if example.id == "ex-001":
            raise RuntimeError("the lookup service is down")
    return "fine"


async def too_slow(example: Any, settings: Any) -> str:
    await asyncio.sleep(30)
    return "late"


def returns_nothing(example: Any) -> None:
    return None


NOT_CALLABLE = 3


async def books_a_trip(example: Any, settings: Any) -> dict[str, Any]:
    """An agent-like system: calls two tools (the second one's arguments in OpenAI's JSON-string
    form, keys in another order) and returns what it did; 'ex-001' calls them the other way
    round and 'ex-002' calls none."""
    calls: list[dict[str, Any]] = [
        {"name": "find_flight", "arguments": {"to": "Paris", "passengers": "2"}},
        {"type": "function", "function": {"name": "book",
                                          "arguments": '{"seats": 2, "flight": "AF12"}'}}]
    if example.id == "ex-001":
        calls.reverse()
    if example.id == "ex-002":
        calls = []
    for _call in calls:
        with span("tool", kind="tool"):
            await asyncio.sleep(0)
    return {"output": "booked", "tool_calls": calls}


# -- a system that traces itself with OpenTelemetry --------------------------------------------

def _otel_tracer() -> Any:
    """A tracer of the system's own provider, with agility's processor added beside the
    system's own exporter (kept in memory, to show it still gets every span)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agility.trace import otel_span_processor

    global OTEL_EXPORTED
    provider = TracerProvider()
    OTEL_EXPORTED = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(OTEL_EXPORTED))
    provider.add_span_processor(otel_span_processor())
    return provider.get_tracer("systems_apps")


OTEL_EXPORTED: Any = None
_TRACER: Any = None


async def otel_agent(example: Any, settings: Any) -> str:
    """An agent traced with OpenTelemetry under the GenAI conventions: a model call (tokens
    reported), a tool call, a vector search; the tool fails for 'ex-001'."""
    from opentelemetry.trace import Status, StatusCode

    global _TRACER
    _TRACER = _TRACER or _otel_tracer()
    with _TRACER.start_as_current_span("invoke_agent weather") as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        with _TRACER.start_as_current_span("search docs") as search:
            search.set_attribute("db.system.name", "qdrant")
            await asyncio.sleep(0.002)
        with _TRACER.start_as_current_span("chat gpt-4o-mini") as chat:
            chat.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
                                 "gen_ai.request.model": "gpt-4o-mini",
                                 "gen_ai.usage.input_tokens": 1000,
                                 "gen_ai.usage.output_tokens": 200})
            await asyncio.sleep(0.003)
        with _TRACER.start_as_current_span("execute_tool get_weather") as tool_span:
            tool_span.set_attributes({"gen_ai.operation.name": "execute_tool",
                                      "gen_ai.tool.name": "get_weather"})
            if example.id == "ex-001":
                tool_span.set_status(Status(StatusCode.ERROR, "the weather API timed out"))
    return "it is sunny"


# -- systems calling the official OpenAI SDK directly --------------------------------------------

async def openai_sdk(example: Any, settings: Any) -> str:
    """Two calls through ``openai.AsyncOpenAI``: a plain one, then a streamed one (inside an
    agility span that names it)."""
    import openai

    client = openai.AsyncOpenAI(base_url=settings.options["base_url"], api_key="sk-sdk-test")
    try:
        plan = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"plan: {example.id}"}])
        with span("answer", kind="llm"):
            stream = await client.chat.completions.create(
                model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
                messages=[{"role": "user", "content": f"answer {plan.choices[0].message.content}"}])
            parts = [chunk.choices[0].delta.content or "" async for chunk in stream
                     if chunk.choices]
    finally:
        await client.close()
    return "".join(parts)


def openai_sdk_sync(example: Any, settings: Any) -> str:
    """A plain function calling ``openai.OpenAI`` (runs in a worker thread)."""
    import openai

    with openai.OpenAI(base_url=settings.options["base_url"], api_key="sk-sdk-test") as client:
        reply = client.chat.completions.create(
            model="not-in-the-price-table", messages=[{"role": "user", "content": example.id}])
    return reply.choices[0].message.content or ""


# -- systems calling the official Anthropic SDK directly -----------------------------------------

async def anthropic_sdk(example: Any, settings: Any) -> str:
    """Two calls through ``anthropic.AsyncAnthropic``: a plain one, then a streamed one (inside
    an agility span that names it)."""
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=settings.options["base_url"],
                                      api_key="sk-ant-sdk-test", max_retries=0)
    try:
        plan = await client.messages.create(
            model="claude-haiku-4-5", max_tokens=64,
            messages=[{"role": "user", "content": f"plan: {example.id}"}])
        with span("answer", kind="llm"):
            stream = await client.messages.create(
                model="claude-haiku-4-5", max_tokens=64, stream=True,
                messages=[{"role": "user", "content": f"answer {plan.content[0].text}"}])
            parts = [event.delta.text async for event in stream
                     if event.type == "content_block_delta" and event.delta.type == "text_delta"]
    finally:
        await client.close()
    return "".join(parts)


async def anthropic_stream_helper(example: Any, settings: Any) -> str:
    """One call through ``AsyncAnthropic``'s ``messages.stream()`` helper, read to its end by
    ``get_final_text()``."""
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=settings.options["base_url"],
                                      api_key="sk-ant-sdk-test", max_retries=0)
    try:
        async with client.messages.stream(
                model="claude-haiku-4-5", max_tokens=64,
                messages=[{"role": "user", "content": f"answer {example.id}"}]) as stream:
            text: str = await stream.get_final_text()
    finally:
        await client.close()
    return text


def anthropic_stream_helper_sync(example: Any, settings: Any) -> str:
    """``Anthropic``'s ``messages.stream()`` helper, sync, in a worker thread; with option
    ``first_only`` the caller stops reading after the first text and leaves the block."""
    import anthropic

    parts: list[str] = []
    with anthropic.Anthropic(base_url=settings.options["base_url"], api_key="sk-ant-sdk-test",
                             max_retries=0) as client, client.messages.stream(
            model="claude-haiku-4-5", max_tokens=64,
            messages=[{"role": "user", "content": f"say {example.id} now please"}]) as stream:
        for text in stream.text_stream:
            parts.append(text)
            if settings.options.get("first_only"):
                break
    return "".join(parts)


def anthropic_sdk_sync(example: Any, settings: Any) -> str:
    """A plain function calling ``anthropic.Anthropic`` (runs in a worker thread)."""
    import anthropic

    with anthropic.Anthropic(base_url=settings.options["base_url"], api_key="sk-ant-sdk-test",
                             max_retries=0) as client:
        reply = client.messages.create(model="not-in-the-price-table", max_tokens=64,
                                       messages=[{"role": "user", "content": example.id}])
    return reply.content[0].text if reply.content else ""


def bedrock_sdk(example: Any, settings: Any) -> str:
    """A plain function calling Bedrock's ConverseStream through boto3 (in a worker thread),
    reading the stream to its end."""
    import boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1",
                          endpoint_url=settings.options["endpoint_url"],
                          aws_access_key_id="test", aws_secret_access_key="test")
    response = client.converse_stream(
        modelId=settings.options.get("model_id", "anthropic.claude-3-haiku-20240307-v1:0"),
        messages=[{"role": "user", "content": [{"text": f"answer {example.id}"}]}])
    return "".join(event["contentBlockDelta"]["delta"].get("text", "")
                   for event in response["stream"] if "contentBlockDelta" in event)


def bedrock_invoke(example: Any, settings: Any) -> str:
    """Bedrock's InvokeModel through boto3 with an Anthropic Messages body, then (option
    ``stream``) InvokeModelWithResponseStream read to its end; returns the last answer."""
    import boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1",
                          endpoint_url=settings.options["endpoint_url"],
                          aws_access_key_id="test", aws_secret_access_key="test")
    model = "anthropic.claude-3-haiku-20240307-v1:0"

    def body(text: str) -> str:
        return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                           "messages": [{"role": "user", "content": text}]})

    reply = json.loads(client.invoke_model(modelId=model, body=body(
        f"answer {example.id}"))["body"].read())
    answer = "".join(block["text"] for block in reply["content"])
    if not settings.options.get("stream"):
        return answer
    response = client.invoke_model_with_response_stream(modelId=model,
                                                        body=body(f"again {answer}"))
    parts = []
    for event in response["body"]:
        chunk = json.loads(event["chunk"]["bytes"])
        if chunk["type"] == "content_block_delta":
            parts.append(chunk["delta"]["text"])
    return "".join(parts)


async def through_agility(example: Any, settings: Any) -> str:
    """One call through agility's client (whose provider may use an SDK itself)."""
    return (await settings.generate([Message(role="user", content=example.question)])).text


# -- a system whose every trace holds a secret (what a privacy policy's store mask hides) ------

SECRET = "CANARY-5512-private"


async def leaks_a_secret(example: Any, settings: Any) -> dict[str, Any]:
    """A model call that repeats the secret, a span attribute holding it, a tool call whose
    argument carries it; 'ex-001' fails with it in the error instead."""
    with span("lookup", kind="tool") as step:
        step.set(customer=SECRET)
        if example.id == "ex-001":
            raise RuntimeError(f"no account for {SECRET}")
    answer = await settings.generate(
        [Message(role="user", content=f"{example.question} for {SECRET}")], name="answer")
    return {"output": answer.text, "contexts": [f"the file of {SECRET}"],
            "tool_calls": [{"name": "lookup", "arguments": {"who": [SECRET]}}]}
