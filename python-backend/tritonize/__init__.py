"""Tritonize backend: verifier, benchmark and kernel server (stdlib + torch + triton only)."""

__version__ = "0.1.0"
