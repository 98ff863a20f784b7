"""load_channel and record_reel: the channel's config and the ledger, on the `reels` queue."""

from __future__ import annotations

from dataclasses import asdict

from temporalio import activity

from activities.config import ConfigError, Settings, load_channel
from activities.errors import bad_input
from activities.ledger import Ledger
from workflows.contracts import ChannelRef, ChannelSetup, RecordResult, ReelRecord


class ChannelActivities:
    def __init__(self, settings: Settings, ledger: Ledger) -> None:
        self.settings = settings
        self.ledger = ledger

    @activity.defn(name="load_channel")
    def load_channel(self, ref: ChannelRef) -> ChannelSetup:
        try:
            config = load_channel(self.settings, ref.name)
        except ConfigError as exc:
            raise bad_input(str(exc)) from None
        self.ledger.ensure_channel(config.name, config.niche)
        return ChannelSetup(
            config=config,
            reels_today=self.ledger.reels_on(config.name, ref.date),
            recent_topics=self.ledger.recent_topics(config.name),
            queues=asdict(self.settings.queues),  # every logical queue, generate included
        )

    @activity.defn(name="record_reel")
    def record_reel(self, record: ReelRecord) -> RecordResult:
        return RecordResult(record.reel_id, self.ledger.record_reel(record))
