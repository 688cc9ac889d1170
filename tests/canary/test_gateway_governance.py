"""The gateway under the plan's governance: every proxied call is a chained ``model.call``
audit event in the caller's name, masked as the privacy policy says (what the arms receive,
what the store holds), written before a clean shutdown ends; an arm outside the residency
policy is refused before the gateway takes any traffic."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agility.store import Store
from agility.testing import FakeOpenAIServer
from agility.testing.fake_openai import Fault
from tests.canary.conftest import (
    HALF,
    GatewayProcess,
    answer_text,
    chat,
    cli,
    openai_side,
    recording_server,
    user_on,
    write_plan,
)

EMAIL, SSN = "canary.gateway@example.com", "536-80-4398"


def _calls(store: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(store) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM events WHERE kind='model.call' ORDER BY id").fetchall()
    return [{**dict(r), "payload": json.loads(r["payload_json"])} for r in rows]


def _stored_bytes(store: Path) -> bytes:
    return store.read_bytes() + b"".join(p.read_bytes() for p in store.parent.glob(
        store.name + "-*"))


def test_every_proxied_call_is_an_audit_event_in_the_callers_name(tmp_path: Path,
                                                                  gateway) -> None:
    with recording_server(responder=lambda body: "from the source") as source, \
            FakeOpenAIServer(responder=lambda body: "from the target",
                             token_delay_ms=5) as target:
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url), rollout=HALF)
        gw = gateway(plan)
        on_source, on_target = user_on("source", 50), user_on("target", 50)
        assert chat(gw, "whole to the source", user=on_source).status_code == 200
        streamed = chat(gw, "streamed to the target", user=on_target, stream=True)
        assert answer_text(streamed.text) == "from the target"
        # a clean stop (uvicorn re-raises the SIGTERM once it has shut down) writes what is queued
        assert gw.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    calls = _calls(tmp_path / "agility.db")
    assert [(c["subject"], c["actor"], c["payload"]["arm"], c["payload"]["stream"])
            for c in calls] == [("canary-test", "test-canary-client", "source", False),
                                ("canary-test", "test-canary-client", "target", True)]
    first, second = (c["payload"] for c in calls)
    assert first["prompt"] == [{"role": "user", "content": "whole to the source"}]
    assert first["response"] == "from the source" and first["error"] is None
    assert first["model"] == "openai/fake-model" and first["via"] == "gateway"
    assert first["stage"] == "1" and first["latency_ms"] > 0
    assert second["response"] == "from the target"
    with Store(tmp_path / "agility.db") as store:
        report = store.verify_audit()
    assert report.ok, report


def test_a_failed_target_and_the_source_that_answered_are_both_logged(tmp_path: Path,
                                                                      gateway) -> None:
    with FakeOpenAIServer(responder=lambda body: "source answer") as source, \
            FakeOpenAIServer(faults=[Fault.server_error(500)]) as target:
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url),
                          rollout={**HALF, "fallback": "source",
                                   "retry": {"max_attempts": 1}})
        gw = gateway(plan)
        answer = chat(gw, "fall back please", user=user_on("target", 50))
        assert answer.status_code == 200 and answer.headers["x-agility-arm"] == "source"
        gw.stop(signal.SIGTERM)
    calls = [c["payload"] for c in _calls(tmp_path / "agility.db")]
    assert [(c["arm"], c["response"], c.get("answered_by")) for c in calls] == [
        ("target", None, "source"), ("source", "source answer", None)]
    assert calls[0]["error"] and "500" in calls[0]["error"]


def test_the_privacy_policy_masks_what_the_arms_get_and_what_is_stored(tmp_path: Path,
                                                                       gateway) -> None:
    pytest.importorskip("presidio_analyzer", reason="needs the privacy extra (Presidio)")
    # the model leaks the canary back: the stored answer must be masked too
    with recording_server(responder=lambda body: f"Noted {EMAIL} and {SSN}.") as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=HALF,
                          privacy={"mask": ["EMAIL_ADDRESS", "US_SSN"], "mode": "hash",
                                   "where": ["providers", "store", "logs"]},
                          residency={"allowed": ["local"]})
        gw = gateway(plan)
        text = f"Mail {EMAIL} about SSN {SSN}, please."
        whole = chat(gw, text, user=user_on("source", 50))
        streamed = chat(gw, text, user=user_on("target", 50), stream=True)
        assert whole.status_code == 200 and streamed.status_code == 200
        sent = json.dumps(upstream.requests)
        assert gw.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    # what left for the model was masked before it was sent
    assert len(upstream.requests) == 2
    assert EMAIL not in sent and SSN not in sent and "<EMAIL_ADDRESS:" in sent
    calls = _calls(tmp_path / "agility.db")
    assert len(calls) == 2
    for call in calls:
        prompt = call["payload"]["prompt"][0]["content"]
        assert "<EMAIL_ADDRESS:" in prompt and "<US_SSN:" in prompt
        assert "<EMAIL_ADDRESS:" in call["payload"]["response"]
    stored = _stored_bytes(tmp_path / "agility.db")
    for canary in (EMAIL, SSN):
        assert canary.encode() not in stored and canary not in gw.read_log()


def test_an_arm_outside_the_residency_policy_is_refused_before_any_call(
        tmp_path: Path) -> None:
    with recording_server(responder=lambda body: "never") as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=HALF,
                          residency={"allowed": ["eu-central-1"]})
        store = tmp_path / "agility.db"
        GatewayProcess(plan, store)  # its accounts: the refusal is not about a token
        done = subprocess.run(
            cli("canary", "serve", str(plan), "--port", "0", "--store", str(store),
                "--without-approval"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "residency" in done.stderr and "gateway arm source" in done.stderr
    assert "local" in done.stderr and "eu-central-1" in done.stderr
    assert "Traceback" not in done.stderr and "listening" not in done.stdout
    assert upstream.requests == []
