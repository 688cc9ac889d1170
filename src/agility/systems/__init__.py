"""The system under test: the application, not just the model.

A run answers each golden example with the plain model call (:func:`agility.runner.run_model`)
or with a system (:func:`agility.runner.run_system`):

- ``python:package.module:function``: the team's own code (a RAG pipeline, a chain of calls);
- ``http:URL``: the team's own service, one request per example;
- ``langgraph:package.module:graph``: a LangGraph graph (extra ``langgraph``); its nodes get
  the settings with :func:`graph_settings`.

A system gets the candidate's settings (:class:`SystemSettings`: its model, prompt, generation
settings, options) so the same application runs with the source's and the target's model. Its
steps are recorded as spans (:mod:`agility.trace`). Specs named in a file follow a trust rule
(:func:`system_problems`): code and hosts a file names must be allowed outside it, and a
plan's ``http:`` systems get their secrets only from :class:`HeaderBinding` s given by whoever
runs it (:func:`bind_headers`).
"""

from agility.systems._base import (
    System,
    SystemAnswer,
    SystemSettings,
    available_systems,
    build_system,
    register_system,
)
from agility.systems._langgraph import assistant_message, chat_messages, graph_settings
from agility.systems._spec import (
    HeaderBinding,
    HttpSpec,
    SystemSpec,
    bind_headers,
    load_system_file,
    parse_header_binding,
    parse_system_spec,
    spec_mapping,
    system_problems,
)

__all__ = [
    "HeaderBinding",
    "HttpSpec",
    "System",
    "SystemAnswer",
    "SystemSettings",
    "SystemSpec",
    "assistant_message",
    "available_systems",
    "bind_headers",
    "build_system",
    "chat_messages",
    "graph_settings",
    "load_system_file",
    "parse_header_binding",
    "parse_system_spec",
    "register_system",
    "spec_mapping",
    "system_problems",
]
