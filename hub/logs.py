"""Logging set-up for the CLI and the server: one line per record, with the request id."""

from __future__ import annotations

import logging
import sys

from hub.http import RequestIdFilter

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would duplicate hub.access without the request id.
    logging.getLogger("uvicorn.access").disabled = True
