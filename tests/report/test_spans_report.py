"""The reports' latency-by-call section: a span name is the system's text and is escaped, the
driver of each side's tail is marked, and the section is absent for plain model runs. The HTML
is checked in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from store_builder import add_run

from agility.compare import Comparison, compare_runs
from agility.report import render_html, render_markdown, write_html
from agility.store import ResultRecord, SpanRecord, Store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = '<img src=x onerror="window.__pwned_span=1">'


def _result(i: int, lookup_ms: float) -> dict[str, object]:
    spans = [SpanRecord(name=HOSTILE, kind="tool", start_ms=0.0, duration_ms=lookup_ms, id=1,
                        cost_usd=0.0005),
             SpanRecord(name="answer", kind="llm", start_ms=lookup_ms, duration_ms=100.0 + i,
                        id=2, model="openai/x", cost_usd=0.001)]
    end = lookup_ms + 100.0 + i + 5
    return ResultRecord(example_id=f"e{i}", output="x", latency_ms=end, end_to_end_ms=end,
                        cost_usd=0.0015, spans=spans).model_dump()


@pytest.fixture
def with_spans(tmp_store: Store) -> Comparison:
    # the target's tool call slows from 20 ms to 400 ms: the tail moves from 'answer' to it
    add_run(tmp_store, "src", None, [_result(i, 20.0) for i in range(20)])
    add_run(tmp_store, "tgt", None, [_result(i, 400.0) for i in range(20)])
    return compare_runs(tmp_store, "src", "tgt", n_resamples=200, score_missing=False)


def test_markdown_names_the_call_that_took_the_tail(with_spans: Comparison) -> None:
    text = render_markdown(with_spans)
    assert "Latency by call" in text
    assert not re.search(r"(?<!\\)<img", text)  # always escaped: \<img
    assert "the target moved the tail from 'answer' to '\\<img" in text.replace("\\'", "'")
    # durations 100..119 ms: nearest-rank p50, p95, p99 of 20 are the 10th, 19th and 20th
    assert "| answer (llm) | 109 / 118 / 119 | 109 / 118 / 119 | +0 (+0%) / +0 (+0%) / +0 " \
           "(+0%) | 81.4% / 21.3% | $0.001 / $0.001 |" in text


def test_plain_model_runs_have_no_span_section(tmp_store: Store) -> None:
    rows = [{"example_id": f"e{i}", "output": "x", "latency_ms": 100.0 + i} for i in range(5)]
    add_run(tmp_store, "a", None, rows)
    add_run(tmp_store, "b", None, rows)
    plain = compare_runs(tmp_store, "a", "b", n_resamples=100, score_missing=False)
    assert 'id="spans"' not in render_html(plain)
    assert "Latency by call" not in render_markdown(plain)


@pytest.mark.slow
def test_span_section_in_chromium(with_spans: Comparison, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    path = write_html(with_spans, tmp_path / "report.html")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                       else r.abort())
            page.goto(path.as_uri(), wait_until="load")
            assert page.evaluate("typeof window.__pwned_span") == "undefined"
            assert page.locator("#spans img").count() == 0
            rows = page.locator("#spans table tbody tr").all_inner_texts()
            assert len(rows) == 6  # two spans x (source, target, difference)
            tool_target = next(r for r in rows if r.startswith(HOSTILE) and "\ttarget" in r)
            assert "drives the tail" in tool_target
            assert "400 / 400 / 400" in tool_target
            answer_source = next(r for r in rows if r.startswith("answer\tllm\tsource"))
            assert "drives the tail" in answer_source
            section = page.inner_text("#spans")
            assert f"the target moved the tail from 'answer' to '{HOSTILE}'" in section
        finally:
            browser.close()
