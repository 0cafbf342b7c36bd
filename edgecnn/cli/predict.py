"""`edgecnn predict` (being built)."""

from ..errors import EdgeCNNError
from .common import guarded


@guarded
def predict() -> None:
    """(not built yet)"""
    raise EdgeCNNError("'edgecnn predict' is not built yet")
