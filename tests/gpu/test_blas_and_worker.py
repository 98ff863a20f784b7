"""The gpu worker's launcher (OpenBLAS preload), its activities and its settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from activities.config import ConfigError, load_channel, load_settings
from workers import blas
from workers.run import activities_for


def test_preload_env_adds_openblas_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    fake = tmp_path / "libblas.so.3"
    fake.write_bytes(b"")
    monkeypatch.setattr(blas, "OPENBLAS", fake)
    env = blas.preload_env({"LD_PRELOAD": "/x.so"})
    assert env is not None and env["LD_PRELOAD"] == f"{fake}:/x.so"
    assert blas.preload_env(env) is None  # already re-executed: no loop
    assert blas.preload_env({"MONOLATHE_BLAS": "bundled"}) is None
    monkeypatch.setattr(blas, "OPENBLAS", tmp_path / "missing.so")
    assert blas.preload_env({}) is None


@pytest.mark.skipif(not blas.OPENBLAS.is_file(), reason=f"{blas.OPENBLAS} not installed "
                    "(apt-get install libopenblas0-pthread; .ci/run does when it can)")
def test_a_relaunched_worker_reports_openblas():
    # numpy maps its own OpenBLAS (symbols prefixed, never MLX's): the report must see past it.
    code = ("from workers.blas import reexec_with_openblas; reexec_with_openblas(); "
            "import numpy; import mlx.core as mx; mx.eval(mx.ones((64, 64)) @ mx.ones((64, 64))); "
            "from activities.gpu.runtime import blas_in_use; print(blas_in_use())")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_PRELOAD", "MONOLATHE_BLAS"))}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.startswith("OpenBLAS (") and "openblas" in out
    env["MONOLATHE_BLAS"] = "bundled"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "bundled with mlx" in out


def test_gpu_queue_registers_the_model_activities(tmp_path: Path):
    (tmp_path / "temporal.yaml").write_text("gpu: {memory_limit_gb: 4, cache_limit_gb: 0.5}\n")
    settings = load_settings(tmp_path / "temporal.yaml")
    names = {a.__temporal_activity_definition.name for a in activities_for("gpu", settings)}
    assert names == {"synthesize_voice", "write_script_mlx", "pick_novel_topic", "match_media",
                     "rank_relevance", "predict_performance", "score_scene_relevance",
                     "match_icons"}
    assert settings.gpu.memory_limit_gb == 4


def _channel(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "channels").mkdir()
    (tmp_path / "feed.yaml").write_text("topics: [{title: T, facts: [a b c., d e f.]}]\n")
    (tmp_path / "temporal.yaml").write_text("data: {channels_dir: channels}\n")
    (tmp_path / "channels" / "c.yaml").write_text(
        f"name: c\nniche: science\ntrends: {{feed: ../feed.yaml}}\n{extra}")
    return tmp_path / "temporal.yaml"


def test_mlx_writer_without_a_model_folder_names_the_field(tmp_path: Path):
    settings = load_settings(_channel(tmp_path, "script: {writer: mlx}\n"))
    with pytest.raises(ConfigError, match=r"c.yaml: script.model: required"):
        load_channel(settings, "c")


def test_mlx_writer_with_a_folder_that_is_no_model(tmp_path: Path):
    settings = load_settings(_channel(tmp_path, "script: {writer: mlx, model: ../nothing}\n"))
    with pytest.raises(ConfigError, match=r"script.model: .*nothing has no config.json"):
        load_channel(settings, "c")


def test_topics_and_script_sections_reach_the_channel_config(tmp_path: Path):
    (tmp_path / "llm").mkdir()
    (tmp_path / "llm" / "config.json").write_text("{}")
    settings = load_settings(_channel(tmp_path, "script: {writer: mlx, model: ../llm}\n"
                                      "topics: {avoid_similar: true, max_similarity: 0.7}\n"))
    config = load_channel(settings, "c")
    assert config.script.writer == "mlx" and config.script.model == str(tmp_path / "llm")
    assert config.topics.avoid_similar and config.topics.max_similarity == 0.7
