"""The audit trail (``trail``) and the guard that keeps card data and secrets out of it
and out of every stored field (``guard``)."""

from w365desk.services.audit.guard import contains_card_number, find_sensitive, is_sensitive_key
from w365desk.services.audit.trail import (
    AuditEntry,
    record_audit,
    record_audit_many,
    serialize_details,
)

__all__ = [
    "AuditEntry",
    "contains_card_number",
    "find_sensitive",
    "is_sensitive_key",
    "record_audit",
    "record_audit_many",
    "serialize_details",
]
