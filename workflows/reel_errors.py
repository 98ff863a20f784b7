"""What an activity's failure says, as the reel's paths read it: its ApplicationError type and
its message, through the ActivityError that wraps it."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError


def error_type(error: BaseException) -> str:
    cause = error.cause if isinstance(error, ActivityError) else error
    return cause.type or "" if isinstance(cause, ApplicationError) else ""


def error_reason(error: BaseException) -> str:
    cause = error.cause if isinstance(error, ActivityError) and error.cause else error
    return str(cause)
