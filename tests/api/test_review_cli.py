"""`monolathe review list|show|approve|reject|revise` against the API tests' dev server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.stack import Api
from tests.api.test_api import _job, _until

pytestmark = pytest.mark.integration


async def _cli(api: Api, *args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "monolathe"), "--config",
               str(api.settings.source), "review", *args]
    proc = await asyncio.create_subprocess_exec(*command, stdin=subprocess.DEVNULL,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        raise AssertionError(f"{' '.join(args)} did not end within 60 s") from None
    return subprocess.CompletedProcess(command, proc.returncode, out.decode(), err.decode())


async def test_review_from_the_terminal(api: Api):
    job_id = await _job(api)
    await _until(api, job_id, "awaiting-review")
    listed = await _cli(api, "list")
    assert listed.returncode == 0 and job_id in listed.stdout, listed.stderr
    shown = await _cli(api, "show", job_id)
    assert json.loads(shown.stdout)["script"]["title"] == "Why cats purr"
    empty = await _cli(api, "reject", job_id)
    assert empty.returncode == 2 and "reason" in empty.stderr
    assert "Traceback" not in empty.stderr
    revised = await _cli(api, "revise", job_id, "hook: Listen closely.")
    assert revised.returncode == 0 and "revising" in revised.stdout
    await _until(api, job_id, "awaiting-review")
    rejected = await _cli(api, "reject", job_id, "not our style")
    assert rejected.returncode == 0 and "rejected (not our style)" in rejected.stdout
    done = await _until(api, job_id, "rejected")
    assert done["error"] == "not our style"
    late = await _cli(api, "approve", job_id)
    assert late.returncode == 2 and "not waiting" in late.stderr
