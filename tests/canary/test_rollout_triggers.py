"""Triggers planted on the target roll the rollout back on their own, within the window, with
the evidence in the audit trail; stages advance on their minimums; the last step waits for a
sign-off. The gateway is a real process; the arms are fake upstream servers."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from agility.canary import AUTOMATIC
from agility.testing import FakeOpenAIServer, Fault
from tests.canary.conftest import (
    chat,
    cli,
    events_of,
    openai_side,
    send_load,
    user_on,
    write_plan,
)

WINDOW_MINUTES = 0.1  # 6 s


def _rollout(**extra: object) -> dict[str, object]:
    return {"stages": [{"percent": 50, "min_requests": 10**6}, {"percent": 100}],
            "window_minutes": WINDOW_MINUTES, "min_window_requests": 20,
            "check_every_s": 0.2, "retry": {"max_attempts": 1}, **extra}


def _wait_for(predicate, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_errors_on_the_target_roll_back_within_the_window(tmp_path: Path, gateway) -> None:
    with FakeOpenAIServer() as source, FakeOpenAIServer() as target:
        target.set_faults([Fault.server_error(500)] * 10_000)
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url), rollout=_rollout())
        gw = gateway(plan)
        answers = send_load(gw, 400, concurrency=8)
        target_times = [t for t, status, arm in answers if arm == "target"]
        assert all(status == 502 for _t, status, arm in answers if arm == "target")
        # the last target answer came within the window of the first failure
        assert max(target_times) - min(target_times) < WINDOW_MINUTES * 60
        # the 400 can all come back before the checker's next tick (every 0.2 s): the
        # rollback must still land within the window of the first failure
        _wait_for(lambda: events_of(tmp_path / "agility.db", "canary.rolled_back"),
                  max(0.0, min(target_times) + WINDOW_MINUTES * 60 - time.monotonic()) + 0.5)
        rollbacks = events_of(tmp_path / "agility.db", "canary.rolled_back")
        assert len(rollbacks) == 1
        event = rollbacks[0]
        assert event["actor"] == AUTOMATIC
        trigger = event["payload"]["evidence"]["triggers"][0]
        assert trigger["trigger"] == "error_rate_increase"
        assert trigger["target_error_rate"] == 1.0 and trigger["source_error_rate"] == 0.0
        assert trigger["target_requests"] >= 20
        # after the rollback every answer comes from the source, and succeeds
        after = [(status, arm) for t, status, arm in answers if t > max(target_times)]
        after += [(status, arm) for _t, status, arm in send_load(gw, 100, offset=1000)]
        # (the 400 may all be sent before the rollback: then only the 100 sent after it count)
        assert len(after) >= 100 and all(arm == "source" and status == 200
                                        for status, arm in after)
        assert chat(gw, user=user_on("target", 50)).headers["x-agility-arm"] == "source"
        metrics = httpx.get(f"{gw.url}/metrics", headers=gw.auth("canary-viewer")).text
        assert 'agility_canary_status{status="rolled_back"} 1.0' in metrics
        assert "agility_canary_target_percent 0.0" in metrics


def test_slow_first_tokens_on_the_target_roll_back(tmp_path: Path, gateway) -> None:
    with FakeOpenAIServer() as source, FakeOpenAIServer(ttft_ms=400) as target:
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url),
                          rollout=_rollout(triggers={"error_rate_increase": None}))
        gw = gateway(plan)
        send_load(gw, 150, concurrency=16)
        _wait_for(lambda: events_of(tmp_path / "agility.db", "canary.rolled_back"),
                  WINDOW_MINUTES * 60)
        trigger = events_of(tmp_path / "agility.db",
                            "canary.rolled_back")[0]["payload"]["evidence"]["triggers"][0]
        assert trigger["trigger"] == "ttft_increase"
        assert trigger["target_ttft_p50_ms"] > 350 and trigger["increase_ms"] > 250
        assert trigger["increase_pct"] > 20


def test_fallback_to_the_source_hides_target_failures(tmp_path: Path, gateway) -> None:
    with FakeOpenAIServer(responder=lambda b: "source answer") as source, \
            FakeOpenAIServer() as target:
        target.set_faults([Fault.server_error(503)] * 100)
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url),
                          rollout=_rollout(fallback="source",
                                           triggers={"error_rate_increase": None}))
        gw = gateway(plan)
        user = user_on("target", 50)
        for stream in (False, True):
            answer = chat(gw, user=user, stream=stream)
            assert answer.status_code == 200 and answer.headers["x-agility-arm"] == "source"
            assert "source answer" in answer.text or "source" in answer.text
        gw.stop()
    import json
    import sqlite3
    with sqlite3.connect(tmp_path / "agility.db") as db:
        counts = {arm: json.loads(raw) for arm, raw in
                  db.execute("SELECT arm, counts_json FROM canary_counters")}
    assert counts["target"]["errors"] == 2 and counts["target"]["fallbacks"] == 2
    assert counts["source"]["requests"] == 2 and counts["source"]["errors"] == 0


def test_stages_advance_on_their_minimums_and_the_last_waits_for_a_signoff(
        tmp_path: Path, gateway) -> None:
    with FakeOpenAIServer() as upstream:
        rollout = {"stages": [{"percent": 10, "min_requests": 5},
                              {"percent": 50, "min_requests": 5}, {"percent": 100}],
                   "check_every_s": 0.1}
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=rollout)
        store = tmp_path / "agility.db"
        gw = gateway(plan)
        offset = 0
        while not events_of(store, "canary.stage_advanced") and offset < 2000:
            send_load(gw, 100, concurrency=4, offset=offset)
            offset += 100
        advanced = events_of(store, "canary.stage_advanced")
        assert [(e["payload"]["to_stage"], e["actor"]) for e in advanced] == [(1, AUTOMATIC)]
        assert advanced[0]["payload"]["evidence"]["progress"]["target_requests"] >= 5
        # the minimums of stage 2 are met soon, but 100% waits for a person's sign-off
        send_load(gw, 100, concurrency=4, offset=offset)
        time.sleep(0.5)
        assert len(events_of(store, "canary.stage_advanced")) == 1
        status = cli("canary", "status", str(plan), "--store", str(store))
        import subprocess
        shown = subprocess.run(status, capture_output=True, text=True, check=True).stdout
        assert "stage 2 of 3 (50% target)" in shown and "waits for a sign-off" in shown
        done = subprocess.run(cli("canary", "promote", str(plan), "--store", str(store),
                                  "--actor", "release-manager", "--note", "SMEs agree"),
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "complete, stage 3, 100% target" in done.stdout
        _wait_for(lambda: chat(gw, user=user_on("source", 50)).headers[
            "x-agility-arm"] == "target", 5)
        last = events_of(store, "canary.stage_advanced")[-1]
        assert last["actor"] == "release-manager" and last["payload"]["to_stage"] == 2
        assert last["payload"]["note"] == "SMEs agree"


def test_an_operator_rollback_takes_effect_at_once(tmp_path: Path, gateway) -> None:
    import subprocess
    with FakeOpenAIServer() as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=_rollout())
        store = tmp_path / "agility.db"
        gw = gateway(plan)
        user = user_on("target", 50)
        assert chat(gw, user=user).headers["x-agility-arm"] == "target"
        done = subprocess.run(cli("canary", "rollback", str(plan), "--store", str(store),
                                  "--reason", "pager: bad answers", "--actor", "oncall"),
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        _wait_for(lambda: chat(gw, user=user).headers["x-agility-arm"] == "source", 2)
        event = events_of(store, "canary.rolled_back")[0]
        assert event["actor"] == "oncall" and event["payload"]["reason"] == "pager: bad answers"
        # the gateway rewrote the rollout's page beside the migration report
        page = tmp_path / "agility-report" / "rollout.html"
        _wait_for(lambda: page.exists() and "rolled back" in page.read_text(), 5)
        assert "pager: bad answers" in page.read_text()


def test_worse_online_grades_on_the_target_roll_back(tmp_path: Path, gateway) -> None:
    refusal = "I'm sorry, but I cannot help with that request."
    with FakeOpenAIServer(responder=lambda b: "Revenue was $4.2 million.") as source, \
            FakeOpenAIServer(responder=lambda b: refusal) as target:
        plan = write_plan(tmp_path, source=openai_side(source.base_url),
                          target=openai_side(target.base_url), metrics=["answered"],
                          # a window of 60 s: the grades of 120 calls fit in it even when a
                          # loaded machine stretches the calls over more than 6 s
                          rollout=_rollout(grading={"sample_rate": 1.0, "min_graded": 20},
                                           window_minutes=1.0))
        gw = gateway(plan)
        send_load(gw, 120, concurrency=8)
        _wait_for(lambda: events_of(tmp_path / "agility.db", "canary.rolled_back"), 30)
    trigger = events_of(tmp_path / "agility.db",
                        "canary.rolled_back")[0]["payload"]["evidence"]["triggers"][0]
    assert trigger["trigger"] == "quality_drop" and trigger["metric"] == "answered"
    assert trigger["source_mean"] == 1.0 and trigger["target_mean"] == 0.0
    assert min(trigger["source_graded"], trigger["target_graded"]) >= 20


def test_an_sme_flag_rolls_back(tmp_path: Path, gateway) -> None:
    import subprocess
    with FakeOpenAIServer() as upstream:
        plan = write_plan(tmp_path, source=openai_side(upstream.base_url),
                          target=openai_side(upstream.base_url), rollout=_rollout())
        store = tmp_path / "agility.db"
        gateway(plan)
        done = subprocess.run(cli("canary", "flag", str(plan), "--store", str(store),
                                  "--actor", "sme-ann", "--note", "made up a figure",
                                  "--request-id", "chatcmpl-x"), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        _wait_for(lambda: events_of(store, "canary.rolled_back"), 10)
    event = events_of(store, "canary.rolled_back")[0]
    assert event["actor"] == AUTOMATIC
    assert event["payload"]["evidence"]["triggers"][0] == {
        "trigger": "sme_hallucination_flags", "threshold": 1, "flags": 1}
