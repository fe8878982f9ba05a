"""Runtime settings of a local environment: where the project is and which foundation model runs.

From ``agentctl.yaml``::

    environments:
      local:
        target: local
        runtime:
          model:
            provider: scripted              # scripted | bedrock | openai-compatible
            file: models/support-bot.yaml   # scripted: the model file (project-relative)
            # bedrock:           modelId (default: the agent's foundationModel), region, profile
            # openai-compatible: baseUrl, model, apiKeyEnv (name of the variable holding the key),
            #                    timeout (seconds)

``RuntimeSettings.from_mapping`` checks the block (``UsageError`` naming the setting), and
``model()`` builds the ``FoundationModel`` (scripted files are re-read when they change).

Must not: reach the network (providers connect on their first request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from agentctl.errors import UsageError

PROVIDERS = ("scripted", "bedrock", "openai-compatible")
_KEYS = {
    "scripted": {"provider", "file"},
    "bedrock": {"provider", "modelId", "region", "profile", "endpoint"},
    "openai-compatible": {"provider", "baseUrl", "model", "apiKeyEnv", "timeout"},
}


@dataclass(frozen=True)
class RuntimeSettings:
    root: Path | None = None
    """The project directory: handlers, model files and knowledge-base documents live under it."""
    model: Mapping[str, Any] = field(default_factory=dict)
    """The ``runtime.model`` block (empty: no model configured)."""
    region: str | None = None
    """The environment's region: the default Bedrock Runtime region of the ``bedrock`` provider."""
    bedrock_client: Any = field(default=None, compare=False, repr=False)
    """A ready ``bedrock-runtime`` client for the ``bedrock`` provider (tests pass a stubbed one)."""
    problem: str | None = None
    """Why the ``runtime`` block is unusable (``lenient``): InvokeAgent reports it."""

    @classmethod
    def lenient(cls, runtime: Mapping[str, Any] | None, root: Path | None, where: str = "runtime", *,
                region: str | None = None) -> "RuntimeSettings":
        """Like ``from_mapping``, but a bad block becomes ``problem`` instead of an error: plan and
        apply must not fail because of how the local runtime would run agents."""
        try:
            return cls.from_mapping(runtime, root, where, region=region)
        except UsageError as e:
            return cls(root=root.resolve() if root is not None else None, region=region, problem=e.message())

    @classmethod
    def from_mapping(cls, runtime: Mapping[str, Any] | None, root: Path | None,
                     where: str = "runtime", *, region: str | None = None) -> "RuntimeSettings":
        runtime = dict(runtime or {})
        model = dict(runtime.get("model") or {})
        if model:
            provider = model.get("provider")
            if provider not in PROVIDERS:
                raise UsageError(f"{where}.model.provider must be one of {', '.join(PROVIDERS)}, got {provider!r}")
            unknown = sorted(set(model) - _KEYS[provider])
            if unknown:
                raise UsageError(f"{where}.model: unknown setting(s) for provider {provider}: {', '.join(unknown)}",
                                 hint=f"known: {', '.join(sorted(_KEYS[provider]))}")
            if provider == "scripted" and not model.get("file"):
                raise UsageError(f"{where}.model: the scripted provider needs `file:` (a model file in the project)")
            if provider == "openai-compatible" and not (model.get("baseUrl") and model.get("model")):
                raise UsageError(f"{where}.model: the openai-compatible provider needs `baseUrl:` and `model:`")
        return cls(root=root.resolve() if root is not None else None, model=model, region=region)

    @property
    def provider(self) -> str | None:
        return self.model.get("provider")
