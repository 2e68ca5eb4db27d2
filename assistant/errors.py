"""Domain exceptions. Each message says, in Chinese, what the user can do about it."""


class AssistantError(Exception):
    """Base class: entry points turn these into user messages."""


class InvalidQuestion(AssistantError):
    """The question cannot be asked as typed (empty, too long, control characters, not UTF-8,
    a conversation over the history limit)."""


class CorpusError(AssistantError):
    """The corpus folder is missing, empty, or holds a file that cannot be read (a plan, its
    metadata or a support file); the message names the file and, where it can, the line."""


class UnreadableFile(CorpusError):
    """A plan file no reader can read at all: not text, empty, damaged, encrypted or without
    a text layer. A build sets it aside (corpus/.rejected/) rather than fail on it; a file
    over a limit, or a malformed metadata file, is the user's to fix and stays where it is."""


class IndexBuildError(AssistantError):
    """Building the index failed; the previous index (if any) is still in use."""


class ConfigError(AssistantError):
    """The settings file or an ASSISTANT_* variable holds a value that cannot be used."""


class EvalSetError(AssistantError):
    """An eval set file is malformed, too large or not UTF-8; the message names the file, the
    line and the reason."""


class AccessDenied(AssistantError):
    """An action that changes the server (rebuild, feedback export) needs a signed-in user."""


class InternalCheckError(AssertionError):
    """A self-check inside the pipeline failed: a bug, never a user error. The facade turns
    it into an honest error answer (and logs it); unit tests see it raised."""


class PlanNotFound(AssistantError):
    """A question was restricted to a plan that is not indexed; the message lists the plans."""
