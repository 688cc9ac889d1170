"""The rollout's page and the migration report's rollout section: verdict, stages passed,
triggers fired; people's words escaped."""

from __future__ import annotations

import re
from pathlib import Path

from agility.canary import (
    RolloutSpec,
    promote,
    render_rollout_html,
    rollback,
    rollout_section_markdown,
    rollout_status,
    start_rollout,
    write_rollout_report,
)
from agility.migrate import copy_example, load_plan, migrate
from agility.store import Store

SCRIPT = "<script>alert(1)</script>"


def _mock_plan(folder: Path) -> Path:
    plan = copy_example(folder, rows=3)
    text = plan.read_text(encoding="utf-8")
    text = re.sub(r"retriever:.*?\n\n", "", text, flags=re.DOTALL)
    text = re.sub(r"\n  system: .*", "", text)  # plain model calls (the app runs as a system)
    text = text.replace("llamacpp/gemma3-270m", "mock/echo")
    text = re.sub(r"provider_options: \{[^}]*\}", "provider_options: {}", text)
    text = text.replace("metrics: [correctness, answered, semantic_similarity]",
                        "metrics: [correctness, answered]")
    plan.write_text(text, encoding="utf-8")
    return plan


def test_the_migration_report_links_the_rollout(tmp_path: Path, tmp_store: Store) -> None:
    path = _mock_plan(tmp_path / "app")
    first = migrate(path, store=tmp_store, progress=False)
    markdown = first.report_markdown.read_text()
    assert "## Rollout" in markdown and "Not started" in markdown
    assert 'href="rollout.html"' in first.report_html.read_text()

    plan = load_plan(path)
    start_rollout(tmp_store, plan, actor="ops", allow_unapproved=True)
    promote(tmp_store, plan, actor="lead", force=True)
    rollback(tmp_store, plan, actor="agility-canary (automatic)", reason=SCRIPT, evidence={
        "triggers": [{"trigger": "error_rate_increase", "threshold": 0.01, "increase": 0.2}]})
    again = migrate(path, store=tmp_store, progress=False)  # resumes: only the report changes
    html = again.report_html.read_text()
    section = html[html.index('<section id="rollout">'):]
    assert "rolled back" in section and "stages passed: 1 of 2" in section
    assert "triggers fired: error_rate_increase" in section
    markdown = again.report_markdown.read_text()
    assert "**rolled back**; stages passed: 1 of 2; rollbacks: 1; triggers fired: " \
           "error_rate_increase" in markdown


def test_the_rollout_page_escapes_what_people_typed(tmp_path: Path, tmp_store: Store) -> None:
    plan = load_plan(_mock_plan(tmp_path / "app"))
    start_rollout(tmp_store, plan, actor=SCRIPT, allow_unapproved=True)
    rollback(tmp_store, plan, actor="oncall", reason=SCRIPT)
    status = rollout_status(tmp_store, plan.name, plan.rollout or RolloutSpec())
    assert status is not None
    html, md = write_rollout_report(status, tmp_path / "out")
    page = html.read_text()
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert "default-src 'none'" in page and page == render_rollout_html(status)
    assert "no trigger (a person's decision)" in md.read_text()
    assert rollout_section_markdown(None).startswith("## Rollout\n\nNot started")
