"""agentctl.cli.coercion: plain str / Path / bool parameters converted without typer's pydantic
adapters, to exactly what typer's own converter gives (value or error message)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

typer_core = pytest.importorskip("typer.core")
if not hasattr(typer_core._TyperParameter, "get_runtime_param"):  # pragma: no cover
    pytest.skip("this typer converts through click types (no pydantic adapters)",
                allow_module_level=True)

from typer._coercion import build_runtime_param  # noqa: E402

from agentctl.cli import coercion  # noqa: E402
from agentctl.cli.app import app  # noqa: E402


@functools.lru_cache(maxsize=None)
def _click_tree():
    import typer.main

    import agentctl.cli  # noqa: F401  (registers every command on app)

    return typer.main.get_command(app)


def _params(group, path=()):
    for p in group.params:
        yield path, p
    for name, sub in getattr(group, "commands", {}).items():
        yield from _params(sub, path + (name,))


def _outcome(runtime, value, param):
    import typer

    ctx = typer.Context(_click_tree())
    try:
        got = runtime.coerce(value, param=param, ctx=ctx)
        return "ok", type(got), got
    except Exception as e:  # noqa: BLE001 - the error is the outcome being compared
        return "error", type(e).__name__, getattr(e, "message", str(e))


@functools.lru_cache(maxsize=None)
def _param(annotation, *, multiple=False):
    """A typer parameter of ``annotation`` as typer builds it for a command."""
    import typer

    def f(x=typer.Option(None, "--x")) -> None:
        pass

    f.__annotations__ = {"x": annotation, "return": None}

    t = typer.Typer()
    t.command()(f)
    import typer.main

    (p,) = [q for q in typer.main.get_command(t).params if q.name == "x"]
    assert p.multiple == multiple
    return p


ANNOTATIONS = [(str, False), (Path, False), (bool, False), (typing.List[str], True),
               (list[Path], True), (typing.Optional[typing.List[Path]], True)]

TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12) | \
    st.sampled_from(["", ".", "-", "a\x00b", "\udcff", "~/x", "/", "a/../b", " "])


@pytest.mark.parametrize("annotation,multiple", ANNOTATIONS, ids=repr)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_plain_converter_gives_what_typers_gives(annotation, multiple, data):
    param = _param(annotation, multiple=multiple)
    plain = coercion._plain_for(param.type_descriptor)
    assert plain is not None
    if multiple:
        value = data.draw(st.none() | st.lists(TEXT, max_size=3).map(tuple) | TEXT)
    elif annotation is bool:
        value = data.draw(st.none() | st.booleans() | TEXT)
    else:
        value = data.draw(st.none() | TEXT)
    assert _outcome(plain, value, param) == _outcome(_typers(annotation, multiple), value, param)


@functools.lru_cache(maxsize=None)
def _typers(annotation, multiple):
    return build_runtime_param(_param(annotation, multiple=multiple).type_descriptor)


def test_path_checks_are_typers(tmp_path):
    """An existing unreadable file is refused by typer's own path check, as before."""
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    f = tmp_path / "secret"
    f.write_text("x")
    f.chmod(0)
    param = _param(Path)
    plain = coercion._plain_for(param.type_descriptor)
    typers = build_runtime_param(param.type_descriptor)
    assert _outcome(plain, str(f), param) == _outcome(typers, str(f), param)
    assert _outcome(plain, str(f), param)[0] == "error"


def test_every_plain_parameter_of_the_cli_gets_the_plain_converter():
    """All of agentctl's str / Path / bool parameters (and lists of them) are converted
    without pydantic; the numbers (eval --repeat, emulator serve --port) keep typer's."""
    kept = []
    for path, p in _params(_click_tree()):
        coercion.install([p])
        annotation = p.type_descriptor.annotation
        if isinstance(p._runtime_param, coercion._Plain):
            continue
        kept.append((" ".join(path), p.name, annotation))
    assert kept and all(a in (int, float) for _, _, a in kept), kept


def test_a_command_run_imports_no_pydantic_for_its_parameters(tmp_path):
    """`agentctl -C DIR --debug status -e X --agent A` converts a Path, strings, a list and
    flags: none of it imports pydantic (typer would, building its adapters)."""
    code = (
        "import sys\n"
        "from agentctl.cli import run\n"
        f"run(['-C', {str(tmp_path)!r}, 'status', '-e', 'x', '--agent', 'a', '-o', 'json'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'typer') "
        "and m.startswith(('pydantic', 'typer._adapters'))))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTCTL_", "AWS_"))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "no agentctl.yaml" in proc.stdout  # the command ran and failed on the project
    assert proc.stdout.strip().splitlines()[-1] == "[]"
