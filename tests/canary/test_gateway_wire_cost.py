"""The gateway's request parsing stays cheap: it runs on every proxied call."""

from __future__ import annotations

import statistics
import time

import orjson

from agility.canary.gateway._wire import parse_request

BODY = orjson.dumps({"model": "m", "temperature": 0.2, "messages": [
    {"role": "system", "content": "You answer questions about filings."},
    {"role": "user", "content": "What was revenue in 2023?"},
    {"role": "assistant", "content": "$1.2 billion."},
    {"role": "user", "content": "And in 2022?"}]})


def test_a_four_message_request_parses_in_well_under_a_tenth_of_a_millisecond() -> None:
    parsed = parse_request(BODY)
    assert [m.content for m in parsed.request.messages][-1] == "And in 2022?"
    assert parsed.request.messages[0].tool_calls == [] and parsed.request.tools == []
    # pydantic's model_construct calls a field's default_factory through inspect.signature
    # (~0.2 ms each): a model built here without every field given made a parse ~1 ms
    samples = []
    for _ in range(7):
        start = time.process_time()
        for _ in range(100):
            parse_request(BODY)
        samples.append((time.process_time() - start) / 100)
    assert statistics.median(samples) < 100e-6, samples
