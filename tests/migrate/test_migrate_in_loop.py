"""``migrate()`` with a judge metric, called from inside a running event loop (a notebook or
a web handler): the runs and the judge's scoring each get a loop of their own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_lineage_versions import _judge, judged_plan

from agility.migrate import migrate
from agility.store import Store
from agility.testing import FakeOpenAIServer


async def test_migrate_with_a_judge_metric_works_inside_a_running_loop(
        tmp_path: Path, tmp_store: Store) -> None:
    asyncio.get_running_loop()  # this test body runs on the event loop
    with FakeOpenAIServer(responder=_judge) as server:
        plan = judged_plan(tmp_path / "m", server.base_url, rows=3)
        events: list[tuple[str, int, int]] = []
        result = migrate(plan, store=tmp_store, progress=False,
                         on_score_progress=lambda m, d, t: events.append((m, d, t)))
        judged = len(server.requests)
    target = tmp_store.require_run(result.target_run)
    scores = tmp_store.scores(target.id, "llm_correctness")
    assert len(scores) == 3 and all(s.error is None and s.score == 1.0 for s in scores)
    assert judged == 6  # both sides' three answers, one judgment each
    assert result.headline["quality"]["llm_correctness"]["target"] == 1.0
    assert ("llm_correctness", 3, 3) in events
