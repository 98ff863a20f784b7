"""generate_footage against each provider's loopback fake, driven by the real SDKs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.artifacts import to_path, to_uri
from activities.footage.flux_mlx import apple_silicon
from activities.mp4info import track_durations
from activities.secrets import SecretStore
from tests.activities.footage_world import FootageWorld, make_world
from tests.fakes.server import Fault
from workflows.contracts import FootageSourcesRequest

GENERATORS = ["runway", "veo", "replicate"]


@pytest.fixture
def footage_db(request: pytest.FixtureRequest) -> str:
    """The ledger's database; the paid-once tests run on SQLite and on PostgreSQL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return "sqlite:///var/l.db"
    return request.getfixturevalue("pg_cluster").new_database()


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, fake_cert: tuple[Path, Path],
          footage_media: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch,
          footage_db: str) -> Iterator[FootageWorld]:
    yield from make_world(request.param, tmp_path, fake_cert, footage_media, monkeypatch,
                          footage_db)


BOTH_DATABASES = pytest.mark.parametrize("footage_db", ["sqlite", "postgresql"], indirect=True)


def _fails(world: FootageWorld, kind: str, **changes: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        world.acts.generate_footage(world.request(**changes))
    assert caught.value.type == kind, caught.value.message
    return caught.value


@BOTH_DATABASES
@pytest.mark.parametrize("world", GENERATORS + ["replicate-flux", "pexels", "pixabay"],
                         indirect=True)
def test_a_clip_lands_in_the_artifact_store_and_is_paid_once(world: FootageWorld) -> None:
    footage = world.acts.generate_footage(world.request())
    path = to_path(footage.clip.uri)
    assert path.stat().st_size > 1000
    if footage.clip.kind == "video":
        assert "video" in track_durations(path)
    else:
        assert path.read_bytes()[:2] == b"\xff\xd8"
    assert world.fake.submissions == 1
    again = world.acts.generate_footage(world.request())  # a retry after the answer was lost
    assert again.clip.uri == footage.clip.uri and again.usd == footage.usd
    assert world.fake.submissions == 1
    row = world.ledger.footage_job("reel/demo/2026-11-25/1", 0, world.source, 0)
    assert row is not None and row.status == "done" and row.job_id == footage.job_id


@pytest.mark.parametrize("world", ["runway"], indirect=True)
def test_runway_settles_what_runway_charged(world: FootageWorld) -> None:
    footage = world.acts.generate_footage(world.request())
    assert footage.usd == pytest.approx(0.60)  # 5 s of gen4.5 at 12 credits/s
    assert footage.clip.duration_s == 5.0


@pytest.mark.parametrize("world", ["veo"], indirect=True)
def test_veo_drops_the_audio(world: FootageWorld) -> None:
    footage = world.acts.generate_footage(world.request())
    assert set(track_durations(to_path(footage.clip.uri))) == {"video"}
    assert footage.usd == pytest.approx(0.15 * 6)  # the price table: 6 s covers 4.2 s


@pytest.mark.parametrize("world", ["pexels", "pixabay"], indirect=True)
def test_stock_keeps_attribution_and_prefers_portrait(world: FootageWorld) -> None:
    footage = world.acts.generate_footage(world.request())
    assert footage.usd == 0.0
    assert footage.clip.attribution.startswith("Video by ")
    assert footage.job_id in ("video:102", "video:201")


@pytest.mark.parametrize("world", ["pexels", "pixabay"], indirect=True)
def test_stock_with_nothing_found_is_bad_input(world: FootageWorld) -> None:
    _fails(world, "BadInput", keywords=["nothing"])


@pytest.mark.parametrize("world", GENERATORS + ["pexels"], indirect=True)
@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_on_submit_are_retryable(world: FootageWorld, status: int) -> None:
    world.fake.faults.append(Fault("submit", status))
    error = _fails(world, "ProviderUnavailable")
    assert not error.non_retryable
    world.acts.generate_footage(world.request())
    assert world.fake.submissions == 1


@pytest.mark.parametrize("world", GENERATORS + ["pixabay"], indirect=True)
def test_429_waits_as_long_as_retry_after_says(world: FootageWorld) -> None:
    world.fake.faults.append(Fault("submit", 429, retry_after=37))
    error = _fails(world, "RateLimited")
    assert error.next_retry_delay == timedelta(seconds=37)


@pytest.mark.parametrize("world", GENERATORS + ["replicate-flux"], indirect=True)
def test_a_safety_refusal_is_final_and_not_a_provider_failure(world: FootageWorld) -> None:
    world.fake.next_outcomes = ["safety"]
    error = _fails(world, "ContentRefused")
    assert error.non_retryable
    assert world.ledger.footage_job("reel/demo/2026-11-25/1", 0, world.source, 0).status \
        == "refused"


@pytest.mark.parametrize("world", GENERATORS, indirect=True)
def test_a_job_failed_at_the_provider_is_resubmitted_on_retry(world: FootageWorld) -> None:
    world.fake.next_outcomes = ["bad-output"]
    error = _fails(world, "ProviderUnavailable")
    assert not error.non_retryable
    world.acts.generate_footage(world.request())
    assert world.fake.submissions == 2


@BOTH_DATABASES
@pytest.mark.parametrize("world", GENERATORS, indirect=True)
def test_a_retry_after_a_poll_failure_polls_the_same_job(world: FootageWorld) -> None:
    world.fake.faults.append(Fault("poll", 503))
    _fails(world, "ProviderUnavailable")
    world.acts.generate_footage(world.request())
    assert world.fake.submissions == 1


@pytest.mark.parametrize("world", GENERATORS, indirect=True)
def test_a_job_that_never_finishes_is_abandoned_after_its_bound(world: FootageWorld) -> None:
    world.fake.next_outcomes = ["never"]
    visuals = world.acts.settings.visuals
    object.__setattr__(visuals, "max_wait_minutes", 0.005)  # 0.3 s
    error = _fails(world, "ProviderUnavailable")
    assert "not finished" in error.message
    world.acts.generate_footage(world.request())  # the retry submits a new job
    assert world.fake.submissions == 2


@BOTH_DATABASES
@pytest.mark.parametrize("world", GENERATORS + ["pexels", "pixabay"], indirect=True)
def test_a_download_cut_halfway_is_downloaded_again_without_paying(world: FootageWorld) -> None:
    world.fake.faults.append(Fault("download", "cut"))
    error = _fails(world, "ProviderUnavailable")
    assert "cut" in error.message
    footage = world.acts.generate_footage(world.request())
    path = to_path(footage.clip.uri)
    if footage.clip.kind == "still":
        assert path.read_bytes() == world.fake.still
    else:  # whole: every second of the one-second clip is there
        assert track_durations(path)["video"] == pytest.approx(1.0, abs=0.05)
    assert world.fake.submissions == 1


@pytest.mark.parametrize("world", ["runway", "pexels", "pixabay"], indirect=True)
def test_an_expired_url_is_fetched_fresh_by_polling_again(world: FootageWorld) -> None:
    world.fake.faults.append(Fault("download", 403))
    world.acts.generate_footage(world.request())
    assert world.fake.submissions == 1


@pytest.mark.parametrize("world", ["veo", "replicate"], indirect=True)
def test_an_expired_output_without_fresh_urls_is_made_again(world: FootageWorld) -> None:
    world.fake.faults.append(Fault("download", 404))
    error = _fails(world, "ProviderUnavailable")
    assert "a retry submits" in error.message
    world.acts.generate_footage(world.request())
    assert world.fake.submissions == 2


@pytest.mark.parametrize("world", GENERATORS + ["pexels"], indirect=True)
def test_a_refused_key_is_not_configured(world: FootageWorld,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("RUNWAYML_API_SECRET", "GEMINI_API_KEY", "REPLICATE_API_TOKEN",
                "PEXELS_API_KEY"):
        monkeypatch.setenv(var, "wrong")
    world.acts._sources.clear()
    _fails(world, "NotConfigured")


@pytest.mark.parametrize("world", ["runway"], indirect=True)
def test_sources_are_listed_with_what_this_host_lacks(world: FootageWorld,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEXELS_API_KEY")
    listed = world.acts.list_footage_sources(FootageSourcesRequest())
    by_name = {s.name: s for s in listed.sources}
    assert by_name["runway"].configured and by_name["runway"].quality == 0.95
    assert by_name["runway"].durations == [5.0, 10.0]
    assert not by_name["pexels"].configured
    assert by_name["pexels"].reason.startswith("no key: monolathe auth visuals pexels")
    assert by_name["procedural"].configured
    if not apple_silicon():
        assert by_name["flux-mlx"].reason == "needs Apple silicon (mflux)"
        _fails(world, "NotConfigured", source="flux-mlx")
    SecretStore(world.acts.settings.publishing.secrets_dir).save(
        "_visuals", "pexels", {"api_key": "pexels-key"})
    again = world.acts.list_footage_sources(FootageSourcesRequest(names=["pexels", "nope"]))
    assert [s.configured for s in again.sources] == [True, False]
    assert "not in visuals.sources" in again.sources[1].reason


@pytest.mark.parametrize("world", ["runway"], indirect=True)
def test_runway_animates_a_still_with_the_image_model(world: FootageWorld,
                                                      tmp_path: Path) -> None:
    still = tmp_path / "still.jpg"
    still.write_bytes(world.fake.still)
    footage = world.acts.generate_footage(world.request(image_uri=to_uri(still)))
    body = world.fake.last_body
    assert body["model"] == "gen4_turbo" and body["promptImage"].startswith("data:image/jpeg")
    assert footage.usd == pytest.approx(0.25)  # 5 s at 5 credits/s, as Runway reported


@pytest.mark.parametrize("world", ["pexels"], indirect=True)
def test_stock_falls_back_to_a_photo_when_no_video_matches(world: FootageWorld) -> None:
    footage = world.acts.generate_footage(world.request(keywords=["still", "life"]))
    assert footage.clip.kind == "still" and footage.job_id == "photo:301"
    assert footage.clip.attribution == "Photo by Author P on Pexels"
    assert to_path(footage.clip.uri).read_bytes() == world.fake.still
    assert footage.clip.duration_s == 4.2  # a still holds for the whole scene


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from email.utils import format_datetime

    from activities.footage.common import RATE_LIMIT_S, retry_after

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert retry_after({"retry-after": "12"}) == 12.0
    assert 100 < retry_after({"Retry-After": later}) <= 120
    assert retry_after({}) == RATE_LIMIT_S
    assert retry_after({"retry-after": "soon"}) == RATE_LIMIT_S


@pytest.mark.parametrize(("world", "shows"), [
    ("pexels", "an octopus swimming over a reef"),  # the page's address names the video
    ("pixabay", "octopus, sea, underwater"),  # the tags Pixabay returns
    ("runway", None),  # a generated clip shows its prompt
], indirect=["world"])
def test_a_clip_says_what_it_shows_for_its_relevance(world: FootageWorld,
                                                     shows: str | None) -> None:
    request = world.request()
    footage = world.acts.generate_footage(request)
    assert footage.clip.shows == (shows or request.prompt)
    again = world.acts.generate_footage(request)  # a retry reads the ledger's row
    assert again.clip.shows == footage.clip.shows


@pytest.mark.parametrize("world", ["pexels"], indirect=True)
def test_a_stock_item_without_a_title_shows_its_search_query(world: FootageWorld) -> None:
    footage = world.acts.generate_footage(world.request(keywords=["still", "life"]))
    assert footage.clip.shows == "still life"
