"""Steps of a procedure: a tool with an argument pattern, or an instruction in words.

An argument pattern keeps what a step means and drops what only one run had: numbers,
hashes, uuids, dates, versions and long free text become placeholders (`<number>`, `<id>`,
`<date>`, `<version>`, `<text>`), so two runs of the same step with different ticket numbers
are one step, while `env="staging"` and `env="production"` stay two.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_STEP_CHARS = 200
MAX_ARG_CHARS = 80
LONG_TEXT_WORDS = 12  # free text longer than this is content, not a parameter

_PLACEHOLDERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("<date>", re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")),
    ("<id>", re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)),
    ("<id>", re.compile(r"(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}", re.I)),
    ("<version>", re.compile(r"v?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?")),
    ("<number>", re.compile(r"-?\d+(?:\.\d+)?")),
)
# Inside longer text the same kinds of values are placeholders too: dates, uuids, dotted
# versions and image tags, hashes, and digit runs of 3 or more (ticket numbers, build ids);
# short digit runs (v2, ec2, s3) are kept, they name things.
_INNER: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("<date>", re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")),
    ("<id>", re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)),
    (
        "<version>",
        re.compile(r"(?<![\w.])v?\d+\.\d+\.\d+(?:[-+][\w.]+)?(?![\w.])|(?<=:)v?\d+(?:\.\d+)+"),
    ),
    ("<id>", re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b", re.I)),
    ("<number>", re.compile(r"(?<![\w.])\d{3,}(?![\w.])")),
)


@dataclass(frozen=True, slots=True)
class Step:
    """One step. `tool` and `args` (a pattern) for a tool call; `text` always (for people
    and for matching); `error` when the run of this step reported one."""

    text: str
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def slot(self) -> str:
        """What a step does, whatever its arguments: the tool, or the instruction's verb."""
        if self.tool:
            return self.tool.lower()
        return instruction_head(self.text)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.tool:
            out["tool"] = self.tool
            out["args"] = self.args
        return out


def instruction(text: str) -> Step:
    """A step said in words (values only one run had are placeholders here too). A command
    line of a tool and `--key=value` flags ("run build_image --service=web --tag=1.4.2") is
    the tool call it describes, so a how-to and a tool-call trace of one step agree."""
    return _command(text) or Step(short(inner_pattern(text)))


_RUN_VERB = re.compile(r"^(?:run|ran|execute|executed|call|called|invoke|invoked)\s+", re.I)
_COMMAND = re.compile(r"^(?P<tool>[A-Za-z_][\w.-]*)\s+(?P<flags>--\w.*)$")


def _command(text: str) -> Step | None:
    match = _COMMAND.match(_RUN_VERB.sub("", text.strip().strip("`")))
    if match is None:
        return None
    try:
        words = shlex.split(match.group("flags"))
    except ValueError:
        return None
    args: dict[str, Any] = {}
    while words:
        word = words.pop(0)
        if not word.startswith("--") or len(word) < 3:
            return None  # positional arguments: not a plain flags command, keep the words
        key, eq, value = word[2:].partition("=")
        if not eq:
            value = words.pop(0) if words and not words[0].startswith("--") else "true"
        args[key.replace("-", "_")] = value
    return tool_step(match.group("tool"), args)


def inner_pattern(text: str) -> str:
    """`text` with dates, ids, versions and long numbers inside it as placeholders."""
    for name, pattern in _INNER:
        text = pattern.sub(name, text)
    return text


def tool_step(name: str, arguments: Any, error: str | None = None) -> Step:
    """A tool call as a step: `name(key="pattern", ...)`, arguments as a pattern."""
    args = parse_arguments(arguments)
    pattern = {str(k): value_pattern(v) for k, v in args.items()} if args is not None else {}
    if args is None and isinstance(arguments, str) and arguments.strip():
        text = f"{name}({short(str(value_pattern(arguments)))})"  # arguments that are not JSON
    else:
        inner = ", ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in pattern.items())
        text = f"{name}({inner})"
    return Step(short(text), tool=name, args=pattern, error=error)


def parse_arguments(arguments: Any) -> dict[str, Any] | None:
    """Tool arguments as a mapping (OpenAI sends a JSON string); None when they are not one."""
    if arguments is None:
        return {}
    if isinstance(arguments, Mapping):
        return dict(arguments)
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError:
            return None
        return dict(parsed) if isinstance(parsed, Mapping) else None
    return None


def value_pattern(value: Any) -> Any:
    """The pattern of one argument value (recursively for lists and objects)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return "<number>"
    if isinstance(value, Mapping):
        return {str(k): value_pattern(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [value_pattern(v) for v in value[:10]]
    text = re.sub(r"\s+", " ", str(value)).strip()
    for name, pattern in _PLACEHOLDERS:
        if pattern.fullmatch(text):
            return name
    if len(text.split()) > LONG_TEXT_WORDS:
        return "<text>"
    text = inner_pattern(text)
    return text if len(text) <= MAX_ARG_CHARS else text[: MAX_ARG_CHARS - 1] + "…"


_FILLER_HEAD = frozenset(
    "i we you then first next finally and also just simply run runs ran execute use to "
    "step please".split()
)


def instruction_head(text: str) -> str:
    """The first meaningful word of an instruction ("then run make build" -> "make")."""
    for word in re.findall(r"[\w./-]+", text.lower()):
        if word not in _FILLER_HEAD and not word.isdigit():
            return word
    return text.lower()[:20]


def short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_STEP_CHARS else text[: MAX_STEP_CHARS - 1] + "…"


def step_from_dict(data: Mapping[str, Any]) -> Step:
    """A step stored in a procedure's attributes."""
    args = data.get("args")
    return Step(
        str(data.get("text", "")),
        tool=str(data["tool"]) if data.get("tool") else None,
        args=dict(args) if isinstance(args, Mapping) else {},
    )
