"""Eval suites and the promotion gate.

``suite`` loads and validates suite files (``evals/*.yaml``); ``matchers`` checks one turn's
normalized trace against its expectations (pure); ``runner`` runs every case of a suite against
one exact agent version; ``records`` appends runs to ``<project>/.agentctl/eval-runs.jsonl``;
``gate`` decides whether ``promote`` may route a gated alias to a version; ``junit`` writes JUnit
XML. The CLI (``agentctl.cli.eval_cmd``) and ``promote`` are the only callers.
"""
