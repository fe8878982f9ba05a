"""Command: ``agentctl chat --agent NAME [--alias NAME | --version N | --draft]``.

The interactive form of ``invoke``: one session across turns; each line typed is a turn (its
answer streams to stdout), and a line starting with ``/`` is a command:

  /trace      toggle rendering every step (on stderr) as it arrives
  /last       show the whole trace of the last turn
  /session    print the session id (and memory id)
  /new        start a new session (same agent, alias and memory id)
  /end        end the session (with memory enabled, this writes its summary)
  /exit       leave (also /quit, or end of input)

An error in one turn (a failing handler, a throttled call, Ctrl-C while the answer streams) is
reported and the conversation goes on in the same session.
"""

from pathlib import Path
from typing import Any, List, Optional

import typer

from agentctl.cli.app import app
from agentctl.cli.invoke_cmd import (
    ENV_HELP,
    TraceFile,
    conversation,
    parse_pairs,
    stream_callbacks,
)
from agentctl.cli.runtime_io import RuntimeIO
from agentctl.errors import AgentctlError
from agentctl.exitcodes import ExitCode


HELP = ("commands: /trace (toggle the trace), /last (trace of the last turn), /session, /new, "
        "/end, /exit")


@app.command("chat")
def chat_cmd(
    agent: str = typer.Option(..., "--agent", help="The agent (its name in the project)."),
    alias: Optional[str] = typer.Option(None, "--alias", help="Talk to this alias."),
    version: Optional[str] = typer.Option(None, "--version", help="Talk to version N (through a "
                                          "temporary agentctl-owned alias)."),
    draft: bool = typer.Option(False, "--draft", help="Talk to the prepared DRAFT (TSTALIASID)."),
    env: Optional[str] = typer.Option(None, "-e", "--env", help=ENV_HELP),
    session: Optional[str] = typer.Option(None, "--session", help="Continue session ID."),
    session_attr: Optional[List[str]] = typer.Option(None, "--session-attr",
                                                     help="K=V session attribute (repeatable)."),
    prompt_attr: Optional[List[str]] = typer.Option(None, "--prompt-attr",
                                                    help="K=V prompt-session attribute, sent "
                                                         "with every turn (repeatable)."),
    memory_id: Optional[str] = typer.Option(None, "--memory-id", help="Memory id."),
    trace: bool = typer.Option(False, "--trace", help="Start with the trace shown."),
    trace_out: Optional[Path] = typer.Option(None, "--trace-out", metavar="FILE",
                                             help="Write the raw events of every turn to "
                                                  "FILE.jsonl."),
    confirm: bool = typer.Option(False, "--confirm", help="Confirm every action that asks."),
    deny: bool = typer.Option(False, "--deny", help="Deny every action that asks."),
) -> int:
    """Talk to an agent interactively (one session across turns; /trace shows the steps)."""
    from agentctl.render.trace import render_turn
    from agentctl.runtime.session import check_id, new_session_id, run_turn

    io = RuntimeIO()
    sattrs = parse_pairs(session_attr, "--session-attr")
    pattrs = parse_pairs(prompt_attr, "--prompt-attr")
    if session is not None:
        check_id(session, "sessionId", "--session")
    if memory_id is not None:
        check_id(memory_id, "memoryId", "--memory-id")
    state: dict[str, Any] = {"trace": trace, "session": session or new_session_id(),
                             "last": None}
    trace_file = TraceFile(trace_out)
    try:
        with conversation(io, agent=agent, env=env, alias=alias, version=version, draft=draft,
                          confirm=confirm, deny=deny) as conv:
            t = conv.target
            io.say(f"chat with {agent} ({t.alias_name}"
                   + (f", version {t.version}" if t.version else "")
                   + f") in {conv.environment}; session {state['session']}")
            io.say(HELP)
            if sattrs or pattrs:
                from agentctl.cli.invoke_cmd import attributes_line

                io.say(attributes_line(sattrs, pattrs).rstrip("\n"))  # names only
            on_chunk, on_event = stream_callbacks(io, show_trace=lambda: state["trace"],
                                                  trace_file=trace_file, stream_answer=True)
            while True:
                try:
                    line = io.read_line("you> ")
                except KeyboardInterrupt:
                    io.say("")
                    break
                if line is None:
                    io.say("")
                    break
                text = line.strip()
                if not text:
                    continue
                end = False
                if text.startswith("/"):
                    cmd = text.split()[0].lower()
                    if cmd in ("/exit", "/quit"):
                        break
                    if cmd == "/trace":
                        state["trace"] = not state["trace"]
                        io.say(f"trace {'on' if state['trace'] else 'off'}")
                        continue
                    if cmd == "/last":
                        io.trace(render_turn(state["last"]) if state["last"] is not None
                                 else "no turn yet\n")
                        continue
                    if cmd == "/session":
                        io.say(f"session: {state['session']}"
                               + (f"  memory: {memory_id}" if memory_id else ""))
                        continue
                    if cmd == "/new":
                        state["session"] = new_session_id()
                        io.say(f"new session {state['session']}")
                        continue
                    if cmd == "/end":
                        end, text = True, ""
                    else:
                        io.say(f"unknown command {cmd}; {HELP}")
                        continue
                started = []

                def chunk(piece: str) -> None:
                    # The prefix waits for the first chunk: trace lines (stderr) come before it.
                    if not started:
                        started.append(True)
                        io.answer("agent> ")
                    if on_chunk is not None:
                        on_chunk(piece)

                try:
                    turn = run_turn(conv.client, agent_id=t.agent_id, alias_id=t.alias_id,
                                    session_id=state["session"], text=text,
                                    session_attributes=sattrs,
                                    prompt_session_attributes=pattrs, memory_id=memory_id,
                                    end_session=end, roc_resolver=conv.resolver,
                                    enable_trace=True, on_chunk=chunk, raw_events=on_event)
                except AgentctlError as e:
                    io.end_answer()
                    io.say(f"error: {e.message()}")
                    io.say("(the session is still open: type another message, or /exit)")
                    continue
                except KeyboardInterrupt:
                    io.end_answer()
                    io.say("interrupted; the session is still open")
                    continue
                io.end_answer()
                if not turn.answer and not end:
                    io.say("(the agent gave no answer)")
                state["last"] = turn
                state["session"] = turn.session_id
                if end:
                    io.say(f"session {turn.session_id} ended")
                    state["session"] = new_session_id()
                    io.say(f"new session {state['session']}")
    finally:
        trace_file.close()
    return int(ExitCode.OK)


__all__ = ["chat_cmd"]
