"""The review app in a real headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs the web extra (starlette, uvicorn)")

from review_builder import HOSTILE, ReviewEnv

from agility.review import item_summaries
from agility.review.web import create_app
from agility.testing import UvicornServer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


@pytest.fixture()
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def server(review_env: ReviewEnv) -> Iterator[UvicornServer]:
    with UvicornServer(create_app(review_env.store)) as running:
        yield running


def _page(browser, server: UvicornServer, *, width: int = 1280):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    # nothing may leave the machine: any request to another origin is aborted and recorded
    page.foreign = []

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith(server.url):
            r.continue_()
        else:
            page.foreign.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return page


def _login_with_keyboard(page, server: UvicornServer, name: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login")
    # the name field has autofocus; typing before the browser has applied it went nowhere (a
    # loaded full-suite run stayed on /login), so the focus is awaited, and thereby checked
    page.wait_for_function("document.activeElement && document.activeElement.id === 'name'",
                           timeout=10_000)
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(secret)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/")


def test_reviewer_reviews_a_queue_with_the_keyboard_only(
        browser, server: UvicornServer, review_env: ReviewEnv) -> None:  # type: ignore[no-untyped-def]
    store = review_env.store
    page = _page(browser, server)
    _login_with_keyboard(page, server, "alice", review_env.secrets["alice"])
    assert "q1" in page.inner_text("table")
    page.goto(f"{server.url}/queues/q1/start")
    queue = store.get_queue("q1")
    account = store.get_account("alice")
    todo = len(item_summaries(store, queue, account, "pending"))
    assert todo > 5
    seen = []
    for _ in range(todo):
        page.wait_for_selector("#review-form")
        example_id = page.url.rsplit("/", 1)[-1].split("?")[0]
        seen.append(example_id)
        assert page.inner_text("#progress").strip() == ""  # a <progress> element, not text
        failing = int(example_id[1:]) % 5 == 0
        page.keyboard.press("i" if failing else "c")
        page.keyboard.press("2" if failing else "5")
        if failing:
            page.keyboard.press("h")
        page.keyboard.press("n")
        page.keyboard.type("checked by keyboard")
        page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    assert "Nothing left for you" in page.inner_text("main")
    reviews = [r for r in store.queue_reviews(queue.id) if r.reviewer == "alice"]
    assert sorted(r.example_id for r in reviews) == sorted(seen)
    for r in reviews:
        failing = int(r.example_id[1:]) % 5 == 0
        assert r.verdict == ("incorrect" if failing else "correct")
        assert r.score == (2 if failing else 5)
        assert r.flags == (["hallucination"] if failing else [])
        assert r.comment == "checked by keyboard"
    # j / k walk the items without a mouse
    page.goto(f"{server.url}/queues/q1/items/{seen[0]}")
    first_next = page.get_attribute("#next-link", "href")
    with page.expect_navigation():
        page.keyboard.press("j")
    assert page.url.endswith(first_next)
    with page.expect_navigation():
        page.keyboard.press("k")
    assert page.url.endswith(seen[0]) or seen[0] in page.url
    assert page.dialogs == [] and page.foreign == []


def test_planted_script_in_an_answer_never_runs(
        browser, server: UvicornServer, review_env: ReviewEnv) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, server)
    _login_with_keyboard(page, server, "lee", review_env.secrets["lee"])
    for example_id, selector in (("q005", "#target-answer"), ("q007", "pre.context")):
        page.goto(f"{server.url}/queues/q1/items/{example_id}")
        assert page.text_content(selector).strip() == HOSTILE  # shown as text, not as markup
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("typeof window.__pwned_img") == "undefined"
        assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    assert "<b>bold</b>" in page.inner_text("ul.auto")  # a judge's reason is text too
    assert page.dialogs == [] and page.foreign == []


def test_form_without_csrf_token_is_refused(
        browser, server: UvicornServer, review_env: ReviewEnv) -> None:  # type: ignore[no-untyped-def]
    store = review_env.store
    page = _page(browser, server)
    _login_with_keyboard(page, server, "alice", review_env.secrets["alice"])
    page.goto(f"{server.url}/queues/q1/items/q000")
    page.check("#verdict-correct")
    page.check("#score-3")
    page.evaluate("document.querySelector('#review-form input[name=csrf_token]').remove()")
    with page.expect_navigation() as nav:
        page.click("#submit")
    assert nav.value.status == 403
    assert "CSRF" in page.inner_text("main")
    assert [r for r in store.queue_reviews(store.get_queue("q1").id)] == []


def test_another_reviewers_queue_is_not_reachable(
        browser, server: UvicornServer, review_env: ReviewEnv) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, server)
    _login_with_keyboard(page, server, "carol", review_env.secrets["carol"])
    assert "q1" not in page.inner_text("main") and "q2" in page.inner_text("main")
    for path in ("/queues/q1", "/queues/q1/items/q000", "/queues/q1/start"):
        response = page.goto(server.url + path)
        assert response.status == 403, path
        assert "Revenue" not in page.inner_text("main")
    api = page.request.get(server.url + "/api/queues/q1/items")
    assert api.status == 403


def test_review_page_works_on_a_narrow_screen(
        browser, server: UvicornServer, review_env: ReviewEnv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, server, width=390)
    _login_with_keyboard(page, server, "alice", review_env.secrets["alice"])
    page.goto(f"{server.url}/queues/q1/items/q005")
    source = page.locator("section.side").nth(0).bounding_box()
    target = page.locator("section.side").nth(1).bounding_box()
    assert target["y"] >= source["y"] + source["height"]  # stacked, not squeezed side by side
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "narrow.png"), full_page=True)
