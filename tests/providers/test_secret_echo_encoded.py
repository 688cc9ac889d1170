"""A server that echoes the API key back encoded (URL-encoded, base64) must not get it stored.

Plain keys were already scrubbed; a key echoed as ``Bearer%20sk-...`` or inside a base64 blob
reached the store's error column. The server here is a real HTTP server on 127.0.0.1 that
answers every call with a 400 whose message quotes the Authorization header it received in
several encodings.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from typer.testing import CliRunner

from agility.cli.main import _register, app
from agility.errors import scrub_secrets
from agility.providers._common import hide
from agility.testing import FakeOpenAIServer

_register()

KEY = "sk-echo-test-0123456789abcdefXYZ"


def encodings(secret: str) -> dict[str, str]:
    """The ways a server may echo ``secret`` (and the ``Bearer`` header holding it)."""
    header = f"Bearer {secret}"
    return {
        "url": quote(header, safe=""),
        "url-plus": quote_plus(f"Authorization: {header}"),
        "url-lower": quote(header, safe="").lower(),
        "every-byte-url": "".join(f"%{b:02X}" for b in secret.encode()),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64-header": base64.b64encode(f"Authorization: {header}".encode()).decode(),
        "basic": base64.b64encode(f"user:{secret}".encode()).decode(),
        "base64url": base64.urlsafe_b64encode(f"x{secret}".encode()).decode(),
    }


def leaks(text: str, secret: str) -> list[str]:
    """Which encodings of ``secret`` (or the secret itself) appear in ``text``."""
    found = [name for name, form in encodings(secret).items()
             if form in text or form.rstrip("=") in text]
    return found + (["plain"] if secret in text else [])


class EchoingServer(FakeOpenAIServer):
    """Answers every chat call with HTTP 400 quoting the Authorization header, encoded."""

    async def handle(self, request: Any, responder: Any) -> None:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ")
        forms = " | ".join(f"{name}={form}" for name, form in encodings(sent).items())
        await responder.send(400, {"error": {"message": f"bad request from {forms}",
                                              "type": "invalid_request_error"}})


@pytest.fixture()
def echoing() -> Iterator[EchoingServer]:
    with EchoingServer() as server:
        yield server


@pytest.mark.parametrize("name", list(encodings(KEY)))
def test_scrub_secrets_removes_each_encoding(name: str) -> None:
    text = f"upstream said: {encodings(KEY)[name]} (end)"
    assert leaks(scrub_secrets(text), KEY) == []
    assert scrub_secrets(text).endswith("(end)")


@pytest.mark.parametrize("name", list(encodings("plainwordsecretvalue")))
def test_hide_removes_each_encoding_of_a_key_without_a_known_shape(name: str) -> None:
    secret = "plainwordsecretvalue"  # not sk-...: only hide(), which knows it, can find it
    text = f"upstream said: {encodings(secret)[name]} (end)"
    assert leaks(hide(text, secret), secret) == []


def test_ordinary_text_is_left_alone() -> None:
    text = ("sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, "
            "path /v1/chat/completions?model=gpt-4o%2Dmini, word Supercalifragilistic")
    assert scrub_secrets(text) == text
    assert hide(text, "plainwordsecretvalue") == text


def test_an_encoded_echo_of_the_key_never_reaches_the_store_or_the_output(
        tmp_path: Path, echoing: EchoingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    data = tmp_path / "golden.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "source_prompt": f"q {i}?",
                                        "ground_truth": "a"}) + "\n" for i in range(3)))
    db = tmp_path / "agility.db"
    runner = CliRunner()
    run = runner.invoke(app, ["run", "--dataset", str(data), "--model", "openai/m", "--name",
                              "echo", "--base-url", echoing.base_url, "--store", str(db)])
    shown = runner.invoke(app, ["runs", "show", "echo", "--store", str(db)])
    out = tmp_path / "echo.jsonl"
    runner.invoke(app, ["export", "echo", "-o", str(out), "--store", str(db)])
    with sqlite3.connect(db) as conn:
        errors = [row[0] for row in conn.execute("SELECT error FROM results")]
    assert errors and all(e and "bad request from" in e for e in errors), errors
    for where, text in (("run output", run.output), ("runs show", shown.output),
                        ("export", out.read_text()), ("store", "\n".join(errors)),
                        ("store file", db.read_bytes().decode("latin-1"))):
        assert leaks(text, KEY) == [], where
