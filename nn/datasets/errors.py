"""The exceptions and warning raised while getting a data set.

Every failure to get data is a `DatasetError`, so one ``except`` clause catches them all; the
subclasses say *why*:

- `CorruptDataError`: a file exists but is truncated, malformed, or has the wrong checksum.
  The message names the file, what was expected, and what to do (usually: get a fresh copy).
- `UnsafePickleError`: a pickle asked for something other than NumPy arrays (never loaded).
- `DataUnavailableError`: no source could provide the data; the message lists every source
  that was tried and why each one failed.
"""

from __future__ import annotations

import pickle

__all__ = [
    "CacheWarning",
    "CorruptDataError",
    "DataUnavailableError",
    "DatasetError",
    "UnsafePickleError",
]


class DatasetError(Exception):
    """Base class of every error raised while getting a data set."""


class CorruptDataError(DatasetError, ValueError):
    """A data file is truncated, malformed, or does not match its known checksum.

    Such a file is never used: the message names it, says what was expected, and what to do.
    """


class UnsafePickleError(CorruptDataError, pickle.UnpicklingError):
    """A pickle referenced a global other than the few NumPy array constructors allowed.

    Raised *before* that global is imported or called, so nothing in the pickle runs.
    """


class DataUnavailableError(DatasetError, OSError):
    """No source could provide the data set; the message lists what each source said."""


class CacheWarning(UserWarning):
    """The cache was unusable (corrupt, or not writable) and was bypassed; data still loads."""
