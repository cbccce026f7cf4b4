"""Exceptions tfstyle raises for problems a user can fix.

``main.py`` prints these as one line and exits non-zero; anything else is a bug.
"""


class TfstyleError(Exception):
    """Base class for errors caused by input, configuration or environment."""


class ConfigError(TfstyleError, ValueError):
    """A setting is out of range, unknown or inconsistent."""


class ImageError(TfstyleError):
    """An image cannot be read or written."""


class WeightsError(TfstyleError):
    """Network weights cannot be found, verified or parsed."""
