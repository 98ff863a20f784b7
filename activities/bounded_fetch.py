"""One way to read a body from a URL someone else controls: a deadline, a size cap, safe hops.

Feeds are written by strangers. A per-read timeout does not bound a sender that trickles a
byte a second, and a body read whole can be any size, so every feed path (the scout's
sources, pick_topic's RSS, reddit's API) reads through `fetch`:

- one deadline for the whole exchange, connect and headers included: the request runs under
  `asyncio.timeout`, whose cancellation closes the connection wherever it waits;
- a byte cap while streaming, so a 60 MB page costs 5 MB before it is refused;
- redirects followed by hand, and refused when they lead from a public host to a loopback,
  private or link-local address (a public feed must not turn an internal page into a topic);
  a feed the operator pointed at their own network may redirect within it;
- `file://` read in bounded chunks, never `read_bytes()` (`file:///dev/zero` is a file).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx

from activities.redact import describe, redact

MAX_BYTES = 5 * 1024 * 1024  # a feed bigger than this is not a feed
MAX_HOPS = 5


class FetchFailed(Exception):
    """The body could not be had; the message names the URL (redacted) and why."""


@dataclass
class Fetched:
    status: int
    body: bytes
    headers: httpx.Headers = field(default_factory=httpx.Headers)  # any case, as HTTP's are

    def json_object(self) -> dict:
        """The body as a JSON object; {} when it is not one (an HTML error page)."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def _private(host: str) -> bool:
    """Whether `host` is, or resolves to, an address on this machine or its networks."""
    try:
        addresses = {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%")[0])
                         for info in socket.getaddrinfo(host, None)}
        except (OSError, UnicodeError):
            return False  # unresolvable: the request itself fails with a clear error
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved
               or a.is_multicast or a.is_unspecified for a in addresses)


def read_file(url: str, max_bytes: int = MAX_BYTES) -> bytes:
    path = Path(urlparse(url).path)
    try:
        with open(path, "rb") as f:
            body = f.read(max_bytes + 1)
    except OSError as exc:
        raise FetchFailed(f"{url}: {exc.strerror or exc}") from None
    if len(body) > max_bytes:
        raise FetchFailed(f"{url}: larger than {max_bytes // 2**20} MB")
    return body


async def _exchange(client: httpx.AsyncClient, request: httpx.Request,
                    max_bytes: int) -> Fetched:
    first_private = _private(request.url.host)
    for _hop in range(MAX_HOPS + 1):
        response = await client.send(request, stream=True)
        try:
            if response.is_redirect:
                target = urljoin(str(request.url), response.headers["location"])
                host = urlparse(target).hostname or ""
                if not first_private and _private(host):
                    raise FetchFailed(f"{redact(str(request.url))}: redirected to {host}, a"
                                      " loopback or private address: refused")
                headers = dict(request.headers)
                if host != request.url.host:  # as httpx does: credentials stay with their host
                    headers.pop("authorization", None)
                request = client.build_request("GET", target, headers=headers)
                continue
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchFailed(f"{redact(str(request.url))}: larger than"
                                      f" {max_bytes // 2**20} MB")
            return Fetched(response.status_code, bytes(body), response.headers)
        finally:
            await response.aclose()
    raise FetchFailed(f"{redact(str(request.url))}: more than {MAX_HOPS} redirects")


async def _fetch(method: str, url: str, timeout_s: float, max_bytes: int,
                 verify: str | bool | ssl.SSLContext,
                 auth: tuple[str, str] | None, **request: object) -> Fetched:
    if isinstance(verify, str):  # a CA bundle's path (publishing.ca_bundle)
        verify = ssl.create_default_context(cafile=verify)  # type: ignore[assignment]
    try:
        async with asyncio.timeout(timeout_s), httpx.AsyncClient(
                verify=verify, timeout=timeout_s, follow_redirects=False, auth=auth) as client:
            built = client.build_request(method, url, **request)  # type: ignore[arg-type]
            return await _exchange(client, built, max_bytes)
    except TimeoutError:
        raise FetchFailed(f"{redact(url)}: slower than {timeout_s:g} s in all") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{redact(url)}: {describe(exc)}") from None


def fetch(url: str, *, timeout_s: float, method: str = "GET", max_bytes: int = MAX_BYTES,
          verify: str | bool = True, headers: dict[str, str] | None = None,
          params: dict[str, object] | None = None, data: dict[str, str] | None = None,
          auth: tuple[str, str] | None = None) -> Fetched:
    """The response to one request, within `timeout_s` in all and `max_bytes` of body.

    Called from sync activities (a thread with no running loop); raises FetchFailed.
    """
    if url.startswith("file://"):
        return Fetched(200, read_file(url, max_bytes))
    extra: dict[str, object] = {"headers": headers or {}}
    if params:
        extra["params"] = params
    if data:
        extra["data"] = data
    return asyncio.run(_fetch(method, url, timeout_s, max_bytes, verify, auth, **extra))
