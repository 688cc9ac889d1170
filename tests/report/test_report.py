"""The HTML and Markdown reports: content, escaping of untrusted text, offline and script-free."""

from __future__ import annotations

import re
from pathlib import Path

from agility.compare import Comparison
from agility.report import CSP, render_html, render_markdown, write_html, write_markdown
from tests.report.conftest import HOSTILE


def test_html_puts_the_verdict_first_then_quality_speed_cost_and_examples(
        comparison: Comparison) -> None:
    page = render_html(comparison)
    order = [page.index(f'id="{s}"') for s in ("verdict", "quality", "speed", "cost", "examples")]
    assert order == sorted(order)
    assert f'class="verdict {comparison.verdict}"' in page
    assert page.count("<svg") >= 5  # scores, strata, TTFT, total latency, cost
    assert "q003" in page and "$3 million" in page


def test_html_escapes_model_and_dataset_text(comparison: Comparison) -> None:
    page = render_html(comparison)
    assert HOSTILE not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "<i>numeric</i>" not in page and "&lt;i&gt;numeric&lt;/i&gt;" in page
    assert not re.search(r"<script|<img|<a ", page, re.IGNORECASE)


def test_html_is_self_contained_with_a_strict_csp(comparison: Comparison, tmp_path: Path) -> None:
    path = write_html(comparison, tmp_path / "sub" / "report.html")
    page = path.read_text()
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_markdown_summary_has_verdict_figures_and_no_raw_model_text(
        comparison: Comparison, tmp_path: Path) -> None:
    text = write_markdown(comparison, tmp_path / "summary.md").read_text()
    assert text.startswith(f"## agility compare: **{comparison.verdict}**")
    assert "| correctness |" in text and "| TTFT p50 |" in text
    assert "per month (1,000,000 queries) | $2,000.00 | $1,500.00 |" in text
    assert "window.__pwned" not in text and "<i>" not in text
    assert render_markdown(comparison) == text


def test_markdown_shows_hostile_run_names_literally(comparison: Comparison) -> None:
    hostile = comparison.model_copy(update={"source_run": "<img src=x onerror=alert(1)>`x"})
    text = render_markdown(hostile)
    assert "`<img src=x onerror=alert(1)>'x`" in text  # inside a code span: shown as text
    assert "<img" not in text.replace("`<img src=x onerror=alert(1)>'x`", "")
