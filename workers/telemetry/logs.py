"""JSON-lines logs for files and Loki, beside the human-readable console.

Every line carries service, channel, reel, workflow id and trace id when they are known:
from the running activity, from the `temporal_workflow` extra the SDK adds to workflow
logs, and from the current OpenTelemetry span.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opentelemetry import trace
from temporalio import activity

from activities.private_files import private_file, private_folder

HANDLER_NAME = "monolathe-json"


def _ids_of(workflow_id: str) -> dict[str, str]:
    """channel/<name> and reel/<channel>/<date>/<n> say which channel (and reel) they are."""
    parts = workflow_id.split("/")
    if parts[0] == "reel" and len(parts) >= 4:
        return {"channel": parts[1], "reel": workflow_id}
    if parts[0] == "channel" and len(parts) == 2:
        return {"channel": parts[1]}
    return {}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        workflow_id = ""
        wf = getattr(record, "temporal_workflow", None)
        if isinstance(wf, dict):
            workflow_id = str(wf.get("workflow_id", ""))
            line["workflow_type"] = wf.get("workflow_type", "")
        elif activity.in_activity():
            info = activity.info()
            workflow_id = info.workflow_id or ""
            line["activity"] = info.activity_type
            line["attempt"] = info.attempt
        if workflow_id:
            line["workflow_id"] = workflow_id
            line.update(_ids_of(workflow_id))
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def add_json_log(path: Path, service: str, level: str) -> logging.Handler:
    """Send the process's logs at `level` to `path` too, leaving the console as it was."""
    private_folder(path.parent)
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.name == HANDLER_NAME:
            return handler  # one file per process, even when called twice
    console_level = root.level
    for handler in root.handlers:
        if handler.level == logging.NOTSET:
            handler.setLevel(console_level)  # the console keeps showing what it showed
    handler = logging.FileHandler(private_file(Path(path)), encoding="utf-8")
    handler.name = HANDLER_NAME
    handler.setLevel(level)
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(min(console_level or logging.WARNING, handler.level))
    return handler
