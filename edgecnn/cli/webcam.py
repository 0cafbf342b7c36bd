"""`edgecnn webcam` (being built)."""

from ..errors import EdgeCNNError
from .common import guarded


@guarded
def webcam() -> None:
    """(not built yet)"""
    raise EdgeCNNError("'edgecnn webcam' is not built yet")
