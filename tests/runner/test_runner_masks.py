"""A run under a privacy policy's masks: what leaves for the model and what is written to the
store (golden rows, results, the calls' audit events) are masked; the cache is refused before
anything is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agility.errors import UsageError
from agility.runner import RunMasks
from agility.store import Store

CANARY = "CANARY-7731-secret"


def _mask(text: str) -> str:
    return text.replace(CANARY, "<SECRET>")


def _dataset(tmp_path: Path) -> Path:
    path = tmp_path / "golden.jsonl"
    rows = [{"id": f"ex-{i:03d}", "source_prompt": f"What happened in ex-{i:03d} to {CANARY}?",
             "ground_truth": f"{CANARY} left"} for i in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def store(store_location: str) -> Iterator[Store]:
    """The run fixture's store, on each backend (this module's tests run on both)."""
    with Store(store_location) as db:
        yield db


def test_a_store_mask_keeps_the_canary_out_of_every_stored_byte(
        run: Callable, server, store: Store, tmp_path: Path,
        stored_bytes: Callable[[Store], bytes]) -> None:
    summary = run(_dataset(tmp_path), masks=RunMasks(store=_mask))
    # the model was sent the text as it is (providers are not masked) and echoed it back
    assert CANARY in json.dumps(server.requests)
    results = store.results(summary.run_id)
    assert len(results) == 3 and all("<SECRET>" in (r.output or "") for r in results)
    calls = [e for e in store.events() if e.kind == "model.call"]
    assert len(calls) == 3 and all("<SECRET>" in json.dumps(e.payload) for e in calls)
    assert CANARY.encode() not in stored_bytes(store)
    assert store.verify_audit().ok


def test_a_provider_mask_keeps_the_canary_from_the_model(
        run: Callable, server, tmp_path: Path) -> None:
    run(_dataset(tmp_path), masks=RunMasks(providers=_mask, store=_mask))
    sent = json.dumps(server.requests)
    assert len(server.requests) == 3 and CANARY not in sent and "<SECRET>" in sent


def test_the_cache_is_refused_before_the_run_is_recorded(
        run: Callable, server, store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as refused:
        run(_dataset(tmp_path), cache=True, masks=RunMasks(store=_mask))
    assert refused.value.argument == "cache"
    assert store.list_runs() == [] and server.requests == []
    assert not [e for e in store.events() if e.kind.startswith("run.")]
