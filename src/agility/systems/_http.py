"""``http:URL``: the team's own service, one request per example (see :class:`HttpSpec`).

The body is rendered from the example by the spec's ``body_template`` in the same sandbox as
prompt templates (bounded work and size; the answer is never visible to it); the reply must be
JSON, and ``answer_path`` finds the answer in it. A timeout, an error status, a reply that is
not JSON or lacks the answer fail the example with the reason. Header values read from the
environment (``headers_from_env``) never appear in an error or in the run record.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from typing import Any

import aiohttp

from agility.errors import ConfigError, SystemCallError
from agility.prompts._sandbox import RenderLimitExceeded, bounded_environment, render_bounded
from agility.prompts._template import _example_view
from agility.providers._common import hide
from agility.systems._base import System, SystemAnswer, SystemSettings
from agility.systems._spec import HttpSpec
from agility.trace import span

__all__ = ["HttpSystem", "find_path", "parse_path"]

_ENV = bounded_environment(autoescape=False)
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``data.choices[0].text`` as steps ``["data", "choices", 0, "text"]``.

    Raises:
        ValueError: the path is empty or malformed.
    """
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read the path {path!r} at character {position + 1}")
        steps.append(int(match.group(2)) if match.group(2) is not None else match.group(1))
        position = match.end()
    if not steps:
        raise ValueError("the path is empty")
    return steps


def find_path(data: Any, path: str) -> Any:
    """The value at ``path`` in decoded JSON ``data``.

    Raises:
        KeyError: a step is missing (the message names the first missing step).
    """
    value = data
    for step in parse_path(path):
        if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            raise KeyError(step)
    return value


def _default_body(example: Any) -> dict[str, Any]:
    return {"id": example.id, "question": example.question,
            "messages": [m.model_dump(exclude_none=True) for m in example.prompt_messages()]}


class HttpSystem(System):
    """An HTTP endpoint (see the module docstring)."""

    kind = "http"

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.http: HttpSpec = spec.http
        try:
            self._template = _ENV.from_string(self.http.body_template) \
                if self.http.body_template is not None else None
        except Exception as exc:  # noqa: BLE001 - a template syntax error is the user's to fix
            raise ConfigError(f"system {self.name}: body_template does not compile: {exc}",
                              argument="body_template") from exc
        for path in (self.http.answer_path, self.http.contexts_path):
            if path is not None:
                try:
                    parse_path(path)
                except ValueError as exc:
                    raise ConfigError(f"system {self.name}: {exc}") from exc
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _body(self, example: Any) -> bytes | None:
        if self.http.method == "GET":
            return None
        if self._template is None:
            return json.dumps(_default_body(example)).encode()
        view = _example_view(example)
        variables = {"question": view.get("question"), "contexts": view.get("contexts") or [],
                     "messages": [m.model_dump(exclude_none=True)
                                  for m in example.prompt_messages()],
                     "id": example.id, "example": view, "metadata": view.get("metadata") or {}}
        try:
            text = render_bounded(self._template, variables)
        except RenderLimitExceeded as exc:
            raise SystemCallError(self.name, f"body_template went past a limit: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - an undefined variable, a template error
            raise SystemCallError(self.name, f"body_template failed: {type(exc).__name__}: "
                                             f"{exc}") from exc
        try:
            json.loads(text)
        except ValueError as exc:
            raise SystemCallError(self.name, f"body_template did not render JSON ({exc}); use "
                                             f"the tojson filter for values") from exc
        return text.encode()

    def _headers(self) -> tuple[dict[str, str], list[str]]:
        headers = {"content-type": "application/json", "accept": "application/json",
                   **self.http.headers}
        secrets = []
        for header, env in self.http.headers_from_env.items():
            value = os.environ.get(env)
            if not value:
                raise SystemCallError(self.name, f"header {header} reads ${env}, which is not "
                                                 f"set")
            headers[header] = value
            secrets.append(value)
        return headers, secrets

    def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            # the system's timeout_s bounds each example, the request included
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
            self._loop = loop
        return self._session

    async def answer(self, example: Any, settings: SystemSettings) -> SystemAnswer:
        """Send the example to the endpoint and read the answer out of its reply."""
        body = self._body(example)
        headers, secrets = self._headers()
        async with span("http", url_path=_path_of(self.http.url)) as marker:
            started = time.perf_counter()
            try:
                async with self._get_session().request(
                        self.http.method, self.http.url, data=body, headers=headers) as reply:
                    marker.set(status=reply.status)
                    raw = await reply.read()
                    status = reply.status
            except aiohttp.ClientError as exc:
                detail = hide(str(exc) or type(exc).__name__, *secrets)
                raise SystemCallError(self.name, f"cannot reach the endpoint: {detail}") from exc
            marker.set(reply_ms=(time.perf_counter() - started) * 1000.0)
            return self._read(raw, status, secrets)

    def _read(self, raw: bytes, status: int, secrets: list[str]) -> SystemAnswer:
        """The answer (and contexts) in a reply, or the reason there is none."""
        text = hide(raw[:300].decode("utf-8", "replace"), *secrets)
        if status >= 400:
            raise SystemCallError(self.name, f"HTTP {status}: {text}")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise SystemCallError(self.name, f"the reply is not JSON: {text!r}") from exc
        try:
            output = find_path(data, self.http.answer_path)
        except KeyError as exc:
            raise SystemCallError(self.name, f"the reply has no {self.http.answer_path!r} "
                                             f"(answer_path; missing {exc.args[0]!r}): "
                                             f"{text!r}") from exc
        if not isinstance(output, str):
            output = json.dumps(output) if output is not None else ""
        contexts = None
        if self.http.contexts_path is not None:
            try:
                found = find_path(data, self.http.contexts_path)
            except KeyError:
                found = None
            if isinstance(found, list):
                contexts = [c if isinstance(c, str) else json.dumps(c) for c in found]
        return SystemAnswer(output=output, contexts=contexts)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path or "/"
