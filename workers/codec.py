"""Payloads encrypted before they reach Temporal, for operators whose server is shared.

`codec.key_file` in temporal.yaml names 32 random bytes (`monolathe codec-key FILE` writes
one); every client the project makes (workers, CLI) then encrypts each payload with AES-GCM
(`cryptography`), so the server stores only ciphertext: inputs, results, heartbeats, failure
details. The Web UI shows them decoded through `monolathe codec-server`, which speaks the
Temporal codec-server protocol (POST /encode and /decode with {"payloads": [...]}, CORS for
the UI's origin).

A payload records the key's id; a history written with another key fails to decode with a
message naming both ids, never silently.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import logging
import os
import stat
import sys
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import DataConverter, PayloadCodec

from activities.config import ConfigError, Settings
from workers.api.tokens import DEFAULT_FILE, TokenFileError, Tokens, is_loopback, load_tokens

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
log = logging.getLogger("monolathe.codec")


def read_key(path: Path) -> bytes:
    """32 bytes, raw or as 64 hex characters, from a file only its owner can read."""
    if not path.is_file():
        raise ConfigError(f"{path}: codec.key_file: file not found (`monolathe codec-key "
                          f"{path}` writes a new key)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path}: codec.key_file: mode {mode:o} lets others read the key;"
                          " chmod 600 it")
    data = path.read_bytes()
    text = data.strip()
    try:
        key = bytes.fromhex(text.decode()) if len(text) == 64 else data
    except (UnicodeDecodeError, ValueError):
        key = data
    if len(key) != 32:
        raise ConfigError(f"{path}: codec.key_file: holds {len(key)} bytes, not a 32-byte key")
    return key


def write_key(path: Path) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(os.urandom(32).hex() + "\n")
    return path


class AesGcmCodec(PayloadCodec):
    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(key).hexdigest()[:16].encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            sealed = self._aead.encrypt(nonce, p.SerializeToString(), self.key_id)
            out.append(Payload(metadata={"encoding": ENCODING, KEY_ID: self.key_id},
                               data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        from cryptography.exceptions import InvalidTag

        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)  # written before the codec was turned on
                continue
            key_id = p.metadata.get(KEY_ID, b"")
            if key_id != self.key_id:
                raise ValueError(f"payload encrypted with key {key_id.decode()!r}, this"
                                 f" process has key {self.key_id.decode()!r} (codec.key_file)")
            try:
                plain = self._aead.decrypt(p.data[:12], p.data[12:], key_id)
            except InvalidTag:
                raise ValueError("payload altered or encrypted with another key") from None
            out.append(Payload.FromString(plain))
        return out


def codec_for(settings: Settings) -> AesGcmCodec | None:
    key_file = settings.codec.key_file
    return AesGcmCodec(read_key(key_file)) if key_file is not None else None


def data_converter(settings: Settings) -> DataConverter:
    """The converter every client of this installation uses (plain JSON without a key)."""
    codec = codec_for(settings)
    if codec is None:
        return DataConverter.default
    return dataclasses.replace(DataConverter.default, payload_codec=codec)


# --- the codec server for the Web UI and `temporal --codec-endpoint` ---


def codec_server(codec: PayloadCodec, host: str, port: int, origin: str,
                 tokens: Tokens | None) -> ThreadingHTTPServer:
    """POST /encode and /decode per Temporal's codec-server protocol; CORS for `origin`.

    With `tokens`, each POST must carry an operator's bearer token (as `temporal
    --codec-auth` sends it); None serves anyone who can reach the port.
    """

    class Handler(BaseHTTPRequestHandler):
        def _cors(self) -> None:
            if self.headers.get("Origin") == origin:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers",
                                 "Content-Type, X-Namespace, Authorization")
                self.send_header("Vary", "Origin")

        def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self) -> None:
            self._reply(200, b"", "text/plain")

        def do_POST(self) -> None:
            action = self.path.rstrip("/").rsplit("/", 1)[-1]
            if action not in ("encode", "decode"):
                self._reply(404, b'{"error": "POST /encode or /decode"}')
                return
            if tokens is not None:
                presented = self.headers.get("Authorization", "").removeprefix("Bearer ")
                who = tokens.find(presented.strip()) if presented else None
                if who is None or not who.may("operator"):
                    self._reply(401 if who is None else 403,
                                b'{"error": "an operator\'s API token is required"}')
                    return
            try:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payloads = json_format.Parse(body, Payloads())
                coder = codec.encode if action == "encode" else codec.decode
                result = asyncio.run(coder(list(payloads.payloads)))
            except (ValueError, json_format.ParseError) as exc:
                self._reply(400, json.dumps({"error": str(exc)}).encode())
                return
            self._reply(200, json_format.MessageToJson(Payloads(payloads=result)).encode())

        def log_message(self, format: str, *args: object) -> None:
            log.debug("codec server: " + format, *args)

    return ThreadingHTTPServer((host, port), Handler)



async def cmd_codec_server(settings: Settings, args: argparse.Namespace) -> int:
    codec = codec_for(settings)
    if codec is None:
        raise ConfigError(f"{settings.source}: codec.key_file: not set; nothing to decode")
    origin = settings.codec.cors_origin or settings.ui_url
    host = settings.metrics_host
    if args.no_auth and not is_loopback(host):
        raise ConfigError(f"{settings.source}: metrics.host: {host} is not a loopback address;"
                          " the codec server serves without a token only on loopback")
    try:
        tokens = None if args.no_auth else load_tokens(args.token_file or DEFAULT_FILE)
    except TokenFileError as exc:
        raise ConfigError(f"{exc} (or --no-auth on loopback, for the Web UI)") from None
    server = codec_server(codec, host, settings.codec.port, origin, tokens)
    print(f"codec server at http://{host}:{settings.codec.port} for {origin}"
          f" (key {codec.key_id.decode()}); Ctrl-C to stop", flush=True)
    if tokens is None:
        print("WARNING: --no-auth: every process and user on this host can decrypt payloads"
              " through this port", file=sys.stderr, flush=True)
    try:
        await asyncio.to_thread(server.serve_forever)
    finally:
        server.server_close()
    return 0


async def cmd_codec_key(settings: Settings, args: argparse.Namespace) -> int:
    try:
        path = write_key(args.file)
    except FileExistsError:
        raise ConfigError(f"{args.file}: already exists; a new key cannot read old payloads")
    print(f"{path}: new 32-byte key (mode 600); set codec.key_file: {path} in temporal.yaml")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    server = sub.add_parser("codec-server",
                            help="decode encrypted payloads for the Temporal Web UI")
    server.add_argument("--token-file", type=Path, default=None,
                        help=f"the API's token file (default {DEFAULT_FILE}); an operator's"
                             " token is required on every request")
    server.add_argument("--no-auth", action="store_true",
                        help="serve without a token (loopback only), as the Web UI needs")
    key = sub.add_parser("codec-key", help="write a new payload encryption key file")
    key.add_argument("file", type=Path)


COMMANDS = {"codec-server": cmd_codec_server, "codec-key": cmd_codec_key}
