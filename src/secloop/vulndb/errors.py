"""Errors of the vulnerability database.

::

    secloop.core.errors.Error
    ├── InputError
    │   └── RecordError            one OSV record breaks the schema; it is skipped, named
    └── VulnDBError                the database as a whole cannot do its job
        ├── DatabaseNotFoundError  no database file yet: run ``secloop db import``
        ├── DatabaseCorruptError   the file is not a secloop database (fail closed)
        │   └── DatabaseOutdatedError  built by an older secloop: import or update again
        ├── ImportSourceError      an import path is missing, not a zip, or truncated
        └── UnknownEcosystemError  no version scheme for an ecosystem

Bad data (a record, a zip) is the data's fault and never leaves the old database
half-written: imports build a new file and switch only when it is complete.
"""

from __future__ import annotations

from secloop.core.errors import Error, InputError

__all__ = [
    "DatabaseCorruptError",
    "DatabaseNotFoundError",
    "DatabaseOutdatedError",
    "ImportSourceError",
    "RecordError",
    "UnknownEcosystemError",
    "VulnDBError",
]


class VulnDBError(Error):
    """Base error of :mod:`secloop.vulndb`."""


class RecordError(InputError):
    """One advisory record cannot be read; the message names the record and the reason."""


class DatabaseNotFoundError(VulnDBError):
    """No database exists at the configured path."""


class DatabaseCorruptError(VulnDBError):
    """The database file exists but is not a readable secloop vulnerability database."""


class DatabaseOutdatedError(DatabaseCorruptError):
    """The database was built by another secloop, with another layout (schema version)."""


class ImportSourceError(VulnDBError):
    """The import source (a directory or zip) cannot be read."""


class UnknownEcosystemError(VulnDBError):
    """No version scheme is known for an ecosystem, so its ranges cannot be evaluated."""
