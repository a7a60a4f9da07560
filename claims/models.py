"""Every domain's models, imported once so that the metadata (and Alembic) sees all tables."""

from claims.accounts.models import User  # noqa: F401
from claims.intake.models import Claim, ClaimSequence, FormStash, LossLine, Photo  # noqa: F401
from claims.regions.models import CalendarDay, CountyDesignation, Region, Species, SpeciesListing, TimeLimit  # noqa: F401
from claims.workflow.models import AuditEvent, AuditHead  # noqa: F401
