#!/usr/bin/env python
"""Regenerate examples/: six synthetic photos (MNIST test digits) and examples/photos.json ground truth.

Same as ``python -m edgecnn.tooling.examples`` (``--help`` for the options; the module's docstring says more).
"""

from edgecnn.tooling.examples import main

if __name__ == "__main__":
    raise SystemExit(main())
