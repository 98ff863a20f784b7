"""YAML as operators and feeds write it: safe types, no aliases, errors without the text.

An alias repeats a node by reference, so a few hundred bytes of anchors expand to tens of
megabytes once read (the "billion laughs"); none of our files need them. A parse error names
the line and the problem, never the line's text: a feed's content can be anyone's, and the
message reaches API replies and logs.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 1024 * 1024  # a channel file or feed bigger than this is a mistake


class YamlRefused(ValueError):
    """The text is not plain YAML; the message says where and why, never what was there."""


class _NoAliases(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise YamlRefused(f"line {mark.line + 1}: aliases (*name) are not allowed")
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """The document in `text`; YamlRefused with the line and the reason."""
    if len(text) > MAX_BYTES:
        raise YamlRefused(f"larger than {MAX_BYTES // 1024} KB")
    try:
        return yaml.load(text, Loader=_NoAliases)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(parse)"
        raise YamlRefused(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or 'parse error'})"
                          ) from None
