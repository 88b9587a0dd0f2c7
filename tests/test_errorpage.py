from __future__ import annotations

from pathlib import Path

import pytest

from hotpress._fetch.errorpage import MAX_DETAIL, error_detail


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("test_error.html", "Error: Error test"),
        ("test_config-not-found-error.html", "ConfigNotFoundError: Test config not found error"),
        ("doesnotexist_route.html", "NotFoundError: The route does not exist or has been deleted."),
    ],
)
def test_rsshub_error_pages_give_their_error_message(
    corpora: Path, page: str, expected: str
) -> None:
    body = (corpora / "rsshub" / page).read_bytes()
    assert error_detail(body, "text/html; charset=UTF-8") == expected


def test_json_errors_and_plain_text_give_their_message() -> None:
    assert error_detail(b'{"error": {"message": "rate limited"}}', "application/json") == (
        "rate limited"
    )
    assert error_detail(b'{"message": "nope"}', None) == "nope"
    assert error_detail(b"\n\n  upstream   timed out \nmore", "text/plain") == "upstream timed out"


def test_generic_or_empty_pages_add_nothing() -> None:
    assert error_detail(b"", "text/html") is None
    assert (
        error_detail(b"<html><title>404 Not Found</title><h1>Not Found</h1></html>", None) is None
    )
    assert error_detail(b"[1, 2]", "application/json") is None


def test_a_long_message_is_cut() -> None:
    detail = error_detail(b"x" * 5000, "text/plain")
    assert detail is not None
    assert len(detail) == MAX_DETAIL
    assert detail.endswith("…")
