"""Who may survey a claim: separation of duties and declared conflicts of interest."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.extensions import db
from claims.intake.models import Claim
from claims.survey.models import ConflictDeclaration, SurveyAssignment


def declaration_problem(user: User) -> str | None:
    """Why `user` may take no step yet, or None: a staff member who never declared their conflicts of interest."""
    if user.must_declare_conflicts:
        return _("%(name)s has not declared their conflicts of interest yet: declare your relatives, or that there are none, first.", name=user.name)
    return None


def conflict_problem(claim: Claim, user: User) -> str | None:
    """Why `user` may not survey or decide this claim, or None: they are a party or a declared relative."""
    if user.id == claim.filed_by_id:
        return _("%(name)s filed this claim or is the claimant, and may not survey or decide it.", name=user.name)
    return kin_problem(claim, user)


def kin_problem(claim: Claim, user: User) -> str | None:
    """Why `user` may not act on this claim of their own household or kin, or None (filing it is not kinship: the
    intake step has its own rule for the clerk who filed). Refused too until they have declared their conflicts."""
    problem = declaration_problem(user)
    if problem:
        return problem
    if user.id == claim.claimant_user_id:
        return _("%(name)s filed this claim or is the claimant, and may not survey or decide it.", name=user.name)
    if user.mobile and claim.claimant_mobile and user.mobile == claim.claimant_mobile:
        return _("%(name)s has the claimant's mobile number, and may not survey or decide it.", name=user.name)
    if claim.claimant_id_hash:
        query = select(ConflictDeclaration.id).where(ConflictDeclaration.user_id == user.id, ConflictDeclaration.relative_id_hash == claim.claimant_id_hash)
        if db.session.execute(query).first() is not None:
            return _("%(name)s declared the claimant as a relative, and may not survey or decide it.", name=user.name)
    return None


def current_assignment(claim: Claim) -> SurveyAssignment | None:
    query = select(SurveyAssignment).where(SurveyAssignment.claim_id == claim.id, SurveyAssignment.round == claim.survey_round)
    return db.session.execute(query).scalar_one_or_none()


def earlier_surveyor_ids(claim: Claim) -> set[int]:
    query = select(SurveyAssignment).where(SurveyAssignment.claim_id == claim.id, SurveyAssignment.round < claim.survey_round + 1)
    return {u.id for a in db.session.execute(query).scalars() for u in a.surveyors}


def is_assigned_surveyor(claim: Claim, user: User | None) -> bool:
    assignment = current_assignment(claim) if user is not None and user.role == Role.OFFICER else None
    return assignment is not None and any(u.id == user.id for u in assignment.surveyors)  # type: ignore[union-attr]


def eligible_surveyors(claim: Claim) -> list[User]:
    """Active officers of the claim's county without a conflict and, after a dispute, not surveyed before."""
    query = select(User).where(User.role == Role.OFFICER, User.region_id == claim.county_id, User.active).order_by(User.name)
    excluded = earlier_surveyor_ids(claim)
    return [u for u in db.session.execute(query).scalars() if u.id not in excluded and conflict_problem(claim, u) is None]
