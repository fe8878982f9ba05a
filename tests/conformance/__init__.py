"""Boto3-only conformance suite of the local emulator (and, opt-in, real AWS)."""
