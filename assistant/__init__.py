"""规划问答助手: answers questions about plan documents with verbatim, cited quotes."""

__all__ = ["Assistant", "Settings"]


def __getattr__(name: str):
    # Loaded on first use: a process that only reads a plan file (the readers' child) or
    # prints help does not pay for the index, the model and the app stack.
    if name == "Assistant":
        from .facade import Assistant

        return Assistant
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
