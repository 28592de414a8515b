"""Outputs of the approval engine: pure functions from plain data to document bytes.

No database access here (STYLE.md): the engine builds the dataclasses in ``types`` from its
models and calls ``render_decision_pdf`` / ``render_issue_letter``.
"""

from workflow.proposals.rendering.decision_pdf import render_decision_pdf
from workflow.proposals.rendering.fonts import JapaneseFonts, japanese_fonts
from workflow.proposals.rendering.issue_letter import render_issue_letter
from workflow.proposals.rendering.types import DecisionDocument, IssueLetter, StampCell

__all__ = [
    "DecisionDocument",
    "IssueLetter",
    "JapaneseFonts",
    "StampCell",
    "japanese_fonts",
    "render_decision_pdf",
    "render_issue_letter",
]
