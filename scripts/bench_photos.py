#!/usr/bin/env python
"""Synthetic photo benchmark: N generated photos (fixed seed, MNIST *test* digits) read end to end.

Same as ``python -m edgecnn.tooling.photobench`` (``--help`` for the options; the module's docstring says more).
"""

from edgecnn.tooling.photobench import main

if __name__ == "__main__":
    raise SystemExit(main())
