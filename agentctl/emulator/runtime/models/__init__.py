"""Foundation models of the local runtime: ``scripted``, ``bedrock`` (Converse) and
``openai-compatible`` (chat completions), behind one interface (``base.FoundationModel``).

``ModelCache.get(settings)`` builds the configured model once per emulator and rebuilds a
scripted model when its file changes. A configuration problem (no model configured, a missing or
invalid model file) is ``ModelUnavailable``: the emulator answers it before the stream starts,
with the located problems in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentctl.emulator.runtime.models.base import FoundationModel, ModelError, ModelReply, ModelRequest, StepRecord
from agentctl.emulator.runtime.settings import RuntimeSettings

__all__ = ["FoundationModel", "ModelCache", "ModelError", "ModelReply", "ModelRequest", "ModelUnavailable",
           "StepRecord"]


class ModelUnavailable(Exception):
    """No usable foundation model is configured (message says what to fix)."""


class ModelCache:
    def __init__(self) -> None:
        self._key: Any = None
        self._model: FoundationModel | None = None

    def get(self, settings: RuntimeSettings) -> FoundationModel:
        if settings.problem:
            raise ModelUnavailable(settings.problem)
        model = settings.model
        provider = model.get("provider")
        if not provider:
            raise ModelUnavailable(
                "The agentctl emulator has no foundation model configured for this environment. Set "
                "environments.<name>.runtime.model in agentctl.yaml (provider: scripted, bedrock or "
                "openai-compatible; see docs/local-runtime.md).")
        if provider == "scripted":
            from agentctl.emulator.runtime.models.scripted import ScriptedModel, ScriptInvalid, load

            path = Path(model["file"])
            if not path.is_absolute():
                if settings.root is None:
                    raise ModelUnavailable(f"The scripted model file {model['file']} is relative, but the "
                                           "emulator was started without a project directory.")
                path = settings.root / path
            shown = model["file"]
            if settings.root is not None and not path.resolve().is_relative_to(settings.root):
                raise ModelUnavailable(f"{shown}: the scripted model file is outside the project directory "
                                       f"{settings.root}; keep it inside the project.")
            try:
                stat = path.stat()
            except OSError as e:
                raise ModelUnavailable(f"{shown}: cannot read the scripted model file: {e.strerror or e}") from None
            key = ("scripted", str(path), stat.st_mtime_ns, stat.st_size)
            if key != self._key:
                try:
                    script = load(path, display=shown)
                except ScriptInvalid as e:
                    raise ModelUnavailable("The scripted model file has errors:\n"
                                           + "\n".join(p.render() for p in e.problems)) from None
                self._model, self._key = ScriptedModel(script), key
            assert self._model is not None
            return self._model
        key = (provider, tuple(sorted((k, str(v)) for k, v in model.items())), settings.region,
               id(settings.bedrock_client))
        if key != self._key:
            if provider == "bedrock":
                from agentctl.emulator.runtime.models.bedrock import ConverseModel

                self._model = ConverseModel({"region": settings.region, **model}, client=settings.bedrock_client)
            else:
                from agentctl.emulator.runtime.models.openai_compat import ChatCompletionsModel

                self._model = ChatCompletionsModel(model)
            self._key = key
        assert self._model is not None
        return self._model
