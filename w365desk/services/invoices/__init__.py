"""Invoices: read-only for now (charging them arrives with its own use cases)."""

from w365desk.services.invoices.queries import InvoiceQueries, InvoiceView

__all__ = ["InvoiceQueries", "InvoiceView"]
