#!/usr/bin/env python
"""Soak test: `edgecnn webcam` over ≥ 10,000 frames of a generated video; memory must stay flat.

Same as ``python -m edgecnn.tooling.soak`` (``--help`` for the options; the module's docstring says more).
"""

from edgecnn.tooling.soak import main

if __name__ == "__main__":
    raise SystemExit(main())
