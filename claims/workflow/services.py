"""Why a step may not be taken: the errors the lifecycle engine (claims.lifecycle) and the operations raise."""

from __future__ import annotations

from flask_babel import gettext as _


class WorkflowError(Exception):
    """A step that may not be taken; `message` is for the user, in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClaimChanged(WorkflowError):
    """Somebody else changed the claim since this user loaded it."""

    def __init__(self) -> None:
        super().__init__(_("This claim was changed by someone else in the meantime. Here is its current state; please check and try again."))
