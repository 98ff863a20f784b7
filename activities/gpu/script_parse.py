"""Turn an LLM's answer into a `Script`, repairing what small models typically get wrong.

The model is asked for one JSON object. Small models wrap it in prose or code fences, use
smart or single quotes, leave trailing commas, or stop mid-object at the token limit; each
of these is repaired. When no object can be read, labelled lines ("Title:", "Hook:",
"Scene 1:", "Hashtags:") are tried. Whatever cannot give a usable script raises
`ScriptUnusable` with the reason, and the caller falls back to the template writer.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from typing import Any

from activities.script import (
    MAX_SCENES,
    MAX_WORDS,
    MIN_WORDS,
    _hashtag,
    keywords_of,
    template_script,
    visual_prompt,
)
from activities.script_hooks import with_hook_style
from workflows.contracts import Scene, Script, ScriptRequest, Topic

_FENCE = re.compile(r"```(?:json)?", re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_SMART = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_LABEL = re.compile(r"^\s*[*#-]*\s*(title|hook|scene\s*\d*|caption|description|hashtags|outro)"
                    r"\s*\d*\s*[:.)-]\s*(.+)$", re.IGNORECASE)
MIN_SCENE_WORDS = 3


class ScriptUnusable(ValueError):
    """The model's answer cannot become a script; the message says why."""


def parse_script(answer: str, topic: Topic, hashtags: list[str]) -> Script:
    data = _json_object(answer)
    if data is None:
        data = _labelled(answer)
    if data is None:
        raise ScriptUnusable(f"no JSON object or labelled lines in the answer: {answer[:80]!r}")
    return _script(data, topic, hashtags)


def script_or_template(answer: str, req: ScriptRequest, backend: str, writer: str) -> Script:
    """The model's script, or the template writer's with `fallback_reason` saying why."""
    try:
        script = parse_script(answer, req.topic, req.channel.hashtags)
    except ScriptUnusable as exc:
        script = template_script(with_hook_style(req.topic, req.hook_style),
                                 req.channel.niche, req.channel.hashtags)
        script.fallback_reason = f"{writer}: {exc}"
        logging.getLogger("monolathe.script").warning("script of %s by template: %s",
                                                      req.reel_id, script.fallback_reason)
        return script
    script.backend = backend
    return script


def _json_object(answer: str) -> dict[str, Any] | None:
    text = _FENCE.sub("", answer.translate(_SMART))
    start = text.find("{")
    if start < 0:
        return None
    body = _balanced(text[start:])
    for candidate in (body, _TRAILING_COMMA.sub(r"\1", body)):
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            try:  # single quotes, True/False: a Python literal is close enough
                value = ast.literal_eval(candidate)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
        if isinstance(value, dict):
            return value
    return None


def _balanced(text: str) -> str:
    """The first object in `text`, closed if the answer was cut off at the token limit."""
    stack: list[str] = []
    in_string, escaped, quote = False, False, ""
    for i, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                in_string = False
            continue
        if char in "\"'":
            in_string, quote = True, char
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]":
            if stack and stack[-1] == char:
                stack.pop()
            if not stack:
                return text[: i + 1]
    cut = text.rstrip() + (quote if in_string else "")
    cut = cut.rstrip().rstrip(",")
    if cut.endswith(":"):
        cut += " null"
    return cut + "".join(reversed(stack))


def _labelled(answer: str) -> dict[str, Any] | None:
    data: dict[str, Any] = {"scenes": []}
    for line in answer.splitlines():
        match = _LABEL.match(line)
        if not match:
            continue
        label, value = match.group(1).lower(), match.group(2).strip().strip('"')
        if label.startswith("scene") or label == "outro":
            data["scenes"].append({"text": value})
        elif label == "hashtags":
            data["hashtags"] = value.replace(",", " ").split()
        elif label in ("caption", "description"):
            data["caption"] = value
        else:
            data[label] = value
    return data if data["scenes"] else None


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def _scene(raw: object) -> Scene | None:
    shot = ""
    if isinstance(raw, str):
        text, words = raw, []
    elif isinstance(raw, dict):
        text = str(raw.get("text") or raw.get("narration") or raw.get("voice") or "")
        words = _texts(raw.get("keywords") or raw.get("visual_keywords") or raw.get("visuals"))
        shot = raw.get("visual_prompt") or raw.get("shot") or raw.get("visual") or ""
        shot = " ".join(shot.split())[:300] if isinstance(shot, str) else ""
    else:
        return None
    text = " ".join(text.split())
    if len(text.split()) < MIN_SCENE_WORDS:
        return None
    keywords = [w.lower().strip() for w in words if w.strip()][:3] or keywords_of(text)
    return Scene(text, keywords, shot)


def _script(data: dict[str, Any], topic: Topic, hashtags: list[str]) -> Script:
    raw_scenes = data.get("scenes")
    if not isinstance(raw_scenes, list):
        raise ScriptUnusable("scenes: missing or not a list")
    scenes = [s for s in (_scene(r) for r in raw_scenes) if s is not None]
    hook = _scene(data.get("hook")) if data.get("hook") else None
    if hook is not None and (not scenes or scenes[0].text != hook.text):
        scenes.insert(0, hook)
    scenes = scenes[:MAX_SCENES]
    if len(scenes) < 2:
        raise ScriptUnusable(f"scenes: {len(scenes)} usable (need 2 of {MIN_SCENE_WORDS}+ words)")
    words = sum(len(s.text.split()) for s in scenes)
    while words > MAX_WORDS and len(scenes) > 2:
        words -= len(scenes.pop(-2).text.split())
    if words < MIN_WORDS:
        raise ScriptUnusable(f"scenes: {words} words make a reel under 15 s (need {MIN_WORDS})")
    if words > MAX_WORDS:
        raise ScriptUnusable(f"scenes: {words} words make a reel over 60 s (at most {MAX_WORDS})")
    for index, scene in enumerate(scenes):  # the model's shot, else one from the keywords
        scene.visual_prompt = scene.visual_prompt or visual_prompt(topic, scene.keywords, index)
    title = " ".join(str(data.get("title") or "").split())[:100] or topic.title[:100]
    caption = " ".join(str(data.get("caption") or data.get("description") or "").split())
    description = caption or scenes[0].text
    if topic.url:
        description += f"\n\nSource: {topic.url}"
    tags = [_hashtag(t.lstrip("#")) for t in [*hashtags, *_texts(data.get("hashtags"))]]
    return Script(
        title=title,
        description=description,
        hashtags=[t for t in dict.fromkeys(tags) if len(t) > 1][:12],
        scenes=scenes,
        backend="mlx",
    )
