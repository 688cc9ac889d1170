"""Prompt templates: Jinja2 files that render chat messages from a golden example."""

from agility.prompts._template import HIDDEN_FIELDS, PromptTemplate, load_template

__all__ = ["HIDDEN_FIELDS", "PromptTemplate", "load_template"]
