"""Tritonize kernel server: a small Language Server over stdio (`python -m tritonize.server`).

Why not pygls: it would have to be installed into the user's CUDA environment, and this package
installs nothing there (stdlib + the user's torch/triton only). JSON-RPC framing and request
dispatch are small enough to own: `jsonrpc.py` (framing, thread-safe writer), `dispatch.py`
(routing, error codes, cancellation), `server.py` (the LSP and `tritonize/*` handlers),
`jobs.py` (one job queue per device), `documents.py`, `diagnostics.py`, `codelens.py`,
`baselines.py` (reference-timing cache).
"""
