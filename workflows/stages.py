"""Activity names, queues, timeouts and retry policies, in one place.

Workflows refer to activities by name so the orchestrator never imports ffmpeg, onnxruntime
or MLX; the worker registers the implementations under the same names.

Retries go by kind of failure:
- the infrastructure (a heartbeat or start-to-close timeout, a lost worker, a server restart)
  and declared waits (rate limits, quotas, a platform's 5xx): the server retries without an
  attempt count until the stage's `deadline` (schedule-to-close);
- the work itself (ffmpeg failing, an unexpected exception): `WorkErrorInterceptor` marks the
  failure non-retryable for the server and `Stage.execute` runs the activity again, `attempts`
  times in all, so a worker dying never spends that budget;
- typed final errors (`BadInput`, `QualityFailed`, a provider's refusal): no retry; the
  workflow decides what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

T = TypeVar("T")

# Type names of activities.errors; kept here too because workflows cannot import activities.
NON_RETRYABLE = ["BadInput", "QualityFailed", "ContentRefused", "NotConfigured"]
# Failures of the work itself, retried by the workflow `Stage.attempts` times in all.
WORK_FAILURE_TYPES = ("ToolFailed", "WorkFailed")
WORK_RETRY_BASE = timedelta(seconds=2)


def rerun_id(name: str, run: int) -> str | None:
    """The activity id of a workflow-level re-run (None: Temporal's own numbering for the
    first run), so metrics can count re-runs as retries (see `run_of`)."""
    return f"{name}/run-{run}/{workflow.uuid4().hex[:8]}" if run > 1 else None


def run_of(activity_id: str) -> int:
    """Which run of its stage an activity is: 1, or N from an id made by `rerun_id`."""
    parts = activity_id.split("/")
    if len(parts) == 3 and parts[1].startswith("run-") and parts[1][4:].isdigit():
        return int(parts[1][4:])
    return 1


def is_work_failure(error: BaseException) -> bool:
    cause = error.cause if isinstance(error, ActivityError) else error
    return (isinstance(cause, ApplicationError) and cause.non_retryable
            and cause.type in WORK_FAILURE_TYPES)


@dataclass(frozen=True)
class Stage:
    name: str  # the activity name
    queue: str  # the logical queue; workers map it to the configured task queue name
    timeout: timedelta  # start-to-close of one attempt
    heartbeat: timedelta | None = None
    attempts: int = 3  # runs allowed when the work itself fails (not the infrastructure)
    deadline: timedelta = timedelta(hours=1)  # schedule-to-close: infrastructure retries stop

    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            initial_interval=timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=60),
            maximum_attempts=0,  # unlimited: the deadline bounds them
            non_retryable_error_types=NON_RETRYABLE,
        )

    async def execute(self, arg: Any, result_type: type[T], queues: dict[str, str]) -> T:
        """Run this stage's activity from a workflow with its timeouts and retry policy."""
        for run in range(1, self.attempts + 1):
            try:
                return await workflow.execute_activity(
                    self.name,
                    arg,
                    result_type=result_type,
                    activity_id=rerun_id(self.name, run),
                    task_queue=task_queue(queues, self.queue),
                    start_to_close_timeout=self.timeout,
                    schedule_to_close_timeout=self.deadline,
                    heartbeat_timeout=self.heartbeat,
                    retry_policy=self.retry(),
                )
            except ActivityError as error:
                if run >= self.attempts or not is_work_failure(error):
                    raise
                workflow.logger.warning("%s failed (run %d of %d), running it again: %s",
                                        self.name, run, self.attempts, error.cause)
                await workflow.sleep(WORK_RETRY_BASE * 2 ** (run - 1))
        raise AssertionError("unreachable: the last run returns or raises")

    async def execute_if_taken(self, arg: Any, result_type: type[T], queues: dict[str, str],
                               wait: timedelta) -> T:
        """Run this stage's activity if a worker takes it within `wait`: an ActivityError
        (a schedule-to-start timeout) otherwise. For work a reel or a scout can go without,
        such as scores from the gpu worker's MiniLM: a host without that worker is not an
        error, the caller keeps what it has. Two tries in all, and no work re-runs."""
        return await workflow.execute_activity(
            self.name, arg, result_type=result_type, task_queue=task_queue(queues, self.queue),
            schedule_to_start_timeout=wait, start_to_close_timeout=self.timeout,
            heartbeat_timeout=self.heartbeat, retry_policy=RetryPolicy(maximum_attempts=2))


def task_queue(queues: dict[str, str], logical: str) -> str:
    """The configured task queue of a logical queue, from inside a workflow.

    Before load_channel has answered (or for a reel started without queues), the `reels`
    queue is the one the calling workflow runs on.
    """
    if logical in queues:
        return queues[logical]
    return workflow.info().task_queue if logical == "reels" else logical


MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
LOAD_CHANNEL = Stage("load_channel", "reels", timedelta(seconds=30), deadline=10 * MINUTE)
PICK_TOPIC = Stage("pick_topic", "reels", timedelta(seconds=60), deadline=10 * MINUTE)
WRITE_SCRIPT = Stage("write_script", "reels", 2 * MINUTE, deadline=30 * MINUTE)
SYNTHESIZE_VOICE = Stage("synthesize_voice", "gpu", 10 * MINUTE, timedelta(seconds=10),
                         deadline=HOUR)
MAKE_VISUALS = Stage("make_visuals", "media", 15 * MINUTE, timedelta(seconds=10), deadline=HOUR)
COMPOSE_REEL = Stage("compose_reel", "media", 20 * MINUTE, timedelta(seconds=10), deadline=HOUR)
CHECK_QUALITY = Stage("check_quality", "media", 10 * MINUTE, timedelta(seconds=10),
                      deadline=30 * MINUTE)
PUBLISH_REEL = Stage("publish_reel", "publish", 30 * MINUTE, timedelta(seconds=30), 5,
                     deadline=2 * HOUR)
# The gpu queue's models (activities/gpu). Heartbeats come from a helper thread, so a long
# model load or generation step does not look like a dead worker.
WRITE_SCRIPT_MLX = Stage("write_script_mlx", "gpu", 10 * MINUTE, timedelta(seconds=30),
                         deadline=HOUR)
PICK_NOVEL_TOPIC = Stage("pick_novel_topic", "gpu", 2 * MINUTE, timedelta(seconds=30),
                         deadline=30 * MINUTE)
# An LLM behind an OpenAI-compatible API: waits on the network, so the reels queue. 429s wait
# for Retry-After (next_retry_delay), 5xx and timeouts retry until the deadline.
WRITE_SCRIPT_API = Stage("write_script_api", "reels", 3 * MINUTE, deadline=HOUR)
# The trend scout: sources fetched side by side with their own timeouts, then the ledger;
# take_topic only reads the ledger (and the local feed), so a slot never waits on the network.
SCOUT_TRENDS = Stage("scout_trends", "reels", 5 * MINUTE, timedelta(seconds=30),
                     deadline=30 * MINUTE)
RESCORE_TOPICS = Stage("rescore_topics", "reels", timedelta(seconds=30), deadline=10 * MINUTE)
# MiniLM on the gpu queue; the scout waits at most RELEVANCE_PICKUP for a gpu worker to take
# it, then keeps the keyword relevance (a host without a gpu worker is not an error).
RANK_RELEVANCE = Stage("rank_relevance", "gpu", 2 * MINUTE, timedelta(seconds=30),
                       deadline=10 * MINUTE)
# Predicted performance (channels with trends.performance_weight): the past reels' 7-day
# views from the ledger, MiniLM's nearest neighbours on the gpu queue under the same wait as
# relevance, then the queue's scores.
LIST_PAST_REELS = Stage("list_past_reels", "reels", timedelta(seconds=60), deadline=10 * MINUTE)
PREDICT_PERFORMANCE = Stage("predict_performance", "gpu", 2 * MINUTE, timedelta(seconds=30),
                            deadline=10 * MINUTE)
RESCORE_PERFORMANCE = Stage("rescore_performance", "reels", timedelta(seconds=30),
                            deadline=10 * MINUTE)
TAKE_TOPIC = Stage("take_topic", "reels", timedelta(seconds=30), deadline=10 * MINUTE)
LIST_OWN_MEDIA = Stage("list_own_media", "media", timedelta(seconds=60), deadline=10 * MINUTE)
MATCH_MEDIA = Stage("match_media", "gpu", 2 * MINUTE, timedelta(seconds=30),
                    deadline=30 * MINUTE)
# The first call on a gpu worker embeds the icon index (about 1,900 names, a minute of CPU on a
# quiet machine, far more on a loaded one) before it is cached on disk.
MATCH_ICONS = Stage("match_icons", "gpu", 20 * MINUTE, timedelta(seconds=30),
                    deadline=30 * MINUTE)
# What each scene shows against what is said over it; like rank_relevance, the reel waits at
# most ReelInput.relevance_wait_s for a gpu worker to take it, then the scenes stay unscored.
SCORE_SCENE_RELEVANCE = Stage("score_scene_relevance", "gpu", 2 * MINUTE, timedelta(seconds=30),
                              deadline=10 * MINUTE)
# A ledger outage must not lose the record of a finished reel: a long deadline.
RECORD_REEL = Stage("record_reel", "reels", timedelta(seconds=60), attempts=10, deadline=6 * HOUR)
# One call per platform; its retries resume the upload. Quota waits (until midnight Pacific)
# and rate-limit waits come as `next_retry_delay`; the deadline covers a day's quota and more.
PUBLISH_TO_PLATFORM = Stage("publish_to_platform", "publish", 30 * MINUTE, timedelta(seconds=60),
                            attempts=5, deadline=48 * HOUR)
# Performance figures (activities/performance), where the platform tokens are. A spent quota
# waits for its reset (midnight Pacific for YouTube) inside the deadline; the next hourly run
# is skipped meanwhile, never piled up.
LIST_PUBLISHED_REELS = Stage("list_published_reels", "publish", timedelta(seconds=60),
                             deadline=10 * MINUTE)
FETCH_PERFORMANCE = Stage("fetch_performance", "publish", 10 * MINUTE, timedelta(seconds=60),
                          deadline=26 * HOUR)
# Footage (queue `generate`, activities/footage): one scene's clip from one source. The job
# id is in the ledger before the wait, so a retry polls the same job; the heartbeat comes with
# every poll, and a job has its own bound (visuals.max_wait_minutes, 20) inside the attempt.
# Providers' outages retry until the deadline, then the scene falls through its chain and the
# breaker hears of it.
GENERATE_FOOTAGE = Stage("generate_footage", "generate", 30 * MINUTE, timedelta(seconds=30),
                         attempts=2, deadline=45 * MINUTE)
LIST_FOOTAGE_SOURCES = Stage("list_footage_sources", "generate", timedelta(seconds=30),
                             deadline=10 * MINUTE)
# Control-plane reads and reservations through the Temporal client (a workflow cannot call
# another workflow's update itself).
READ_FOOTAGE_CONTEXT = Stage("read_footage_context", "reels", timedelta(seconds=30),
                             deadline=10 * MINUTE)
RESERVE_FOOTAGE_BUDGET = Stage("reserve_footage_budget", "reels", timedelta(seconds=30),
                               deadline=10 * MINUTE)

REEL_STAGES = [WRITE_SCRIPT, SYNTHESIZE_VOICE, MAKE_VISUALS, COMPOSE_REEL, CHECK_QUALITY,
               PUBLISH_REEL]
# The daily archive (activities/backup.py): a big SQLite file or media folder takes a while;
# a disk error is retried by the workflow once more, then the backup fails and alerts.
MAKE_BACKUP = Stage("make_backup", "reels", 2 * HOUR, timedelta(seconds=60), attempts=2,
                    deadline=6 * HOUR)
