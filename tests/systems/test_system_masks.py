"""A system's run under a privacy policy: what is stored (answers, contexts, tool calls,
spans, the audit event of each example with the model calls it made) is masked; masking what
is sent to providers is refused for a system, before the run is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from systems_apps import SECRET

from agility.errors import UsageError
from agility.runner import RunMasks, run_system
from agility.store import Store
from agility.testing import FakeOpenAIServer


def _mask(text: str) -> str:
    return text.replace(SECRET, "<SECRET>")


@pytest.fixture()
def any_store(store_location: str) -> Iterator[Store]:
    with Store(store_location) as db:
        yield db


def test_a_store_mask_keeps_the_secret_out_of_everything_a_system_run_stores(
        any_store: Store, golden: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
        stored_bytes: Callable[[Store], bytes]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-systems-0123456789")
    with FakeOpenAIServer() as server:
        summary = run_system(golden(3), "python:systems_apps:leaks_a_secret", name="masked",
                             store=any_store, model="openai/fake-model",
                             provider_options={"base_url": server.base_url}, progress=False,
                             masks=RunMasks(store=_mask))
        sent = json.dumps(server.requests)
    assert summary.n_done == 3 and summary.n_errors == 1
    assert SECRET in sent  # providers are not masked: the model got the text as it is
    results = {r.example_id: r for r in any_store.results(summary.run_id)}
    ok = results["ex-000"]
    assert "<SECRET>" in (ok.output or "") and ok.contexts == ["the file of <SECRET>"]
    assert ok.tool_calls == [{"name": "lookup", "arguments": {"who": ["<SECRET>"]}}]
    assert ok.spans[0].attributes == {"customer": "<SECRET>"}
    assert results["ex-001"].error is not None and "<SECRET>" in results["ex-001"].error
    assert results["ex-001"].spans[0].error is not None
    assert "<SECRET>" in results["ex-001"].spans[0].error
    # one audit event per example, naming each model call the system made
    events = {e.payload["example_id"]: e.payload
              for e in any_store.events(subject="masked", kind="model.call")}
    assert len(events) == 3
    assert [c["span"] for c in events["ex-000"]["model_calls"]] == ["answer"]
    assert events["ex-000"]["model_calls"][0]["model"] == "openai/fake-model"
    assert events["ex-001"]["model_calls"] == []  # it failed before calling a model
    assert events["ex-000"]["tool_calls"] == ok.tool_calls
    assert SECRET.encode() not in stored_bytes(any_store)
    assert any_store.verify_audit().ok


def test_a_provider_mask_is_refused_for_a_system_before_the_run_is_recorded(
        store: Store, golden: Callable[..., Path]) -> None:
    with pytest.raises(UsageError) as refused:
        run_system(golden(1), "python:systems_apps:leaks_a_secret", name="refused",
                   store=store, progress=False, masks=RunMasks(providers=_mask, store=_mask))
    assert refused.value.argument == "system" and "providers" in str(refused.value)
    assert store.list_runs() == []
    assert not [e for e in store.events() if e.kind.startswith("run.")]
