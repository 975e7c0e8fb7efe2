"""Which admin actions apply to a support address right now, and why not when they do not.

One rule table for both sides: the console disables a button with the reason beside it, and the account services
refuse with the same words should a stale page post anyway. So nothing is offered that is then refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from gmail_tickets.domain.said import said


@dataclass(frozen=True)
class AddressState:
    address: str
    is_default: bool
    gmail: bool  # a Gmail connection (not forwarding only)
    active: bool  # connected (or in error), not disconnected


def disconnect_refusal(state: AddressState) -> str | None:
    if not state.gmail or not state.active:
        return said("%(address)s is not a connected Gmail account.", address=state.address)
    if state.is_default:
        return said("%(address)s is the default address (notifications go out from it): make another address the "
                    "default first.", address=state.address)
    return None


def delete_refusal(state: AddressState) -> str | None:
    if state.is_default:
        return said("%(address)s is the default address (notifications go out from it): make another address the "
                    "default first.", address=state.address)
    if state.gmail and state.active:
        return said("Disconnect %(address)s first, so Google's access is revoked before it is deleted.",
                    address=state.address)
    return None


def make_default_refusal(state: AddressState) -> str | None:
    if state.is_default:
        return said("%(address)s is the default already.", address=state.address)
    if state.gmail and not state.active:
        return said("%(address)s is disconnected: reconnect it first (the default sends notifications).",
                    address=state.address)
    return None


def refusals(state: AddressState) -> dict[str, str | None]:
    """Each action's reason it cannot apply (None: it can), for the page's buttons."""
    return {"disconnect": disconnect_refusal(state), "delete": delete_refusal(state),
            "make_default": make_default_refusal(state)}
