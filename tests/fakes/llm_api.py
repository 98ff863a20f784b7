"""A loopback OpenAI-compatible chat completions API, as DeepSeek answers it.

- POST <base>/chat/completions   JSON mode, `usage` with DeepSeek's cache-hit count

`answers` is a queue of message contents to give (a JSON script by default); faults of kind
"chat" answer with a status and a DeepSeek-shaped error body (`retry_after` sets the
Retry-After header), or drop the connection ("reset").
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.server import FakeServer, Fault, Request, Reset, Response

GOOD_SCRIPT = {
    "title": "Octopuses have three hearts",
    "hook": "An octopus runs on three hearts, and one of them stops when it swims.",
    "scenes": [
        {"text": "Two small hearts push blood through the gills, where it picks up oxygen.",
         "keywords": ["octopus", "gills"],
         "visual_prompt": "A red octopus breathing on a reef, slow macro shot, soft light."},
        {"text": "The big heart sends that blood around the body, and it pauses when the"
                 " octopus swims.",
         "keywords": ["octopus", "swimming"],
         "visual_prompt": "An octopus jetting through blue water, tracking shot from below."},
        {"text": "That is why octopuses prefer crawling over swimming: it is less tiring.",
         "keywords": ["octopus", "crawling"],
         "visual_prompt": "An octopus crawling over sand at dusk, low angle, shallow focus."},
    ],
    "caption": "Three hearts, one very tired swimmer.",
    "hashtags": ["octopus", "ocean"],
}
MESSAGES = {400: "Invalid request", 401: "Authentication Fails, Your api key is invalid",
            402: "Insufficient Balance", 404: "Model Not Exist", 422: "Invalid Parameters",
            429: "Rate limit reached", 500: "Internal server error",
            503: "Server overloaded, please try again later"}


class FakeLlm(FakeServer):
    def __init__(self, cert: Any, key: str = "sk-test", prompt_tokens: int = 900,
                 completion_tokens: int = 300, cached_tokens: int = 100) -> None:
        super().__init__(cert)
        self.key = key
        self.answers: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.usage = (prompt_tokens, completion_tokens, cached_tokens)

    def handle(self, req: Request) -> Response:
        if not req.path.endswith("/chat/completions") or req.method != "POST":
            return Response(404, {"error": {"message": f"no route {req.path}"}})
        body = json.loads(req.read() or b"{}")
        self.bodies.append(body)
        if self.key and req.bearer() != self.key:
            return self._error(401)
        fault = self.fault("chat")
        if fault is not None:
            return self._apply(fault)
        if body.get("response_format", {}).get("type") not in (None, "json_object", "text"):
            # DeepSeek takes json_object and text only.
            return self._error(400, "This response_format type is unavailable now")
        content = self.answers.pop(0) if self.answers else json.dumps(GOOD_SCRIPT)
        prompt, completion, cached = self.usage
        return Response(200, {
            "id": f"chatcmpl-{len(self.bodies)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", ""),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion, "prompt_cache_hit_tokens": cached,
                      "prompt_cache_miss_tokens": prompt - cached},
        })

    def _apply(self, fault: Fault) -> Response:
        if fault.action == "reset":
            raise Reset()
        if fault.action == "slow":
            time.sleep(float(fault.reason or 5))
            return Response(200, {"choices": []})
        response = self._error(int(fault.action), fault.reason)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    @staticmethod
    def _error(status: int, message: str = "") -> Response:
        return Response(status, {"error": {"message": message or MESSAGES.get(status, "error"),
                                           "type": "invalid_request_error", "param": None,
                                           "code": None}})
