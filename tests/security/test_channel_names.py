"""A channel name is a name, never a path: what does not match the channel-name pattern is
refused before anything looks at a file, so no caller can learn whether some `*.yaml`
exists outside channels_dir, nor its top-level keys or absolute path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.config import ConfigError, load_channel, load_settings
from tests.security.api_server import Served, serving

pytestmark = pytest.mark.integration
SECRET_KEYS = "db_password: hunter2\nprivate_notes: x\n"
BAD_NAMES = ["../probe", "../../probe", "/tmp/probe", "probe/../probe", "Demo", "demo.yaml",
             "demo\n", "", "x" * 49, "-demo"]


@pytest_asyncio.fixture(scope="module")
async def api(dev_env: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[Served]:
    async with serving(dev_env, tmp_path_factory.mktemp("names")) as served:
        (served.root / "probe.yaml").write_text(SECRET_KEYS)  # beside channels/, not in it
        yield served


def _leaks(text: str, api: Served) -> list[str]:
    return [s for s in ("db_password", "private_notes", "probe.yaml", str(api.root))
            if s in text]


async def test_a_viewer_cannot_probe_for_yaml_files_outside_channels(api: Served):
    async with api.client(api.viewer) as http:
        existing = await http.post("/cost-estimate", json={"channel": "../probe"})
        absent = await http.post("/cost-estimate", json={"channel": "../absent"})
        as_preset = await http.post("/cost-estimate",
                                    json={"channel": api.channel, "preset": "../probe"})
    assert existing.status_code == 422 and as_preset.status_code == 422
    assert _leaks(existing.text, api) == [] and _leaks(as_preset.text, api) == []
    assert existing.json()["fields"][0]["field"] == "channel"
    assert "not a channel name" in existing.json()["error"]
    # The same answer whether the file exists or not: nothing to learn by asking.
    assert existing.json()["error"].replace("../probe", "") == \
        absent.json()["error"].replace("../absent", "")


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_a_job_for_a_name_that_is_not_a_channel_name_is_422(api: Served, name: str):
    async with api.client(api.operator) as http:
        r = await http.post("/jobs", json={"channel": name, "topic": "Why cats purr"})
        preset = await http.post("/jobs", json={"channel": api.channel, "preset": name,
                                                "topic": "Why cats purr"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "channel"
    assert preset.status_code == 422 and preset.json()["fields"][0]["field"] == "preset"
    assert _leaks(r.text, api) == [] and _leaks(preset.text, api) == []


async def test_channel_control_for_a_bad_name_is_404(api: Served):
    async with api.client(api.operator) as http:
        for name in ("Demo", "demo.yaml", "..", "%2e%2e%2fprobe"):
            r = await http.post(f"/channels/{name}/kill")
            assert r.status_code == 404, (name, r.text)
            assert _leaks(r.text, api) == []
    assert await api.signals() == []


@pytest.mark.parametrize("name", BAD_NAMES)
def test_load_channel_refuses_a_name_that_is_not_a_channel_name(tmp_path: Path, name: str):
    (tmp_path / "channels").mkdir()
    (tmp_path / "probe.yaml").write_text(SECRET_KEYS)
    (tmp_path / "temporal.yaml").write_text("")
    with pytest.raises(ConfigError) as caught:
        load_channel(load_settings(tmp_path / "temporal.yaml"), name)
    message = str(caught.value)
    assert message.endswith("name: must be lowercase letters, digits, '-' or '_' (at most 48)")
    assert "db_password" not in message and str(tmp_path) not in message
