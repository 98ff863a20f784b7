"""The review page in a real browser (Playwright driving Debian's Chromium) on a phone-sized
screen: a reel made on a dev server waits for review, a person approves it on the page, and
it is published."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.api.stack import Api
from tests.api.test_api import _job, _until, done_with

pytestmark = pytest.mark.integration
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        message = "Debian's chromium is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


async def _shown_after_reloads(page: Page, card: Locator, job_id: str) -> None:
    """The page lists reels from Temporal's visibility store, which learns of a new reel a
    moment after it starts: like a person (or the page's own timer), reload until it shows."""
    for _ in range(20):
        try:
            await card.wait_for(timeout=1_500)
            return
        except PlaywrightTimeout:
            await page.reload()
    raise AssertionError(f"no card for {job_id} on the page at {page.url}:\n"
                         f"{await page.inner_text('body')}")


async def _signed_in_on_a_phone(browser: Browser, api: Api, token: str) -> Page:
    page = await browser.new_page(viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    await page.goto(api.url + "/")
    await page.fill("input[name=token]", token)
    await page.click("text=Sign in")
    return page


async def test_a_person_approves_a_reel_on_the_page_and_it_is_published(api: Api, chromium,
                                                                        tmp_path: Path):
    job_id = await _job(api)
    await _until(api, job_id, "awaiting-review")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = await _signed_in_on_a_phone(browser, api, api.operator)
            card = page.locator(f'[data-reel="{job_id}"]')
            await _shown_after_reloads(page, card, job_id)
            assert "Why cats purr" in await card.locator("h2").inner_text()
            assert "Cats purr at twenty five" in await card.inner_text()  # the captions
            # The player loads the reel through the API (cookie auth, range requests).
            await page.wait_for_function(
                "document.querySelector('video').readyState >= 1", timeout=30_000)
            duration = await card.locator("video").evaluate("v => v.duration")
            assert duration == pytest.approx(2.0, abs=0.2)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390  # nothing wider than the phone's screen
            await page.screenshot(path=str(tmp_path / "review-page.png"), full_page=True)
            await card.locator("button.approve").click()
            await card.locator(".result").filter(has_text="approved").wait_for(timeout=30_000)
        finally:
            await browser.close()
    done = await _until(api, job_id, "published")
    published = Path(done["urls"][0].removeprefix("file://"))
    assert published.is_file() and published.parent == api.settings.out_dir / "agency"
    if os.environ.get("MONOLATHE_SCREENSHOTS"):
        shutil.copy(tmp_path / "review-page.png", os.environ["MONOLATHE_SCREENSHOTS"])


async def test_the_page_reloads_itself_unless_a_person_is_typing(api: Api, chromium):
    job_id = await _job(api)
    await _until(api, job_id, "awaiting-review")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = await browser.new_page()
            await page.clock.install()
            await page.goto(api.url + "/")
            await page.fill("input[name=token]", api.operator)
            await page.click("text=Sign in")
            card = page.locator(f'[data-reel="{job_id}"]')
            await _shown_after_reloads(page, card, job_id)
            await page.wait_for_load_state("load")
            await page.evaluate("window.seen = 1")  # gone when the page is loaded again
            async with page.expect_event("load"):
                await page.clock.run_for(31_000)
            assert await page.evaluate("window.seen") is None
            await page.evaluate("window.seen = 1")
            await card.locator("summary", has_text="Revise").click()
            await card.locator(".revise-text").fill("hook: Listen closely.")
            await page.clock.run_for(95_000)
            await page.wait_for_timeout(1_500)  # a reload it started would be over by now
            assert await page.evaluate("window.seen") == 1  # the notes are still there
        finally:
            await browser.close()
    await done_with(api, job_id)


def _seed_audience(api: Api) -> None:
    """Three YouTube reels of the `open` channel, fetched 4 days, 2 days and 1 hour ago."""
    from datetime import UTC, datetime, timedelta

    from activities.ledger import Ledger
    from activities.performance import ReelMetrics
    from activities.performance.store import record
    from tests.fakes.ledger_rows import published_reel

    ledger = Ledger(api.settings.ledger_url)
    now = datetime.now(UTC)
    at = now - timedelta(days=5)
    reels = [published_reel(ledger, "open", 80 + n, at, external_id=f"o{n}",
                            title=f"Fact {n}", total_usd=0.06) for n in (1, 2, 3)]
    for ago, per in ((timedelta(days=4), 100), (timedelta(days=2), 400), (timedelta(hours=1),
                                                                          1000)):
        record(ledger, "open", "youtube", reels,
               [ReelMetrics(r.reel_id, r.external_id, views=per * n,
                            avg_view_percentage=50.0 + 5 * n)
                for n, r in enumerate(reels, start=1)], now - ago)


async def test_the_channel_panel_shows_the_platforms_figures_and_a_views_chart(
        api: Api, chromium, tmp_path: Path):
    _seed_audience(api)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = await _signed_in_on_a_phone(browser, api, api.viewer)
            panel = page.locator('[data-audience="open"]')
            try:
                await panel.wait_for(timeout=30_000)
            except PlaywrightTimeout:
                raise AssertionError(f"no audience panel at {page.url}:\n"
                                     f"{await page.content()}") from None
            # 6,000 views, none before the week; retention (55+60+65)/3; $0.18 over 6,000 views
            # the sign-in form posts the token to /login only, never into the address
            assert "token" not in page.url, page.url
            assert "views 6,000 · 7 d 6,000 · retention 60% · $/1k views $0.03" in \
                await panel.inner_text()
            bars = panel.locator("svg rect")
            assert await bars.count() == 14
            titles = await panel.locator("svg rect title").all_text_contents()
            views = sorted(int(t.split(": ")[1].split()[0].replace(",", "")) for t in titles)
            # what each fetch added, on its own day, whatever the hour the test runs
            assert [v for v in views if v] == [600, 1800, 3600]
            def bar(views: str) -> Locator:
                return bars.nth(next(n for n, t in enumerate(titles) if f": {views} " in t))

            tallest, lowest = await bar("3,600").bounding_box(), await bar("600").bounding_box()
            assert tallest and lowest and tallest["height"] > 5 * lowest["height"] > 0
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390
            await page.screenshot(path=str(tmp_path / "audience-panel.png"), full_page=True)
        finally:
            await browser.close()
