"""`make load`: the API under a busy agency's traffic (tests/load/locustfile.py, Locust
headless, 25 users) on a dev server with quick doubles for the media stages.

Prints requests/s, p50/p95/p99 latency and failures per endpoint, checks the targets (p95
of reads under 200 ms, no failures) and that every created job is accounted for in Temporal,
and writes var/bench/load.json. LOAD_SECONDS (default 180) and LOAD_USERS (25) override.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from tests.api.stack import api_stack

BIN = Path(sys.executable).parent
OUT = Path("var/bench/load.json")
READ_P95_TARGET_MS = 200.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def monolathe_api(root: Path) -> AsyncIterator[str]:
    """`monolathe api` in its own process, as an operator runs it, beside the workers."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "monolathe"), "--config", str(root / "temporal.yaml"), "api",
        "--port", str(port), "--tokens", str(root / "tokens.yaml"))
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                try:
                    if (await http.get(url + "/openapi.json")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        await proc.wait()


def _stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv") as f:
        return list(csv.DictReader(f))


async def main() -> int:
    seconds = int(os.environ.get("LOAD_SECONDS", "180"))
    users = int(os.environ.get("LOAD_USERS", "25"))
    root = Path(tempfile.mkdtemp(prefix="monolathe-load-"))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(BIN / "temporal"),
                                                dev_server_log_level="error")
    try:
        async with api_stack(env, root, serve=False) as api, monolathe_api(root) as url:
            jobs_file, prefix = root / "jobs.txt", root / "locust"
            locust = await asyncio.create_subprocess_exec(
                str(BIN / "locust"), "-f", "tests/load/locustfile.py", "--headless",
                "-u", str(users), "-r", "5", "-t", f"{seconds}s", "--host", url,
                "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
                env={**os.environ, "MONOLATHE_API_TOKEN": api.operator,
                     "MONOLATHE_LOAD_CHANNEL": api.channel,
                     "MONOLATHE_LOAD_JOBS": str(jobs_file)},
                stdout=subprocess.DEVNULL)
            await locust.wait()
            created = jobs_file.read_text().split() if jobs_file.exists() else []
            statuses: Counter[str] = Counter()
            for job in created:
                try:
                    described = await env.client.get_workflow_handle(job).describe()
                    status = described.status or WorkflowExecutionStatus.RUNNING
                    statuses[status.name.lower()] += 1
                except RPCError:
                    statuses["missing"] += 1
    finally:
        await env.shutdown()
    rows = _stats(prefix)
    print(f"{'endpoint':<28}{'requests':>9}{'fails':>7}{'req/s':>8}{'p50':>7}{'p95':>7}"
          f"{'p99':>7}  (ms)")
    report = {"users": users, "seconds": seconds, "endpoints": {}}
    for row in rows:
        name = f"{row['Type']} {row['Name']}".strip()
        figures = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                   "rps": float(row["Requests/s"]), "p50_ms": float(row["50%"] or 0),
                   "p95_ms": float(row["95%"] or 0), "p99_ms": float(row["99%"] or 0)}
        report["endpoints"][name] = figures
        print(f"{name:<28}{figures['requests']:>9}{figures['failures']:>7}"
              f"{figures['rps']:>8.1f}{figures['p50_ms']:>7.0f}{figures['p95_ms']:>7.0f}"
              f"{figures['p99_ms']:>7.0f}")
    reads = [f for n, f in report["endpoints"].items() if n.startswith("GET")]
    worst_read = max((f["p95_ms"] for f in reads), default=0.0)
    total = report["endpoints"].get("Aggregated", {})
    report.update(jobs_created=len(created), jobs_in_temporal=dict(statuses),
                  worst_read_p95_ms=worst_read, read_p95_target_ms=READ_P95_TARGET_MS)
    print(f"\njobs created {len(created)}; in Temporal: {dict(statuses)}")
    print(f"worst p95 of a read {worst_read:.0f} ms (target < {READ_P95_TARGET_MS:.0f} ms,"
          f" ratio {worst_read / READ_P95_TARGET_MS:.2f}); failures {total.get('failures', 0)}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))
    print(f"wrote {OUT}")
    ok = (worst_read < READ_P95_TARGET_MS and not total.get("failures")
          and not statuses.get("missing") and sum(statuses.values()) == len(created))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
