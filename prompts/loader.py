"""The one prompt loader: prompt files are package data with strict {{variables}}.

A prompt file holds chat turns headed by `## system`, `## user` or `## assistant`
lines (assistant turns are worked examples). Variables are written `{{name}}`;
rendering fails on a missing or an unexpected variable, so a typo in a prompt file
is an error, not a silently empty slot.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

_VARIABLE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
_HEADING = re.compile(r"^## (system|user|assistant)\s*$", re.MULTILINE)
_ROLES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


# Chat-template markers ("<|im_end|>", "<|eot_id|>") in a value are broken up, so text
# from an article or a passage cannot end its turn on a server that parses them.
_MARKER = re.compile(r"<\||\|>")


def as_data(value: object) -> str:
    """A variable's value as it goes into a prompt: text, with template markers broken."""
    return _MARKER.sub(lambda m: " ".join(m.group(0)), str(value))


class PromptError(ValueError):
    """A prompt file is malformed or was rendered with the wrong variables."""


@dataclass(frozen=True)
class Prompt:
    name: str
    turns: tuple[tuple[str, str], ...]  # (role, template)
    version: str  # short hash of the file: results record which prompt made them

    @property
    def variables(self) -> set[str]:
        return {v for _, text in self.turns for v in _VARIABLE.findall(text)}

    def render(self, **values: str) -> list[BaseMessage]:
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise PromptError(
                f"prompt {self.name!r}: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        # One pass with a function, so a value that itself contains "{{x}}" is not expanded.
        return [
            _ROLES[role](content=_VARIABLE.sub(lambda m: as_data(values[m.group(1)]), text))
            for role, text in self.turns
        ]


def parse_prompt(name: str, source: str) -> Prompt:
    parts = _HEADING.split(source)
    if parts[0].strip():
        raise PromptError(f"prompt {name!r}: text before the first '## role' heading")
    turns = tuple((role, text.strip()) for role, text in zip(parts[1::2], parts[2::2], strict=True))
    if not turns:
        raise PromptError(f"prompt {name!r}: no '## system|user|assistant' turns")
    version = hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    return Prompt(name=name, turns=turns, version=version)


def load_prompt(name: str, directory: Path | None = None) -> Prompt:
    """Load `name.md` from `directory` (a notebook's variants) or from this package."""
    if directory is not None:
        path = Path(directory) / f"{name}.md"
        if not path.is_file():
            raise PromptError(f"no prompt file {path}")
        return parse_prompt(name, path.read_text(encoding="utf-8"))
    resource = resources.files("prompts").joinpath(f"{name}.md")
    if not resource.is_file():
        raise PromptError(f"no prompt named {name!r} in prompts/")
    return parse_prompt(name, resource.read_text(encoding="utf-8"))


def available_prompts() -> list[str]:
    return sorted(
        p.name[:-3] for p in resources.files("prompts").iterdir() if p.name.endswith(".md")
    )
