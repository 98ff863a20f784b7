"""Hook styles: how a reel's first sentence opens, for the channel's hook experiment.

A channel with `hooks: {experiment: [question, bold-claim]}` gives its reels the two styles
in turn; the template writer opens with the style's sentence, the LLM writers are asked for
a hook in that style. A reviewer's `hook: ...` note still wins over either.
"""

from __future__ import annotations

from dataclasses import replace

from workflows.contracts import Topic

# The style's name -> what an LLM writer is asked for.
HOOK_STYLES = {
    "question": "a question the viewer wants answered",
    "bold-claim": "a bold claim stated as plain fact",
    "number": "a promise of how many surprising facts are coming",
    "story": "the first line of a short story",
}
_COUNT = {2: "Two", 3: "Three", 4: "Four"}


def _subject(title: str) -> str:
    """The title inside a sentence: its first letter lowered unless it is an acronym."""
    title = title.strip().rstrip(".!?")
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def styled_hook(style: str, topic: Topic) -> str:
    """The style's opening sentence around the title (feed and news titles are statements)."""
    subject = _subject(topic.title)
    if style == "question":
        return f"Did you know that {subject}?"
    if style == "bold-claim":
        return f"Here is the truth nobody tells you: {subject}."
    if style == "number":
        facts = min(len([f for f in topic.facts if f.strip()]), 4)
        return f"{_COUNT.get(facts, 'A few')} facts in under a minute, starting here: {subject}."
    if style == "story":
        return f"This story starts with a surprise: {subject}."
    raise ValueError(f"unknown hook style {style!r} (known: {', '.join(HOOK_STYLES)})")


def with_hook_style(topic: Topic, style: str) -> Topic:
    """The topic opening in `style` for the template writer; unchanged without a style."""
    return replace(topic, hook=styled_hook(style, topic)) if style else topic


def hook_instruction(style: str) -> str:
    """The LLM prompt's sentence about the hook; "" without a style."""
    if not style:
        return ""
    return f" The hook (the first sentence) must be {HOOK_STYLES[style]}."
