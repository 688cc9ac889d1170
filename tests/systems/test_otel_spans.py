"""Spans a system emits through OpenTelemetry become the example's agility spans: nested as
they were, kinds from the GenAI conventions, model calls priced, errors kept; the system's own
exporter still gets every span."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from agility.runner import run_system
from agility.store import Store

pytest.importorskip("opentelemetry.sdk", reason="needs the 'otel' extra (opentelemetry-sdk)")


def test_otel_spans_are_recorded_nested_priced_and_still_exported(
        store: Store, golden: Callable[..., Path]) -> None:
    import systems_apps

    summary = run_system(golden(2), "python:systems_apps:otel_agent", name="otel", store=store,
                         progress=False)
    assert summary.n_errors == 0
    results = {r.example_id: r for r in store.results(store.require_run("otel").id)}
    for result in results.values():
        names = [(s.name, s.kind) for s in result.spans]
        assert names == [("invoke_agent weather", "llm"), ("search docs", "retrieval"),
                         ("chat gpt-4o-mini", "llm"), ("execute_tool get_weather", "tool")]
        agent, search, chat, tool = result.spans
        assert agent.parent_id is None
        assert search.parent_id == chat.parent_id == tool.parent_id == agent.id
        assert chat.model == "openai/gpt-4o-mini"
        assert (chat.input_tokens, chat.output_tokens) == (1000, 200)
        # priced from the table: 1000 x 0.15 + 200 x 0.60 per 1M tokens
        assert chat.cost_usd == pytest.approx(0.00027)
        # it slept 3 ms (asyncio may wake a little early: its clock resolution)
        assert chat.duration_ms is not None and chat.duration_ms >= 2
        assert agent.start_ms <= search.start_ms < chat.start_ms < tool.start_ms
        assert chat.ttft_ms is None  # not in the conventions: not measured
        assert result.cost_usd is None or result.cost_usd == pytest.approx(0.00027)
    assert results["ex-001"].spans[-1].error == "the weather API timed out"
    assert results["ex-000"].spans[-1].error is None
    # the system's own exporter got all eight spans too
    assert len(systems_apps.OTEL_EXPORTED.get_finished_spans()) == 8


def test_spans_outside_an_example_are_left_alone() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    from agility.trace import Trace, collect, otel_span_processor

    provider = TracerProvider()
    provider.add_span_processor(otel_span_processor())
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("before"):
        pass
    trace = Trace()
    with collect(trace), tracer.start_as_current_span("inside"):
        pass
    with tracer.start_as_current_span("after"):
        pass
    assert [s.name for s in trace.spans] == ["inside"]


def test_the_global_provider_is_picked_up_by_itself(tmp_path: Path) -> None:
    # a process of its own: the global tracer provider can be set once per process
    golden = tmp_path / "g.jsonl"
    golden.write_text(json.dumps({"id": "a", "source_prompt": "q", "ground_truth": "x"}) + "\n",
                      encoding="utf-8")
    app = tmp_path / "otel_global_app.py"
    app.write_text(textwrap.dedent("""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider

        trace.set_tracer_provider(TracerProvider())  # the system's usual setup, at import
        tracer = trace.get_tracer("app")

        def answer(example):
            with tracer.start_as_current_span("lookup"):
                return "done"
    """), encoding="utf-8")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from agility.runner import run_system
        from agility.store import Store
        with Store({str(tmp_path / "a.db")!r}) as store:
            run_system({str(golden)!r}, "python:otel_global_app:answer", name="g",
                       store=store, progress=False)
            [result] = store.results(store.require_run("g").id)
            print([s.name for s in result.spans])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['lookup']"
