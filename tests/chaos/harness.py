"""Start, kill and restart the real processes of a stack, and check what must hold after chaos.

A `Stack` is a folder with its own `temporal.yaml`, a Temporal dev server on a SQLite file (so
`kill -9` of the server loses nothing) and `monolathe worker <queue>` subprocesses, each in its
own session, exactly as an operator runs them. Workers reach the server through a `TcpProxy`
that can cut the network. Reels publish to the local folder and to the YouTube fake.

`Stack.check_invariants` is what every scenario ends with: every reel ended published or
failed with a reason, no platform got a post twice, no ffmpeg is left, every published file is
whole, and the ledger says what Temporal says.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)

from activities.config import Settings, load_channel, load_settings
from activities.ledger import Ledger
from activities.quality import probe
from activities.secrets import SecretStore
from activities.topics import find_topic
from tests.fakes.youtube_api import FakeYouTube, google_error
from tests.stall import Stalled
from tests.telemetry.prom import free_port
from workers.run import QUEUES
from workflows.contracts import ReelInput

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
CHANNEL = "demo"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 180.0,
             every: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


async def await_for(check: Callable[[], Any], what: str, timeout: float = 180.0) -> Any:
    return await asyncio.to_thread(wait_for, check, what, timeout)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class ChildProcess:
    """One real process of the stack: started in its own session, killed with SIGKILL."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path,
                 fsize_limit: int | None = None) -> None:
        self.name, self.cmd, self.env, self.log = name, cmd, env, log
        self.fsize_limit = fsize_limit
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        # A test aborted by its timeout skips teardown: the kernel then ends the children.
        died_with_us = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([*died_with_us, *self.cmd], env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        if self.fsize_limit:
            # RLIMIT_FSIZE stands for a full disk: a write past it fails with EFBIG (the
            # children it starts later, ffmpeg, inherit the limit).
            limit = (self.fsize_limit, self.fsize_limit)
            resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, limit)

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} was never started"
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL to this process alone: its children are left to fend for themselves."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.kills += 1

    def restart(self) -> None:
        if self.alive():
            self.kill9()
        self.start()

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def children(self, name: str) -> list[str]:
        """The command lines of this process's living descendants called `name`."""
        if not self.alive():
            return []
        found = []
        try:
            for child in psutil.Process(self.pid).children(recursive=True):
                try:
                    if name in child.name():
                        found.append(" ".join(child.cmdline()))
                except psutil.Error:
                    continue  # ended, or a zombie, between the listing and the look
        except psutil.NoSuchProcess:
            pass
        return found

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class TcpProxy:
    """A loopback TCP relay between workers and Temporal that can drop every connection."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        self.closed = False
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()  # refused while the network is down
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while not self.cut.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            pass
        finally:
            a.close()
            b.close()

    def drop(self) -> None:
        """Cut the network: close every open connection and refuse new ones."""
        self.cut.set()
        with self.lock:
            for a, b in self.pairs:
                for sock in (a, b):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.pairs.clear()

    def restore(self) -> None:
        self.cut.clear()

    def close(self) -> None:
        self.closed = True
        self.drop()
        self.listener.close()


class ChaosYouTube(FakeYouTube):
    """The YouTube fake with two faults driven by the clock and by the test.

    `outage_until`: every upload request answers 503 until then (a platform outage).
    `hold_uploads`: a chunk PUT waits until `release` is set, so a test can kill the publish
    worker in the middle of an upload.
    """

    def __init__(self, cert: Any) -> None:
        super().__init__(cert)
        self.outage_until = 0.0
        self.outage_answers = 0
        self.hold_uploads = False
        self.holding = threading.Event()
        self.release = threading.Event()

    def handle(self, req: Any) -> Any:
        if req.path.startswith("/upload/") and time.monotonic() < self.outage_until:
            req.read()
            self.outage_answers += 1
            return google_error(503, "backendError", "The service is currently unavailable.")
        if req.path == "/upload/youtube/v3/videos" and req.method == "PUT" and self.hold_uploads:
            self.holding.set()
            self.release.wait(timeout=300)
        return super().handle(req)


@dataclasses.dataclass
class ReelOutcome:
    reel_id: str
    status: WorkflowExecutionStatus
    reason: str


class Stack:
    """A whole monolathe deployment in one folder, its processes real and killable."""

    def __init__(self, folder: Path, youtube: ChaosYouTube, cert: Path,
                 gpu_memory_limit_gb: float = 0.0, artifacts: str = "",
                 artifacts_endpoint: str = "", ledger_url: str = "sqlite:///var/ledger.db"
                 ) -> None:
        self.folder = folder
        self.youtube = youtube
        self.server_port = free_port()
        self.proxy: TcpProxy | None = None
        self.reel_ids: list[str] = []
        shutil.copytree(REPO / "channels", folder / "channels")
        (folder / "var").mkdir()
        self.config = folder / "temporal.yaml"
        self._write_config(cert, gpu_memory_limit_gb,
                           f"artifacts: '{artifacts}', artifacts_endpoint: '{artifacts_endpoint}',"
                           f" ledger_url: '{ledger_url}'")
        self.settings: Settings = load_settings(self.config)
        SecretStore(self.settings.publishing.secrets_dir).save(CHANNEL, "youtube", {
            "client_id": "client-1.apps.googleusercontent.com", "client_secret": "s3cret",
            "refresh_token": "refresh-1"})
        self.server = ChildProcess("temporal", [
            str(BIN / "temporal"), "server", "start-dev", "--ip", "127.0.0.1",
            "--port", str(self.server_port), "--headless", "--http-port", str(free_port()),
            "--metrics-port", str(free_port()), "--db-filename", str(folder / "var/temporal.db"),
            "--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "busy_timeout=5000",
            "--log-level", "error"], dict(os.environ), folder / "var/temporal.log")
        self.workers: dict[str, ChildProcess] = {}
        self.client: Client | None = None

    def _write_config(self, cert: Path, gpu_memory_limit_gb: float, store: str) -> None:
        self.proxy = TcpProxy(self.server_port)
        self.config.write_text(
            f"server: {{address: '127.0.0.1:{self.proxy.port}', embedded: false}}\n"
            "queues: {reels: ch-reels, media: ch-media, gpu: ch-gpu, publish: ch-publish}\n"
            "data: {var_dir: var, artifacts_dir: var/artifacts,"
            f" out_dir: out, channels_dir: channels, {store}}}\n"
            "metrics: {port: 0, sdk_port: 0}\n"
            "logs: {json_file: '', level: WARNING}\n"
            f"publishing: {{secrets_dir: secrets, ca_bundle: '{cert}',"
            f" youtube: {{api_endpoint: '{self.youtube.url}/',"
            f" token_uri: '{self.youtube.url}/token'}}}}\n"
            f"gpu: {{memory_limit_gb: {gpu_memory_limit_gb}}}\n")

    # --- processes ---

    def variant(self, artifacts_dir: str) -> Path:
        """A copy of temporal.yaml whose workers keep their artifacts in another folder."""
        path = self.folder / f"temporal-{artifacts_dir.replace('/', '-')}.yaml"
        path.write_text(self.config.read_text().replace("artifacts_dir: var/artifacts",
                                                        f"artifacts_dir: {artifacts_dir}"))
        return path

    async def start(self, queues: tuple[str, ...] = QUEUES,
                    fsize_limits: dict[str, int] | None = None,
                    configs: dict[str, Path] | None = None) -> Client:
        self.server.start()
        await await_for(lambda: _listening(self.server_port), "the Temporal dev server", 60)
        self.client = await self.connect()
        for queue in queues:
            config = (configs or {}).get(queue, self.config)
            env = {**os.environ, "MONOLATHE_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
            limit = (fsize_limits or {}).get(queue)
            worker = ChildProcess(f"worker-{queue}", [str(BIN / "monolathe"), "worker", queue],
                                  env, self.folder / f"var/worker-{queue}.log", limit)
            worker.start()
            self.workers[queue] = worker
        return self.client

    async def connect(self) -> Client:
        deadline = time.monotonic() + 60
        while True:
            try:
                return await Client.connect(f"127.0.0.1:{self.server_port}")
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def restart_server(self) -> None:
        self.server.kill9()
        self.server.start()
        await await_for(lambda: _listening(self.server_port), "the restarted dev server", 60)

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        self.server.stop()
        if self.proxy is not None:
            self.proxy.close()
        for process in self.stray_ffmpeg():  # never leave a test's ffmpeg behind
            process.kill()

    # --- reels ---

    def reel_input(self, n: int, platforms: list[str] | None = None, **look: Any) -> ReelInput:
        config = load_channel(self.settings, CHANNEL)
        # A small frame keeps each run short; the stages and their failure paths are real.
        small = dataclasses.replace(config.look, width=360, height=640, fps=24,
                                    x264_preset="superfast", **look)
        config = dataclasses.replace(config, look=small,
                                     platforms=platforms or ["local", "youtube"])
        topic = find_topic(config, "Octopuses have three hearts", [])
        queues = {q: getattr(self.settings.queues, q) for q in QUEUES}
        return ReelInput(f"reel/{CHANNEL}/2026-11-25/{n}", config, topic, queues)

    async def start_reel(self, reel: ReelInput) -> WorkflowHandle:
        assert self.client is not None
        self.reel_ids.append(reel.reel_id)
        return await self.client.start_workflow(
            "ReelWorkflow", reel, id=reel.reel_id, task_queue=self.settings.queues.reels)

    async def reel_running(self, n: int, activity: str,
                           platforms: list[str] | None = None) -> ReelInput:
        """Start the whole stack and reel `n`; return once `activity` of it is running."""
        await self.start()
        reel = self.reel_input(n, platforms)
        await self.start_reel(reel)
        await self.wait_running(reel.reel_id, activity)
        return reel

    async def outcome(self, reel_id: str, timeout: float = 240.0) -> ReelOutcome:
        assert self.client is not None
        handle = self.client.get_workflow_handle(reel_id)
        try:
            await asyncio.wait_for(handle.result(), timeout)
            reason = ""
        except TimeoutError:
            raise Stalled(f"{reel_id} did not end within {timeout:.0f} s; "
                          f"{await self.pending(reel_id)}") from None
        except WorkflowFailureError as error:  # failed or cancelled: the reason is the cause's
            reason = str(error.cause or error)
        status = (await handle.describe()).status
        assert status is not None
        return ReelOutcome(reel_id, status, reason)

    async def activity_attempts(self, reel_id: str, activity: str) -> tuple[int, list[int]]:
        """How often `activity` was scheduled by the reel, and the attempt of each start."""
        assert self.client is not None
        scheduled, attempts = 0, []
        names: dict[int, str] = {}
        async for event in self.client.get_workflow_handle(reel_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                names[event.event_id] = event.activity_task_scheduled_event_attributes \
                    .activity_type.name
                scheduled += names[event.event_id] == activity
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                attrs = event.activity_task_started_event_attributes
                if names.get(attrs.scheduled_event_id) == activity:
                    attempts.append(attrs.attempt)
        return scheduled, attempts

    async def failure_of(self, reel_id: str, activity: str) -> str:
        """The message of the last failure of `activity` in the reel so far, or ""."""
        assert self.client is not None
        handle = self.client.get_workflow_handle(reel_id)
        names: dict[int, str] = {}
        message = ""
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                names[event.event_id] = event.activity_task_scheduled_event_attributes \
                    .activity_type.name
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
                attrs = event.activity_task_failed_event_attributes
                if names.get(attrs.scheduled_event_id) == activity:
                    message = attrs.failure.message
        for pending in (await handle.describe()).raw_description.pending_activities:
            if pending.activity_type.name == activity and pending.last_failure.message:
                message = pending.last_failure.message
        return message

    async def pending(self, reel_id: str) -> str:
        """What a reel that has not ended waits on: its pending activities with their attempt
        and last failure, and the tail of each worker's log."""
        assert self.client is not None
        description = await self.client.get_workflow_handle(reel_id).describe()
        lines = [f"{p.activity_type.name} attempt {p.attempt} state {p.state}:"
                 f" {p.last_failure.message or 'no failure'}"
                 for p in description.raw_description.pending_activities]
        logs = [f"--- {w.name} log:\n{w.log_tail(1500)}" for w in self.workers.values()]
        return "pending: " + ("; ".join(lines) or "no activity") + "\n" + "\n".join(logs)

    async def running_activity(self, reel_id: str, activity: str) -> bool:
        assert self.client is not None
        description = await self.client.get_workflow_handle(reel_id).describe()
        return any(p.activity_type.name == activity and p.state == 2  # STARTED
                   for p in description.raw_description.pending_activities)

    async def wait_running(self, reel_id: str, activity: str, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while not await self.running_activity(reel_id, activity):
            if time.monotonic() > deadline:
                raise AssertionError(f"{activity} of {reel_id} never ran")
            await asyncio.sleep(0.1)

    # --- invariants ---

    def stray_ffmpeg(self) -> list[psutil.Process]:
        """ffmpeg processes working on this stack's files (whoever their parent is)."""
        found = []
        for process in psutil.process_iter(["name", "cmdline"]):
            try:
                cmdline = " ".join(process.info["cmdline"] or [])
            except psutil.Error:
                continue
            if "ffmpeg" in (process.info["name"] or "") and str(self.folder) in cmdline:
                found.append(process)
        return found

    def artifact_bytes(self, uri: str) -> bytes:
        """An artifact's bytes by URI, from the folder or the bucket the stack uses."""
        if not uri.startswith("s3://"):
            return Path(uri.removeprefix("file://")).read_bytes()
        import boto3

        bucket, _, key = uri.removeprefix("s3://").partition("/")
        s3 = boto3.client("s3", endpoint_url=self.settings.artifacts_endpoint or None)
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    async def check_invariants(self, killed: bool = False) -> list[ReelOutcome]:
        """`killed`: reels may also end cancelled (a kill switch), with no ledger row."""
        assert self.client is not None
        outcomes = [await self.outcome(reel_id) for reel_id in self.reel_ids]
        ledger = Ledger(self.settings.ledger_url)
        published_videos = []
        for outcome in outcomes:
            if killed and outcome.status == WorkflowExecutionStatus.CANCELED:
                assert not ledger.publications(outcome.reel_id), outcome
                continue
            assert outcome.status in (WorkflowExecutionStatus.COMPLETED,
                                      WorkflowExecutionStatus.FAILED), outcome
            with ledger.session() as s:
                from activities.ledger import ReelRow

                row = s.get(ReelRow, outcome.reel_id)
            assert row is not None, f"the ledger never heard of {outcome.reel_id}"
            if outcome.status == WorkflowExecutionStatus.COMPLETED:
                assert row.status == "published", (outcome, row)
                published_videos.append(self.artifact_bytes(row.video_uri))
            else:
                assert outcome.reason and row.status == "failed" and row.error, (outcome, row)
            publications = ledger.publications(outcome.reel_id)
            platforms = [p.platform for p in publications]
            assert len(platforms) == len(set(platforms)), f"posted twice: {publications}"
        # the platform counts: exactly the posts the ledger knows of, none twice
        posted = [p.external_id for r in self.reel_ids for p in ledger.publications(r)
                  if p.platform == "youtube" and p.external_id]
        assert sorted(posted) == sorted(self.youtube.videos), (posted, list(self.youtube.videos))
        whole = {hashlib.sha256(data).hexdigest() for data in published_videos}
        for video in self.youtube.videos.values():
            assert video["sha256"] in whole, "YouTube holds a file that no reel finished"
        for path in (self.settings.out_dir / CHANNEL).glob("*.mp4"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() in whole, f"partial {path}"
            assert probe(path).duration_s > 1.0
        await await_for(lambda: not self.stray_ffmpeg(), "orphan ffmpeg processes to end", 30)
        return outcomes
