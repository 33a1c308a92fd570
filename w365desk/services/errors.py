"""Error kinds every service raises, so front doors can show them without guessing.

Messages are written for the person at the desk: specific, and never containing
card data or secrets (they may end up in a dialog, a log or a crash report).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ServiceError(Exception):
    """Base of every error a service raises on purpose; ``str(error)`` is user-facing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One reason one input field was refused."""

    field: str
    message: str


class ValidationError(ServiceError):
    """Input was refused; ``field``/``message`` name the first problem, ``problems`` all."""

    def __init__(self, field: str, message: str, *, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.problems: tuple[FieldProblem, ...] = tuple(problems) or (FieldProblem(field, message),)

    @classmethod
    def from_problems(cls, problems: Sequence[FieldProblem]) -> ValidationError:
        if not problems:
            raise ValueError("a ValidationError needs at least one problem")
        first = problems[0]
        return cls(first.field, first.message, problems=problems)

    def messages(self) -> dict[str, list[str]]:
        """Problems grouped by field, in the order they were found (for form highlighting)."""
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem.message)
        return grouped


class NotFoundError(ServiceError):
    """The record asked for does not exist (any more)."""

    def __init__(self, entity_type: str, entity_id: object) -> None:
        super().__init__(f"{entity_type.capitalize()} {entity_id} was not found.")
        self.entity_type = entity_type
        self.entity_id = entity_id


class ConflictError(ServiceError):
    """The change clashes with what is already stored (a duplicate, a stale edit, …)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SensitiveDataError(ServiceError):
    """Something that looks like card data or a secret was about to be stored or logged.

    The message names where it was found, never the value itself.
    """
