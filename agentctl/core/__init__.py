"""Canonical model, normalization (every AWS quirk), and the botocore service model."""
