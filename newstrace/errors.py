"""The project's exceptions.

Every error newstrace raises on purpose derives from ``NewstraceError`` and carries a message
that says what went wrong and how to fix it. The CLI turns these into a clean one-line error
and exit code 2; anything else is a bug and shows a traceback.

    NewstraceError
    ├── ConfigError          unknown or invalid setting, unreadable config file
    ├── StoreError           the database cannot be opened, migrated or written
    │   └── SchemaError      the database was written by a newer newstrace
    ├── InputError           a path, option or query the user gave cannot be used
    ├── StageError           a stage is missing what it needs (order, a table, a model)
    └── ModelUnavailable     a packaged model is not installed (no download is attempted)

Bad *records* inside otherwise readable input are not exceptions: they are stored as
rejections with their reason, and the run goes on (see ``ingest``).
"""

from __future__ import annotations


class NewstraceError(Exception):
    """Base class: an error with a message meant for the user."""


class ConfigError(NewstraceError):
    """A setting is unknown, has the wrong type, or the config file cannot be read."""


class StoreError(NewstraceError):
    """The store cannot be opened, migrated or written."""


class SchemaError(StoreError):
    """The store's schema is newer than this version of newstrace understands."""


class InputError(NewstraceError):
    """A path, option or query given by the user cannot be used."""


class StageError(NewstraceError):
    """A stage cannot run: a prerequisite stage or table is missing."""


class ModelUnavailable(NewstraceError):
    """A model package is missing. newstrace never downloads models at run time."""
