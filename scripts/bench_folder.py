#!/usr/bin/env python
"""Folder speed: `edgecnn predict FOLDER` with --workers 1 against --workers N, timed in one run.

Same as ``python -m edgecnn.tooling.folderbench`` (``--help`` for the options; the module's docstring says more).
"""

from edgecnn.tooling.folderbench import main

if __name__ == "__main__":
    raise SystemExit(main())
