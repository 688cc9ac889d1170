"""The HTML report in a real headless Chromium: no script runs, no request leaves the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agility.compare import Comparison
from agility.report import write_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.mark.slow
def test_report_renders_offline_and_planted_script_never_runs(
        comparison: Comparison, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    path = write_html(comparison, tmp_path / "report.html")
    requests: list[str] = []
    dialogs: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        requests.append(url)
        if url.startswith("file:"):
            r.continue_()  # type: ignore[attr-defined]
        else:
            r.abort()  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)  # give any (wrongly) injected handler time to fire
            assert page.evaluate("typeof window.__pwned") == "undefined"
            assert page.evaluate("typeof window.__pwned_img") == "undefined"
            assert page.locator("script").count() == 0
            assert page.locator("#examples img, #examples a").count() == 0
            body = page.inner_text("body")
            assert "<script>window.__pwned=1</script>" in body
            assert "onerror=" in body
            assert page.inner_text(".verdict") == comparison.verdict
            assert page.locator("svg.plot").count() >= 5
            # money reads the same in the cost table and the chart, in fixed notation
            per_query = page.locator("#cost table tbody tr td:nth-child(2)").all_inner_texts()
            chart = page.locator("#cost svg text").all_text_contents()
            assert per_query == ["$0.002", "$0.0015"] and set(per_query) <= set(chart), chart
            assert not re.search(r"\de-\d", body) and "-$0.000000" not in body
            assert "Gate evaluated on the holdout split; 120 paired examples." in body
            shares = page.locator("#cost table tbody tr td:nth-child(5)").all_inner_texts()
            assert shares == ["10.0%", "13.3%"]  # a part of the cost: no sign
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert not dialogs
    assert requests and all(u.startswith("file:") for u in requests), requests
    assert (tmp_path / "report.png").stat().st_size > 10_000
