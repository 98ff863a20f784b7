"""Fixtures for the footage tests: real small media made with ffmpeg, the provider fakes,
and settings pointing every source at its fake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from activities.artifacts import ArtifactStore
from activities.config import SourceSettings, VisualsSettings, load_settings
from activities.ffmpeg_run import run_ffmpeg
from activities.footage import FootageActivities
from activities.ledger import Ledger
from tests.fakes.footage_apis import (
    FakePexels,
    FakePixabay,
    FakeReplicate,
    FakeRunway,
    FakeVeo,
    FootageFake,
)
from workflows.contracts import FootageRequest

KEYS = {"RUNWAYML_API_SECRET": "runway-key", "GEMINI_API_KEY": "veo-key",
        "REPLICATE_API_TOKEN": "r8_key", "PEXELS_API_KEY": "pexels-key",
        "PIXABAY_API_KEY": "pixabay-key"}


@pytest.fixture(scope="session")
def footage_media(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A one-second 9:16 MP4 with a tone (Veo's audio is dropped) and a JPEG still."""
    folder = tmp_path_factory.mktemp("footage-media")
    clip, still = folder / "clip.mp4", folder / "still.jpg"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=144x256:rate=24:duration=1",
                "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-shortest",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-movflags", "+faststart", str(clip)])
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=144x256", "-frames:v", "1", str(still)])
    return clip.read_bytes(), still.read_bytes()


FAKES = {"runway": FakeRunway, "veo": FakeVeo, "replicate": FakeReplicate,
         "replicate-flux": FakeReplicate, "pexels": FakePexels, "pixabay": FakePixabay}
LINES = {
    "runway": SourceSettings("runway", "video", 0.95, usd_per_second=0.12, model="gen4.5",
                             image_model="gen4_turbo", durations=(5.0, 10.0)),
    "veo": SourceSettings("veo", "video", 0.92, usd_per_second=0.15,
                          model="veo-3.1-fast-generate-preview", durations=(4.0, 6.0, 8.0)),
    "replicate": SourceSettings("replicate", "video", 0.75, usd_per_clip=0.05,
                                model="wan-video/wan-2.2-t2v-fast", durations=(5.0,)),
    "replicate-flux": SourceSettings("replicate-flux", "still", 0.6, usd_per_clip=0.003,
                                     model="black-forest-labs/flux-schnell"),
    "pexels": SourceSettings("pexels", "video", 0.6),
    "pixabay": SourceSettings("pixabay", "video", 0.55),
    "flux-mlx": SourceSettings("flux-mlx", "still", 0.6, model="schnell"),
    "procedural": SourceSettings("procedural", "video", 0.2),
}


@dataclass
class FootageWorld:
    fake: FootageFake
    acts: FootageActivities
    ledger: Ledger
    source: str

    def request(self, scene: int = 0, **changes: object) -> FootageRequest:
        req = FootageRequest(reel_id="reel/demo/2026-11-25/1", scene=scene, source=self.source,
                             prompt="A slow push-in on an octopus in blue water",
                             keywords=["octopus", "ocean"], duration_s=4.2, width=1080,
                             height=1920)
        return replace(req, **changes)


def visuals_settings(tmp_path: Path, cert: Path, urls: dict[str, str],
                     max_wait_minutes: float = 20.0) -> VisualsSettings:
    sources = {name: replace(line, base_url=urls.get(name, "")) for name, line in LINES.items()}
    return VisualsSettings(ca_bundle=str(cert), poll_seconds=0.05,
                           max_wait_minutes=max_wait_minutes, sources=sources)


def make_world(source: str, tmp_path: Path, cert: tuple[Path, Path],
               media: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch,
               ledger_url: str = "sqlite:///var/l.db") -> Iterator[FootageWorld]:
    for var, value in KEYS.items():
        monkeypatch.setenv(var, value)
    (tmp_path / "temporal.yaml").write_text(
        "data: {var_dir: var, artifacts_dir: var/artifacts,"
        f" ledger_url: '{ledger_url}'}}\n"
        f"publishing: {{secrets_dir: {tmp_path / 'secrets'}}}\n")
    base = load_settings(tmp_path / "temporal.yaml")
    with FAKES[source](cert, *media) as fake:
        settings = replace(base, visuals=visuals_settings(tmp_path, cert[0], {source: fake.url}))
        ledger = Ledger(settings.ledger_url)
        acts = FootageActivities(settings, ledger, ArtifactStore(settings.artifacts_dir))
        yield FootageWorld(fake, acts, ledger, source)
        ledger.engine.dispose()
