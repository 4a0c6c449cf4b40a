"""`python -m tritonize.server`: the kernel server (LSP over stdio).

`main` first moves stdout out of the way (`claim_stdio`): from then on only the protocol writer
can reach the client. Importing the server pulls in the standard library only (torch is imported
lazily), so nothing can print before that.
"""

from tritonize.server.server import main

if __name__ == "__main__":
    main()
