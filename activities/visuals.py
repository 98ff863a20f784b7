"""The visuals stage: a clip per scene. Footage made upstream (generated or stock) and the
channel's own media come first; the other scenes are procedural, drawn by ffmpeg's sources.

A procedural scene is not rendered here: it is a recipe (style, seed, palette, size, rate) in
a small JSON file in the artifact store, and compose draws it inside its own graph, so its
pixels are encoded once, in the reel, instead of encoded to a file and decoded again.
Recipes draw at half resolution (compose upscales); a scene's `HANDLE_S` past its end is
what compose's cross-fade into the next scene eats. Styles rotate per scene and take their
seed from the keywords, so a retry draws the same pictures; a scene's `variant` (a quality
remedy) shifts both to draw another look. Every style carries drifting light motes over its
background, so something always moves across the frame: a gradient that drifts flat or a
pattern that settles never looks frozen. The words themselves are the captions' job; scenes
carry no text.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from temporalio import activity

from activities import icons, illustrated, media_library, mezzanine
from activities.artifacts import ArtifactStore, to_path, to_uri
from activities.errors import bad_input
from activities.ffmpeg_run import out_seconds
from activities.metering import Meter
from activities.progress import heartbeat
from activities.quality import probe
from workflows.contracts import SceneClip, Visuals, VisualsRequest

log = logging.getLogger(__name__)
Size = tuple[int, int]

HANDLE_S = 0.5  # extra seconds rendered past each scene, consumed by compose's cross-fades
SCALE = 2  # generated scenes render at half the reel's size; compose scales them up
STYLES = ("flow", "life", "shapes", "automaton")
GRADIENT_TYPES = ("linear", "radial", "circular", "spiral", "square")
# Gradients are smooth, so rendering them at a quarter of the reel's size and upscaling loses
# nothing visible and halves the single-threaded source's time.


class VisualsActivities:
    def __init__(self, store: ArtifactStore, cpu_second_usd: float) -> None:
        self.store = store
        self.cpu_second_usd = cpu_second_usd

    # no_thread_cancel_exception: an exception injected into this thread could land between
    # starting and reaping ffmpeg and orphan it; run_ffmpeg polls for the cancel instead.
    @activity.defn(name="make_visuals", no_thread_cancel_exception=True)
    def make_visuals(self, req: VisualsRequest) -> Visuals:
        _validate(req)
        variants = req.variants or [0] * len(req.scenes)
        made = _footage(req, variants)
        own = _own_media(req)
        chosen = [m or (o if variants[i] == 0 else None) for i, (m, o) in enumerate(zip(made, own))]
        meter = Meter("visuals", _backend(made, own, chosen), self.cpu_second_usd)
        for i, clip in enumerate(chosen):
            if clip is not None and clip is own[i] and clip.kind == "video":
                chosen[i] = self._at_reel_size(clip, req, meter)
        base_seed = _seed(" ".join(" ".join(s.keywords) or s.text for s in req.script.scenes))
        clips: list[SceneClip] = []
        for i, (span, scene) in enumerate(zip(req.scenes, req.script.scenes, strict=True)):
            if (clip := chosen[i]) is not None:
                clips.append(clip)
                continue
            variant = variants[i]
            duration = round(span.end - span.start + HANDLE_S, 3)
            drawn, note = self._illustrated(req, i, duration, variant, base_seed + i)
            if drawn is not None:
                clips.append(drawn)
                continue
            suffix = f"-v{variant}" if variant else ""
            recipe = SceneRecipe(
                style=STYLES[(base_seed + i + variant) % len(STYLES)],
                seed=_seed(f"{i}:{' '.join(scene.keywords)}" + (f":{variant}" if variant else "")),
                palette=_palette(req.look.palette),
                width=req.look.width // SCALE,
                height=req.look.height // SCALE,
                fps=req.look.fps,
                duration_s=duration,
            )
            out = self.store.path_for(req.reel_id, f"scene-{i:02d}{suffix}.json")
            write_recipe(out, recipe)
            heartbeat({"scene": i, "of": len(req.scenes)})
            # A scene that asked for icons and fell back shows nothing of what is said.
            clips.append(SceneClip(uri=to_uri(out), duration_s=recipe.duration_s,
                                   kind=PROCEDURAL, source=recipe.style, note=note,
                                   relevance=0.0 if note else -1.0))  # fmt: skip
        return Visuals(clips=clips, cost=meter.cost())

    def _illustrated(self, req: VisualsRequest, i: int, duration: float, variant: int,
                     seed: int) -> tuple[SceneClip | None, str]:
        """Scene i as an illustrated recipe, or None and why it is drawn procedurally."""
        shown = req.illustrations[i] if req.illustrations else None
        if shown is None or not shown.codes:
            return None, ""
        if variant:  # a quality remedy: the next source of the chain draws this scene
            return None, "illustrated: remade by the next source after a failed quality check"
        size = (req.look.width // SCALE, req.look.height // SCALE)
        try:
            recipe = illustrated.plan(req.look, shown, _palette(req.look.palette), size,
                                      duration, seed, self.store.root)  # fmt: skip
        except (icons.RasterError, OSError) as err:
            log.warning("scene %d of %s drawn procedurally: %s", i, req.reel_id, err)
            return None, f"illustrated: {err}"[:300]
        out = self.store.path_for(req.reel_id, f"scene-{i:02d}-illustrated.json")
        illustrated.write(out, recipe)
        heartbeat({"scene": i, "of": len(req.scenes)})
        return SceneClip(uri=to_uri(out), duration_s=duration, kind=illustrated.ILLUSTRATED,
                         source="illustrated: " + ", ".join(shown.names),
                         attribution=icons.credit(), icons=list(shown.names),
                         relevance=shown.relevance), ""  # fmt: skip

    def _at_reel_size(self, clip: SceneClip, req: VisualsRequest, meter: Meter) -> SceneClip:
        """Own footage as its mezzanine: transcoded the first time a reel uses the file."""

        def tick(progress: dict[str, str]) -> None:
            heartbeat({"mezzanine": clip.source, "at_s": round(out_seconds(progress), 1)})

        look = req.look
        made = mezzanine.ensure(self.store, to_path(clip.uri), look.width, look.height,
                                look.fps, tick)  # fmt: skip
        meter.add_child_cpu(made.cpu_seconds)
        return replace(clip, uri=to_uri(made.path), duration_s=round(made.duration_s, 3))


def _footage(req: VisualsRequest, variants: list[int]) -> list[SceneClip | None]:
    """Clips made upstream for scenes (generated or stock), None where a scene has none."""
    if not req.footage:
        return [None] * len(req.scenes)
    if len(req.footage) != len(req.scenes):
        raise bad_input(
            f"visuals request: {len(req.footage)} footage clips for {len(req.scenes)} scenes"
        )
    return [clip if clip.uri else None for clip in req.footage]


def _backend(made: list[SceneClip | None], own: list[SceneClip | None],
             chosen: list[SceneClip | None]) -> str:
    parts = []
    if any(c is not None and c is m for c, m in zip(chosen, made)):
        parts.append("footage")
    if any(c is not None and c is o for c, o in zip(chosen, own)):
        parts.append("own-media")
    if any(c is None for c in chosen):
        parts.append("procedural")
    return "+".join(parts)


def _own_media(req: VisualsRequest) -> list[SceneClip | None]:
    """The channel's own clip or image for each scene, where one matches its keywords."""
    if req.media_picks:  # chosen by meaning upstream; "" = generate this scene
        if len(req.media_picks) != len(req.scenes):
            raise bad_input(
                f"visuals request: {len(req.media_picks)} media_picks for {len(req.scenes)} scenes"
            )
        picks = [media_library.item(Path(path)) if path else None for path in req.media_picks]
    elif req.media_dir:
        try:
            items = media_library.scan(Path(req.media_dir))
        except FileNotFoundError as err:
            raise bad_input(f"visuals request: {err}") from err
        picks = media_library.match([s.keywords for s in req.script.scenes], items)
    else:
        return [None] * len(req.scenes)
    chosen: list[SceneClip | None] = []
    for span, item in zip(req.scenes, picks, strict=True):
        if item is None:
            chosen.append(None)
            continue
        seconds = span.end - span.start
        if item.kind == "video":
            info = probe(item.path)
            if not info.video_codec or info.duration_s <= 0:
                log.warning("own media %s has no readable video; generating the scene", item.path)
                chosen.append(None)
                continue
            seconds = info.duration_s
        chosen.append(
            SceneClip(uri=to_uri(item.path), duration_s=round(seconds, 3), kind=item.kind,
                      source=item.path.name, shows=media_library.describe(item))
        )  # fmt: skip
    return chosen


def _validate(req: VisualsRequest) -> None:
    if not req.scenes:
        raise bad_input("visuals request: scenes is empty")
    if len(req.scenes) != len(req.script.scenes):
        raise bad_input(
            f"visuals request: scenes has {len(req.scenes)} spans but script.scenes has "
            f"{len(req.script.scenes)}"
        )
    for i, span in enumerate(req.scenes):
        if span.end - span.start <= 0:
            raise bad_input(f"visuals request: scenes[{i}] has zero or negative duration")
    if req.look.fps <= 0:
        raise bad_input(f"visuals request: look.fps must be positive, got {req.look.fps}")
    if req.illustrations and len(req.illustrations) != len(req.scenes):
        raise bad_input(f"visuals request: {len(req.illustrations)} illustrations for"
                        f" {len(req.scenes)} scenes")
    if req.variants and (len(req.variants) != len(req.scenes) or min(req.variants) < 0):
        raise bad_input(
            f"visuals request: variants must be {len(req.scenes)} numbers >= 0, "
            f"got {req.variants}"
        )


PROCEDURAL = "procedural"  # SceneClip.kind of a recipe, drawn by compose


@dataclass
class SceneRecipe:
    """What compose needs to draw a procedural scene: data, never a filter graph, so a
    recipe file cannot smuggle a file-reading source into the compose command."""

    style: str
    seed: int
    palette: list[str]  # rrggbb
    width: int
    height: int
    fps: int
    duration_s: float


def write_recipe(path: Path, recipe: SceneRecipe) -> None:
    path.write_text(json.dumps(asdict(recipe)), encoding="utf-8")


def read_recipe(path: Path) -> SceneRecipe:
    """A recipe file back, checked field by field: a bad one is bad input naming the file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        recipe = SceneRecipe(**raw)
    except (OSError, ValueError, TypeError) as err:
        raise bad_input(f"scene recipe {path}: {err}") from err
    if recipe.style not in _BACKGROUNDS:
        raise bad_input(f"scene recipe {path}: style {recipe.style!r}, expected one of {STYLES}")
    if min(recipe.width, recipe.height, recipe.fps) <= 0 or recipe.duration_s <= 0:
        raise bad_input(f"scene recipe {path}: size, fps and duration_s must be positive")
    _palette(recipe.palette)
    return recipe


# A square of one colour is one frame, held by overlay (eof_action=repeat) and moved by its
# per-frame x and y. overlay copies the picture before blending into it while its second
# input syncs it and may still send a frame (see caption_track.overlaid); one that has ended
# costs no copy (four motes and three shapes copied every 540x960 frame seven times: about
# 0.1 CPU s a reel).
ONE_FRAME = "trim=end_frame=1"


def scene_graph(recipe: SceneRecipe) -> str:
    """The lavfi source graph drawing a recipe: its background with motes, in yuv420p."""
    palette = _palette(recipe.palette)
    size = (recipe.width, recipe.height)
    background = _BACKGROUNDS[recipe.style](recipe.seed, palette, recipe.fps, size)
    motes = motes_over(recipe.seed, palette, recipe.fps, size, "bg")
    # The motes are blended into the picture already in the encoder's format: blending
    # into RGBA and converting after costs a quarter more.
    return f"{background},format=yuv420p[bg];{motes}"


def _flow(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    colours = [palette[(seed + k) % len(palette)] for k in range(max(3, len(palette)))]
    kind = GRADIENT_TYPES[seed % len(GRADIENT_TYPES)]
    cs = ":".join(f"c{k}=0x{c}" for k, c in enumerate(colours[:8]))
    return (
        f"gradients=s={_gradient_size(size)}:r={fps}:{cs}:n={min(8, len(colours))}"
        f":speed=0.02:seed={seed % 100000}:type={kind},scale={width}:{height}:flags=bilinear"
    )


def _gradient_size(size: Size) -> str:
    """The gradients filter works out every pixel in floating point (a spiral at 270x480
    cost 1.2 CPU s per 10 s of scene). A gradient is smooth, so a quarter of the scene's
    width and height, scaled up, looks the same at a third of the cost."""
    width, height = size
    return f"{max(2, width // 4)}x{max(2, height // 4)}"


def _life(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    dark, mid, light = _three(palette)
    # Cells are 4x4 pixels: large enough to read on a phone, cheap to simulate.
    return (
        f"life=s={width // 4}x{height // 4}:r={fps}:mold=8:ratio=0.25"
        f":seed={seed % 100000}:life_color=0x{light}:death_color=0x{dark}:mold_color=0x{mid},"
        f"scale={width}:{height}:flags=neighbor"
    )


def _automaton(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    # Dark and middle tones: the 50/50 pattern is busy, full contrast fights the keywords.
    dark, light, _ = _three(palette)
    rule = (30, 90, 110, 150, 182)[seed % 5]
    dr, dg, db = _rgb(dark)
    lr, lg, lb = _rgb(light)
    return (
        f"cellauto=s={width // 2}x{height // 2}:r={fps}:rule={rule}"
        f":seed={seed % 100000}:random_fill_ratio=0.5:scroll=1,format=rgb24,"
        f"lutrgb=r='{dr}+({lr}-{dr})*val/255':g='{dg}+({lg}-{dg})*val/255'"
        f":b='{db}+({lb}-{db})*val/255',"
        f"scale={width}:{height}:flags=neighbor"
    )


def _shapes(seed: int, palette: list[str], fps: int, size: Size) -> str:
    width, height = size
    dark, mid, light = _three(palette)
    kind = GRADIENT_TYPES[seed % 2]
    graph = (
        f"gradients=s={_gradient_size(size)}:r={fps}:c0=0x{dark}:c1=0x{mid}:n=2"
        f":speed=0.03:seed={seed % 100000}:type={kind},scale={width}:{height}:flags=bilinear[bg]"
    )
    shapes = [(light, 170, 170), (mid, 260, 90), (light, 90, 260)]
    last = "bg"
    for k, (colour, w, h) in enumerate(shapes):
        phase = (seed >> (k * 3)) % 7
        speed = 0.6 + 0.25 * k
        x = f"{(width - w) / 2:.0f}+{width * 0.32:.0f}*sin(t*{speed:.2f}+{phase})"
        y = f"{height * 0.55:.0f}+{height * 0.25:.0f}*cos(t*{speed * 0.8:.2f}+{phase})"
        graph += (
            f";color=c=0x{colour}:s={w}x{h}:r={fps},{ONE_FRAME}[s{k}]"
            f";[{last}][s{k}]overlay=x='{x}':y='{y}':eval=frame[o{k}]"
        )
        last = f"o{k}"
    return f"{graph};[{last}]null"


_BACKGROUNDS: dict[str, Callable[[int, list[str], int, Size], str]] = {
    "flow": _flow,
    "life": _life,
    "shapes": _shapes,
    "automaton": _automaton,
}


MOTES = 4
MOTE_RISE_S = (7.0, 9.5)  # seconds to cross the frame bottom to top, slowest and fastest


def motes_over(seed: int, palette: list[str], fps: int, size: Size, under: str) -> str:
    """Translucent squares rising through the frame on a sway, each coming round again
    below when it leaves above; phases are spread so that at every instant several are in
    view and moving. They alternate white and the darkest colour, so half of them stand out
    on any background, a flat stretch of the palette's lightest colour included."""
    width, height = size
    tones = ("ffffff", _three(palette)[0])
    chains = []
    last = under
    for k in range(MOTES):
        side = int(width * (0.10 + 0.05 * ((seed >> k) % 3)))
        rise = MOTE_RISE_S[0] + (MOTE_RISE_S[1] - MOTE_RISE_S[0]) * k / (MOTES - 1)
        travel = height + side
        phase = travel * (k + ((seed >> (2 * k)) % 100) / 200) / MOTES
        column = width * (k + 0.5) / MOTES - side / 2
        x = f"{column:.0f}+{width * 0.08:.0f}*sin(t*{0.7 + 0.2 * k:.2f}+{(seed >> k) % 7})"
        y = f"{height}-mod(t*{travel / rise:.1f}+{phase:.0f},{travel})"
        tone = tones[k % 2]
        chains.append(
            f"color=c=0x{tone}@0.5:s={side}x{side}:r={fps},{ONE_FRAME},format=yuva420p[m{k}]")
        chains.append(f"[{last}][m{k}]overlay=x='{x}':y='{y}':eval=frame:format=yuv420[mo{k}]")
        last = f"mo{k}"
    return ";".join(chains) + f";[{last}]null"


def _palette(colours: list[str]) -> list[str]:
    cleaned = []
    for colour in colours:
        value = colour.strip().lstrip("#")
        if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
            raise bad_input(f"look.palette: {colour!r} is not #rrggbb")
        cleaned.append(value.lower())
    if not cleaned:
        raise bad_input("look.palette is empty")
    return cleaned


def _three(palette: list[str]) -> tuple[str, str, str]:
    """Darkest, middle and lightest palette colours, for background, accents and foreground."""
    ordered = sorted(palette, key=lambda c: sum(_rgb(c)))
    return ordered[0], ordered[len(ordered) // 2], ordered[-1]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _seed(text: str) -> int:
    # crc32, not hash(): Python salts str hashes per process, and retries must match.
    return zlib.crc32(text.encode("utf-8"))
