"""Account columns derived from other rows, computed one way for services and migrations.

The account list shows (and sorts by) the billing contact and the default payment
method over every row, so the account row keeps them as text beside its own columns.
"""

from __future__ import annotations

# What the list shows for a card: brand, the last four digits, expiry.
MASK = "••••"


def contact_display_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()


def payment_summary(
    *,
    kind: str,
    brand: str | None,
    last4: str,
    exp_month: int | None,
    exp_year: int | None,
    bank_account_type: str | None = None,
) -> str:
    """ "Visa •••• 1111 12/30" for a card, "Checking •••• 6789" for a bank account."""
    if kind == "bank":
        label = {
            "checking": "Checking",
            "savings": "Savings",
            "businessChecking": "Business checking",
        }.get(bank_account_type or "", "Bank account")
        return f"{label} {MASK} {last4}"
    expiry = f" {exp_month:02d}/{exp_year % 100:02d}" if exp_month and exp_year else ""
    return f"{brand or 'Card'} {MASK} {last4}{expiry}"
