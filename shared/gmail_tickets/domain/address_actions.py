"""Which admin actions apply to a support address right now, and why not when they do not.

One rule table for both sides: the console disables a button with the reason beside it, and the account services
refuse with the same words should a stale page post anyway. So nothing is offered that is then refused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AddressState:
    address: str
    is_default: bool
    gmail: bool  # a Gmail connection (not forwarding only)
    active: bool  # connected (or in error), not disconnected


def disconnect_refusal(state: AddressState) -> str | None:
    if not state.gmail or not state.active:
        return f"{state.address} is not a connected Gmail account."
    if state.is_default:
        return (f"{state.address} is the default address (notifications go out from it): make another address the "
                "default first.")
    return None


def delete_refusal(state: AddressState) -> str | None:
    if state.is_default:
        return (f"{state.address} is the default address (notifications go out from it): make another address the "
                "default first.")
    if state.gmail and state.active:
        return f"Disconnect {state.address} first, so Google's access is revoked before it is deleted."
    return None


def make_default_refusal(state: AddressState) -> str | None:
    if state.is_default:
        return f"{state.address} is the default already."
    if state.gmail and not state.active:
        return f"{state.address} is disconnected: reconnect it first (the default sends notifications)."
    return None


def refusals(state: AddressState) -> dict[str, str | None]:
    """Each action's reason it cannot apply (None: it can), for the page's buttons."""
    return {"disconnect": disconnect_refusal(state), "delete": delete_refusal(state),
            "make_default": make_default_refusal(state)}
