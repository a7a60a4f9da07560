"""Where an error happened, for the log: file, line, function and source line of each frame, and the type.

Never the exception's message: it may quote what a user typed or what a row holds (a name, a mobile, an ID
number, a bank account), and database errors quote their parameters. Used by the error pages and the jobs.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from sqlalchemy.exc import SQLAlchemyError


def code_frames(exc_info: Any = None) -> str:
    """Where the current (or the given) exception happened, and its type; not its message."""
    _type, exc, tb = exc_info or sys.exc_info()
    if exc is None:
        return ""
    frames = "".join(traceback.format_list(traceback.extract_tb(tb)))
    cause = f" (from {type(exc.orig).__name__})" if isinstance(exc, SQLAlchemyError) and getattr(exc, "orig", None) is not None else ""
    return f"{frames}{type(exc).__module__}.{type(exc).__name__}{cause}"
