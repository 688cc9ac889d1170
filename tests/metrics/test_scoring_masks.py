"""Scoring under a privacy policy's masks: refused on Ray (its workers do not carry the
masking) before anything is scored or written."""

from __future__ import annotations

import pytest

from agility.errors import InvalidArgument
from agility.metrics import score_run
from agility.store import Store


def test_masked_scoring_on_ray_is_refused_before_any_work(tmp_store: Store) -> None:
    with pytest.raises(InvalidArgument) as refused:
        score_run(tmp_store, "no-such-run", ["exact_match"], executor="ray",
                  mask_judged=lambda text: text.replace("secret", "<S>"))
    assert refused.value.argument == "executor" and "local executor" in str(refused.value)
    assert tmp_store.events() == []
