"""spec.paths.files_inside: the one project-confined glob (eval suites, KB documents)."""

from __future__ import annotations

from agentctl.spec.paths import files_inside


def test_matches_stay_inside_the_project_once_each_in_pattern_order(tmp_path):
    root = tmp_path / "proj"
    (root / "evals" / "deep").mkdir(parents=True)
    (root / "evals" / "b.yaml").write_text("b")
    (root / "evals" / "a.yaml").write_text("a")
    (root / "evals" / "deep" / "c.yaml").write_text("c")
    outside = tmp_path / "secret.yaml"
    outside.write_text("not the project's")
    (root / "evals" / "link.yaml").symlink_to(outside)

    got = files_inside(root, ["evals/b.yaml", "evals/**/*.yaml", "../*.yaml", "evals/deep"])
    rel = [p.relative_to(root.resolve()).as_posix() for p in got]
    # b first (its own pattern), then the rest sorted without repeating b; the symlink leading
    # outside, the ../ pattern and the directory match nothing.
    assert rel == ["evals/b.yaml", "evals/a.yaml", "evals/deep/c.yaml"]
    assert outside.resolve() not in got
