"""`monolathe auth youtube|instagram CHANNEL`: get a channel's platform token onto this host;
`monolathe auth visuals SOURCE`: a footage provider's API key.

Run it on the publish worker's host: the token is written to the secret store
(`publishing.secrets_dir`, mode 0600) and never leaves it.

YouTube: the OAuth installed-app flow (google-auth-oauthlib) with the operator's OAuth
client file, opening a loopback redirect; or `--from-file` to import an authorized-user
JSON made on another machine (a headless server has no browser).

Instagram: a long-lived user token, read from the terminal (never from argv, where `ps`
shows it), optionally exchanged from a short-lived one with the app's id and secret, then
checked against the Graph API before it is saved.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from activities.config import Settings, load_channel
from activities.redact import describe


class AuthError(Exception):
    """Reported in one line by the CLI."""


def _store(settings: Settings) -> Any:
    from activities.secrets import SecretStore

    return SecretStore(settings.publishing.secrets_dir)


def _read_secret(prompt: str) -> str:
    value = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
    return value.strip()


def auth_youtube(settings: Settings, channel: str, client_secrets: Path | None,
                 from_file: Path | None, open_browser: bool = True) -> Path:
    from activities.publishers.youtube import AUTH_SCOPES as SCOPES

    load_channel(settings, channel)  # a typo in the name fails before any browser opens
    if from_file is not None:
        try:
            info = json.loads(from_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AuthError(f"{from_file}: not a readable JSON token ({exc})") from None
        missing = [k for k in ("refresh_token", "client_id", "client_secret") if not info.get(k)]
        if missing:
            raise AuthError(f"{from_file}: {', '.join(missing)}: missing (an authorized-user"
                            " JSON from google-auth's Credentials.to_json() has them)")
    else:
        if client_secrets is None or not client_secrets.is_file():
            raise AuthError(f"{client_secrets}: OAuth client file not found; download the"
                            " Desktop-app client JSON from the Google Cloud console and pass"
                            " --client-secrets")
        from google_auth_oauthlib.flow import InstalledAppFlow

        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), SCOPES)
        creds = flow.run_local_server(port=0, open_browser=open_browser,
                                      access_type="offline", prompt="consent")
        info = json.loads(creds.to_json())
    return _store(settings).save(channel, "youtube", info)


def auth_instagram(settings: Settings, channel: str, ig_user_id: str, app_id: str = "",
                   token: str | None = None, app_secret: str | None = None) -> Path:
    import requests

    load_channel(settings, channel)
    pub = settings.publishing
    graph = f"{pub.instagram_graph_url}/{pub.instagram_api_version}"
    verify: str | bool = pub.ca_bundle or True
    token = token if token is not None else _read_secret("Instagram access token: ")
    if not token:
        raise AuthError("no token given")
    expires_at = ""
    try:
        if app_id:
            secret = app_secret if app_secret is not None else _read_secret("App secret: ")
            answer = requests.post(f"{graph}/oauth/access_token", data={
                "grant_type": "fb_exchange_token", "client_id": app_id,
                "client_secret": secret, "fb_exchange_token": token},
                timeout=30, verify=verify)
            body = answer.json()
            if "error" in body:
                raise AuthError(f"token exchange refused: {body['error'].get('message')}")
            token = body["access_token"]
            if body.get("expires_in"):
                expires_at = (datetime.now(UTC) + timedelta(seconds=int(body["expires_in"]))
                              ).isoformat(timespec="seconds")
        check = requests.get(f"{graph}/{ig_user_id}", params={"fields": "id,username"},
                             headers={"Authorization": f"OAuth {token}"}, timeout=30,
                             verify=verify).json()
    except requests.RequestException as exc:
        raise AuthError(f"{graph}: {describe(exc, (token, app_secret or ''))}") from None
    if "error" in check:
        raise AuthError(f"instagram refused the token for account {ig_user_id}:"
                        f" {check['error'].get('message')}")
    info = {"access_token": token, "ig_user_id": ig_user_id,
            "username": check.get("username", ""), "expires_at": expires_at}
    if app_id:  # kept so the publish worker can renew the token before it expires
        info.update(app_id=app_id, app_secret=secret)
    return _store(settings).save(channel, "instagram", info)


def auth_visuals(settings: Settings, source: str) -> Path:
    """A footage provider's API key, read from the terminal, into `<secrets_dir>/_visuals/`.

    Run it on the generate worker's host. The key is checked by no call (that would cost
    nothing but could be throttled); `monolathe check` then lists the source as configured.
    """
    from activities.footage import provider_of
    from activities.footage.common import SECRETS_FOLDER

    known = {provider_of(name) for name in settings.visuals.sources} - {"own", "procedural",
                                                                         "flux-mlx"}
    if source not in known:
        raise AuthError(f"{source}: not a keyed source in visuals.sources of {settings.source}"
                        f" (keyed: {', '.join(sorted(known)) or 'none'})")
    key = _read_secret(f"{source} API key: ")
    if not key:
        raise AuthError("no key given")
    return _store(settings).save(SECRETS_FOLDER, source, {"api_key": key})
# API keys for services that are not a channel's: LLM providers and trend sources.
KEY_FIELDS = {
    "llm": ("api_key",),  # DeepSeek, OpenAI, any OpenAI-compatible API
    "youtube-key": ("api_key",),  # YouTube Data API key for the mostPopular chart
    "reddit": ("client_id", "client_secret"),  # a Reddit "script"/"web" app, app-only OAuth
}


def auth_key(settings: Settings, kind: str, name: str,
             values: dict[str, str] | None = None) -> Path:
    """Store `<secrets_dir>/<kind>/<name>.json`; values are read from the terminal, never argv."""
    from activities.secrets import KEY_NAME, KEY_NAME_RULE

    if not KEY_NAME.fullmatch(name):
        raise AuthError(f"{name!r}: {KEY_NAME_RULE}")
    values = values if values is not None else {
        field: _read_secret(f"{kind} {field.replace('_', ' ')}: ") for field in KEY_FIELDS[kind]}
    missing = [f for f in KEY_FIELDS[kind] if not values.get(f)]
    if missing:
        raise AuthError(f"{kind} {name}: {', '.join(missing)}: not given")
    return _store(settings).save(kind, name, {f: values[f] for f in KEY_FIELDS[kind]})
