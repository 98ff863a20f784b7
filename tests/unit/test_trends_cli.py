"""`monolathe auth llm|reddit NAME` and `monolathe trends NAME`."""

from __future__ import annotations

import io
import json
import shutil
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

from activities.ledger import Ledger
from activities.trends import Candidate
from activities.trends import queue as topic_queue
from activities.trends.scoring import score
from workers.cli import main
from workflows.contracts import SourceReport

REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "channels", tmp_path / "channels")
    (tmp_path / "temporal.yaml").write_text(
        "server: {address: '127.0.0.1:1'}\n"
        f"data: {{ledger_url: 'sqlite:///{tmp_path / 'ledger.db'}'}}\n"
        "publishing: {secrets_dir: secrets}\n")
    return tmp_path / "temporal.yaml"


def _run(monkeypatch, capsys, config: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["--config", str(config), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_llm_and_reddit_keys_are_read_from_the_terminal_and_saved_0600(
        tmp_path, monkeypatch, capsys):
    config = _project(tmp_path)
    code, out, err = _run(monkeypatch, capsys, config, "auth", "llm", "deepseek",
                          stdin="sk-abc\n")
    assert code == 0, err
    saved = tmp_path / "secrets" / "llm" / "deepseek.json"
    assert json.loads(saved.read_text()) == {"api_key": "sk-abc"}
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and "sk-abc" not in out
    code, _, _ = _run(monkeypatch, capsys, config, "auth", "reddit", "app",
                      stdin="client-1\nsecret-1\n")
    assert json.loads((tmp_path / "secrets" / "reddit" / "app.json").read_text()) == {
        "client_id": "client-1", "client_secret": "secret-1"}
    code, _, err = _run(monkeypatch, capsys, config, "auth", "llm", "openai", stdin="\n")
    assert code == 2 and "llm openai: api_key: not given" in err


def test_trends_prints_the_queue_with_scores_sources_and_last_runs(
        tmp_path, monkeypatch, capsys):
    config = _project(tmp_path)
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    facts = ["A sentence with enough words in it.", "Another sentence with enough words."]
    topic_queue.enqueue(ledger, "trending", score(
        [Candidate("Mars dust storms explained", facts, "reddit:r/space",
                   url="https://www.reddit.com/r/space/1", traffic=5000)],
        "space", [], datetime.now(UTC)))
    topic_queue.record_runs(ledger, "trending", [SourceReport("rss:dead.example", 0, "HTTP 503")])
    code, out, err = _run(monkeypatch, capsys, config, "trends", "trending")
    assert code == 0, err
    assert "topic queue of trending: 1 waiting" in out
    assert "reddit:r/space" in out and "Mars dust storms explained" in out
    assert "https://www.reddit.com/r/space/1" in out
    assert "rss:dead.example: failed: HTTP 503" in out


def test_refresh_of_a_channel_without_sources_says_so(tmp_path, monkeypatch, capsys):
    code, _, err = _run(monkeypatch, capsys, _project(tmp_path), "trends", "demo", "--refresh")
    assert code == 2 and "channel demo has no trends.sources to scout" in err


def test_trends_shows_the_predicted_performance_in_its_own_column(
        tmp_path, monkeypatch, capsys):
    config = _project(tmp_path)
    channel = tmp_path / "channels" / "trending.yaml"
    channel.write_text(channel.read_text().replace(
        "trends:\n", "trends:\n  performance_weight: 0.4\n", 1))
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    facts = ["A sentence with enough words in it.", "Another sentence with enough words."]
    topic_queue.enqueue(ledger, "trending", score(
        [Candidate("Mars dust storms explained", facts, "reddit:r/space"),
         Candidate("Saturn has new moons", facts, "reddit:r/space")],
        "space", [], datetime.now(UTC)), 0.4)
    topic_queue.set_performance(ledger, "trending", ["Mars dust storms explained"], [0.83], 0.4)
    code, out, err = _run(monkeypatch, capsys, config, "trends", "trending")
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("  score"))
    mars = next(line for line in lines if "Mars dust" in line)
    saturn = next(line for line in lines if "Saturn" in line)
    column = header.index("perf")
    assert mars[column:column + 4] == "0.83" and saturn[column:column + 4].strip() == "-"
    assert ("perf -: not predicted yet (no past reels with 7-day views, or no gpu worker);"
            " the score counts 0.5 for it") in out
