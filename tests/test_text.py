"""The shared helpers for user-facing messages."""

from __future__ import annotations

import pytest

from datamill._text import error_text


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (ValueError("boom"), "ValueError: boom"),
        (ValueError(), "ValueError"),
        (KeyboardInterrupt(), "KeyboardInterrupt"),
    ],
)
def test_an_error_reads_as_its_class_and_message_without_an_empty_colon(
    error: BaseException, text: str
) -> None:
    assert error_text(error) == text
