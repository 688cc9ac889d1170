"""A prompt file as data: read it, change it, write it back in the format ``--prompt`` reads.

:class:`PromptSpec` holds what a template file holds (system, messages, few-shot pairs, their
selection, the generation settings and the lineage). Porting builds candidates by changing a
spec, renders them through :meth:`PromptSpec.template`, and writes the chosen one with
:func:`dump_prompt`; loading the written file gives a template with the same :attr:`hash`, so a
run of the file resumes the run of the candidate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from jinja2 import Environment, TemplateSyntaxError, meta
from pydantic import BaseModel, ConfigDict, Field

from agility._yaml_config import load_yaml, read_config_text, validate_yaml
from agility.chat import GenerationConfig
from agility.errors import ConfigError
from agility.prompts._template import FewShotSelect, PromptFormat, PromptTemplate, TemplateFile

__all__ = ["KNOWN_VARIABLES", "MessageSpec", "PromptSpec", "dump_prompt", "load_prompt_spec",
           "load_template"]

#: the variables a template can use (see agility.prompts._template)
KNOWN_VARIABLES = frozenset({"question", "contexts", "context", "example", "few_shot",
                             "metadata"})


class MessageSpec(BaseModel):
    """One message of a prompt file: its role and Jinja2 source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class PromptSpec(BaseModel):
    """The content of a prompt file (see :mod:`agility.prompts._template` for each key)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = "1"
    system: str | None = None
    few_shot: list[dict[str, str]] = Field(default_factory=list)
    few_shot_select: FewShotSelect | None = None
    messages: list[MessageSpec] = Field(min_length=1)
    config: GenerationConfig | None = None
    lineage: dict[str, Any] | None = None
    format: PromptFormat = "chat"

    def template(self, path: str | Path | None = None) -> PromptTemplate:
        """The compiled template.

        Raises:
            ConfigError: a message is not valid Jinja2.
        """
        return PromptTemplate(self.name, [(m.role, m.content) for m in self.messages],
                              version=self.version, system=self.system, few_shot=self.few_shot,
                              path=path, few_shot_select=self.few_shot_select,
                              config=self.config, lineage=self.lineage, format=self.format)

    def sources(self) -> list[str]:
        """Every Jinja2 source of the prompt (system first)."""
        return ([self.system] if self.system is not None else []) + [
            m.content for m in self.messages]

    def variables(self) -> set[str]:
        """The template variables the prompt uses (``question``, ``context``, ...).

        Raises:
            ConfigError: a source is not valid Jinja2.
        """
        env = Environment()
        found: set[str] = set()
        for source in self.sources():
            try:
                found |= meta.find_undeclared_variables(env.parse(source))
            except TemplateSyntaxError as exc:
                raise ConfigError(f"template '{self.name}': line {exc.lineno}: {exc.message}"
                                  ) from exc
        return found


def load_prompt_spec(path: str | Path) -> PromptSpec:
    """Read a prompt file (YAML, or ``.j2``/``.txt`` as one user message) as a spec.

    Raises:
        ConfigError: the file is missing or invalid (names the file, line and field).
    """
    file = Path(path)
    text = read_config_text(file, "prompt template", "Check the --prompt path.")
    if file.suffix.lower() not in {".yaml", ".yml"}:
        return PromptSpec(name=file.stem, messages=[MessageSpec(role="user", content=text)])
    data, node = load_yaml(text, str(file))
    if isinstance(data, dict) and "version" in data:
        data["version"] = str(data["version"])
    spec = validate_yaml(data, node, TemplateFile, str(file),
                         "prompt template (`name` and `messages: [{role, content}]`)")
    return PromptSpec(name=spec.name, version=spec.version, system=spec.system,
                      few_shot=[f.model_dump(exclude_none=True) for f in spec.few_shot],
                      few_shot_select=spec.few_shot_select,
                      messages=[MessageSpec(role=m.role, content=m.content)
                                for m in spec.messages],
                      config=spec.config, lineage=spec.lineage, format=spec.format)


def load_template(path: str | Path) -> PromptTemplate:
    """Load a template from a YAML file, or a ``.j2``/``.txt`` file used as one user message.

    Args:
        path: the template file.

    Returns:
        the compiled template.

    Raises:
        ConfigError: the file is missing or invalid (names the file, line and field).
    """
    return load_prompt_spec(path).template(Path(path))


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so a prompt file stays readable."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # a literal block for text of several lines (not for a bare "\n", nor for lines with
    # trailing spaces, which a literal block cannot keep)
    multi = "\n" in value.strip("\n")
    style = "|" if multi and not any(line != line.rstrip() for line in value.split("\n")) \
        else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_prompt(spec: PromptSpec, header: str = "") -> str:
    """The YAML text of a prompt file (``header`` lines become ``#`` comments at the top).

    Loading the text back gives a template with the same hash as ``spec.template()``.
    """
    data: dict[str, Any] = {"name": spec.name, "version": spec.version}
    if spec.format != "chat":
        data["format"] = spec.format
    if spec.system is not None:
        data["system"] = spec.system
    if spec.few_shot:
        data["few_shot"] = [dict(f) for f in spec.few_shot]
    if spec.few_shot_select is not None:
        data["few_shot_select"] = spec.few_shot_select.model_dump()
    data["messages"] = [m.model_dump() for m in spec.messages]
    if spec.config is not None:
        data["config"] = spec.config.model_dump(mode="json", exclude_unset=True)
    if spec.lineage:
        data["lineage"] = spec.lineage
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return comment + body
