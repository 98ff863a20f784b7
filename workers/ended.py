"""How a workflow that is no longer running ended: the status, the time and the reason.

A closed channel cannot answer its `status` query truthfully (the last state it held says
"waiting for topic" forever), so the CLI describes the workflow first and asks this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client, WorkflowContinuedAsNewError, WorkflowFailureError
from temporalio.client import WorkflowExecutionStatus as Status
from temporalio.exceptions import ActivityError, ChildWorkflowError, FailureError

from workflows.contracts import ChannelResult

WORDS = {
    Status.COMPLETED: "completed",
    Status.FAILED: "failed",
    Status.CANCELED: "cancelled",
    Status.TERMINATED: "terminated",
    Status.TIMED_OUT: "timed out",
    Status.CONTINUED_AS_NEW: "continued as new",
}


@dataclass
class EndedRun:
    workflow_id: str
    ended: str  # one of WORDS' values
    closed_at: str  # ISO 8601, UTC
    message: str  # the failure, or what a completed channel returned


async def ended_run(client: Client, workflow_id: str) -> EndedRun | None:
    """None while the workflow runs; else how its latest run ended."""
    handle = client.get_workflow_handle(workflow_id, result_type=ChannelResult)
    described = await handle.describe()
    if described.status is None or described.status == Status.RUNNING:
        return None
    closed = described.close_time.isoformat(timespec="seconds") if described.close_time else ""
    try:
        result = await handle.result(follow_runs=False)
        message = (f"{result.reason}: published {result.published}, failed {result.failed}"
                   if isinstance(result, ChannelResult) else str(result))
    except WorkflowFailureError as exc:
        message = failure_message(exc.cause)
    except WorkflowContinuedAsNewError:
        message = "a newer run continues it"
    return EndedRun(handle.id, WORDS.get(described.status, described.status.name.lower()),
                    closed, message)


def failure_message(error: BaseException | None) -> str:
    """The chain of causes in one line: where it happened (activity, child), then the reason
    the innermost error gives, e.g. `pick_topic: feed.yaml: topics: must be a non-empty list`."""
    places: list[str] = []
    while isinstance(error, ActivityError | ChildWorkflowError) and error.cause is not None:
        places.append(error.activity_type if isinstance(error, ActivityError)
                      else error.workflow_id)
        error = error.cause
    reason = error.message if isinstance(error, FailureError) else str(error or "")
    return ": ".join([*places, reason or "no reason given"])
