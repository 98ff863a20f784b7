"""A busy agency on the API: 25 users creating one-off reels, polling their status, reading
manifests and approving what waits for review (`make load`; benchmarks/load.py starts the
stack and reads the figures).

Environment: MONOLATHE_API_TOKEN (an operator token), MONOLATHE_LOAD_CHANNEL (a channel with
`review: required`), MONOLATHE_LOAD_JOBS (a file where every created job id is appended, so
the runner can account for each one in Temporal).
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, between, task

TOKEN = os.environ.get("MONOLATHE_API_TOKEN", "")
CHANNEL = os.environ.get("MONOLATHE_LOAD_CHANNEL", "agency")
JOBS_FILE = os.environ.get("MONOLATHE_LOAD_JOBS", "")
MAX_JOBS_PER_USER = 4  # a user orders a few reels, then follows and approves them
FACTS = ["Sea otters hold hands while they sleep so they do not drift apart.",
         "They keep a favourite stone in a pocket of skin to crack open shellfish.",
         "Their fur is the densest of any animal, about a million hairs per square inch."]


class Agency(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {TOKEN}"}
        self.jobs: list[str] = []
        self.waiting: set[str] = set()

    @task(1)
    def create_job(self) -> None:
        if len(self.jobs) >= MAX_JOBS_PER_USER:
            return
        with self.client.post("/jobs", json={"channel": CHANNEL, "topic": "Sea otters",
                                             "facts": FACTS}, headers=self.headers,
                              catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return
            job = r.json()["id"]
        self.jobs.append(job)
        if JOBS_FILE:
            with open(JOBS_FILE, "a") as out:
                out.write(job + "\n")

    @task(6)
    def poll_status(self) -> None:
        if not self.jobs:
            return
        job = random.choice(self.jobs)
        r = self.client.get(f"/jobs/{job}", headers=self.headers, name="/jobs/[id]")
        if r.status_code == 200 and r.json()["status"] == "awaiting-review":
            self.waiting.add(job)

    @task(3)
    def read_manifest(self) -> None:
        if self.jobs:
            self.client.get(f"/jobs/{random.choice(self.jobs)}/manifest", headers=self.headers,
                            name="/jobs/[id]/manifest")

    @task(2)
    def approve(self) -> None:
        if not self.waiting:
            return
        job = self.waiting.pop()
        self.client.post(f"/jobs/{job}/approve", json={}, headers=self.headers,
                         name="/jobs/[id]/approve")

    @task(1)
    def overview(self) -> None:
        self.client.get("/channels", headers=self.headers)
        self.client.get("/presets", headers=self.headers)
