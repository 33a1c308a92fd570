"""Accept nonces hold card data only while they can be used: expiry and redemption drop it."""

from __future__ import annotations

import gc
import weakref
from datetime import timedelta

import pytest

from w365desk.clock import FrozenClock
from w365desk.sandbox.authorizenet.cards import Expiry
from w365desk.sandbox.authorizenet.errors import ApiError
from w365desk.sandbox.authorizenet.nonces import FORGET_AFTER, NONCE_LIFETIME, NonceVault
from w365desk.sandbox.authorizenet.payments import NonceCard


def issue(vault: NonceVault) -> tuple[str, weakref.ref[NonceCard]]:
    """A nonce, and a weak reference that dies once nothing holds the card data any more."""
    payment = NonceCard(number="4111111111111111", expiry=Expiry(2031, 12), card_code="123")
    return vault.issue(payment), weakref.ref(payment)


def released(reference: weakref.ref[NonceCard]) -> bool:
    gc.collect()
    return reference() is None


def error_code(vault: NonceVault, nonce: str) -> str:
    with pytest.raises(ApiError) as raised:
        vault.redeem(nonce)
    return raised.value.code


def test_expiry_drops_the_card_data_but_a_late_use_still_reads_expired(
    clock: FrozenClock,
) -> None:
    vault = NonceVault(clock.now)
    nonce, card = issue(vault)
    clock.advance(NONCE_LIFETIME - timedelta(seconds=1))
    vault.purge()
    assert not released(card) and vault.holds_payment_data() == 1
    clock.advance(timedelta(seconds=1))
    vault.purge()
    assert released(card) and vault.holds_payment_data() == 0
    assert error_code(vault, nonce) == "E00115"
    assert error_code(vault, nonce) == "E00115"  # still expired, not "invalid"


def test_expired_nonces_are_forgotten_after_a_day(clock: FrozenClock) -> None:
    vault = NonceVault(clock.now)
    nonce, _ = issue(vault)
    clock.advance(FORGET_AFTER + timedelta(seconds=1))
    vault.purge()
    assert error_code(vault, nonce) == "E00114"


def test_redeeming_hands_the_card_over_and_keeps_nothing(clock: FrozenClock) -> None:
    vault = NonceVault(clock.now)
    nonce, card = issue(vault)
    redeemed = vault.redeem(nonce)
    assert redeemed.number == "4111111111111111"  # type: ignore[union-attr]
    del redeemed
    assert released(card)
    assert error_code(vault, nonce) == "E00114"


def test_issuing_and_redeeming_purge_what_has_expired(clock: FrozenClock) -> None:
    vault = NonceVault(clock.now)
    _, old_card = issue(vault)
    clock.advance(NONCE_LIFETIME)
    fresh, _ = issue(vault)
    assert released(old_card)
    assert vault.holds_payment_data() == 1
    vault.redeem(fresh)
    assert vault.holds_payment_data() == 0


def test_a_nonce_used_out_of_issue_order_after_its_lifetime_is_expired(
    clock: FrozenClock,
) -> None:
    """Were the clock set back between two issues, the later-issued but older nonce still dies."""
    vault = NonceVault(clock.now)
    clock.advance(timedelta(minutes=10))
    first, _ = issue(vault)
    clock.advance(timedelta(minutes=-10))
    second, _ = issue(vault)
    clock.advance(NONCE_LIFETIME + timedelta(minutes=5))  # first: 10 min old; second: 20
    assert error_code(vault, second) == "E00115"
    assert vault.redeem(first).expiry == Expiry(2031, 12)
