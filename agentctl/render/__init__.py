"""Renderers: pure functions from a ``Plan`` (or a result) to text or a JSON-compatible document.

``human`` (Terraform-style text, colour optional), ``json`` (the versioned public document),
``markdown`` (PR comments). Renderers never diff: they only format what ``agentctl.plan``
decided. Nothing here does I/O; the CLI prints what they return.
"""
