"""The `temporal` payload codec: AES-GCM through a real client, worker and dev server, and the
codec server the Web UI calls to show payloads decoded."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.config import ConfigError
from tests.backups.stack import free_port, make_install
from tests.workflows.test_backup_workflow import backup_worker
from workers.api.tokens import add_token, load_tokens
from workers.codec import ENCODING, AesGcmCodec, codec_for, codec_server, read_key, write_key
from workers.stack import connect
from workflows.backup import BackupWorkflow
from workflows.backup_contracts import BackupRequest

UI = "http://127.0.0.1:8233"


def _post(url: str, body: bytes, origin: str = UI,
          token: str = "") -> tuple[int, dict, dict[str, str]]:
    headers = {"Content-Type": "application/json", "Origin": origin, "X-Namespace": "default"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.load(resp), dict(resp.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), dict(error.headers)


def _preflight(url: str) -> str:
    request = urllib.request.Request(url, method="OPTIONS", headers={"Origin": UI})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(resp.headers["Access-Control-Allow-Headers"])


async def test_payloads_are_ciphertext_on_the_server_and_plain_to_clients_and_the_ui(
        dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    key = write_key(tmp_path / "codec.key")
    settings = make_install(tmp_path / "install", codec={"key_file": str(key)},
                            server={"address": dev_env.client.service_client.config.target_host})
    client = await connect(settings)  # the CLI's and the workers' client
    assert isinstance(client.data_converter.payload_codec, AesGcmCodec)
    queue, wid = f"codec-{uuid.uuid4()}", f"backups/codec-{uuid.uuid4()}"
    async with backup_worker(client, queue, []):
        result = await client.execute_workflow(
            BackupWorkflow.run, BackupRequest(to_dir="/srv/very-private-folder"), id=wid,
            task_queue=queue)
    assert result.kind == "full"

    history = await dev_env.client.get_workflow_handle(wid).fetch_history()  # no codec
    stored = b"".join(event.SerializeToString() for event in history.events)
    assert b"very-private-folder" not in stored and b"monolathe_full_" not in stored
    assert ENCODING in stored
    started = history.events[0].workflow_execution_started_event_attributes.input

    port = free_port()
    token_file = tmp_path / "api-tokens.yaml"
    operator = add_token(token_file, "ana", "operator")
    viewer = add_token(token_file, "dash", "viewer")
    server = codec_server(codec_for(settings), "127.0.0.1", port, UI,  # type: ignore[arg-type]
                          load_tokens(token_file))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        body = json.dumps({"payloads": [
            {"metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
             "data": base64.b64encode(p.data).decode()} for p in started.payloads]}).encode()
        status, refused, _ = _post(f"http://127.0.0.1:{port}/decode", body)
        assert status == 401 and "very-private-folder" not in json.dumps(refused)
        assert _post(f"http://127.0.0.1:{port}/decode", body, token=viewer)[0] == 403
        status, decoded, headers = _post(f"http://127.0.0.1:{port}/decode", body, token=operator)
        assert status == 200 and headers["Access-Control-Allow-Origin"] == UI
        [payload] = decoded["payloads"]
        assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"
        assert json.loads(base64.b64decode(payload["data"]))["to_dir"] == "/srv/very-private-folder"

        status, encoded, _ = _post(f"http://127.0.0.1:{port}/encode",
                                   json.dumps(decoded).encode(), token=operator)
        assert status == 200 and encoded != decoded
        status, again, _ = _post(f"http://127.0.0.1:{port}/decode", json.dumps(encoded).encode(),
                                 token=operator)
        assert again == decoded

        assert "X-Namespace" in _preflight(f"http://127.0.0.1:{port}/decode")
        _status, _body, foreign = _post(f"http://127.0.0.1:{port}/decode", body,
                                        origin="https://evil.example")
        assert "Access-Control-Allow-Origin" not in foreign

        other = write_key(tmp_path / "other.key")
        wrong = codec_server(AesGcmCodec(read_key(other)), "127.0.0.1", free_port(), UI, None)
        threading.Thread(target=wrong.serve_forever, daemon=True).start()
        status, error, _ = _post(f"http://127.0.0.1:{wrong.server_port}/decode", body)
        assert status == 400 and "encrypted with key" in error["error"]
        wrong.shutdown()
    finally:
        server.shutdown()


def test_a_loose_or_short_key_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    key = write_key(tmp_path / "k")
    key.chmod(0o644)
    with pytest.raises(ConfigError, match="k: codec.key_file: mode 644 lets others read"):
        read_key(key)
    short = tmp_path / "short"
    short.write_bytes(b"abc")
    short.chmod(0o600)
    with pytest.raises(ConfigError, match="short: codec.key_file: holds 3 bytes"):
        read_key(short)


def test_the_embedded_ui_is_pointed_at_the_codec_server(tmp_path: Path) -> None:
    from workers.devserver import DevServer

    key = write_key(tmp_path / "codec.key")
    port = free_port()
    settings = make_install(tmp_path / "install", codec={"key_file": str(key), "port": port})
    server = DevServer(settings)
    assert server.start()  # the CLI accepts the flag
    try:
        assert server.process is not None
        args = server.process.args
        assert args[args.index("--ui-codec-endpoint") + 1] == f"http://127.0.0.1:{port}"
    finally:
        server.stop()
