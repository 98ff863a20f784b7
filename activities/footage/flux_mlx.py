"""FLUX stills made on this machine with `mflux` (the `images` extra), on Apple silicon only.

Nothing is paid: the still is made at submit into a scratch file named by model, prompt,
seed and size, which is the "job"; a retry finds the file, or makes it again. The pipeline is loaded once per process and kept (a few GB of weights, from
the Hugging Face cache or the folder in `visuals.sources.flux-mlx.model`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import platform
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from activities.footage.common import Context, Expired, Job
from activities.progress import heartbeat
from workflows.contracts import FootageRequest

STEPS = {"schnell": 2, "dev": 20}  # schnell is distilled for a few steps
SCRATCH = Path(tempfile.gettempdir()) / "monolathe-flux"
_pipelines: dict[str, Any] = {}
_lock = threading.Lock()  # one model on the accelerator at a time


def apple_silicon() -> bool:
    return platform.system() == "Darwin" and platform.machine() == "arm64"


class FluxMlxSource:
    # The still is made at submit into a scratch folder; if it is gone, it is made again.
    refreshes_urls = False

    def __init__(self, context: Context) -> None:
        self.context = context
        self.name = context.name

    def missing(self) -> str:
        if not apple_silicon() or importlib.util.find_spec("mflux") is None:
            return "needs Apple silicon (mflux)"
        return ""

    def submit(self, req: FootageRequest) -> str:
        model = self.context.settings.model or "schnell"
        prompt = req.prompt or " ".join(req.keywords)
        seed = req.variant + 1
        key = hashlib.sha256(f"{model}|{prompt}|{seed}|{req.width}x{req.height}".encode())
        out = SCRATCH / f"{key.hexdigest()[:24]}.jpg"
        if not out.is_file():
            with _lock:
                flux = pipeline(model)
                heartbeat({"generating": out.name})
                image = flux.generate_image(
                    seed=seed, prompt=prompt,
                    config=_config(num_inference_steps=STEPS.get(model, 4),
                                   height=_multiple_of_16(req.height // 2),
                                   width=_multiple_of_16(req.width // 2)))
            out.parent.mkdir(parents=True, exist_ok=True)
            part = out.with_suffix(".part")
            image.image.convert("RGB").save(part, format="JPEG", quality=92)
            part.replace(out)
        return str(out)

    def poll(self, job_id: str) -> Job:
        model = self.context.settings.model or "schnell"
        return Job("done", urls=[job_id], kind="still", what=f"FLUX {model} (local)")

    def download(self, job: Job, dest: Path) -> None:
        if not Path(job.urls[0]).is_file():
            raise Expired(f"flux-mlx: {job.urls[0]} is gone")
        shutil.copyfile(job.urls[0], dest)

    def cancel(self, job_id: str) -> None:
        """Nothing runs after submit."""


def _multiple_of_16(value: int) -> int:
    return max(256, value - value % 16)


def _config(**kwargs: Any) -> Any:
    from mflux import Config  # heavy: MLX and the model classes

    return Config(**kwargs)


def pipeline(model: str) -> Any:
    """The FLUX pipeline for `model` ("schnell", "dev" or a local folder), loaded once."""
    if model not in _pipelines:
        from mflux import Flux1, ModelConfig

        if Path(model).is_dir():
            _pipelines[model] = Flux1(model_config=ModelConfig.schnell(), local_path=model,
                                      quantize=8)
        else:
            _pipelines[model] = Flux1.from_name(model_name=model, quantize=8)
    return _pipelines[model]
