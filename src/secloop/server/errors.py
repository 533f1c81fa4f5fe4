"""Errors of the findings server, rooted in :class:`secloop.core.errors.Error`.

::

    Error
    ├── ReportError
    │   └── IngestError          an uploaded report cannot be imported (HTTP 422)
    │       └── UploadTooLargeError   over the configured byte limit (HTTP 413)
    └── ServerError              the server cannot do what was asked
        ├── NotFoundError             no such project, scan or finding (HTTP 404)
        └── TransitionError      a status change the lifecycle forbids (HTTP 409/422)

``IntelError`` (a KEV/EPSS feed cannot be fetched or parsed; nothing changed) is
:class:`secloop.intel.errors.IntelError`, shared with the CLI's local cache.

Who is at fault decides the branch: the uploaded data (IngestError: fail closed,
nothing is written) or the request (NotFoundError, TransitionError).
"""

from __future__ import annotations

from secloop.core.errors import Error, ReportError
from secloop.intel.errors import IntelError

__all__ = [
    "IngestError",
    "IntelError",
    "NotFoundError",
    "ServerError",
    "TransitionError",
    "UploadTooLargeError",
]


class IngestError(ReportError):
    """A report is malformed, in the wrong format, or breaks a limit; names file and reason."""


class UploadTooLargeError(IngestError):
    """The upload is over ``max_upload_bytes``."""


class ServerError(Error):
    """Base of the errors the API maps to 4xx responses other than 422 ingest errors."""


class NotFoundError(ServerError):
    """The named project, scan or finding does not exist."""


class TransitionError(ServerError):
    """A status change the lifecycle does not allow, or one missing what it requires."""
