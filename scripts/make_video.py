#!/usr/bin/env python
"""Write a generated test video of handwritten digits and its ground truth JSON.

Same as ``python -m edgecnn.tooling.video`` (``--help`` for the options; the module's docstring says more).
"""

from edgecnn.tooling.video import main

if __name__ == "__main__":
    raise SystemExit(main())
