"""`edgecnn bench` (being built)."""

from ..errors import EdgeCNNError
from .common import guarded


@guarded
def bench() -> None:
    """(not built yet)"""
    raise EdgeCNNError("'edgecnn bench' is not built yet")
