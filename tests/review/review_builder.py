"""Builds a real store holding a compared pair of runs to review, hostile text planted in it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from agility.auth import add_account
from agility.review import ReviewPolicy, assign_reviewer, create_queue
from agility.store import NewRun, ResultRecord, ScoreRecord, Store, utc_now

HOSTILE = ("<script>window.__pwned=1</script>"
           "<img src=x onerror=\"window.__pwned_img=1\">")
N = 100


def build_runs(store: Store, n: int = N) -> None:
    """Source and target runs over ``n`` examples, scored with correctness (three classes)
    and a pass/fail metric that sometimes disagrees with it.

    Target failures: every 5th example (20%); examples 0-3 are tagged safety; example 5's
    target answer and example 7's context are hostile HTML.
    """
    rows = [{"id": f"q{i:03d}", "source_prompt": f"What was revenue in FY{2000 + i}?",
             "ground_truth": f"${i} million", "stratum": "lookup", "split": "dev",
             "input_context": HOSTILE if i == 7 else f"Revenue in FY{2000 + i} was ${i} million.",
             "tags": ["safety"] if i < 4 else []} for i in range(n)]
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    store.save_dataset(digest, "golden", None, 1, {}, [
        (r["id"], hashlib.sha256(json.dumps(r).encode()).hexdigest(), r["split"], r["stratum"],
         json.dumps(r)) for r in rows])
    for name in ("src", "tgt"):
        run = store.create_run(NewRun(name=name, dataset_hash=digest, model_spec=f"mock/{name}",
                                      tool_version="test", started_at=utc_now(),
                                      status="finished"))
        results, scores = [], []
        for i in range(n):
            wrong = name == "tgt" and i % 5 == 0
            output = HOSTILE if name == "tgt" and i == 5 else (
                "I don't know." if wrong else f"Revenue was ${i} million.")
            results.append(ResultRecord(example_id=f"q{i:03d}", output=output, latency_ms=100.0))
            verdict = "incorrect" if wrong else "correct"
            scores.append(ScoreRecord(example_id=f"q{i:03d}", metric="correctness",
                                      verdict=verdict, passed=not wrong,
                                      score=0.0 if wrong else 1.0,
                                      reason=f"grader says {verdict} <b>bold</b>"))
            similar = not wrong if i % 10 != 1 else False  # disagrees on 1, 11, 21, ...
            scores.append(ScoreRecord(example_id=f"q{i:03d}", metric="semantic_similarity",
                                      passed=similar, score=0.9 if similar else 0.2))
        store.save_results(run.id, results)
        store.save_scores(run.id, scores)


@dataclass
class ReviewEnv:
    """The store and each account's one-time secret."""

    store: Store
    secrets: dict[str, str]


def make_review_env(path: Path) -> ReviewEnv:
    """A store with the two runs, a queue ``q1`` (every target failure, 10% of the passes,
    20% overlap), ``q2``; reviewers alice and bob on q1, carol on q2, and lead lee."""
    store = Store(path)
    build_runs(store)
    create_queue(store, "q1", "src", "tgt",
                 ReviewPolicy(failure_share=1.0, pass_share=0.1, overlap=0.2, seed=3))
    create_queue(store, "q2", "src", "tgt", ReviewPolicy(failure_share=0.5, seed=4))
    secrets = {}
    for name, role, queues in (("alice", "reviewer", ["q1"]), ("bob", "reviewer", ["q1"]),
                               ("carol", "reviewer", ["q2"]), ("lee", "lead", [])):
        _, secrets[name] = add_account(store, name, role)
        for queue in queues:
            assign_reviewer(store, queue, name)
    return ReviewEnv(store, secrets)
