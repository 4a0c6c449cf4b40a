"""Runs several edited copies of a program in one interpreter (one torch import instead of one per
copy): each as __main__ from its own folder, with its own modules, stdout captured.
`python run_programs.py OUT.json DIR/FILE.py...` → {path: {"stdout": ..., "error": ...}}."""

import contextlib
import io
import json
import os
import runpy
import sys
import traceback

out = {}
base_path = list(sys.path)
for path in sys.argv[2:]:
    folder, name = os.path.split(os.path.abspath(path))
    stem = name[:-3]
    for mod in [m for m in sys.modules if m in (stem, f"{stem}_triton")]:
        del sys.modules[mod]
    sys.path[:] = [folder, *base_path]
    os.chdir(folder)
    buf = io.StringIO()
    err = None
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(path, run_name="__main__")
    except BaseException:  # noqa: BLE001 - reported per program
        err = traceback.format_exc()[-2000:]
    out[path] = {"stdout": buf.getvalue(), "error": err}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
