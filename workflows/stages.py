"""Activity names, queues, timeouts and retry policies, in one place.

Workflows refer to activities by name so the orchestrator never imports ffmpeg, onnxruntime
or MLX; the worker registers the implementations under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

T = TypeVar("T")

# Type names of activities.errors; kept here too because workflows cannot import activities.
NON_RETRYABLE = ["BadInput", "QualityFailed"]


@dataclass(frozen=True)
class Stage:
    name: str  # the activity name
    queue: str  # the logical queue; workers map it to the configured task queue name
    timeout: timedelta  # start-to-close
    heartbeat: timedelta | None = None
    attempts: int = 3

    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            initial_interval=timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=30),
            maximum_attempts=self.attempts,
            non_retryable_error_types=NON_RETRYABLE,
        )

    async def execute(self, arg: Any, result_type: type[T], queues: dict[str, str]) -> T:
        """Run this stage's activity from a workflow with its timeouts and retry policy."""
        return await workflow.execute_activity(
            self.name,
            arg,
            result_type=result_type,
            task_queue=task_queue(queues, self.queue),
            start_to_close_timeout=self.timeout,
            heartbeat_timeout=self.heartbeat,
            retry_policy=self.retry(),
        )


def task_queue(queues: dict[str, str], logical: str) -> str:
    """The configured task queue of a logical queue, from inside a workflow.

    Before load_channel has answered (or for a reel started without queues), the `reels`
    queue is the one the calling workflow runs on.
    """
    if logical in queues:
        return queues[logical]
    return workflow.info().task_queue if logical == "reels" else logical


LOAD_CHANNEL = Stage("load_channel", "reels", timedelta(seconds=30))
PICK_TOPIC = Stage("pick_topic", "reels", timedelta(seconds=60))
WRITE_SCRIPT = Stage("write_script", "reels", timedelta(minutes=2))
SYNTHESIZE_VOICE = Stage("synthesize_voice", "gpu", timedelta(minutes=10), timedelta(seconds=10))
MAKE_VISUALS = Stage("make_visuals", "media", timedelta(minutes=15), timedelta(seconds=10))
COMPOSE_REEL = Stage("compose_reel", "media", timedelta(minutes=20), timedelta(seconds=10))
CHECK_QUALITY = Stage("check_quality", "media", timedelta(minutes=10), timedelta(seconds=10))
PUBLISH_REEL = Stage("publish_reel", "publish", timedelta(minutes=30), timedelta(seconds=30), 5)
# The gpu queue's models (activities/gpu). Heartbeats come from a helper thread, so a long
# model load or generation step does not look like a dead worker.
WRITE_SCRIPT_MLX = Stage("write_script_mlx", "gpu", timedelta(minutes=10), timedelta(seconds=30))
PICK_NOVEL_TOPIC = Stage("pick_novel_topic", "gpu", timedelta(minutes=2), timedelta(seconds=30))
LIST_OWN_MEDIA = Stage("list_own_media", "media", timedelta(seconds=60))
MATCH_MEDIA = Stage("match_media", "gpu", timedelta(minutes=2), timedelta(seconds=30))
RECORD_REEL = Stage("record_reel", "reels", timedelta(seconds=60), attempts=10)
# One call per platform; its retries resume the upload. Quota and rate-limit waits come as
# `next_retry_delay` from the activity and count as attempts, hence the generous number.
PUBLISH_TO_PLATFORM = Stage("publish_to_platform", "publish", timedelta(minutes=30),
                            timedelta(seconds=60), attempts=30)

REEL_STAGES = [WRITE_SCRIPT, SYNTHESIZE_VOICE, MAKE_VISUALS, COMPOSE_REEL, CHECK_QUALITY,
               PUBLISH_REEL]
