#!/usr/bin/env python
"""Read a folder of real photos with labels.json and report per-photo readings and digit accuracy.

Same as ``python -m edgecnn.tooling.realphotos`` (``--help`` for the options; the module's docstring says more).
"""

from edgecnn.tooling.realphotos import main

if __name__ == "__main__":
    raise SystemExit(main())
