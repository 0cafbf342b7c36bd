"""`edgecnn evaluate` (being built)."""

from ..errors import EdgeCNNError
from .common import guarded


@guarded
def evaluate() -> None:
    """(not built yet)"""
    raise EdgeCNNError("'edgecnn evaluate' is not built yet")
