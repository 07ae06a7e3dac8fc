"""Exceptions for when a run itself cannot continue.

Bad *data* is never an exception: it becomes an :class:`pipeline.model.Issue`.
"""


class PipelineError(Exception):
    """Base class: the command cannot do its job."""


class InputError(PipelineError):
    """Input the run needs is missing or unusable (e.g. no inputs folder)."""


class ConfigError(PipelineError):
    """The workspace configuration or the target table is malformed."""


class TargetTableError(ConfigError):
    """The target table workbook is malformed; the message names sheet, row and column."""


class OutputError(PipelineError):
    """Outputs could not be written."""
