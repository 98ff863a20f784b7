"""The server knows the search attributes before any workflow sets them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from tests.telemetry.prom import free_port
from workers.devserver import DevServer
from workers.search_attributes import ensure_search_attributes

TEMPORAL = str(Path(sys.executable).parent / "temporal")


def _keyword_attributes(address: str) -> set[str]:
    run = subprocess.run([TEMPORAL, "operator", "search-attribute", "list", "--address", address,
                          "--output", "json"], capture_output=True, text=True, timeout=60,
                         check=True)
    listed = json.loads(run.stdout)
    return {name for name, kind in listed.get("customAttributes", {}).items()
            if kind == "INDEXED_VALUE_TYPE_KEYWORD"}


async def test_the_embedded_dev_server_starts_with_them(tmp_path: Path):
    address = f"127.0.0.1:{free_port()}"
    (tmp_path / "temporal.yaml").write_text(
        f"server: {{address: '{address}', ui_port: {free_port()}}}\n")
    server = DevServer(load_settings(tmp_path / "temporal.yaml"))
    assert server.start()
    try:
        assert {"Channel", "Topic", "Outcome"} <= _keyword_attributes(address)
        await ensure_search_attributes(await Client.connect(address), "default")  # no-op
    finally:
        server.stop()


async def test_workers_add_them_to_a_server_that_lacks_them():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=TEMPORAL, dev_server_log_level="error")
    try:
        address = env.client.service_client.config.target_host
        assert not {"Channel", "Topic", "Outcome"} & _keyword_attributes(address)
        await ensure_search_attributes(env.client, "default")
        assert {"Channel", "Topic", "Outcome"} <= _keyword_attributes(address)
    finally:
        await env.shutdown()
