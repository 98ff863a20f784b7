"""One place that takes secrets out of text before it becomes a message or a log line.

Failure messages land in Temporal history, which the payload codec never encrypts (a failure's
message is not a payload), in `channel status` and in the JSON log. HTTP client exceptions
paste the request URL into their text, so a token sent in a query string, or a secret echoed
by a provider's error page, would travel with them. Every publisher and provider client runs
exception text and URLs through `redact` before raising or logging.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "<redacted>"

# Query and form parameters that carry credentials on the APIs the factory calls.
SECRET_PARAMS = ("access_token", "refresh_token", "client_secret", "fb_exchange_token",
                 "upload_token",  # TikTok's upload URL: whoever holds it can send the file
                 "input_token", "token", "api_key", "apikey", "key", "code", "code_verifier",
                 "password", "signature", "x-amz-signature", "x-amz-credential",
                 "x-amz-security-token")

_PARAM = re.compile(r"(?i)\b(" + "|".join(re.escape(p) for p in SECRET_PARAMS) +
                    r")=([^&\s'\"<>]+)")
_HEADER = re.compile(r"(?i)\b(authorization|x-api-key|api-key)(['\"]?\s*[:=]\s*['\"]?)"
                     r"(bearer |oauth |token |basic )?([^\s'\",}]+)")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """`text` with credential parameters, auth headers, URL passwords and `secrets` masked."""
    out = str(text)
    for secret in sorted({str(s) for s in secrets if s and len(str(s)) >= 6}, key=len, reverse=True):
        out = out.replace(secret, MASK)
    out = _PARAM.sub(lambda m: f"{m.group(1)}={MASK}", out)
    out = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{MASK}", out)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", out)


def describe(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """`Type: message` of an exception, redacted: the form every client error message takes."""
    return redact(f"{type(error).__name__}: {error}", secrets)
