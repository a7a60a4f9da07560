"""Survey tests start from a submitted claim, filed through the services as tests/workflow/conftest.py files it."""

from tests.workflow.conftest import make_claim

__all__ = ["make_claim"]
