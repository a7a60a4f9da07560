"""The audit chain detects an edited, inserted or deleted event (`flask audit verify`)."""

from __future__ import annotations

from sqlalchemy import text

from claims.extensions import db
from claims.workflow.audit import verify_chain


def _verify(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_verify_passes_on_a_clean_chain(app, make_claim):  # type: ignore[no-untyped-def]
    make_claim()
    result = _verify(app)
    assert result.exit_code == 0 and "audit chain OK" in result.output


def test_edited_event_is_detected(app, make_claim):  # type: ignore[no-untyped-def]
    claim = make_claim()
    db.session.execute(text("UPDATE audit_events SET reason = 'forged' WHERE id = (SELECT MAX(id) FROM audit_events WHERE claim_id = :c)"), {"c": claim.id})
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "edited" in result.output
    assert not verify_chain().ok


def test_deleted_event_in_the_middle_is_detected(app, make_claim):  # type: ignore[no-untyped-def]
    make_claim()
    db.session.execute(text("DELETE FROM audit_events WHERE id = (SELECT MIN(id) + 1 FROM audit_events)"))
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "deleted or inserted" in result.output


def test_deleted_last_event_is_detected(app, make_claim):  # type: ignore[no-untyped-def]
    make_claim()
    db.session.execute(text("DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)"))
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "deleted at the end" in result.output
