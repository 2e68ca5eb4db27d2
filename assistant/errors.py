"""Domain exceptions. Each message says, in Chinese, what the user can do about it."""


class AssistantError(Exception):
    """Base class: entry points turn these into user messages."""


class InvalidQuestion(AssistantError):
    """The question cannot be asked as typed (empty, too long, control characters)."""


class CorpusError(AssistantError):
    """The corpus folder is missing, empty, or holds a file that cannot be read."""


class IndexBuildError(AssistantError):
    """Building the index failed; the previous index (if any) is still in use."""


class ConfigError(AssistantError):
    """The settings file or an ASSISTANT_* variable holds a value that cannot be used."""


class EvalSetError(AssistantError):
    """An eval set file is malformed; the message names the line and the reason."""


class PlanNotFound(AssistantError):
    """A question was restricted to a plan that is not indexed; the message lists the plans."""
