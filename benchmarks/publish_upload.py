"""Upload throughput and resume cost of the platform publishers against the loopback fakes.

    .venv/bin/python -m benchmarks.publish_upload [--mb 40] [--out var/bench/publish_upload.json]

Prints, per publisher and chunk size, seconds, MB/s and requests for a fresh upload, and
for an upload whose first chunk is cut by a connection reset and resumed by a second call
(as a Temporal retry would): its requests and its time ratio to the uncut upload. The fakes run on loopback TLS, so the figures are the client stack's own cost
(TLS, chunking, the ledger writes), an upper bound on what the real networks allow.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from activities.artifacts import to_uri
from activities.config import PublishingSettings
from activities.ledger import Ledger
from activities.publish import PublishActivities
from activities.publishers.instagram import InstagramPublisher
from activities.publishers.youtube import YouTubePublisher
from activities.secrets import SecretStore
from tests.fakes.instagram_api import FakeInstagram
from tests.fakes.server import Fault, make_cert
from tests.fakes.youtube_api import FakeYouTube
from workflows.contracts import PlatformPublishRequest

MiB = 1024 * 1024


def _run(root: Path, cert: tuple[Path, Path], video: Path, platform: str, chunk: int,
         cut: bool, n: int) -> dict[str, float]:
    with FakeYouTube(cert, quota_limit=10**9) as yt, FakeInstagram(cert) as ig:
        settings = PublishingSettings(
            secrets_dir=root / f"secrets{n}", ca_bundle=str(cert[0]),
            youtube_api_endpoint=yt.url + "/", youtube_token_uri=yt.url + "/token",
            youtube_daily_quota_units=10**9,
            instagram_graph_url=ig.url, instagram_upload_url=ig.url)
        secrets = SecretStore(settings.secrets_dir)
        secrets.save("bench", "youtube", {"client_id": "c", "client_secret": "s",
                                          "refresh_token": "refresh-1"})
        secrets.save("bench", "instagram", {"access_token": ig.token, "ig_user_id": ig.user_id})
        ledger = Ledger(f"sqlite:///{root / f'ledger{n}.db'}")
        publisher = (YouTubePublisher(secrets, ledger, settings, chunk_bytes=chunk)
                     if platform == "youtube" else
                     InstagramPublisher(secrets, ledger, settings, poll_s=0.01))
        acts = PublishActivities(ledger, 0.0, {platform: publisher})
        req = PlatformPublishRequest(f"reel/bench/2026-01-01/{n}", "bench", platform,
                                     to_uri(video), "", "Benchmark reel", "", [])
        if cut:
            # httplib2 re-sends a request once on a reset; requests does not.
            if platform == "youtube":
                yt.faults.append(Fault("chunk", "reset", times=2))
            else:
                ig.faults.append(Fault("upload", "reset"))
        started = time.perf_counter()
        try:
            acts.publish_to_platform(req)
        except Exception:  # noqa: BLE001 - the cut attempt fails; the retry resumes
            yt.faults.clear()
            ig.faults.clear()
            acts.publish_to_platform(req)
        seconds = time.perf_counter() - started
        size = video.stat().st_size
        if platform == "youtube":
            received = sum(len(s.data) for s in yt.sessions.values())
            puts = yt.count("PUT", "/upload/youtube/v3/videos")
        else:
            received = sum(len(c.data) for c in ig.containers.values())
            puts = ig.count("POST", "/ig-api-upload")
        return {"seconds": round(seconds, 3), "mb_per_s": round(size / MiB / seconds, 1),
                "requests": puts, "bytes_kept": received}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("var/bench/publish_upload.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cert = make_cert(root)
        video = root / "reel.mp4"
        video.write_bytes(os.urandom(args.mb * MiB))
        results: list[dict[str, object]] = []
        n = 0
        cases = [("youtube", 256 * 1024), ("youtube", 2 * MiB), ("youtube", 8 * MiB),
                 ("instagram", 0)]
        for platform, chunk in cases:
            row: dict[str, object] = {"platform": platform, "chunk_mib": chunk / MiB}
            for cut in (False, True):
                n += 1
                row["cut" if cut else "clean"] = _run(root, cert, video, platform, chunk, cut, n)
            clean, cut_run = row["clean"], row["cut"]
            row["cut_to_clean_time_ratio"] = round(cut_run["seconds"] / clean["seconds"], 2)
            results.append(row)
            print(f"{platform:<9} chunk {chunk / MiB:5.2f} MiB  clean {clean['seconds']:6.2f} s"
                  f" {clean['mb_per_s']:6.1f} MB/s ({clean['requests']} requests)  "
                  f"cut+resume {cut_run['seconds']:6.2f} s  ratio"
                  f" {row['cut_to_clean_time_ratio']:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"file_mb": args.mb, "results": results}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
