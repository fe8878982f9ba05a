"""Every filesystem error a user can meet is a clear message with a fitting exit code, never a
traceback or the boundary's "internal error ... report it as a bug".

Two ways of producing the errors: real ones (a read-only and a full tmpfs, when the tests run as
root with mount rights; skipped otherwise) and the same errno values injected with monkeypatch
(always run: as root, permission bits alone never refuse anything).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agentctl.exitcodes import ExitCode

pytestmark = pytest.mark.usefixtures("instant_emulator")


def assert_clean(err: str) -> None:
    assert "internal error" not in err
    assert "Traceback" not in err
    assert "report it as a bug" not in err


def _mount(tmp_path: Path, name: str, options: str) -> Path:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    target = tmp_path / name
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    return target


@pytest.fixture
def readonly_fs(tmp_path):
    target = _mount(tmp_path, "ro", "ro,size=64k")
    yield target
    subprocess.run(["umount", str(target)], check=False)


@pytest.fixture
def full_fs(tmp_path):
    target = _mount(tmp_path, "full", "size=16k")
    # Fill it: the plan (tens of kilobytes) cannot fit.
    (target / "filler").write_bytes(b"\0" * 12 * 1024)
    yield target
    subprocess.run(["umount", str(target)], check=False)


# --------------------------------------------------------------------------- plan --out

def test_plan_out_on_a_read_only_file_system(project, readonly_fs, cli):
    # The defect: the clean-up unlink of the temporary file also fails (EROFS), and that second
    # error escaped as "internal error: OSError ... report it as a bug".
    code, _, err = cli("-C", str(project), "plan", "--out", str(readonly_fs / "p.plan"))
    assert code == ExitCode.USAGE, err
    assert f"cannot write the plan to {readonly_fs / 'p.plan'}: Read-only file system" in err
    assert_clean(err)


def test_plan_out_on_a_full_disk(project, full_fs, cli):
    code, _, err = cli("-C", str(project), "plan", "--out", str(full_fs / "p.plan"))
    assert code == ExitCode.USAGE, err
    assert "No space left on device" in err
    assert not (full_fs / ".p.plan.tmp").exists()   # nothing half-written left behind
    assert_clean(err)


@pytest.mark.parametrize("errnum", [errno.EROFS, errno.ENOSPC, errno.EACCES, errno.EDQUOT])
def test_plan_out_write_errors_even_when_the_clean_up_fails_too(project, cli, monkeypatch,
                                                                 errnum):
    real_write, real_unlink = Path.write_text, Path.unlink

    def write_text(self, *a, **kw):
        if self.name.endswith(".tmp"):
            raise OSError(errnum, os.strerror(errnum), str(self))
        return real_write(self, *a, **kw)

    def unlink(self, *a, **kw):
        if self.name.endswith(".tmp"):
            raise OSError(errnum, os.strerror(errnum), str(self))
        return real_unlink(self, *a, **kw)

    monkeypatch.setattr(Path, "write_text", write_text)
    monkeypatch.setattr(Path, "unlink", unlink)
    code, _, err = cli("-C", str(project), "plan", "--out", str(project / "p.plan"))
    assert code == ExitCode.USAGE, err
    assert os.strerror(errnum) in err and "hint: pass a writable path to --out" in err
    assert_clean(err)


def test_plan_out_below_a_file(project, cli):
    (project / "afile").write_text("x")
    code, _, err = cli("-C", str(project), "plan", "--out", str(project / "afile" / "p"))
    assert code == ExitCode.USAGE, err
    assert "is not a directory" in err
    assert_clean(err)


# ------------------------------------------------------------------- reading and state files

def test_unreadable_spec_file_is_located(project, cli, monkeypatch):
    spec = project / "agents" / "support-bot.yaml"
    real_read = Path.read_bytes

    def read_bytes(self):
        if self == spec:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    real_open = open

    def fake_open(file, *a, **kw):
        if Path(str(file)) == spec:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *a, **kw)

    monkeypatch.setattr("builtins.open", fake_open)
    code, out, err = cli("-C", str(project), "validate")
    assert code == ExitCode.INVALID_SPEC, err
    assert "agents/support-bot.yaml" in out + err and "Permission denied" in out + err
    assert_clean(out + err)


def test_unreadable_plan_file(project, cli, monkeypatch):
    plan = project / "p.plan"
    assert cli("-C", str(project), "plan", "--out", str(plan))[0] == 0
    real = Path.read_text

    def read_text(self, *a, **kw):
        if self == plan:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *a, **kw)

    monkeypatch.setattr(Path, "read_text", read_text)
    code, _, err = cli("-C", str(project), "apply", str(plan))
    assert code == ExitCode.USAGE, err
    assert "Permission denied" in err
    assert_clean(err)


def test_project_on_a_read_only_file_system(project, readonly_fs, cli):
    # Plan needs the emulator's state file and apply the lock, both under .agentctl/: neither
    # can be created on a read-only file system.
    subprocess.run(["umount", str(readonly_fs)], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(readonly_fs)],
                   check=True)
    shutil.copytree(project, readonly_fs / "p")
    subprocess.run(["mount", "-o", "remount,ro", str(readonly_fs)], check=True)
    for args in (["plan"], ["apply", "--auto-approve"]):
        code, _, err = cli("-C", str(readonly_fs / "p"), *args)
        assert code != 0, args
        assert code != ExitCode.ERROR or "Read-only file system" in err, (args, err)
        assert "Read-only file system" in err, (args, err)
        assert_clean(err)


# ------------------------------------------- paths the operating system refuses outright

LONG = "x" * 300   # longer than NAME_MAX (255): stat() fails with ENAMETOOLONG


@pytest.mark.parametrize("args", [
    ["validate", LONG],
    ["-C", LONG, "plan"],
    ["plan", "--out", LONG],
    ["emulator", "calls", "--state", LONG],
    ["emulator", "reset", "--yes", "--state", LONG],
], ids=["validate-path", "chdir", "plan-out", "calls-state", "reset-state"])
def test_a_name_too_long_for_the_file_system_is_a_usage_error(project, cli, monkeypatch, args):
    # Found by the hostile command-line property (test_hostile_input.py): pathlib's exists() /
    # is_dir() raise ENAMETOOLONG instead of answering False, which ended in "internal error".
    monkeypatch.chdir(project)
    code, _, err = cli(*args)
    assert code == ExitCode.USAGE, err
    assert "File name too long" in err and LONG in err
    assert_clean(err)
