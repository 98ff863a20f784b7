"""Record the histories of the trend scout and the API writer, beside the others.

`python -m tests.replay.record_trends_histories` writes `trends-*.json`: a channel taking
its topics from the queue with the API writer, one of its reels, and a scout run.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.channel import ChannelActivities
from activities.ledger import Ledger
from activities.trends.scout import TrendActivities
from tests.fakes.llm_api import FakeLlm
from tests.fakes.server import make_cert
from tests.fakes.trends_api import FakeTrends
from tests.gpu.test_trend_relevance import scout_by_meaning
from tests.replay.record_histories import run_recorder, save_history
from tests.workflows.test_trends import api_settings, run_queue_channel, scout_channel
from workers.work_errors import WorkErrorInterceptor
from workflows.contracts import ScoutInput
from workflows.scout import TrendScoutWorkflow

PREFIX = "trends"


async def record(env: WorkflowEnvironment) -> None:
    client = env.client
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        cert = make_cert(tmp)
        (tmp / "api").mkdir()
        with FakeLlm(cert) as llm:
            result, _, _ = await run_queue_channel(client, api_settings(tmp / "api", cert[0]),
                                                   "rec-trends", llm.url)
        await save_history(client, f"{PREFIX}-channel-topic-queue", "channel/rec-trends")
        await save_history(client, f"{PREFIX}-reel-api-writer", result.reels[0].reel_id)

        (tmp / "scout").mkdir()
        with FakeTrends(cert) as fake:
            settings = scout_channel(tmp / "scout", cert[0], fake.url, "scout-rec", "scouted")
            ledger = Ledger(settings.ledger_url)
            with ThreadPoolExecutor(max_workers=4) as pool:
                async with Worker(client, task_queue="scout-rec", workflows=[TrendScoutWorkflow],
                                  activities=[ChannelActivities(settings, ledger).load_channel,
                                              TrendActivities(settings, ledger).scout_trends],
                                  activity_executor=pool, interceptors=[WorkErrorInterceptor()]):
                    await client.execute_workflow(TrendScoutWorkflow.run, ScoutInput("scouted"),
                                                  id="trends/scouted/run", task_queue="scout-rec")
        await save_history(client, f"{PREFIX}-scout-run", "trends/scouted/run")

        for with_gpu, name in ((True, "scout-by-meaning"), (False, "scout-no-gpu-worker")):
            (tmp / name).mkdir()
            _, _, workflow_id = await scout_by_meaning(env, tmp / name, cert, with_gpu)
            await save_history(client, f"{PREFIX}-{name}", workflow_id)


if __name__ == "__main__":
    run_recorder(record)
