"""What a notification's record keeps about its delivery (its error, note, route reason), written in English for
logs and the audit trail; each kind is marked (`N_`) so the console can say a stored copy in the reader's language
(domain/said.py `recognise`). domain/delivery.py writes them."""

from __future__ import annotations

from gmail_tickets.domain.said import N_

MOST_RESENDS = 5  # interruptions of one record's relay hand-over resent; then it fails visibly
LIMIT_REACHED = N_("Gmail answered that its daily sending limit is reached.")
FOUND_IN_SENT = N_("found in SENT after an interrupted send")
UNKNOWN_RELAY_OUTCOME = N_("Interrupted %(count)s times while handing the mail to the relay, and sent again each "
                           "time with one Message-ID: not sent again. Check the relay's log, then send it again from "
                           "the console if needed.") % {"count": MOST_RESENDS}
WITH_OUTCOME = N_("%(error)s. %(outcome)s")
RATE_LIMITED = N_("Gmail is rate limiting: %(error)s")
KEPT_FAILING = N_("Gmail kept failing (%(count)s attempts): %(error)s")
UNCLEAR = N_("Gmail did not answer clearly: %(error)s")
REVOKED = N_("Google access to %(address)s was revoked; the relay took it.")
REJECTED = N_("Gmail refused the mail: %(error)s")
NOT_IN_SENT = N_("Gmail kept failing (%(count)s attempts); the mail is not in SENT.")
SENT_UNSEARCHABLE = N_("Gmail kept failing (%(count)s attempts), and its SENT folder could not be searched: "
                        "%(error)s")
SEARCH_UNCLEAR = N_("could not search SENT: %(error)s")
SEARCH_REFUSED = N_("Gmail's SENT folder could not be searched after an interrupted send (%(error)s); sent "
                     "through the relay instead.")
PARTLY_SENT = N_("Delivered, but the relay refused some recipients: %(recipients)s")
RELAY_TRANSIENT = N_("The relay could not take the mail: %(error)s")
RELAY_REFUSED = N_("The relay refused the mail: %(error)s")
RESENT = N_("%(error)s; it goes again with the same Message-ID")
NO_RELAY = N_("No mail relay is configured, and this mail cannot go via Gmail: %(reason)s")
ATTACHMENT_MISSING = N_("An attachment is missing from storage: %(error)s")
UNBUILDABLE = N_("The mail cannot be built: %(error)s")
GAVE_UP = N_("%(error)s (gave up after retrying for %(duration)s, %(count)s attempt(s) on this route)")
