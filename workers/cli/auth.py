"""`monolathe auth`: a channel's platform token or an API key, stored on this host."""

from __future__ import annotations

import argparse
from pathlib import Path

from activities.config import Settings
from workers.stack import CliError


async def cmd_auth(settings: Settings, args: argparse.Namespace) -> int:
    from workers.auth import (
        KEY_FIELDS,
        AuthError,
        auth_instagram,
        auth_key,
        auth_visuals,
        auth_youtube,
    )

    try:
        if args.platform == "visuals":
            path = auth_visuals(settings, args.name)
            print(f"{args.name} key saved to {path} (mode 600)")
            return 0
        if args.platform in KEY_FIELDS:
            path = auth_key(settings, args.platform, args.name)
            print(f"{args.platform} key {args.name} saved to {path} (mode 600)")
            return 0
        if args.platform == "youtube":
            path = auth_youtube(settings, args.name, args.client_secrets, args.from_file,
                                open_browser=not args.no_browser)
        elif args.platform == "tiktok":
            from workers.auth_tiktok import auth_tiktok

            path = auth_tiktok(settings, args.name, open_browser=not args.no_browser)
        else:
            if not args.ig_user_id:
                raise CliError("auth instagram needs --ig-user-id (the Instagram professional"
                               " account's id)")
            path = auth_instagram(settings, args.name, args.ig_user_id, args.app_id)
    except AuthError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.platform} token for channel {args.name} saved to {path} (mode 600)")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    auth = sub.add_parser("auth", help="store a channel's YouTube, Instagram or TikTok token, or an API"
                                       " key (footage provider, LLM, trend source), here")
    auth.add_argument("platform", choices=["youtube", "instagram", "tiktok", "visuals", "llm", "reddit",
                                           "youtube-key"])
    auth.add_argument("name", help="the channel; for visuals: the source (runway, veo,"
                                   " replicate, pexels, pixabay); for llm, reddit,"
                                   " youtube-key: the key's name")
    auth.add_argument("--client-secrets", type=Path, default=None,
                      help="youtube: the OAuth Desktop-app client JSON")
    auth.add_argument("--from-file", type=Path, default=None,
                      help="youtube: import an authorized-user token JSON instead")
    auth.add_argument("--no-browser", action="store_true",
                      help="youtube, tiktok: print the consent URL instead of opening a"
                           " browser")
    auth.add_argument("--ig-user-id", default="", help="instagram: the account's id")
    auth.add_argument("--app-id", default="",
                      help="instagram: exchange a short-lived token with this app (asks for"
                           " the app secret)")


COMMANDS = {"auth": cmd_auth}
