"""Prompt templates: Jinja2 files that render chat messages from a golden example.

A prompt file is also data (:class:`PromptSpec`): ``agility port`` builds candidates by changing
a spec and writes the chosen one back with :func:`dump_prompt`.
"""

from agility.prompts._select import NearestShots, same_question
from agility.prompts._spec import (
    KNOWN_VARIABLES,
    MessageSpec,
    PromptSpec,
    dump_prompt,
    load_prompt_spec,
    load_template,
)
from agility.prompts._template import (
    HIDDEN_FIELDS,
    FewShotSelect,
    PromptFormat,
    PromptTemplate,
    prompt_format,
)

__all__ = [
    "HIDDEN_FIELDS",
    "KNOWN_VARIABLES",
    "FewShotSelect",
    "MessageSpec",
    "NearestShots",
    "PromptFormat",
    "PromptSpec",
    "PromptTemplate",
    "dump_prompt",
    "load_prompt_spec",
    "load_template",
    "prompt_format",
    "same_question",
]
