"""`agility serve-local`: serve the packaged model through llama.cpp's OpenAI-compatible server.

A stand-in for a hosted model: `agility run --model openai/gemma3-270m --base-url
http://127.0.0.1:PORT/v1` then speaks the same protocol as OpenAI's API, over HTTP.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agility.cli._common import console, handle_errors

#: this module's top-level commands (listed in agility.cli.main.COMMANDS)
app = typer.Typer()


@app.command("serve-local")
@handle_errors
def serve_local_command(
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    n_ctx: Annotated[int, typer.Option("--n-ctx", help="Context window in tokens.", min=512)] = 4096,
) -> None:
    """Serve the packaged Gemma 3 270M over HTTP (llama.cpp's server, set up for agility).

    It runs until stopped (Ctrl-C). The settings that matter are printed first: the gemma chat
    format, the context window, and queued (not interrupted) concurrent requests.
    """
    from agility.providers import server_command

    command = server_command(port=port, host=host, n_ctx=n_ctx)
    console.print(f"serving on http://{host}:{port}/v1 as openai/gemma3-270m: "
                  f"{' '.join(command[1:])}", markup=False, highlight=False, soft_wrap=True)
    console.file.flush()
    # become the server (no child left behind when this process is stopped or killed)
    os.execve(command[0], command, {**os.environ, "HF_HUB_OFFLINE": "1"})
