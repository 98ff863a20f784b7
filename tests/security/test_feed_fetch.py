"""A feed is written by a stranger: every fetch path is bounded in time and size, and a public
feed cannot redirect the factory into the operator's own network.

The hostile senders are real sockets on loopback: one trickles a byte at a time, one sends an
endless body, one plays a public host (through an HTTP proxy, as no public DNS answers here)
that redirects to a loopback page.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.bounded_fetch import FetchFailed, fetch
from activities.ledger import Ledger
from activities.secrets import SecretStore
from activities.topics import fetch_feed, read_feed_file
from activities.trends import SourceContext, SourceFailed
from tests.activities.test_trends import trend_settings

RSS = (b"<rss><channel><item><title>Internal admin page</title><description>The router's"
       b" admin password is hunter2 today. Nobody outside should read this line.</description>"
       b"</item></channel></rss>")


def serve(answer: Callable[[socket.socket, bytes], None]) -> Iterator[str]:
    """A loopback server that hands each connection's request head to `answer`."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def one(conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            try:
                answer(conn, head)
            except OSError:
                pass  # the client hung up, as it should

    def loop() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


@pytest.fixture
def trickle() -> Iterator[str]:
    def answer(conn: socket.socket, _head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n<rss>")
        for _ in range(600):  # a byte every 0.2 s for two minutes
            conn.sendall(b" ")
            time.sleep(0.2)

    yield from serve(answer)


@pytest.fixture
def slow_headers() -> Iterator[str]:
    def answer(conn: socket.socket, _head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for i in range(600):
            conn.sendall(f"X-{i}: a\r\n".encode())
            time.sleep(0.2)

    yield from serve(answer)


@pytest.fixture
def endless() -> Iterator[str]:
    def answer(conn: socket.socket, _head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     b"Content-Length: 62914560\r\n\r\n<rss>")
        block = b" " * 65536
        for _ in range(960):  # 60 MB
            conn.sendall(block)

    yield from serve(answer)


@pytest.fixture
def rebinding_proxy() -> Iterator[str]:
    """Plays `feeds.example.net`, whose feed redirects to a page on this machine's loopback."""
    holder: dict[str, str] = {}

    def answer(conn: socket.socket, head: bytes) -> None:
        target = head.split(b" ", 2)[1].decode()
        if "feeds.example.net" in target:
            conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {holder['self']}/admin\r\n"
                         "Content-Length: 0\r\n\r\n".encode())
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(RSS) + RSS)

    for url in serve(answer):
        holder["self"] = url
        yield url


def finishes_within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """Run `call` in a thread; the exception it raised, failing the test if it is still
    running after `seconds` (the old fetcher was still reading after minutes)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001  (handed to the test)
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the fetch was still running after {seconds} s"
    return raised[0] if raised else None


@pytest.fixture
def ctx(tmp_path: Path, fake_cert: tuple[Path, Path]) -> SourceContext:
    settings = trend_settings(tmp_path, fake_cert[0], "https://127.0.0.1:1")
    return SourceContext(settings, SecretStore(settings.publishing.secrets_dir),
                         Ledger(settings.ledger_url), "sky")


@pytest.mark.parametrize("server", ["trickle", "slow_headers"])
def test_a_slow_sender_is_cut_off_at_the_whole_fetch_deadline(
        ctx: SourceContext, server: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(server)
    assert ctx.settings.trends.timeout_s == 1
    error = finishes_within(30, lambda: ctx.fetch(f"{url}/feed.xml"))
    assert isinstance(error, SourceFailed) and "slower than 1 s in all" in str(error)


def test_pick_topics_feeds_are_bounded_in_time_and_size(trickle: str, endless: str) -> None:
    assert isinstance(finishes_within(60, lambda: fetch_feed(f"{trickle}/feed.xml")),
                      FetchFailed)
    with pytest.raises(FetchFailed, match="larger than 5 MB"):
        fetch_feed(f"{endless}/feed.xml")


def test_a_big_body_is_refused_while_streaming(ctx: SourceContext, endless: str) -> None:
    with pytest.raises(SourceFailed, match="larger than 5 MB"):
        ctx.fetch(f"{endless}/feed.xml")


def test_a_file_feed_is_read_in_bounded_chunks() -> None:
    with pytest.raises(FetchFailed, match="larger than 5 MB"):
        fetch("file:///dev/zero", timeout_s=1)


def test_a_public_feed_may_not_redirect_into_the_local_network(
        rebinding_proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", rebinding_proxy)
    monkeypatch.setenv("NO_PROXY", "")
    with pytest.raises(FetchFailed, match="redirected to 127.0.0.1.*refused"):
        fetch("http://feeds.example.net/rss", timeout_s=5)
    with pytest.raises(FetchFailed, match="refused"):
        fetch_feed("http://feeds.example.net/rss")


def test_a_feed_on_the_operators_own_network_may_redirect_within_it(
        rebinding_proxy: str) -> None:
    # The operator pointed at loopback: a hop within it is theirs to make.
    def answer(conn: socket.socket, _head: bytes) -> None:
        conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {rebinding_proxy}/admin\r\n"
                     "Content-Length: 0\r\n\r\n".encode())

    for url in serve(answer):
        [topic] = fetch_feed(f"{url}/rss")
        assert topic.title == "Internal admin page"


def test_feed_yaml_with_aliases_is_refused_and_errors_do_not_echo_the_file(
        tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
              for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    bomb.write_text("\n".join(lines) + "\ntopics: *i\n")
    with pytest.raises(ApplicationError, match="line 2: aliases"):
        read_feed_file(bomb)
    broken = tmp_path / "broken.yaml"
    broken.write_text("topics:\n  - title: ok\n  - title: 'sk-secret-in-the-feed\n")
    with pytest.raises(ApplicationError) as raised:
        read_feed_file(broken)
    assert "sk-secret-in-the-feed" not in str(raised.value)
    assert "not valid YAML" in str(raised.value)
