"""A plan's `review:` section: migrate draws the SME queue, the gate and the CLI show it."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pipeline import _small_plan
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import ConfigError
from agility.migrate import migrate, parse_plan
from agility.store import Store

_register()


def test_migrate_draws_the_review_queue_once(tmp_path: Path, tmp_store: Store) -> None:
    plan = _small_plan(tmp_path / "m", rows=12)
    result = migrate(plan, store=tmp_store, progress=False)
    assert result.review_queue == "finance-rag-port.ported"
    queue = tmp_store.get_queue("finance-rag-port.ported")
    assert queue is not None and result.steps["review"].endswith("drawn")
    items = tmp_store.queue_items(queue.id)
    assert items and result.comparison.sme is not None
    assert result.comparison.sme.items == len(items)
    names = {c.name for c in result.comparison.criteria_results}
    assert {"sme: review coverage", "sme: unresolved safety flags"} <= names
    again = migrate(plan, store=tmp_store, progress=False)
    assert again.steps["review"].endswith("(kept)")
    assert [i.example_id for i in tmp_store.queue_items(queue.id)] == [i.example_id
                                                                       for i in items]


def test_cli_prints_how_to_open_the_queue(tmp_path: Path) -> None:
    plan = _small_plan(tmp_path / "m", rows=6)
    db = tmp_path / "s.db"
    result = CliRunner().invoke(app, ["migrate", str(plan), "--no-progress", "--store", str(db)])
    assert result.exit_code in (0, 1), result.output
    assert "agility review user add YOUR_NAME --role lead --store" in result.output
    assert f"agility review serve --store {db}" in result.output


def test_review_section_is_validated_with_its_line(tmp_path: Path) -> None:
    text = (Path(_small_plan(tmp_path / "m")).read_text()
            .replace("overlap: 0.2", "overlap: 2"))
    with pytest.raises(ConfigError, match=r"plan.yaml:\d+: review.overlap"):
        parse_plan(text, "plan.yaml", base=tmp_path / "m")
