"""The error taxonomy activities raise, as Temporal `ApplicationError` types.

Workflows and retry policies match on these type names, so they are part of the contract.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError

BAD_INPUT = "BadInput"  # retrying cannot fix it: a broken config, an empty script
QUALITY_FAILED = "QualityFailed"  # the reel was produced but failed a check
TOOL_FAILED = "ToolFailed"  # an external program (ffmpeg) failed; run again a few times
WORK_FAILED = "WorkFailed"  # an unexpected exception in the activity; run again a few times
RATE_LIMITED = "RateLimited"  # retry after the delay the backend asked for
PLATFORM_UNAVAILABLE = "PlatformUnavailable"  # 5xx, reset connection: retry, resuming
QUOTA_EXCEEDED = "QuotaExceeded"  # a platform's daily quota is spent: wait for the reset
PUBLISH_REJECTED = "PublishRejected"  # the platform refused the reel's metadata or file
AUTH_FAILED = "AuthFailed"  # the token is revoked or cannot be refreshed
OVER_MEMORY = "OverMemory"  # a model needs more than gpu.memory_limit_gb: final on this host
NON_RETRYABLE_TYPES = [BAD_INPUT, QUALITY_FAILED]


def bad_input(message: str) -> ApplicationError:
    return ApplicationError(message, type=BAD_INPUT, non_retryable=True)


def quality_failed(message: str, *details: object) -> ApplicationError:
    return ApplicationError(message, *details, type=QUALITY_FAILED, non_retryable=True)


def tool_failed(message: str) -> ApplicationError:
    return ApplicationError(message, type=TOOL_FAILED)


def rate_limited(message: str, retry_after_s: float) -> ApplicationError:
    return ApplicationError(
        message, type=RATE_LIMITED, next_retry_delay=timedelta(seconds=retry_after_s)
    )


def platform_unavailable(message: str) -> ApplicationError:
    return ApplicationError(message, type=PLATFORM_UNAVAILABLE)


def quota_exceeded(message: str, retry_after_s: float) -> ApplicationError:
    return ApplicationError(
        message, type=QUOTA_EXCEEDED, next_retry_delay=timedelta(seconds=retry_after_s)
    )


def publish_rejected(message: str) -> ApplicationError:
    return ApplicationError(message, type=PUBLISH_REJECTED, non_retryable=True)


def auth_failed(message: str) -> ApplicationError:
    return ApplicationError(message, type=AUTH_FAILED, non_retryable=True)


# --- footage providers (activities/footage) ---
CONTENT_REFUSED = "ContentRefused"  # a moderation refusal of this prompt: try another source
PROVIDER_UNAVAILABLE = "ProviderUnavailable"  # 5xx, timeout, a job failed or never finished
NOT_CONFIGURED = "NotConfigured"  # no key on this host, no Apple silicon: never retried
# Failures that say nothing about a provider's health (the breakers do not count them).
NOT_PROVIDER_FAILURES = [CONTENT_REFUSED, BAD_INPUT, NOT_CONFIGURED]


def content_refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=CONTENT_REFUSED, non_retryable=True)


def provider_unavailable(message: str) -> ApplicationError:
    return ApplicationError(message, type=PROVIDER_UNAVAILABLE)


def not_configured(message: str) -> ApplicationError:
    return ApplicationError(message, type=NOT_CONFIGURED, non_retryable=True)


def over_memory(message: str) -> ApplicationError:
    return ApplicationError(message, type=OVER_MEMORY, non_retryable=True)
