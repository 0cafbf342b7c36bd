"""`edgecnn export` (being built)."""

from ..errors import EdgeCNNError
from .common import guarded


@guarded
def export() -> None:
    """(not built yet)"""
    raise EdgeCNNError("'edgecnn export' is not built yet")
