"""Intake fixtures: a submitted claim to review, and a watch on what Pillow parses and decodes.

`make_claim` files a claim through the services as tests/workflow/conftest.py does. `opened` and `decoded`
let a test show that a bad upload was refused before the expensive step (never by timing it).
"""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image, ImageFile

from tests.workflow.conftest import make_claim

__all__ = ["decoded", "make_claim", "opened"]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every byte string given to Pillow's `Image.open` (header parsing) during the test."""
    lengths: list[int] = []
    real = Image.open

    def spy(fp: Any, *args: Any, **kwargs: Any) -> Any:
        lengths.append(len(fp.getbuffer()) if hasattr(fp, "getbuffer") else -1)
        return real(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", spy)
    return lengths


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of every image whose pixels Pillow decodes (`ImageFile.load`) during the test."""
    sizes: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        sizes.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return sizes
