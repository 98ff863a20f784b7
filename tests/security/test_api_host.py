"""The API answers only the names it is served under, auth or not (DNS rebinding).

A web page at rebind.evil.example can point its own name at 127.0.0.1 after it loaded: the
browser then sends its requests, and their answers, to the API as if same-origin. Those
requests carry `Host: rebind.evil.example`, which is not one of the API's names.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.config import ConfigError, load_settings
from tests.backups.stack import free_port
from tests.security.api_server import Served, serving, write_install

pytestmark = pytest.mark.integration
REBOUND = "rebind.evil.example"


@pytest_asyncio.fixture(scope="module")
async def open_api(dev_env: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[Served]:
    """Auth off, as `monolathe api --no-auth` on loopback."""
    async with serving(dev_env, tmp_path_factory.mktemp("host"), auth=False) as served:
        yield served


async def test_a_rebound_name_gets_400_and_reaches_no_route(open_api: Served):
    async with open_api.client(Host=REBOUND) as http:
        assert (await http.get("/presets")).status_code == 400
        assert (await http.get("/")).status_code == 400
        kill = await http.post(f"/channels/{open_api.channel}/kill")
    assert kill.status_code == 400
    assert await open_api.signals() == []  # the kill never reached Temporal


async def test_the_host_check_holds_with_a_token_too(dev_env: WorkflowEnvironment,
                                                      tmp_path: Path):
    async with serving(dev_env, tmp_path) as served:
        async with served.client(served.operator, Host=f"{REBOUND}:{served.port}") as http:
            assert (await http.post(f"/channels/{served.channel}/pause")).status_code == 400
        assert await served.signals() == []


async def test_the_loopback_names_are_answered(open_api: Served):
    for name in ("127.0.0.1", "localhost", "[::1]", "LOCALHOST"):
        async with open_api.client(Host=f"{name}:{open_api.port}") as http:
            assert (await http.get("/presets")).status_code == 200, name
    async with open_api.client() as http:
        sent = await http.post(f"/channels/{open_api.channel}/pause")
    assert sent.status_code == 200 and await open_api.signals() == ["pause"]


async def test_api_allowed_hosts_adds_names_and_nothing_else(dev_env: WorkflowEnvironment,
                                                             tmp_path: Path):
    api = "api: {allowed_hosts: [reels.example.com, '*.lan.example']}\n"
    async with serving(dev_env, tmp_path, auth=False, api_yaml=api) as served:
        for name, status in (("reels.example.com", 200), ("box.lan.example", 200),
                             ("REELS.example.com:443", 200), ("example.com", 400),
                             ("reels.example.com.evil.example", 400), (REBOUND, 400)):
            async with served.client(Host=name) as http:
                assert (await http.get("/presets")).status_code == status, name


@pytest.mark.parametrize("bad", ["http://reels.example.com", "reels.example.com:8400",
                                 "*", "reels.example.com/review", "a b"])
def test_api_allowed_hosts_refuses_what_is_not_a_host_name(tmp_path: Path, bad: str):
    (tmp_path / "temporal.yaml").write_text(f"api: {{allowed_hosts: ['{bad}']}}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "temporal.yaml")
    message = str(caught.value)
    assert "temporal.yaml: api.allowed_hosts:" in message
    assert f"{bad!r} is not a host name" in message


def test_api_allowed_hosts_are_kept_as_a_host_header_carries_them(tmp_path: Path):
    (tmp_path / "temporal.yaml").write_text(
        "api: {allowed_hosts: [Reels.Example.com, '::1', 10.0.0.7, '[fd00::7]']}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    assert settings.api.allowed_hosts == ("reels.example.com", "[::1]", "10.0.0.7", "[fd00::7]")


def test_the_names_come_from_the_bound_address():
    from workers.api.guard import allowed_hosts

    loopback = ["127.0.0.1", "localhost", "[::1]"]
    assert allowed_hosts("127.0.0.1") == loopback
    assert allowed_hosts("::1") == loopback
    assert allowed_hosts("localhost", ("reels.example.com",)) == [*loopback,
                                                                  "reels.example.com"]
    assert allowed_hosts("192.168.1.20") == ["192.168.1.20"]
    assert allowed_hosts("0.0.0.0") == loopback  # listens on loopback too; add the LAN names


async def test_monolathe_api_no_auth_checks_the_host(dev_env: WorkflowEnvironment,
                                                     tmp_path: Path):
    """The command an operator runs: `monolathe api --no-auth` on loopback."""
    write_install(dev_env, tmp_path)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "monolathe"), "--config",
        str(tmp_path / "temporal.yaml"), "api", "--no-auth", "--host", "127.0.0.1",
        "--port", str(port), env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for _ in range(300):
                try:
                    if (await http.get("/openapi.json")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("monolathe api did not listen")
            assert (await http.get("/presets")).status_code == 200
            assert (await http.get("/presets", headers={"Host": REBOUND})).status_code == 400
    finally:
        proc.terminate()
        await proc.wait()
