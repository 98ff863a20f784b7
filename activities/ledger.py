"""The ledger: channels, reels, assets, costs and publications in SQLModel.

SQLite in WAL mode by default (several workers on one host write at once), PostgreSQL by URL
for workers on several hosts. The
publication table is the idempotency guard for publishing: one row per (reel, platform),
written as an intent before the upload and completed with the platform's id after it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, func, select

from activities.config.ledger import LedgerSettings
from activities.ledger_schema import upgrade_ledger
from activities.ledger_tables import (  # noqa: F401  (re-exported: the tables' old home)
    AssetRow,
    ChannelRow,
    CostRow,
    FootageJobRow,
    PublicationRow,
    QualityCheckRow,
    QualityRemedyRow,
    QuotaRow,
    ReelRow,
    ScoutRunRow,
    TopicRow,
    UploadSessionRow,
    VisualDecisionRow,
    _now,
)
from activities.private_files import private_file
from workflows.contracts import Publication, QualityReport, ReelRecord, VisualDecision


def decision_rows(reel_id: str, decisions: list[VisualDecision]) -> list[VisualDecisionRow]:
    rows = []
    for d in decisions:
        for skip in d.skipped:
            rows.append(VisualDecisionRow(reel_id=reel_id, scene=d.scene, source=skip.source,
                                          outcome="skipped", reason=skip.reason))
        for attempt in d.attempts:
            outcome = "chosen" if attempt.source == d.chosen else attempt.outcome
            rows.append(VisualDecisionRow(
                reel_id=reel_id, scene=d.scene, source=attempt.source, outcome=outcome,
                reason=attempt.error, usd=attempt.usd,
                estimate_usd=d.estimate_usd if outcome == "chosen" else 0.0))
    return rows


BUSY_TIMEOUT_S = 10.0


def _sqlite_wal(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # The timeout first: switching to WAL takes a lock that another opener may hold.
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """journal_mode=WAL, waiting out other openers. The switch reads the file under a shared
    lock and then needs it exclusive; while another connection holds the reserved lock (a
    worker opening the same new ledger, writing its schema) SQLite answers "database is
    locked" at once instead of calling the busy handler, since waiting with the shared lock
    held could deadlock. Retrying from scratch lets the other finish."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def driver_url(url: str) -> str:
    """`url` with psycopg 3 as its driver when it names none: SQLAlchemy's default for a bare
    `postgresql://` is psycopg2, which the `postgres` extra does not install."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def make_engine(url: str, pool: LedgerSettings | None = None, upgrade: bool = True) -> Engine:
    """The ledger's engine, its schema brought to the code's head (`ledger_schema`) unless
    `upgrade` is off (`monolathe db current` reads the revision without moving it).

    SQLite gets WAL and a busy timeout (one host, several processes); PostgreSQL gets the
    process's pool from temporal.yaml's `ledger` and a statement timeout on every connection."""
    url = driver_url(url)
    pool = pool or LedgerSettings()
    if url.startswith("sqlite:///"):
        private_file(Path(url[len("sqlite:///") :]))  # SQLite gives its -wal/-shm this mode
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_wal)
    else:
        connect_args: dict[str, object] = {}
        if url.startswith("postgresql") and pool.statement_timeout_s > 0:
            ms = int(pool.statement_timeout_s * 1000)
            connect_args["options"] = f"-c statement_timeout={ms}"
        engine = create_engine(url, pool_pre_ping=True, pool_size=pool.pool_size,
                               max_overflow=pool.max_overflow, pool_timeout=pool.pool_timeout_s,
                               connect_args=connect_args)
    if upgrade:
        upgrade_ledger(engine)
    return engine


def quality_rows(report: QualityReport) -> list[tuple[str, str, float | None]]:
    """A report's checks with the number each one judged, for the quality_checks table."""
    values: dict[str, float | None] = {
        "loudness": report.loudness_lufs,
        "av_sync": report.av_gap_ms,
        "duration": report.duration_s,
        "fps": report.fps,
        "audio": report.mean_volume_db,
    }
    rows = [(name, result, values.get(name)) for name, result in report.checks.items()]
    if report.true_peak_dbtp is not None:
        rows.append(("true_peak", report.checks.get("loudness", "ok"), report.true_peak_dbtp))
    return rows


def day_of_reel(reel_id: str) -> str:
    parts = reel_id.split("/")
    return parts[2] if len(parts) >= 4 else ""


class Ledger:
    def __init__(self, url: str, pool: LedgerSettings | None = None) -> None:
        self.engine = make_engine(url, pool)

    @contextmanager
    def session(self) -> Iterator[Session]:
        # Rows handed out stay readable after the commit (no lazy reload of a closed session).
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    # --- channels and numbering ---

    def ensure_channel(self, name: str, niche: str) -> None:
        with self.session() as s:
            if s.get(ChannelRow, name) is None:
                s.add(ChannelRow(name=name, niche=niche))

    def reels_on(self, channel: str, day: str) -> int:
        """The highest reel number the ledger has seen for the channel on that day."""
        with self.session() as s:
            ids = s.exec(select(ReelRow.id).where(ReelRow.channel == channel, ReelRow.day == day))
            numbers = [int(i.rsplit("/", 1)[1]) for i in ids if i.rsplit("/", 1)[1].isdigit()]
        return max(numbers, default=0)

    def recent_topics(self, channel: str, limit: int = 50) -> list[str]:
        with self.session() as s:
            rows = s.exec(
                select(ReelRow.topic)
                .where(ReelRow.channel == channel, ReelRow.status == "published")
                .order_by(ReelRow.updated_at.desc())  # type: ignore[attr-defined]
                .limit(limit)
            )
            return list(reversed([t for t in rows if t]))

    # --- reels ---

    def record_reel(self, record: ReelRecord) -> float:
        """Write the reel's final row, its assets and costs; safe to repeat (retries)."""
        reel_id, channel = record.reel_id, record.channel
        day = day_of_reel(reel_id)
        total = round(sum(c.usd for c in record.costs), 6)
        with self.session() as s:
            row = s.get(ReelRow, reel_id) or ReelRow(id=reel_id, channel=channel, day=day)
            row.topic, row.title, row.status = record.topic, record.title, record.status
            row.error, row.video_uri = record.error, record.video_uri
            row.total_usd, row.updated_at = total, _now()
            row.hook_style = record.hook_style
            row.relevance = record.relevance
            row.scene_relevance = json.dumps(record.scene_relevance)
            s.add(row)
            for old in s.exec(select(CostRow).where(CostRow.reel_id == reel_id)):
                s.delete(old)
            for old_asset in s.exec(select(AssetRow).where(AssetRow.reel_id == reel_id)):
                s.delete(old_asset)
            s.flush()
            for cost in record.costs:
                s.add(CostRow(reel_id=reel_id, channel=channel, day=day, stage=cost.stage,
                              backend=cost.backend, seconds=cost.seconds,
                              cpu_seconds=cost.cpu_seconds, usd=cost.usd))
            for kind, uri in record.asset_uris.items():
                s.add(AssetRow(reel_id=reel_id, kind=kind, uri=uri))
            for old_decision in s.exec(
                select(VisualDecisionRow).where(VisualDecisionRow.reel_id == reel_id)
            ):
                s.delete(old_decision)
            s.flush()
            s.add_all(decision_rows(reel_id, record.visual_decisions))
            if record.quality is not None:
                for old_check in s.exec(
                    select(QualityCheckRow).where(QualityCheckRow.reel_id == reel_id)
                ):
                    s.delete(old_check)
                s.flush()
                for name, result, value in quality_rows(record.quality):
                    s.add(QualityCheckRow(reel_id=reel_id, name=name, result=result, value=value))
            for old_remedy in s.exec(
                select(QualityRemedyRow).where(QualityRemedyRow.reel_id == reel_id)
            ):
                s.delete(old_remedy)
            s.flush()
            for attempt, what in enumerate(record.remedies, start=1):
                s.add(QualityRemedyRow(reel_id=reel_id, attempt=attempt, what=what[:2000]))
        return total

    def quality_remedies(self, reel_id: str) -> list[str]:
        with self.session() as s:
            rows = s.exec(select(QualityRemedyRow).where(QualityRemedyRow.reel_id == reel_id)
                          .order_by(QualityRemedyRow.attempt))  # type: ignore[arg-type]
            return [row.what for row in rows]

    def quality_checks(self, reel_id: str) -> dict[str, tuple[str, float | None]]:
        with self.session() as s:
            rows = s.exec(select(QualityCheckRow).where(QualityCheckRow.reel_id == reel_id))
            return {row.name: (row.result, row.value) for row in rows}

    def visual_decisions(self, reel_id: str) -> list[VisualDecisionRow]:
        with self.session() as s:
            return list(s.exec(select(VisualDecisionRow).where(
                VisualDecisionRow.reel_id == reel_id).order_by(VisualDecisionRow.id)))

    def spend_on(self, channel: str, day: str) -> float:
        with self.session() as s:
            total = s.exec(
                select(func.coalesce(func.sum(CostRow.usd), 0.0)).where(
                    CostRow.channel == channel, CostRow.day == day
                )
            ).one()
        return float(total)

    # --- publications (idempotency: one per reel and platform) ---

    def publication_intent(self, reel_id: str, platform: str) -> Publication | None:
        """Record the intent to publish; return the publication if it already happened."""
        with self.session() as s:
            row = s.exec(
                select(PublicationRow).where(
                    PublicationRow.reel_id == reel_id, PublicationRow.platform == platform
                )
            ).first()
            if row is None:
                s.add(PublicationRow(reel_id=reel_id, platform=platform))
                return None
            if row.status == "published":
                return Publication(platform, row.external_id, row.url, reused=True)
            return None

    def publication_done(self, reel_id: str, platform: str, external_id: str, url: str) -> None:
        with self.session() as s:
            row = s.exec(
                select(PublicationRow).where(
                    PublicationRow.reel_id == reel_id, PublicationRow.platform == platform
                )
            ).one()
            row.status, row.external_id, row.url = "published", external_id, url
            row.published_at = _now()
            s.add(row)

    # --- upload sessions and quota ---

    def upload_session(self, reel_id: str, platform: str) -> str:
        with self.session() as s:
            row = s.exec(select(UploadSessionRow).where(
                UploadSessionRow.reel_id == reel_id, UploadSessionRow.platform == platform
            )).first()
            return row.session if row else ""

    def save_upload_session(self, reel_id: str, platform: str, session: str) -> None:
        with self.session() as s:
            row = s.exec(select(UploadSessionRow).where(
                UploadSessionRow.reel_id == reel_id, UploadSessionRow.platform == platform
            )).first() or UploadSessionRow(reel_id=reel_id, platform=platform)
            row.session, row.updated_at = session, _now()
            s.add(row)

    def _quota_row(self, s: Session, platform: str, account: str, day: str) -> QuotaRow:
        row = s.exec(select(QuotaRow).where(
            QuotaRow.platform == platform, QuotaRow.account == account, QuotaRow.day == day
        )).first()
        return row or QuotaRow(platform=platform, account=account, day=day)

    def quota_used(self, platform: str, account: str, day: str) -> tuple[int, bool]:
        """(units spent, exhausted flag) for the quota day."""
        with self.session() as s:
            row = self._quota_row(s, platform, account, day)
            return row.units, row.exhausted

    def spend_quota(self, platform: str, account: str, day: str, units: int,
                    exhausted: bool = False) -> None:
        """Add to the day's count in one UPDATE: two publish workers spending at once (on
        PostgreSQL's read committed, or SQLite's reads outside the write) would otherwise
        both read the old count and one addition would be lost."""
        match = (QuotaRow.platform == platform, QuotaRow.account == account,
                 QuotaRow.day == day)
        add = (update(QuotaRow).where(*match)  # type: ignore[arg-type]
               .values(units=QuotaRow.units + units,
                       exhausted=or_(QuotaRow.exhausted, exhausted)))  # type: ignore[arg-type]
        with self.session() as s:
            if s.execute(add).rowcount == 0:  # type: ignore[attr-defined]
                s.add(QuotaRow(platform=platform, account=account, day=day, units=units,
                               exhausted=exhausted))

    def publications(self, reel_id: str) -> list[PublicationRow]:
        with self.session() as s:
            return list(s.exec(select(PublicationRow).where(PublicationRow.reel_id == reel_id)))

    # --- footage jobs (idempotency: one live job per reel, scene, source and variant) ---

    def footage_job(self, reel_id: str, scene: int, source: str,
                    variant: int) -> FootageJobRow | None:
        with self.session() as s:
            return s.exec(select(FootageJobRow).where(
                FootageJobRow.reel_id == reel_id, FootageJobRow.scene == scene,
                FootageJobRow.source == source, FootageJobRow.variant == variant)).first()

    def save_footage_job(self, reel_id: str, scene: int, source: str, variant: int,
                         **fields: object) -> FootageJobRow:
        with self.session() as s:
            row = s.exec(select(FootageJobRow).where(
                FootageJobRow.reel_id == reel_id, FootageJobRow.scene == scene,
                FootageJobRow.source == source, FootageJobRow.variant == variant)).first()
            row = row or FootageJobRow(reel_id=reel_id, scene=scene, source=source,
                                       variant=variant)
            for key, value in fields.items():
                setattr(row, key, value)
            s.add(row)
            return row
