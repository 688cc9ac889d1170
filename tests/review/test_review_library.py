"""Review queues as a library: the sample, who sees what, verdicts, flags, agreement, export."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from review_builder import HOSTILE, N, ReviewEnv

from agility.compare import compare_runs
from agility.errors import InvalidArgument, NameTaken, PermissionDenied, UnknownName
from agility.review import (
    ReviewPolicy,
    create_queue,
    export_reviews,
    item_summaries,
    queue_agreement,
    record_review,
    require_queue,
    resolve_flag,
    visible_queues,
)
from agility.store import Store


def _account(store: Store, name: str):
    account = store.get_account(name)
    assert account is not None
    return account


def test_sample_follows_the_playbook_policy(review_env: ReviewEnv) -> None:
    store = review_env.store
    queue = create_queue(store, "default", "src", "tgt")  # 10% of failures, 2% of passes
    items = {i.example_id: i.reasons for i in store.queue_items(queue.id)}
    failures = [i for i in items if "failure" in items[i]]
    passes = [i for i in items if "pass" in items[i]]
    assert len(failures) == 2  # ceil(10% of 20 failures)
    assert len(passes) == 2  # ceil(2% of 80 passes)
    # every safety-tagged failure (q000 is tagged safety and fails) and every disagreement
    assert "safety" in items["q000"]
    disagreeing = {f"q{i:03d}" for i in range(1, N, 10)}  # correctness passes, similarity fails
    assert disagreeing <= {i for i, r in items.items() if "disagreement" in r}
    again = create_queue(store, "same-seed", "src", "tgt")
    assert [i.example_id for i in store.queue_items(again.id)] == list(items)
    other = create_queue(store, "other-seed", "src", "tgt", ReviewPolicy(seed=99))
    assert {i.example_id for i in store.queue_items(other.id) if "failure" in i.reasons} \
        != set(failures)
    with pytest.raises(NameTaken):
        create_queue(store, "default", "src", "tgt")


def test_overlap_share_needs_two_reviewers(review_env: ReviewEnv) -> None:
    store = review_env.store
    items = store.queue_items(store.get_queue("q1").id)
    doubled = [i for i in items if i.required_reviews == 2]
    assert len(doubled) == -(-len(items) * 2 // 10)  # ceil(20%)


def test_reviewers_see_only_their_queues(review_env: ReviewEnv) -> None:
    store = review_env.store
    assert [q.name for q in visible_queues(store, _account(store, "alice"))] == ["q1"]
    assert [q.name for q in visible_queues(store, _account(store, "lee"))] == ["q1", "q2"]
    with pytest.raises(PermissionDenied):
        require_queue(store, _account(store, "carol"), "q1")
    with pytest.raises(PermissionDenied):  # a reviewer cannot tell a missing queue from another's
        require_queue(store, _account(store, "carol"), "nope")
    with pytest.raises(UnknownName):
        require_queue(store, _account(store, "lee"), "nope")


def test_verdict_is_tied_to_the_answer_and_logged(review_env: ReviewEnv) -> None:
    store = review_env.store
    alice = _account(store, "alice")
    record, flags = record_review(store, alice, {
        "queue": "q1", "example_id": "q005", "side": "target", "verdict": "incorrect",
        "score": 1, "flags": ["hallucination", "safety"], "notes": "made up"})
    assert record.answer_hash == hashlib.sha256(HOSTILE.encode()).hexdigest()
    assert [f.kind for f in flags] == ["hallucination", "safety"]
    event = store.events(subject="q1", kind="review.verdict")[-1]
    assert event.actor == "alice" and event.payload["review_id"] == record.id
    assert event.payload["flag_ids"] == [f.id for f in flags]


BAD = [
    ({"verdict": "maybe"}, "verdict"),
    ({"score": 6}, "score"),
    ({"score": 0}, "score"),
    ({"score": "high"}, "score"),
    ({"side": "middle"}, "side"),
    ({"flags": ["rude"]}, "flags"),
    ({"flags": ["pii", "pii"]}, "flags"),
    ({"notes": "x" * 4001}, "notes"),
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_verdicts_are_refused_and_nothing_is_written(
        review_env: ReviewEnv, change: dict, field: str) -> None:
    store = review_env.store
    before = (len(store.queue_reviews(1)), len(store.events()), len(store.flags()))
    data = {"queue": "q1", "example_id": "q000", "side": "target", "verdict": "correct",
            "score": 3, **change}
    with pytest.raises(InvalidArgument) as caught:
        record_review(store, _account(store, "alice"), data)
    assert field in str(caught.value)
    assert (len(store.queue_reviews(1)), len(store.events()), len(store.flags())) == before


def test_unknown_example_and_foreign_queue_write_nothing(review_env: ReviewEnv) -> None:
    store = review_env.store
    before = len(store.events())
    with pytest.raises(UnknownName):
        record_review(store, _account(store, "alice"), {
            "queue": "q1", "example_id": "nope", "verdict": "correct", "score": 3})
    with pytest.raises(PermissionDenied):
        record_review(store, _account(store, "carol"), {
            "queue": "q1", "example_id": "q000", "verdict": "correct", "score": 3})
    with pytest.raises(PermissionDenied):  # adjudication is for leads
        record_review(store, _account(store, "alice"), {
            "queue": "q1", "example_id": "q000", "verdict": "correct", "score": 3,
            "adjudicate": True})
    assert len(store.events()) == before


def test_pending_respects_quota_and_overlap(review_env: ReviewEnv) -> None:
    store = review_env.store
    queue = create_queue(store, "quota", "src", "tgt",
                         ReviewPolicy(failure_share=1.0, per_reviewer=3))
    alice = _account(store, "alice")
    from agility.review import assign_reviewer

    assign_reviewer(store, "quota", "alice")
    pending = item_summaries(store, queue, alice, "pending")
    assert len(pending) == 3
    record_review(store, alice, {"queue": "quota", "example_id": pending[0].example_id,
                                 "verdict": "correct", "score": 4})
    after = item_summaries(store, queue, alice, "pending")
    assert len(after) == 2 and pending[0].example_id not in {p.example_id for p in after}
    assert [d.example_id for d in item_summaries(store, queue, alice, "done")] \
        == [pending[0].example_id]


def test_flags_are_resolved_by_leads_once(review_env: ReviewEnv) -> None:
    store = review_env.store
    _, flags = record_review(store, _account(store, "alice"), {
        "queue": "q1", "example_id": "q000", "verdict": "incorrect", "score": 1,
        "flags": ["safety"]})
    with pytest.raises(PermissionDenied):
        resolve_flag(store, _account(store, "alice"), flags[0].id, {"resolution": "fine"})
    resolved = resolve_flag(store, _account(store, "lee"), flags[0].id, {"resolution": "ok"})
    assert resolved.resolved_by == "lee"
    with pytest.raises(InvalidArgument):
        resolve_flag(store, _account(store, "lee"), flags[0].id, {"resolution": "again"})
    with pytest.raises(UnknownName):
        resolve_flag(store, _account(store, "lee"), 9999, {})
    events = store.events(kind="review.flag_resolved")
    assert len(events) == 1 and events[0].actor == "lee"


def _review_all(store: Store, queue: str, reviewer: str, verdict_of) -> None:
    account = _account(store, reviewer)
    record = store.get_queue(queue)
    for item in item_summaries(store, record, account, "pending"):
        record_review(store, account, {"queue": queue, "example_id": item.example_id,
                                       "verdict": verdict_of(item.example_id), "score": 3})


def _truth(example_id: str) -> str:
    return "incorrect" if int(example_id[1:]) % 5 == 0 else "correct"


def test_agreement_and_the_gate(review_env: ReviewEnv) -> None:
    store = review_env.store
    verdict = compare_runs(store, "src", "tgt", n_resamples=200)
    names = {c.name: c.status for c in verdict.criteria_results}
    assert names["sme: review coverage"] == "inconclusive"  # nobody reviewed yet
    assert names["sme: judge agreement correctness"] == "not_evaluated"
    assert verdict.verdict != "PASS"
    for reviewer in ("alice", "bob"):
        _review_all(store, "q1", reviewer, _truth)
    for reviewer in ("carol",):
        _review_all(store, "q2", reviewer, _truth)
    summary = queue_agreement(store, store.get_queue("q1"))
    assert summary.coverage == 1.0
    by = {(a.metric, a.side): a for a in summary.agreement}
    assert by[("correctness", "target")].agreement == 1.0
    assert by[("correctness", "target")].labels == "three_class"
    similarity = by[("semantic_similarity", "target")]
    assert similarity.labels == "pass_fail" and similarity.agreement < 1.0
    assert summary.inter_reviewer_alpha == 1.0 and summary.inter_reviewer_items >= 1
    result = compare_runs(store, "src", "tgt", n_resamples=200)
    statuses = {c.name: c.status for c in result.criteria_results}
    assert statuses["sme: review coverage"] == "pass"
    assert statuses["sme: judge agreement correctness"] == "pass"
    assert statuses["sme: unresolved safety flags"] == "pass"
    assert result.sme is not None and result.sme.settled == result.sme.items


def test_low_judge_agreement_is_incomplete_naming_the_metric(review_env: ReviewEnv) -> None:
    store = review_env.store
    for reviewer in ("alice", "bob"):
        _review_all(store, "q1", reviewer, lambda _e: "incorrect")
    _review_all(store, "q2", "carol", lambda _e: "incorrect")
    result = compare_runs(store, "src", "tgt", n_resamples=200)
    agreement = next(c for c in result.criteria_results
                     if c.name == "sme: judge agreement correctness")
    assert agreement.status == "inconclusive" and "'correctness'" in agreement.evidence
    assert result.verdict in ("INCOMPLETE", "FAIL")


def test_open_safety_flag_fails_the_gate_until_resolved(review_env: ReviewEnv) -> None:
    store = review_env.store
    _, flags = record_review(store, _account(store, "alice"), {
        "queue": "q1", "example_id": "q000", "verdict": "incorrect", "score": 1,
        "flags": ["safety"]})
    result = compare_runs(store, "src", "tgt", n_resamples=200)
    flag = next(c for c in result.criteria_results if c.name == "sme: unresolved safety flags")
    assert flag.status == "fail" and f"#{flags[0].id}" in flag.evidence
    assert result.verdict == "FAIL"
    resolve_flag(store, _account(store, "lee"), flags[0].id, {"resolution": "reviewed"})
    again = compare_runs(store, "src", "tgt", n_resamples=200)
    assert next(c for c in again.criteria_results
                if c.name == "sme: unresolved safety flags").status == "pass"


def test_disagreement_waits_for_a_lead(review_env: ReviewEnv) -> None:
    store = review_env.store
    doubled = next(i for i in store.queue_items(store.get_queue("q1").id)
                   if i.required_reviews == 2)
    for reviewer, verdict in (("alice", "correct"), ("bob", "incorrect")):
        record_review(store, _account(store, reviewer), {
            "queue": "q1", "example_id": doubled.example_id, "verdict": verdict, "score": 3})
    summary = queue_agreement(store, store.get_queue("q1"))
    assert doubled.example_id in summary.disagreements
    record_review(store, _account(store, "lee"), {
        "queue": "q1", "example_id": doubled.example_id, "verdict": "correct", "score": 4,
        "adjudicate": True})
    assert doubled.example_id not in queue_agreement(store, store.get_queue("q1")).disagreements


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_export_one_row_per_verdict(review_env: ReviewEnv, tmp_path: Path, suffix: str) -> None:
    store = review_env.store
    record_review(store, _account(store, "alice"), {
        "queue": "q1", "example_id": "q005", "verdict": "incorrect", "score": 2,
        "flags": ["pii"], "notes": "a, \"quoted\"\nnote"})
    record_review(store, _account(store, "bob"), {
        "queue": "q1", "example_id": "q005", "verdict": "incorrect", "score": 1})
    path = tmp_path / f"reviews{suffix}"
    assert export_reviews(store, "q1", path) == 2
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    elif suffix == ".csv":
        rows = list(csv.DictReader(path.open(newline="")))
    else:
        rows = pq.read_table(path).to_pylist()
    assert [r["reviewer"] for r in rows] == ["alice", "bob"]
    assert rows[0]["answer_hash"] == hashlib.sha256(HOSTILE.encode()).hexdigest()
    assert rows[0]["notes"] == "a, \"quoted\"\nnote" and rows[0]["created_at"]
    with pytest.raises(InvalidArgument):
        export_reviews(store, "q1", tmp_path / "reviews.xlsx")


def test_csv_export_never_starts_a_cell_with_a_formula(review_env: ReviewEnv,
                                                       tmp_path: Path) -> None:
    store = review_env.store
    record_review(store, _account(store, "alice"), {
        "queue": "q1", "example_id": "q005", "verdict": "incorrect", "score": 2,
        "notes": "=HYPERLINK(\"http://x\",\"y\")"})
    export_reviews(store, "q1", tmp_path / "r.csv")
    row = next(csv.DictReader((tmp_path / "r.csv").open(newline="")))
    assert row["notes"] == "'=HYPERLINK(\"http://x\",\"y\")"


def test_reports_show_the_sme_section(review_env: ReviewEnv, tmp_path: Path) -> None:
    from agility.report import render_html, write_markdown

    store = review_env.store
    _review_all(store, "q1", "alice", _truth)
    record_review(store, _account(store, "bob"), {
        "queue": "q1", "example_id": "q005", "verdict": "incorrect", "score": 1,
        "flags": ["safety"]})
    result = compare_runs(store, "src", "tgt", n_resamples=200)
    page = render_html(result)
    assert '<section id="sme"><h2>SME review</h2>' in page
    assert "1 safety" in page and "correctness" in page and "Cohen&#x27;s kappa" in page
    text = write_markdown(result, tmp_path / "r.md").read_text()
    assert "## SME review" in text and "| correctness | target |" in text
    without = compare_runs(store, "src", "tgt", n_resamples=200).model_copy(update={"sme": None})
    assert 'id="sme"' not in render_html(without)


def test_sme_criteria_that_do_not_pass_say_why_and_what_to_do(review_env: ReviewEnv) -> None:
    store = review_env.store
    record_review(store, _account(store, "alice"), {
        "queue": "q1", "example_id": "q000", "verdict": "incorrect", "score": 1,
        "flags": ["safety"]})
    result = compare_runs(store, "src", "tgt", n_resamples=200)
    for c in result.criteria_results:
        if c.name.startswith("sme:") and c.status != "pass":
            assert c.reason and c.advice, c.name
