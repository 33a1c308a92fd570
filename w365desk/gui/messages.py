"""What to tell staff when a background operation fails."""

from __future__ import annotations

from w365desk.services.errors import ServiceError


def describe_error(error: Exception) -> str:
    """A service error's own message; anything else is a fault, said as such."""
    if isinstance(error, ServiceError):
        return error.message
    return f"Unexpected error ({type(error).__name__}). Nothing was changed."
