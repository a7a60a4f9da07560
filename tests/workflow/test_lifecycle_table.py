"""The lifecycle table is whole on its own, drawn in docs/workflow.md, and what pages offer comes from it."""

from __future__ import annotations

import subprocess
import sys

from claims.core import ROOT
from claims.lifecycle import TRANSITIONS, workflow_markdown
from claims.workflow.history import ACTION_TEXT
from claims.workflow.states import FINAL_STATES, ClaimStatus


def test_a_script_without_the_app_sees_every_step() -> None:
    code = "from claims.lifecycle import TRANSITIONS; print(sorted(TRANSITIONS))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.splitlines()
    assert out[0] == str(sorted(TRANSITIONS))
    assert len(TRANSITIONS) == 27


def test_docs_workflow_md_is_generated_from_the_table() -> None:
    written = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    assert written == workflow_markdown(), "docs/workflow.md is stale: run `make docs`"


def test_every_state_is_reached_and_every_unfinished_state_can_move_on() -> None:
    targets = {t.target for t in TRANSITIONS.values()}
    sources = set().union(*(t.sources for t in TRANSITIONS.values()))
    assert set(ClaimStatus) - {ClaimStatus.DRAFT} <= targets
    assert set(ClaimStatus) - FINAL_STATES <= sources
    assert not (FINAL_STATES & sources), "a final state has a way out"


def test_every_step_is_told_in_the_history() -> None:
    assert set(TRANSITIONS) <= set(ACTION_TEXT)
