"""Which model the agents use: ``CANARY_AGENT_MODEL``, read when an agent runs (never at import).

- ``anthropic:<model>`` (needs ``ANTHROPIC_API_KEY``), ``openai:<model>`` (``OPENAI_API_KEY``) and
  any other ``provider:model`` string pydantic-ai knows.
- With ``CANARY_AGENT_BASE_URL`` set, the model is served by an OpenAI-compatible chat-completions
  server (llama.cpp, Ollama, vLLM): ``CANARY_AGENT_MODEL`` is the model's name there (an ``openai:``
  prefix is allowed) and ``CANARY_AGENT_API_KEY`` is sent if the server wants one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic_ai.exceptions import UserError
from pydantic_ai.models import Model, infer_model
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

HOW_TO = (
    "no model configured: set CANARY_AGENT_MODEL, e.g. CANARY_AGENT_MODEL=anthropic:claude-sonnet-4-5 "
    "(with ANTHROPIC_API_KEY) or CANARY_AGENT_MODEL=openai:gpt-5.2 (with OPENAI_API_KEY); for a local "
    "OpenAI-compatible server (llama.cpp, Ollama, vLLM) also set "
    "CANARY_AGENT_BASE_URL=http://127.0.0.1:11434/v1 and name its model in CANARY_AGENT_MODEL"
)


class NoModelError(RuntimeError):
    """No model is configured, or the configured one cannot be built; the message says what to set."""


def configured(environ: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if environ is None else environ).get("CANARY_AGENT_MODEL", "").strip())


def from_environment(environ: Mapping[str, str] | None = None) -> Model:
    env = os.environ if environ is None else environ
    name = env.get("CANARY_AGENT_MODEL", "").strip()
    if not name:
        raise NoModelError(HOW_TO)
    base_url = env.get("CANARY_AGENT_BASE_URL", "").strip()
    if base_url:
        provider = OpenAIProvider(base_url=base_url, api_key=env.get("CANARY_AGENT_API_KEY") or "local")
        return OpenAIChatModel(name.removeprefix("openai:").removeprefix("openai-chat:"), provider=provider)
    if ":" not in name:
        raise NoModelError(f"CANARY_AGENT_MODEL={name!r} names no provider: {HOW_TO}")
    try:
        return infer_model(name)
    except (UserError, ValueError, ImportError) as exc:  # no API key, an unknown provider: say which
        raise NoModelError(f"CANARY_AGENT_MODEL={name!r} cannot be used: {exc}") from None
