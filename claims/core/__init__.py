"""What every domain may use: time, money, inputs, forms, storage, crypto, formatting, the database helpers."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
"""The repository root: templates/, static/ and migrations/ sit there."""
