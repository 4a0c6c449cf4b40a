"""`python SCRIPT ARGS...` inside a child of the extract fork server (tests/programs.py): the script
runs as __main__ with its folder first on sys.path and argv as a started interpreter would have them."""

import os
import runpy
import sys

if __name__ == "__main__":
    script = os.path.abspath(sys.argv[1])
    sys.argv = [script, *sys.argv[2:]]
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name="__main__")
