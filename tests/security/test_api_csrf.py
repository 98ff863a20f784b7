"""A page on another site cannot make the operator's browser act on the API (CSRF).

The review page signs in with a cookie, and a browser sends it with any request to the API,
whichever page made it: a `<form method=post action=http://127.0.0.1:8400/channels/demo/kill>`
on any site is a simple request (no preflight) that carries it, and SameSite=Strict does not
help when the other page is also on 127.0.0.1. Browsers say where such a request comes from
(Origin, or at least Referer); the API obeys a cookie only from its own origin. A bearer
header cannot be set cross-site without a preflight the API never grants, so it passes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
import websockets
from playwright.async_api import async_playwright
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send
from temporalio.testing import WorkflowEnvironment

from tests.api.stack import start_serving
from tests.api.test_review_page import ARGS, CHROMIUM
from tests.security.api_server import EVIL, Served, serving

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module")
async def api(dev_env: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[Served]:
    async with serving(dev_env, tmp_path_factory.mktemp("csrf")) as served:
        yield served


async def _cookie(api: Served) -> str:
    """Sign in as the review page does (its own origin) and return the cookie it set."""
    async with api.client(Origin=api.url) as http:
        signed_in = await http.post("/login", json={"token": api.operator})
    assert signed_in.status_code == 200, signed_in.text
    return signed_in.cookies["monolathe_token"]


async def _post_with_cookie(api: Served, path: str, **headers: str) -> tuple[int, str]:
    cookie = await _cookie(api)
    async with api.client(Cookie=f"monolathe_token={cookie}", **headers) as http:
        r = await http.post(path)
    return r.status_code, r.json().get("error", "")


async def test_a_cookie_post_from_another_site_is_refused(api: Served):
    before = await api.signals()
    kill = f"/channels/{api.channel}/kill"
    status, error = await _post_with_cookie(api, kill, Origin=EVIL)
    assert status == 403 and "cross-site" in error and "rebind.evil.example" in error
    assert (await _post_with_cookie(api, kill, Origin="null"))[0] == 403  # a sandboxed frame
    status, _ = await _post_with_cookie(api, kill, Referer=f"{EVIL}/page.html")
    assert status == 403
    assert await api.signals() == before  # nothing reached the channel


async def test_a_cookie_post_that_does_not_say_where_it_comes_from_is_refused(api: Served):
    before = await api.signals()
    status, error = await _post_with_cookie(api, f"/jobs/reel/{api.channel}/2026-01-01/1/approve")
    assert status == 403 and "Origin" in error and "Bearer" in error
    assert await api.signals() == before


async def test_a_cookie_post_from_the_api_s_own_page_is_obeyed(api: Served):
    before = await api.signals()
    pause = f"/channels/{api.channel}/pause"
    assert (await _post_with_cookie(api, pause, Origin=api.url))[0] == 200
    assert (await _post_with_cookie(api, pause, Referer=f"{api.url}/"))[0] == 200
    assert await api.signals() == [*before, "pause", "pause"]


async def test_a_bearer_post_needs_no_origin(api: Served):
    before = await api.signals()
    async with api.client(api.operator) as http:
        assert (await http.post(f"/channels/{api.channel}/resume")).status_code == 200
    assert await api.signals() == [*before, "resume"]


async def test_with_auth_off_a_browser_post_from_another_site_is_refused(
        dev_env: WorkflowEnvironment, tmp_path: Path):
    async with serving(dev_env, tmp_path, auth=False) as served:
        async with served.client(Origin=EVIL) as http:
            refused = await http.post(f"/channels/{served.channel}/kill")
        assert refused.status_code == 403 and "cross-site" in refused.json()["error"]
        async with served.client() as http:  # curl, the CLI: no browser, no Origin
            assert (await http.post(f"/channels/{served.channel}/pause")).status_code == 200
        assert await served.signals() == ["pause"]


async def test_a_cross_site_websocket_with_the_cookie_is_refused(api: Served):
    """Cross-site WebSocket hijacking: the stream would read a job to another site."""
    cookie = await _cookie(api)
    url = api.url.replace("http", "ws", 1) + f"/ws/jobs/reel/{api.channel}/2026-01-01/1"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(url, origin=EVIL,
                                      additional_headers={"Cookie": f"monolathe_token={cookie}"}):
            pass
    assert refused.value.response.status_code == 403
    async with websockets.connect(url, origin=api.url,
                                  additional_headers={"Cookie": f"monolathe_token={cookie}"}
                                  ) as socket:
        assert "error" in await socket.recv()  # its own page: served (no such job here)


async def test_the_cookie_is_secure_when_served_over_tls(dev_env: WorkflowEnvironment,
                                                         tmp_path: Path):
    async with serving(dev_env, tmp_path, tls=True) as served:
        async with served.client(Origin=served.url) as http:
            signed_in = await http.post("/login", json={"token": served.operator})
        assert signed_in.status_code == 200
        cookie = signed_in.headers["set-cookie"].lower()
        assert "; secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        async with served.client(Cookie=f"monolathe_token={served.operator}",
                                 Origin=served.url) as http:  # https://, its own origin
            assert (await http.post(f"/channels/{served.channel}/pause")).status_code == 200
        async with served.client(Cookie=f"monolathe_token={served.operator}",
                                 Origin=served.url.replace("https", "http")) as http:
            assert (await http.post(f"/channels/{served.channel}/pause")).status_code == 403


async def test_behind_a_local_tls_proxy_the_cookie_is_secure(api: Served):
    """A TLS proxy on this host says so with X-Forwarded-Proto (uvicorn trusts 127.0.0.1)."""
    async with api.client(**{"X-Forwarded-Proto": "https",
                             "Origin": api.url.replace("http", "https", 1)}) as http:
        signed_in = await http.post("/login", json={"token": api.operator})
    assert signed_in.status_code == 200
    assert "; secure" in signed_in.headers["set-cookie"].lower()
    async with api.client(Origin=api.url) as http:
        plain = await http.post("/login", json={"token": api.operator})
    assert "secure" not in plain.headers["set-cookie"].lower()


async def test_a_page_on_another_port_cannot_kill_a_channel_through_the_browser(
        api: Served, tmp_path: Path):
    """The attack itself, in Debian's Chromium: sign in on the review page, then visit a page
    on 127.0.0.1 at another port (same site, so the SameSite=Strict cookie goes along) whose
    form posts to the kill route as soon as it loads."""
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    kill = f"{api.url}/channels/{api.channel}/kill"

    async def attacker(scope: Scope, receive: Receive, send: Send) -> None:
        await HTMLResponse(f'<form method=post action="{kill}"></form>'
                           "<script>document.forms[0].submit()</script>")(scope, receive, send)

    server = uvicorn.Server(uvicorn.Config(attacker, host="127.0.0.1", port=0,
                                           log_level="warning"))
    serving_task, evil_url = await start_serving(server)
    before = await api.signals()
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page()
                await page.goto(api.url + "/")
                await page.fill("input[name=token]", api.operator)
                await page.click("text=Sign in")
                await page.wait_for_selector("text=Channels", timeout=30_000)
                async with page.expect_navigation(url=kill):
                    await page.goto(evil_url + "/")
                shown = await page.inner_text("body")
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await serving_task
    assert "cross-site request refused" in shown
    assert await api.signals() == before
