"""Error records (dead letters, ``ingestion_log.reason``) keep the error class and a short message,
never the SQL statement or its bound parameters (values from the decrypted payload)."""

from __future__ import annotations

from sqlalchemy.exc import DataError, IntegrityError

from core.workers.runner import describe


class UniqueViolation(Exception):
    pass


class InvalidTextRepresentation(Exception):
    pass


def test_a_wrapped_database_error_keeps_the_driver_class_and_first_line_only() -> None:
    orig = UniqueViolation(
        'duplicate key value violates unique constraint "pk"\nDETAIL:  Key (email)=(jo@example.com) exists.'
    )
    exc = IntegrityError(
        "INSERT INTO sales.customers (email) VALUES (%(email)s)", {"email": "jo@example.com"}, orig
    )
    text = describe(exc)
    assert text == 'IntegrityError: UniqueViolation: duplicate key value violates unique constraint "pk"'
    assert "jo@example.com" not in text
    assert "INSERT" not in text


def test_quoted_values_in_a_driver_message_are_blanked() -> None:
    orig = InvalidTextRepresentation('invalid input syntax for type integer: "4111 1111"')
    text = describe(DataError("UPDATE t SET n = %(n)s", {"n": "4111 1111"}, orig))
    assert text == 'DataError: InvalidTextRepresentation: invalid input syntax for type integer: "…"'


def test_other_errors_are_one_short_line() -> None:
    assert describe(KeyError("inbox_id")) == "KeyError: 'inbox_id'"
    assert describe(RuntimeError("a\n  b")) == "RuntimeError: a b"
    assert len(describe(ValueError("x" * 10_000))) == 500
    assert describe(ValueError()) == "ValueError"
