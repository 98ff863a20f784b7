"""`monolathe visuals preview "sentence" ...`: the icons illustrated scenes would show.

Runs the matcher in this process (MiniLM on CPU, the icon index cached under the artifact
store as the gpu worker keeps it), prints each sentence's icons with their scores and writes
a contact sheet: one frame of each sentence's scene, side by side, as compose draws it.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
from pathlib import Path

from activities.config import Settings
from workers.stack import CliError

SAMPLE_AT_S = 1.8  # every icon has entered by then
SCENE_S = 2.5


async def cmd_visuals_preview(settings: Settings, args: argparse.Namespace) -> int:
    # Embedding and the render block: off the event loop.
    return await asyncio.to_thread(_preview, settings, args)


def _preview(settings: Settings, args: argparse.Namespace) -> int:
    import ffmpeg

    from activities import icons, illustrated
    from activities.ffmpeg_run import ffmpeg_exe
    from activities.gpu import icon_match
    from workflows.contracts import IconMatchRequest, LookConfig

    sentences = [s.strip() for s in args.sentences if s.strip()]
    if not sentences:
        raise CliError("visuals preview: give at least one sentence")
    palette = [c.strip().lstrip("#").lower() for c in args.palette.split(",")]
    if any(len(c) != 6 for c in palette):
        raise CliError(f"visuals preview: --palette {args.palette!r}: want #rrggbb,#rrggbb,...")
    look = LookConfig(palette=[f"#{c}" for c in palette])
    root = settings.artifacts_dir
    index = icon_match.load_index(root, settings.gpu.embeddings_model)
    shown = icon_match.pick(index, IconMatchRequest(sentences), settings.gpu.embeddings_model)
    frames = []
    for k, (text, scene) in enumerate(zip(sentences, shown, strict=True)):
        print(f"{k + 1}. {text}")
        for code, name, score in zip(scene.codes, scene.names, scene.scores, strict=True):
            print(f"   {score:.3f}  {icons.icon(code).char}  {name} ({code})")
        extra = f" x{scene.count}" if scene.count > 1 else ""
        extra += f"  number {scene.number}" if scene.number else ""
        print(f"   relevance {scene.relevance:.3f}{extra}")
        if not scene.codes:
            continue
        recipe = illustrated.plan(look, scene, palette, (look.width // 2, look.height // 2),
                                  SCENE_S, k, root)  # fmt: skip
        frames.append(illustrated.scene(recipe, SCENE_S, 4 + k, 1000 + 16 * k)
                      .filter("trim", start=SAMPLE_AT_S, duration=0.05)
                      .filter("setpts", "PTS-STARTPTS"))
    if not frames:
        raise CliError("visuals preview: no sentence matched an icon")
    sheet = frames[0] if len(frames) == 1 else ffmpeg.filter(frames, "hstack", inputs=len(frames))
    out = Path(args.out)
    command = ffmpeg.output(sheet, str(out), **{"frames:v": 1}).overwrite_output().get_args()
    run = subprocess.run([ffmpeg_exe(), "-v", "error", *command], capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        raise CliError(f"visuals preview: ffmpeg failed: {run.stderr[-500:]}")
    print(f"contact sheet: {out}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    visuals = sub.add_parser("visuals", help="illustrated scenes: preview icons by meaning")
    inner = visuals.add_subparsers(dest="visuals_command", required=True)
    preview = inner.add_parser("preview", help="icons and scores for sentences, a contact sheet")
    preview.add_argument("sentences", nargs="+", help="what the voice says, one scene each")
    preview.add_argument("--out", default="preview.png", help="the contact sheet (PNG)")
    preview.add_argument("--palette", default="#14213d,#3a0ca3,#f72585,#4cc9f0",
                         help="background colours, #rrggbb,...")
    preview.set_defaults(command="visuals-preview")


COMMANDS = {"visuals-preview": cmd_visuals_preview}
