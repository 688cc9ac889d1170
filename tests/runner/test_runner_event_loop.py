"""run_model's event loop (uvloop when installed) and its garbage-collector freeze."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from pathlib import Path

import pytest

from agility.chat import ChatRequest
from agility.runner import run_model
from agility.store import Store


def _observer(seen: list[tuple[str, int]]) -> Callable[[ChatRequest], str]:
    def respond(request: ChatRequest) -> str:
        seen.append((type(asyncio.get_running_loop()).__module__, gc.get_freeze_count()))
        return "ok"

    return respond


def test_run_model_uses_uvloop_when_installed(make_dataset: Callable[..., Path],
                                              store: Store) -> None:
    pytest.importorskip("uvloop", reason="uvloop is optional (the demo extra installs it)")
    seen: list[tuple[str, int]] = []
    run_model(make_dataset(2), "mock/observer", name="loop", store=store, progress=False,
              provider_options={"responder": _observer(seen)})
    assert [module for module, _ in seen] == ["uvloop", "uvloop"]


def test_objects_are_frozen_out_of_gc_during_a_run_and_released_after(
        make_dataset: Callable[..., Path], store: Store) -> None:
    before = gc.get_freeze_count()
    seen: list[tuple[str, int]] = []
    run_model(make_dataset(1), "mock/observer", name="gc", store=store, progress=False,
              provider_options={"responder": _observer(seen)})
    assert seen[0][1] > before  # the process's objects were frozen while the call ran
    assert gc.get_freeze_count() == before
