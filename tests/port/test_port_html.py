"""The port report in a real headless Chromium: an optimiser's hostile prompt is shown, never run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from port_fixtures import shape_responder

from agility.port import PortOptions, port
from agility.store import Store
from agility.testing import FakeOpenAIServer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned_img=1">'
           '{{ context }} {{ question }} Answer:')


def _hostile_optimizer(body: dict[str, Any]) -> str:
    return json.dumps({"system": None, "user": HOSTILE})


@pytest.mark.slow
def test_the_port_report_renders_offline_and_a_planted_script_never_runs(
        golden: Path, legacy: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with FakeOpenAIServer(responder=_hostile_optimizer) as optimizer, \
            FakeOpenAIServer(responder=shape_responder) as target, \
            Store(tmp_path / "s.db") as store:
        result = port(PortOptions(
            dataset=golden, prompt=legacy, target="openai/t", name="h",
            target_options={"base_url": target.base_url}, config={"max_tokens": 32},
            generators=["optimizer"], optimizer="openai/opt",
            optimizer_options={"base_url": optimizer.base_url}, optimizer_rounds=1,
            minibatch=6), store=store, report_html=tmp_path / "port.html")
    assert result.report.chosen_label == "optimizer-rewrite-1"
    path = result.report_html
    assert path is not None
    requests: list[str] = []

    def route(r: Any) -> None:
        requests.append(r.request.url)
        r.continue_() if r.request.url.startswith("file:") else r.abort()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            assert page.evaluate("typeof window.__pwned") == "undefined"
            assert page.evaluate("typeof window.__pwned_img") == "undefined"
            assert page.locator("script").count() == 0 and page.locator("img").count() == 0
            body = page.inner_text("body")
            assert "<script>window.__pwned=1</script>" in body  # shown as text
            assert page.inner_text("#gain").count("+1.000") == 2  # dev and holdout
            rows = page.locator("#results tbody tr").all_inner_texts()
            assert len(rows) == 2 and "0.000" in rows[0] and "1.000" in rows[1]
            # source, the rewrite, and the reflection (the same prompt again: not scored twice)
            candidates = page.locator("#candidates table").first.locator("tbody tr")
            assert candidates.count() == 3
            assert "the same prompt and settings as optimizer-rewrite-1" in candidates.nth(2) \
                .inner_text()
            assert "calls" in page.inner_text("#budget")
            # the source's constraint is listed; the hostile rewrite dropped it and it was
            # put back, so every candidate states it
            assert "Never give investment advice." in page.inner_text("#constraints")
            assert "1 of 1" in candidates.nth(1).inner_text()
            assert "constraint(s) of the source put back" in candidates.nth(1).inner_text()
            # this golden set tags no row safety: said, not shown as passed
            assert "not measured" in page.inner_text("#safety-decision")
        finally:
            browser.close()
    assert requests == [path.as_uri()]
    csp = 'content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:"'
    assert csp in path.read_text()
