"""Command: ``agentctl invoke TEXT --agent NAME [--alias NAME | --version N | --draft]``.

Thin: parses flags, opens the project, resolves the alias (``agentctl.runtime.target``), runs
one turn (``agentctl.runtime.session.run_turn``) with the spec's return-of-control handlers
(``agentctl.runtime.handlers``), and prints. The answer streams to stdout as chunks arrive;
``--trace`` renders each step on stderr as it arrives (stdout stays the answer, so it can be
piped); ``--output json`` prints one document on stdout instead, on failure too.
``--trace-out FILE.jsonl`` writes every raw event, one JSON object per line.

The pieces ``chat`` shares (flag parsing, the session set-up) live here too.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, List, Mapping, Optional

import typer

from agentctl.cli.app import app, project_dir
from agentctl.cli.options import output_option
from agentctl.cli.runtime_io import RuntimeIO
from agentctl.errors import AgentctlError, Interrupted, UsageError
from agentctl.exitcodes import ExitCode


ENV_HELP = "Environment from agentctl.yaml (default: AGENTCTL_ENV, then defaultEnvironment)."
FORMAT_VERSION = 1


def parse_pairs(values: Optional[List[str]], flag: str) -> dict[str, str] | None:
    """``K=V`` options into a dict (repeatable flags)."""
    if not values:
        return None
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} takes KEY=VALUE, got {item!r}",
                             hint=f"e.g. {flag} user_id=u-9921 (repeat the flag for more)")
        out[key.strip()] = value
    return out


def _check_confirm(confirm: bool, deny: bool) -> None:
    if confirm and deny:
        raise UsageError("give --confirm or --deny, not both")


def make_confirmer(io: RuntimeIO, confirm: bool, deny: bool) -> Callable[[Any], bool] | None:
    """``--confirm``/``--deny`` decide every confirmation; otherwise ask on a terminal; with
    neither and no terminal there is no confirmer (a confirmation request is then an error
    saying so)."""
    if confirm:
        return lambda call: True
    if deny:
        return lambda call: False
    if not io.is_interactive():
        return None

    def ask(call: Any) -> bool:
        io.end_answer()
        io.say(f"The agent wants to run {call.name}:")
        for k, v in call.parameters.items():
            io.say(f"  {k} = {v}")
        return io.confirm("Allow it?")

    return ask


def attributes_line(session: Mapping[str, str], prompt: Mapping[str, str]) -> str:
    """``session attributes: a=(redacted), b=(redacted); prompt session attributes: ...``"""
    from agentctl.runtime.session import REDACTED

    parts = [f"{label}: " + ", ".join(f"{k}={REDACTED}" for k in sorted(attrs))
             for label, attrs in (("session attributes", session),
                                  ("prompt session attributes", prompt)) if attrs]
    return "; ".join(parts) + "\n"


class TraceFile:
    """``--trace-out``: every raw event as one JSON line, written as it arrives."""

    def __init__(self, path: Path | None):
        self.path = path
        self._f = None
        if path is not None:
            path = Path(path)
            if path.is_dir():
                raise UsageError(f"--trace-out {path}: it is a directory",
                                 hint="pass a file name, e.g. --trace-out trace.jsonl")
            try:
                self._f = path.open("w", encoding="utf-8")
            except OSError as e:
                raise UsageError(f"cannot write --trace-out {path}: {e.strerror or e}",
                                 hint="pass a writable file path") from None

    def write(self, event: Mapping[str, Any]) -> None:
        if self._f is not None:
            import json

            from agentctl.core import sensitive
            from agentctl.runtime.trace import plain

            self._f.write(json.dumps(sensitive.mask(plain(event)), ensure_ascii=False,
                                     sort_keys=True) + "\n")
            self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


@dataclass
class Conversation:
    """An opened project, its runtime client, the alias to call and the return-of-control
    resolver: everything a turn needs besides its text."""

    ctx: Any
    client: Any
    target: Any
    resolver: Any
    environment: str


@contextmanager
def conversation(io: RuntimeIO, *, agent: str, env: str | None, alias: str | None,
                 version: str | None, draft: bool, confirm: bool, deny: bool
                 ) -> Iterator[Conversation]:
    from agentctl.apply import lifecycle
    from agentctl.aws.runtime import make_runtime_client
    from agentctl.runtime.handlers import PromptUser, SpecHandlers
    from agentctl.runtime.target import invoke_target

    _check_confirm(confirm, deny)
    with lifecycle.opened(project_dir(), env) as ctx:
        spec = ctx.project.agents.get(agent)
        confirmer = make_confirmer(io, confirm, deny)
        fallback = PromptUser(io) if io.is_interactive() else None
        resolver = SpecHandlers(ctx.project, spec if spec is not None else {}, fallback,
                                confirmer=confirmer)
        with invoke_target(ctx, agent, alias=alias, version=version, draft=draft,
                           progress=io.say) as target:
            # After the target: a typo in --agent/--alias is reported before anything else.
            client = make_runtime_client(ctx.project.environment, ctx.clients)
            yield Conversation(ctx, client, target, resolver, ctx.env_name)


def stream_callbacks(io: RuntimeIO, *, show_trace: Callable[[], bool], trace_file: TraceFile,
                     stream_answer: bool) -> tuple[Callable[[str], None] | None,
                                                   Callable[[Mapping[str, Any]], None]]:
    from agentctl.render.trace import render_steps
    from agentctl.runtime.trace import steps_of_event

    def on_event(event: Mapping[str, Any]) -> None:
        trace_file.write(event)
        if show_trace():
            io.trace(render_steps(steps_of_event(event)))

    return (io.answer if stream_answer else None), on_event


def turn_document(conv: Conversation | None, turn: Any, *, agent: str,
                  error: AgentctlError | None = None, interrupted: bool = False,
                  session_id: str | None = None, partial: str = "") -> dict[str, Any]:
    from agentctl.runtime.session import turn_json

    doc: dict[str, Any] = {"format_version": FORMAT_VERSION, "kind": "invoke",
                           "ok": error is None and not interrupted, "agent": agent}
    if conv is not None:
        t = conv.target
        doc["environment"] = conv.environment
        doc["alias"] = {"name": t.alias_name, "id": t.alias_id, "version": t.version}
    if turn is not None:
        doc.update(turn_json(turn))
    else:
        doc.update({"answer": partial, "session_id": session_id, "memory_id": None,
                    "tool_calls": [], "kb_lookups": [], "return_control": [], "citations": [],
                    "failures": [], "guardrail_interventions": 0, "trace": [], "timings": {}})
    doc["error"] = None
    if error is not None:
        doc["error"] = {"message": error.what, "where": error.where, "hint": error.hint,
                        "code": getattr(error, "code", None),
                        "exit_code": int(error.exit_code)}
    elif interrupted:
        doc["error"] = {"message": "interrupted", "where": None, "hint": None, "code": None,
                        "exit_code": int(ExitCode.INTERRUPTED)}
    return doc


@app.command("invoke")
def invoke_cmd(
    text: str = typer.Argument(..., help="What the user says to the agent."),
    agent: str = typer.Option(..., "--agent", help="The agent (its name in the project)."),
    alias: Optional[str] = typer.Option(None, "--alias", help="Invoke this alias (e.g. STAGING)."),
    version: Optional[str] = typer.Option(None, "--version", help="Invoke version N (through a "
                                          "temporary agentctl-owned alias)."),
    draft: bool = typer.Option(False, "--draft", help="Invoke the prepared DRAFT (TSTALIASID)."),
    env: Optional[str] = typer.Option(None, "-e", "--env", help=ENV_HELP),
    session: Optional[str] = typer.Option(None, "--session", help="Continue session ID (default: "
                                          "a new one, printed on stderr)."),
    session_attr: Optional[List[str]] = typer.Option(None, "--session-attr", help="K=V session "
                                                     "attribute (repeatable)."),
    prompt_attr: Optional[List[str]] = typer.Option(None, "--prompt-attr", help="K=V prompt-"
                                                    "session attribute (repeatable)."),
    memory_id: Optional[str] = typer.Option(None, "--memory-id", help="Memory id (the user whose "
                                            "session summaries are kept)."),
    end_session: bool = typer.Option(False, "--end-session", help="End the session after this "
                                     "turn (writes the memory summary)."),
    trace: bool = typer.Option(False, "--trace", help="Render every trace step on stderr."),
    trace_out: Optional[Path] = typer.Option(None, "--trace-out", help="Write the raw events to "
                                             "FILE.jsonl, one per line.", metavar="FILE"),
    confirm: bool = typer.Option(False, "--confirm", help="Confirm every action that asks for "
                                 "confirmation."),
    deny: bool = typer.Option(False, "--deny", help="Deny every action that asks for "
                              "confirmation."),
    output: str = output_option("human", "json"),
) -> int:
    """Send TEXT to an agent and print its answer (return of control handled locally)."""
    from agentctl.runtime.session import check_id, new_session_id, run_turn

    io = RuntimeIO()
    json_out = output == "json"
    # Checked before anything is opened: a typo must not cost a project load.
    sattrs = parse_pairs(session_attr, "--session-attr")
    pattrs = parse_pairs(prompt_attr, "--prompt-attr")
    if session is not None:
        check_id(session, "sessionId", "--session")
    if memory_id is not None:
        check_id(memory_id, "memoryId", "--memory-id")
    _check_confirm(confirm, deny)
    session_id = session or new_session_id()
    trace_file = TraceFile(trace_out)
    conv: Conversation | None = None
    partial: list[str] = []
    try:
        with conversation(io, agent=agent, env=env, alias=alias, version=version, draft=draft,
                          confirm=confirm, deny=deny) as conv:
            on_chunk, on_event = stream_callbacks(
                io, show_trace=lambda: trace and not json_out, trace_file=trace_file,
                stream_answer=not json_out)

            def chunk(piece: str) -> None:
                partial.append(piece)
                if on_chunk is not None:
                    on_chunk(piece)

            if trace and not json_out and (sattrs or pattrs):
                # What the turn sends, names only: values are often credentials or personal data.
                io.trace(attributes_line(sattrs, pattrs))

            turn = run_turn(conv.client, agent_id=conv.target.agent_id,
                            alias_id=conv.target.alias_id, session_id=session_id, text=text,
                            session_attributes=sattrs, prompt_session_attributes=pattrs,
                            memory_id=memory_id, end_session=end_session,
                            roc_resolver=conv.resolver, enable_trace=True, on_chunk=chunk,
                            raw_events=on_event)
    except AgentctlError as e:
        io.end_answer()
        if json_out:
            io.json(turn_document(conv, None, agent=agent, error=e, session_id=session_id,
                                  partial="".join(partial)))
        raise
    except KeyboardInterrupt:
        # Raised as Interrupted (the one interruption rule, exitcodes.INTERRUPTED) with what
        # only this command knows: the session to continue.
        io.end_answer()
        if json_out:
            io.json(turn_document(conv, None, agent=agent, interrupted=True,
                                  session_id=session_id, partial="".join(partial)))
        raise Interrupted("interrupted while the agent was answering",
                      hint=f"the session is kept: continue it with --session {session_id}"
                      ) from None
    finally:
        trace_file.close()
    failed = None
    if turn.failures and not turn.answer:
        failed = AgentctlError("the agent failed: " + "; ".join(turn.failures),
                               hint="--trace shows the step that failed")
    if json_out:
        io.json(turn_document(conv, turn, agent=agent, error=failed))
    else:
        io.end_answer()
        if not turn.answer:
            io.say("(the agent gave no answer)")
        io.say(f"session: {turn.session_id}" + (f"  memory: {turn.memory_id}"
                                                 if turn.memory_id else ""))
    if failed is not None:
        raise failed
    return int(ExitCode.OK)


__all__ = ["invoke_cmd", "parse_pairs", "conversation", "stream_callbacks", "TraceFile"]
