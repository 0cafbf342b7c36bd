"""`edgecnn train` (being built)."""

from ..errors import EdgeCNNError
from .common import guarded


@guarded
def train() -> None:
    """(not built yet)"""
    raise EdgeCNNError("'edgecnn train' is not built yet")
