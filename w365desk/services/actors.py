"""Who acts: a member of staff at a desk, or a customer through a link.

Every use case that changes something is told, per call, who does it, so the same use
case can run for staff in the desktop app and for a customer on the link server, and
the audit trail names the right party.
"""

from __future__ import annotations

import enum
import getpass
import os
from dataclasses import dataclass

ACTOR_MAX_LENGTH = 120
UNKNOWN_USER = "unknown-user"
_CUSTOMER_PREFIX = "customer: "


class ActorKind(enum.StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class Actor:
    """``name`` is a staff user name, or how a customer is known (their email and link)."""

    kind: ActorKind
    name: str

    def __post_init__(self) -> None:
        # Refused here, before any use case changes anything, not at its commit.
        name = self.name.strip() if isinstance(self.name, str) else ""
        if not name:
            raise ValueError(
                "an actor needs a name: the acting user's name, or how a customer is known"
            )
        object.__setattr__(self, "name", name)

    @classmethod
    def staff(cls, user_name: str) -> Actor:
        return cls(ActorKind.STAFF, user_name)

    @classmethod
    def customer(cls, known_as: str) -> Actor:
        return cls(ActorKind.CUSTOMER, known_as)

    @property
    def audit_name(self) -> str:
        """How the audit trail records this actor: a staff user by name, a customer
        marked as such, so nobody mistakes what a customer did for a colleague's work."""
        label = self.name if self.kind is ActorKind.STAFF else _CUSTOMER_PREFIX + self.name
        return label[:ACTOR_MAX_LENGTH]

    def __str__(self) -> str:
        return self.audit_name


def current_os_user() -> Actor:
    """The signed-in OS user, as the member of staff at this desk; never fails."""
    try:
        name = getpass.getuser()
    except Exception:  # getpass raises OSError/KeyError when no user name can be found
        name = os.environ.get("USERNAME") or os.environ.get("USER") or ""
    return Actor.staff(name.strip() or UNKNOWN_USER)
