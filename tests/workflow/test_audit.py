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


def test_each_transaction_reads_the_chain_head_afresh_under_its_lock(app):  # type: ignore[no-untyped-def]
    """An event that opens its transaction (nothing read before it) still locks and reads the head: two writers
    never chain onto the same previous hash."""
    from sqlalchemy import event

    from claims.workflow.audit import record_event

    head_reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM audit_head" in statement:
            head_reads.append(statement)

    with app.app_context():
        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for n in range(3):
                record_event(entity="test", action=f"probe_{n}")
                db.session.commit()
            record_event(entity="test", action="probe_3")
            record_event(entity="test", action="probe_4")  # the same transaction: the head is already locked
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(head_reads) == 4
        assert verify_chain().ok
