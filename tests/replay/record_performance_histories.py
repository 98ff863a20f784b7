"""Record the histories of PerformanceWorkflow, beside the others.

`python -m tests.replay.record_performance_histories` writes `performance-*.json`: a run
fetching YouTube and Instagram reels (one of them deleted), a run in which Instagram's
token is refused while YouTube still fetches, and a run with nothing due.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.config import PublishingSettings
from activities.ledger import Ledger
from activities.ledger_tables import PublicationRow, ReelRow
from activities.performance.activities import PerformanceActivities
from activities.performance.instagram import InstagramFetcher
from activities.performance.youtube import YouTubeFetcher
from activities.secrets import SecretStore
from tests.fakes.instagram_insights_api import FakeInstagramInsights
from tests.fakes.server import make_cert
from tests.fakes.youtube_analytics_api import FakeYouTubeAnalytics
from tests.replay.record_histories import run_recorder, save_history
from workers.work_errors import WorkErrorInterceptor
from workflows.contracts import PerformanceInput
from workflows.performance import PerformanceWorkflow

PREFIX = "performance"
QUEUE = "performance-rec"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        cert = make_cert(tmp)
        with FakeYouTubeAnalytics(cert) as yt, FakeInstagramInsights(cert) as ig:
            settings = PublishingSettings(
                secrets_dir=tmp / "secrets", ca_bundle=str(cert[0]),
                youtube_api_endpoint=yt.url + "/", youtube_token_uri=yt.url + "/token",
                youtube_analytics_endpoint=yt.url + "/", instagram_graph_url=ig.url)
            secrets = SecretStore(settings.secrets_dir)
            secrets.save("demo", "youtube", {"client_id": "c", "client_secret": "s",
                                             "refresh_token": "refresh-1"})
            secrets.save("demo", "instagram", {"access_token": ig.token,
                                               "ig_user_id": ig.user_id})
            ledger = Ledger(f"sqlite:///{tmp / 'ledger.db'}")
            now = await env.get_current_time()
            for n, (platform, external) in enumerate(
                    [("youtube", "vid1"), ("youtube", "vid2"), ("instagram", "m3")], 1):
                reel_id = f"reel/demo/2026-12-01/{n}"
                with ledger.session() as s:
                    s.add(ReelRow(id=reel_id, channel="demo", day="2026-12-01",
                                  status="published"))
                    s.add(PublicationRow(reel_id=reel_id, platform=platform,
                                         status="published", external_id=external,
                                         published_at=now - timedelta(hours=3)))
            yt.views, ig.views = {"vid1": 120}, {"m3": 40}  # vid2 was deleted
            acts = PerformanceActivities(ledger, {
                "youtube": YouTubeFetcher(secrets, ledger, settings),
                "instagram": InstagramFetcher(secrets, ledger, settings)})
            input = PerformanceInput("demo", queues={"reels": QUEUE, "publish": QUEUE})
            with ThreadPoolExecutor(max_workers=4) as pool:
                async with Worker(client, task_queue=QUEUE, workflows=[PerformanceWorkflow],
                                  activities=[acts.list_published_reels,
                                              acts.fetch_performance],
                                  activity_executor=pool,
                                  interceptors=[WorkErrorInterceptor()]):
                    for name in ("fetched", "nothing-due", "token-refused"):
                        if name == "token-refused":
                            await env.sleep(timedelta(hours=1))
                            ig.token = "renewed-elsewhere"
                        with env.auto_time_skipping_disabled():
                            await client.execute_workflow(
                                PerformanceWorkflow.run, input, id=f"{PREFIX}/demo/{name}",
                                task_queue=QUEUE)
                        await save_history(client, f"{PREFIX}-{name}", f"{PREFIX}/demo/{name}")


if __name__ == "__main__":
    run_recorder(record)
