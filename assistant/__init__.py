"""规划问答助手: answers questions about plan documents with verbatim, cited quotes."""

from .facade import Assistant
from .settings import Settings

__all__ = ["Assistant", "Settings"]
