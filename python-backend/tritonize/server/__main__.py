"""`python -m tritonize.server`: the kernel server (LSP over stdio)."""

import os
import sys

if __name__ == "__main__":
    # stdout is the protocol channel: before any import could print to it, send Python-level
    # prints to stderr. `claim_stdio` then moves the fds themselves.
    _real_stdout = sys.stdout
    sys.stdout = sys.stderr
    from tritonize.server.server import main

    sys.stdout = _real_stdout  # claim_stdio flushes and swaps it for good
    main()
    os._exit(1)  # main() ends the process itself; reaching here is a bug
