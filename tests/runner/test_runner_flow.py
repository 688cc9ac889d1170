"""Concurrency, rate limits, cache, repeats, warm-up, cost and the reproducibility record."""

from __future__ import annotations

import time

import pytest

import agility
from agility.chat import GenerationConfig
from agility.errors import RunExists, UsageError
from agility.runner import RateLimit, run_model


def test_concurrency_bound_is_respected_and_used(make_dataset, store, slow_server):
    with slow_server(ttft_ms=40) as slow:
        run_model(make_dataset(24), "openai/gpt-4o-mini", name="c", store=store,
                  provider_options={"base_url": slow.base_url}, concurrency=4, progress=False)
        assert slow.max_in_flight == 4
        assert len(slow.requests) == 24


def test_requests_per_minute_limit_spreads_calls(run, make_dataset, server):
    started = time.perf_counter()
    run(make_dataset(30), concurrency=16, rate_limit=RateLimit(rpm=1200))  # 20/s, burst 20
    elapsed = time.perf_counter() - started
    assert len(server.requests) == 30
    assert elapsed >= 0.45  # 10 requests beyond the burst at 20/s


def test_tokens_per_minute_limit_spreads_calls(run, make_dataset, server):
    started = time.perf_counter()
    # 200 tokens/s (burst 200); each call is estimated at 20 tokens and uses 8 by the
    # server's usage: 40 calls = 320 tokens, about 0.6 s beyond the burst
    run(make_dataset(40), concurrency=16, rate_limit=RateLimit(tpm=12000),
        config=GenerationConfig(max_tokens=10))
    elapsed = time.perf_counter() - started
    assert 0.4 <= elapsed < 5.0


def test_cache_hit_is_flagged_makes_no_request_and_has_no_latency(run, make_dataset, server,
                                                                   store):
    dataset = make_dataset(3)
    run(dataset, name="first", cache=True)
    assert len(server.requests) == 3
    summary = run(dataset, name="second", cache=True)
    assert len(server.requests) == 3  # every answer came from the cache
    results = store.results(summary.run_id)
    assert summary.n_cached == 3 and all(r.cached for r in results)
    assert all(r.ttft_ms is None and r.latency_ms is None for r in results)
    assert all(r.cached_latency_ms is not None for r in results)
    assert results[0].output == "What happened in ex-000?"


def test_cache_is_off_by_default(run, make_dataset, server):
    dataset = make_dataset(2)
    run(dataset, name="a")
    run(dataset, name="b")
    assert len(server.requests) == 4


def test_repeat_calls_each_example_k_times(run, make_dataset, server, store):
    summary = run(make_dataset(3), repeat=3)
    keys = sorted((r.example_id, r.repeat_index) for r in store.results(summary.run_id))
    assert keys == [(f"ex-{i:03d}", k) for i in range(3) for k in range(3)]
    assert len(server.requests) == 9


def test_warmup_calls_are_made_but_not_recorded(run, make_dataset, server, store):
    summary = run(make_dataset(3), warmup=2)
    assert len(server.requests) == 5
    assert len(store.results(summary.run_id)) == 3


def test_cost_is_tokens_times_price_plus_extras(run, make_dataset, store):
    summary = run(make_dataset(2), price_input=2.0, price_output=8.0, extra_cost_usd=0.001)
    for r in store.results(summary.run_id):
        assert r.input_tokens and r.output_tokens
        expected = r.input_tokens * 2.0 / 1e6 + r.output_tokens * 8.0 / 1e6 + 0.001
        assert r.cost_usd == pytest.approx(expected)
    assert summary.total_cost_usd == pytest.approx(
        sum(r.cost_usd for r in store.results(summary.run_id)))


def test_unpriced_model_has_no_cost_rather_than_zero(make_dataset, store, server):
    summary = run_model(make_dataset(2), "openai/some-private-model", name="u", store=store,
                        provider_options={"base_url": server.base_url}, progress=False)
    assert summary.total_cost_usd is None
    assert all(r.cost_usd is None for r in store.results(summary.run_id))


def test_run_records_what_makes_it_reproducible(run, make_dataset, store, tmp_path, api_key):
    template = tmp_path / "t.j2"
    template.write_text("Q: {{ question }}", encoding="utf-8")
    dataset = make_dataset(2)
    summary = run(dataset, template=template, config=GenerationConfig(temperature=0.0))
    record = store.get_run(summary.name)
    from agility.dataset import load_dataset
    from agility.prompts import load_template

    assert record.dataset_hash == load_dataset(dataset).hash
    assert record.template_hash == load_template(template).hash
    assert record.model_spec == "openai/gpt-4o-mini"
    assert record.config == {"temperature": 0.0}
    assert record.price_table_version and record.prices["input"] == 0.15
    assert record.tool_version == agility.__version__
    assert record.started_at and record.finished_at and record.status == "finished"
    assert store.get_dataset(record.dataset_hash) is not None  # golden rows saved for scoring
    assert api_key not in store.path.read_bytes().decode("utf-8", "replace")


def test_run_name_taken_without_resume_is_refused(run, make_dataset):
    dataset = make_dataset(1)
    run(dataset, name="same")
    with pytest.raises(RunExists) as raised:
        run(dataset, name="same")
    assert raised.value.run == "same"


class _TableRetriever:
    """A retriever over a fixed table (the real interface, a trivial index)."""

    async def retrieve(self, example):
        from agility.retrieval import Retrieval

        return Retrieval(contexts=[f"doc for {example.id}"], latency_ms=12.5, cost_usd=0.01,
                         details=[{"chunk": example.id}])


def test_retrieval_feeds_the_template_and_is_timed_and_priced_apart(run, make_dataset, server,
                                                                     store, tmp_path):
    template = tmp_path / "rag.j2"
    template.write_text("{{ context }}\nQ: {{ question }}", encoding="utf-8")
    summary = run(make_dataset(2), template=template, retriever=_TableRetriever(),
                  price_input=1.0, price_output=1.0)
    sent = {body["messages"][0]["content"] for body in server.requests}
    assert sent == {f"[1] doc for ex-00{i}\nQ: What happened in ex-00{i}?" for i in (0, 1)}
    for r in store.results(summary.run_id):
        assert r.retrieval_ms == 12.5
        assert r.end_to_end_ms == pytest.approx(12.5 + r.latency_ms)
        assert r.extra_cost_usd == pytest.approx(0.01)
        model_cost = (r.input_tokens + r.output_tokens) / 1e6
        assert r.cost_usd == pytest.approx(model_cost + 0.01)
        # the rendered prompt and the timed steps are recorded with the result
        assert r.prompt is not None and r.prompt[0].content.startswith("[1] doc for")
        assert [s.name for s in r.spans] == ["retrieve", "generate"]
        assert r.spans[0].duration_ms == 12.5 and r.spans[1].duration_ms == r.latency_ms
        assert r.retrieved == [{"chunk": r.example_id}]


def test_retriever_without_template_is_refused(run, make_dataset):
    with pytest.raises(UsageError, match="template"):
        run(make_dataset(1), retriever=_TableRetriever())


def test_public_names_match_the_package_exports():
    import agility.pricing
    import agility.prompts
    import agility.runner

    for module in (agility.runner, agility.prompts, agility.pricing):
        public = {n for n in dir(module) if not n.startswith("_")}
        exported = set(module.__all__)
        assert exported <= public
        assert {n for n in public - exported if not isinstance(getattr(module, n),
                type(agility))} == set()


def test_template_error_stops_the_run_before_anything_is_recorded(run, make_dataset, server,
                                                                   store, tmp_path):
    from agility.errors import ConfigError

    template = tmp_path / "leak.j2"
    template.write_text("{{ question }} -> {{ example.ground_truth }}", encoding="utf-8")
    with pytest.raises(ConfigError, match="leak.j2"):
        run(make_dataset(2), name="leaky", template=template)
    assert store.get_run("leaky") is None and server.requests == []


@pytest.mark.slow
def test_local_model_run_records_real_answers_at_zero_cost(make_dataset, store):
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (the 'local' extra)")
    summary = run_model(make_dataset(2), "llamacpp/gemma3-270m", name="local", store=store,
                        config=GenerationConfig(max_tokens=8, temperature=0.0), progress=False)
    results = store.results(summary.run_id)
    assert summary.n_errors == 0 and len(results) == 2
    for r in results:
        assert r.output and r.output_tokens and r.output_tokens <= 8 and r.input_tokens
        assert r.ttft_ms is not None and 0 < r.ttft_ms <= r.latency_ms
        assert r.cost_usd == 0.0  # local: free unless the user sets a price
    assert store.get_run("local").prices["source"] == "local model"
