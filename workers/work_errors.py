"""Marks failures of the work itself so the workflow, not the server, counts them.

A heartbeat timeout or a lost worker is retried by the server until the stage's deadline;
an exception raised by the activity's own code (ffmpeg failing, a bug, a full disk) leaves
here as a non-retryable `ToolFailed` or `WorkFailed`, and `workflows.stages.Stage.execute`
runs the activity again `attempts` times in all. Typed errors the activity chose (final ones
like `BadInput`, waits like `RateLimited`) pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError, is_cancelled_exception
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities.errors import TOOL_FAILED, WORK_FAILED
from activities.redact import describe


class WorkErrorInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _WorkErrorInbound(next)


class _WorkErrorInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except ApplicationError as error:
            if error.type == TOOL_FAILED and not error.non_retryable:
                raise ApplicationError(error.message, *error.details, type=TOOL_FAILED,
                                       non_retryable=True) from error
            raise
        except Exception as error:
            if is_cancelled_exception(error):
                raise
            raise ApplicationError(describe(error), type=WORK_FAILED,
                                   non_retryable=True) from error
