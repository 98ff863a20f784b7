"""write_script: the template writer, fed by the trend item.

Hook, one scene per fact, and a call to follow; keywords for each scene's visuals (stock
search) come from the scene's own words, and a one-sentence shot description (video and image
generators) from those keywords and the topic. LLM writers produce the same `Script`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from temporalio import activity

from activities.errors import bad_input
from activities.metering import Meter
from activities.script_hooks import with_hook_style
from workflows.contracts import Scene, Script, ScriptRequest, Topic

MAX_SCENES = 6
MIN_WORDS, MAX_WORDS = 40, 150  # Piper speaks about 2.6 words/s: 15 to 60 s of voice
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_STOP = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been it its
    this that these those there their they them you your we our us he she his her i my me
    not no so than then too very can could would should will just also about into over under
    after before more most some any all each every one two three four five six seven eight
    nine ten what which who whom whose why how when where while even only own same other
    such does did do doing has have had having because until instead rest around through
    hundred thousand million together mostly takes found longer
    """.split()  # noqa: SIM905 - a word list reads better as prose
)


def keywords_of(text: str, limit: int = 3) -> list[str]:
    words = [w.lower().strip("'-") for w in _WORD.findall(text)]
    seen: list[str] = []
    for word in sorted(words, key=len, reverse=True):
        if word not in _STOP and len(word) > 3 and word not in seen:
            seen.append(word)
    return seen[:limit]


# Camera moves a generator renders well; scenes take turns so a reel does not repeat one.
SHOTS = ("Slow push-in on", "Close-up of", "Wide shot of", "Gentle tracking shot of",
         "Overhead shot of")


def visual_prompt(topic: Topic, keywords: list[str], index: int) -> str:
    """One sentence describing a vertical shot for a scene, for video and image generators."""
    subject = ", ".join(keywords) if keywords else topic.title.lower()
    return (f"{SHOTS[index % len(SHOTS)]} {subject}, for a short about {topic.title.strip()};"
            " vertical 9:16, cinematic, natural light, no text on screen.")


def _hashtag(word: str) -> str:
    return "#" + re.sub(r"[^a-z0-9]", "", word.lower())


def template_script(topic: Topic, niche: str, hashtags: list[str]) -> Script:
    facts = [f for f in topic.facts if f.strip()][: MAX_SCENES - 2]
    if len(facts) < 2:
        raise bad_input(f"topic {topic.title!r}: facts: need at least 2 to write a script")
    hook = topic.hook or f"Here is something about {topic.title.lower()} you did not know."
    outro = f"Follow for more {niche} like this."
    scenes = [Scene(hook, topic.keywords[:2] or keywords_of(hook))]
    scenes += [Scene(fact, keywords_of(fact)) for fact in facts]
    scenes.append(Scene(outro, [topic.keywords[0]] if topic.keywords else keywords_of(topic.title)))
    words = sum(len(s.text.split()) for s in scenes)
    if words < MIN_WORDS:
        raise bad_input(
            f"topic {topic.title!r}: facts: {words} words make a reel under 15 s; add facts"
        )
    while words > MAX_WORDS and len(scenes) > 3:
        words -= len(scenes.pop(-2).text.split())
    for index, scene in enumerate(scenes):
        scene.visual_prompt = visual_prompt(topic, scene.keywords, index)
    tags = [_hashtag(t) for t in [*hashtags, *topic.keywords] if t]
    description = " ".join([hook, *facts[:1]]) + (f"\n\nSource: {topic.url}" if topic.url else "")
    return Script(
        title=topic.title[:100],
        description=description,
        hashtags=list(dict.fromkeys(tags)),
        scenes=scenes,
        backend="template",
    )


def topic_with_notes(topic: Topic, notes: str) -> tuple[Topic, list[str]]:
    """A reviewer's revision notes for the template writer: `title: ...`, `hook: ...`,
    `fact: ...` (added) and `drop: N` (the Nth fact left out) lines. Other lines are
    returned, for the script's `fallback_reason`: a template cannot follow free prose."""
    fields = {"title": topic.title, "hook": topic.hook}
    facts, drop, unknown = list(topic.facts), set(), []
    for line in filter(None, (raw.strip() for raw in notes.splitlines())):
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key in fields and value:
            fields[key] = value
        elif key == "fact" and value:
            facts.append(value)
        elif key == "drop" and value.isdigit():
            drop.add(int(value) - 1)
        else:
            unknown.append(line)
    facts = [f for i, f in enumerate(facts) if i not in drop]
    return replace(topic, title=fields["title"], hook=fields["hook"], facts=facts), unknown


class ScriptActivities:
    def __init__(self, cpu_second_usd: float) -> None:
        self.cpu_second_usd = cpu_second_usd

    @activity.defn(name="write_script")
    def write_script(self, req: ScriptRequest) -> Script:
        meter = Meter("script", "template", self.cpu_second_usd)
        # The experiment's style replaces the feed's hook; a reviewer's hook note beats both.
        topic, unknown = topic_with_notes(with_hook_style(req.topic, req.hook_style),
                                          req.notes)
        script = template_script(topic, req.channel.niche, req.channel.hashtags)
        if unknown:
            script.fallback_reason = "notes the template writer cannot follow: " + "; ".join(
                unknown)
        script.cost = meter.cost()
        return script
