"""Reports written on a full disk: the previous report.html, report.md and migration.json
survive whole (migration.json used to be left truncated)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_pipeline import _small_plan  # the fast plan: replayed source, mock target

from agility.errors import UsageError
from agility.migrate import migrate
from agility.store import Store


def test_a_full_disk_keeps_the_previous_reports_whole(tiny_disk: object,
                                                      tmp_store: Store) -> None:
    folder: Path = tiny_disk.path / "m"  # type: ignore[attr-defined]
    plan = _small_plan(folder)
    first = migrate(plan, store=tmp_store, progress=False)
    reports = [first.report_html, first.report_markdown, first.report_json]
    # an earlier, smaller report: rewriting it in place would need more room than it frees
    for path in reports:
        path.write_text(json.dumps({"verdict": "PASS", "report": path.name}), encoding="utf-8")
    before = {p: p.read_bytes() for p in reports}

    tiny_disk.fill()  # type: ignore[attr-defined]
    with pytest.raises(UsageError) as caught:
        migrate(plan, store=tmp_store, progress=False)
    assert {p: p.read_bytes() for p in reports} == before
    assert "the disk is full" in str(caught.value)
    assert not [p for p in first.report_json.parent.iterdir() if p.name.endswith(".tmp")]
