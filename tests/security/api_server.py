"""The real API app on uvicorn on a loopback port, against the session's dev server: one
channel file, tokens (or auth off), an optional `api:` section, optionally TLS, and a channel
workflow that records the signals the API sends it (no worker runs it, so nothing else
happens to it; its history is the proof of what reached Temporal)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.config import load_settings
from tests.api.stack import CHANNEL, REPO, start_serving
from workers.api.app import create_app
from workers.api.tokens import add_token, load_tokens

EVIL = "http://rebind.evil.example"


class BodyMeter:
    """Counts the request body bytes the app pulled from the server: what it read, whatever
    the client sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.received = app, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@dataclass
class Served:
    url: str
    port: int
    root: Path
    channel: str
    operator: str
    viewer: str
    workflow: WorkflowHandle
    meter: BodyMeter
    ca: Path | None

    def client(self, token: str | None = None, **headers: str) -> httpx.AsyncClient:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        verify = ssl.create_default_context(cafile=self.ca) if self.ca else True
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=60, verify=verify)

    async def signals(self) -> list[str]:
        """The signals the channel workflow received, in order."""
        return [e.workflow_execution_signaled_event_attributes.signal_name
                async for e in self.workflow.fetch_history_events()
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def write_install(env: WorkflowEnvironment, root: Path, api_yaml: str = "") -> str:
    """temporal.yaml, a channel file (its name returned), its feed and a token file."""
    target = env.client.service_client.config.target_host
    (root / "temporal.yaml").write_text(
        f"server: {{address: '{target}', embedded: false}}\n"
        "metrics: {port: 0, sdk_port: 0}\nlogs: {json_file: ''}\n" + api_yaml)
    feeds = root / "channels" / "feeds"
    feeds.mkdir(parents=True)
    shutil.copy(REPO / "channels" / "feeds" / "science.yaml", feeds / "science.yaml")
    channel = f"sec-{uuid.uuid4().hex[:8]}"
    (root / "channels" / f"{channel}.yaml").write_text(
        CHANNEL.format(name=channel, review="none"))
    return channel


@asynccontextmanager
async def serving(env: WorkflowEnvironment, root: Path, *, auth: bool = True,
                  api_yaml: str = "", tls: bool = False) -> AsyncIterator[Served]:
    root.mkdir(parents=True, exist_ok=True)
    channel = write_install(env, root, api_yaml)
    settings = load_settings(root / "temporal.yaml")
    tokens_file = root / "tokens.yaml"
    operator = add_token(tokens_file, "ana", "operator")
    viewer = add_token(tokens_file, "vic", "viewer")
    meter = BodyMeter(create_app(settings, env.client, load_tokens(tokens_file) if auth else None))
    ssl: dict[str, str] = {}
    cert = None
    if tls:
        cert, key = self_signed(root)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    server = uvicorn.Server(uvicorn.Config(meter, host="127.0.0.1", port=0,
                                           log_level="warning", ws="auto", **ssl))
    workflow = await env.client.start_workflow(
        "ChannelWorkflow", id=f"channel/{channel}", task_queue=f"nobody-{uuid.uuid4().hex}")
    serving_task, url = await start_serving(server)
    port = int(url.rsplit(":", 1)[1])
    if tls:
        url = url.replace("http://", "https://", 1)
    try:
        yield Served(url, port, root, channel, operator, viewer, workflow, meter, cert)
    finally:
        server.should_exit = True
        await serving_task
        await workflow.terminate("test over")
