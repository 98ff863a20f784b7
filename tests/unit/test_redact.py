"""What `redact` takes out of text before it becomes a message or a log line."""

from __future__ import annotations

from activities.redact import MASK, describe, redact


def test_credential_parameters_are_masked_and_the_rest_kept() -> None:
    url = ("https://graph.facebook.com/v21.0/oauth/access_token?grant_type=fb_exchange_token"
           "&client_id=4242&client_secret=abcdef123&fb_exchange_token=EAAG99&fields=id")
    out = redact(f"HTTPSConnectionPool: Max retries exceeded with url: {url}")
    assert "abcdef123" not in out and "EAAG99" not in out
    assert f"client_secret={MASK}" in out and "client_id=4242" in out and "fields=id" in out


def test_auth_headers_keep_their_scheme_and_lose_the_value() -> None:
    out = redact("sent {'Authorization': 'Bearer sk-live-1234567', 'x-api-key': 'k-987654'}")
    assert "sk-live-1234567" not in out and "k-987654" not in out
    assert f"Bearer {MASK}" in out


def test_url_passwords_are_masked() -> None:
    out = redact("could not connect to postgresql://factory:hunter22@db.internal/ledger")
    assert out == f"could not connect to postgresql://factory:{MASK}@db.internal/ledger"


def test_named_secrets_are_masked_wherever_they_appear() -> None:
    out = redact("refused token EAAGm0PX4Z for user 17841400", secrets=["EAAGm0PX4Z", "", 1234])
    assert out == f"refused token {MASK} for user 17841400"


def test_describe_names_the_exception_type() -> None:
    error = ConnectionError("cannot reach https://x.example/?api_key=zzz999")
    assert describe(error) == f"ConnectionError: cannot reach https://x.example/?api_key={MASK}"
