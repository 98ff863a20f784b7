"""The ledger on a real SQLite file and on a real PostgreSQL database: publication idempotency,
costs, numbering, topics; WAL on SQLite."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, select

from activities.config import LedgerSettings
from activities.ledger import Ledger, PublicationRow
from workflows.contracts import Publication, ReelRecord, StageCost

REEL = "reel/demo/2026-11-23/1"


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    """On a SQLite file, then on a PostgreSQL database (tests/pg.py)."""
    ledger = Ledger(ledger_url)
    yield ledger
    ledger.engine.dispose()


def costs(*usd: float) -> list[StageCost]:
    return [StageCost(f"stage{i}", "cpu", 1.0, 0.5, amount) for i, amount in enumerate(usd)]


def record(
    ledger: Ledger,
    reel_id: str,
    channel: str = "demo",
    topic: str = "",
    status: str = "published",
    usd: tuple[float, ...] = (),
) -> float:
    return ledger.record_reel(
        ReelRecord(
            reel_id=reel_id,
            channel=channel,
            topic=topic,
            title=topic.title(),
            status=status,
            video_uri=f"file:///out/{reel_id}.mp4",
            asset_uris={"video": "v.mp4"},
            costs=costs(*usd),
            publications=[],
        )
    )


def publication_rows(ledger: Ledger, reel_id: str) -> list[tuple[str, str, str, str]]:
    """(platform, status, external_id, url) read in an open session."""
    with Session(ledger.engine) as s:
        rows = s.exec(select(PublicationRow).where(PublicationRow.reel_id == reel_id))
        return sorted((r.platform, r.status, r.external_id, r.url) for r in rows)


# --- publications ---


def test_first_publication_intent_returns_none_and_records_an_intent(ledger: Ledger) -> None:
    assert ledger.publication_intent(REEL, "local") is None

    assert publication_rows(ledger, REEL) == [("local", "intent", "", "")]


def test_publish_after_done_is_reused_with_the_same_external_id(ledger: Ledger) -> None:
    ledger.publication_intent(REEL, "local")
    ledger.publication_done(REEL, "local", "ext-42", "file:///out/demo/1.mp4")

    again = ledger.publication_intent(REEL, "local")

    assert again == Publication("local", "ext-42", "file:///out/demo/1.mp4", reused=True)
    assert publication_rows(ledger, REEL) == [
        ("local", "published", "ext-42", "file:///out/demo/1.mp4")
    ]


def test_retried_publish_never_creates_a_second_publication(ledger: Ledger) -> None:
    # The worker crashed between the intent and the upload: the retry must upload again
    # (None) but reuse the same row.
    assert ledger.publication_intent(REEL, "local") is None
    assert ledger.publication_intent(REEL, "local") is None

    assert len(ledger.publications(REEL)) == 1
    assert publication_rows(ledger, REEL) == [("local", "intent", "", "")]

    ledger.publication_done(REEL, "local", "ext-1", "u")
    assert publication_rows(ledger, REEL) == [("local", "published", "ext-1", "u")]


def test_one_reel_can_be_published_on_two_platforms(ledger: Ledger) -> None:
    assert ledger.publication_intent(REEL, "local") is None
    assert ledger.publication_intent(REEL, "youtube") is None
    ledger.publication_done(REEL, "youtube", "yt-9", "https://youtu.be/yt-9")

    assert publication_rows(ledger, REEL) == [
        ("local", "intent", "", ""),
        ("youtube", "published", "yt-9", "https://youtu.be/yt-9"),
    ]
    assert ledger.publication_intent(REEL, "local") is None
    assert ledger.publication_intent(REEL, "youtube") == Publication(
        "youtube", "yt-9", "https://youtu.be/yt-9", reused=True
    )


def test_database_rejects_a_second_row_for_the_same_reel_and_platform(ledger: Ledger) -> None:
    ledger.publication_intent(REEL, "local")

    with Session(ledger.engine) as s:
        s.add(PublicationRow(reel_id=REEL, platform="local"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_publications_are_kept_per_reel(ledger: Ledger) -> None:
    ledger.publication_intent(REEL, "local")
    ledger.publication_intent("reel/demo/2026-11-23/2", "local")

    assert len(ledger.publications(REEL)) == 1
    assert len(ledger.publications("reel/demo/2026-11-23/3")) == 0


def test_publications_rows_can_be_read_after_the_call(ledger: Ledger) -> None:
    ledger.publication_intent(REEL, "local")
    ledger.publication_done(REEL, "local", "ext-7", "u7")

    [row] = ledger.publications(REEL)

    assert (row.platform, row.status, row.external_id) == ("local", "published", "ext-7")


# --- reels and costs ---


def test_record_reel_returns_the_total_of_its_costs(ledger: Ledger) -> None:
    assert record(ledger, REEL, usd=(0.01, 0.002, 0.0003)) == pytest.approx(0.0123)
    assert ledger.spend_on("demo", "2026-11-23") == pytest.approx(0.0123)


def test_record_reel_twice_does_not_double_the_costs(ledger: Ledger) -> None:
    first = record(ledger, REEL, usd=(0.25, 0.5))
    second = record(ledger, REEL, usd=(0.25, 0.5))

    assert first == second == 0.75
    assert ledger.spend_on("demo", "2026-11-23") == pytest.approx(0.75)


def test_record_reel_retry_replaces_costs_rather_than_adding(ledger: Ledger) -> None:
    record(ledger, REEL, status="failed", usd=(0.25,))
    record(ledger, REEL, status="published", usd=(0.25, 0.1))

    assert ledger.spend_on("demo", "2026-11-23") == pytest.approx(0.35)


def test_spend_is_per_channel_and_day(ledger: Ledger) -> None:
    record(ledger, "reel/demo/2026-11-23/1", usd=(0.5,))
    record(ledger, "reel/demo/2026-11-23/2", usd=(0.25,))
    record(ledger, "reel/demo/2026-11-24/1", usd=(2.0,))
    record(ledger, "reel/other/2026-11-23/1", channel="other", usd=(4.0,))

    assert ledger.spend_on("demo", "2026-11-23") == pytest.approx(0.75)
    assert ledger.spend_on("demo", "2026-11-24") == pytest.approx(2.0)
    assert ledger.spend_on("other", "2026-11-23") == pytest.approx(4.0)
    assert ledger.spend_on("demo", "2026-11-25") == 0.0


def test_reels_on_returns_the_highest_number_of_that_channel_and_day(ledger: Ledger) -> None:
    for reel_id, channel in [
        ("reel/demo/2026-11-23/2", "demo"),
        ("reel/demo/2026-11-23/7", "demo"),
        ("reel/demo/2026-11-23/3", "demo"),
        ("reel/demo/2026-11-24/12", "demo"),
        ("reel/other/2026-11-23/9", "other"),
    ]:
        record(ledger, reel_id, channel=channel)

    assert ledger.reels_on("demo", "2026-11-23") == 7
    assert ledger.reels_on("demo", "2026-11-24") == 12
    assert ledger.reels_on("other", "2026-11-23") == 9
    assert ledger.reels_on("demo", "2026-11-22") == 0


def test_reels_on_compares_numbers_not_strings(ledger: Ledger) -> None:
    record(ledger, "reel/demo/2026-11-23/9")
    record(ledger, "reel/demo/2026-11-23/10")

    assert ledger.reels_on("demo", "2026-11-23") == 10


def test_recent_topics_are_published_ones_oldest_first(ledger: Ledger) -> None:
    record(ledger, "reel/demo/2026-11-23/1", topic="octopus hearts")
    record(ledger, "reel/demo/2026-11-23/2", topic="failed honey", status="failed")
    record(ledger, "reel/demo/2026-11-23/3", topic="venus spin")
    record(ledger, "reel/demo/2026-11-23/4", topic="running crows", status="running")
    record(ledger, "reel/other/2026-11-23/1", channel="other", topic="other channel topic")

    assert ledger.recent_topics("demo") == ["octopus hearts", "venus spin"]
    assert ledger.recent_topics("demo", limit=1) == ["venus spin"]
    assert ledger.recent_topics("other") == ["other channel topic"]


def test_ensure_channel_is_idempotent(ledger: Ledger) -> None:
    ledger.ensure_channel("demo", "science")
    ledger.ensure_channel("demo", "changed")

    with ledger.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, niche FROM channels")).all()
    assert [tuple(r) for r in rows] == [("demo", "science")]


def test_sqlite_ledger_runs_in_wal_mode(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path}/l.db")
    with ledger.engine.connect() as conn:
        mode = conn.execute(text("PRAGMA journal_mode")).scalar()
        timeout = conn.execute(text("PRAGMA busy_timeout")).scalar()

    assert mode == "wal"
    assert timeout == 10000
    assert (tmp_path / "l.db").is_file()


def test_a_postgresql_ledger_has_the_pool_and_statement_timeout_of_its_settings(
        pg_url: str) -> None:
    ledger = Ledger(pg_url, LedgerSettings(pool_size=2, max_overflow=1, pool_timeout_s=0.5,
                                           statement_timeout_s=0.5))
    # The migration lock's connection (no timeout while it waits) went back to the pool
    # with the ledger's timeout again.
    with ledger.engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "500ms"
        with pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(3)"))
    held = [ledger.engine.connect() for _ in range(3)]  # pool_size + max_overflow
    with pytest.raises(PoolTimeout):
        ledger.engine.connect()
    for conn in held:
        conn.close()
    assert ledger.publication_intent(REEL, "youtube") is None  # the pool serves again
    ledger.engine.dispose()


def test_ledger_creates_the_database_folder(tmp_path: Path) -> None:
    Ledger(f"sqlite:///{tmp_path}/deep/er/l.db")

    assert (tmp_path / "deep" / "er" / "l.db").is_file()


# --- visual decisions ---


def test_visual_decisions_keep_every_skip_and_try_once(ledger: Ledger) -> None:
    from workflows.contracts import SceneAttempt, SourceSkip, VisualDecision

    decision = VisualDecision(
        scene=0, chain=["runway", "pexels", "procedural"], chosen="pexels", estimate_usd=0.5,
        usd=0.0,
        attempts=[SceneAttempt("runway", "failed", "ProviderUnavailable: 503"),
                  SceneAttempt("pexels", "ok")],
        skipped=[SourceSkip("veo", "estimate $1.2000 a reel over the $0.5000 left")])
    reel = ReelRecord(reel_id=REEL, channel="demo", topic="t", title="T", status="published",
                      video_uri="", asset_uris={}, costs=costs(0.1), publications=[],
                      visual_decisions=[decision])
    ledger.record_reel(reel)
    ledger.record_reel(reel)  # a retried record_reel writes the rows once
    rows = [(r.source, r.outcome, r.reason) for r in ledger.visual_decisions(REEL)]
    assert rows == [("veo", "skipped", "estimate $1.2000 a reel over the $0.5000 left"),
                    ("runway", "failed", "ProviderUnavailable: 503"),
                    ("pexels", "chosen", "")]


def _open_ledger(url: str, barrier: Any) -> None:
    barrier.wait()
    Ledger(url)


def test_workers_opening_a_new_ledger_at_once(new_ledger_url: Callable[[], str]) -> None:
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(3):
        url = new_ledger_url()
        barrier = ctx.Barrier(4)
        procs = [ctx.Process(target=_open_ledger, args=(url, barrier)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0], f"round {round_}"


def test_a_ledger_opened_while_another_opener_writes_waits_for_the_wal_switch(tmp_path: Path):
    """SQLite refuses the switch to WAL at once, busy timeout or not, while another
    connection holds the reserved lock: the opener retries until the writer commits."""
    from activities.ledger import make_engine

    path = tmp_path / "ledger.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")  # the reserved lock of a worker writing the schema
    writer.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.3, writer.execute, ["COMMIT"])
    release.start()
    try:
        with make_engine(f"sqlite:///{path}", upgrade=False).connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        release.join()
        writer.close()
    assert mode == "wal"


def test_a_bare_postgresql_url_gets_the_psycopg_driver():
    from activities.ledger import driver_url

    assert driver_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert driver_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert driver_url("postgresql+psycopg2://h/db") == "postgresql+psycopg2://h/db"
    assert driver_url("sqlite:///var/ledger.db") == "sqlite:///var/ledger.db"
