"""A Gmail API simulator that the REAL google-api-python-client talks to unchanged.

Build the client from the bundled discovery document with only rootUrl replaced
(`gmail_tickets.adapters.gmail_client.gmail_service(creds, root_url=server.url)`): REST calls, the batch
endpoint and media uploads then all reach this server, and google-auth refreshes tokens against its
`/token` endpoint.

Python API (tests, the demo)::

    from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer

    sim = GmailSimulator(SimConfig(seed=1))             # every knob: SimConfig
    creds = sim.add_mailbox("support@example.com", kind="gmail")   # or "workspace"
    server = SimServer(sim, host="127.0.0.1", port=0).start()
    creds = sim.credentials("support@example.com")     # token_uri = f"{server.url}/token" once served
    message_id = sim.deliver("support@example.com", raw_bytes)     # INBOX+UNREAD by default
    sim.deliver(address, raw, auth=Verdicts(spf="pass", dkim=(("pass", None),), dmarc="pass"))  # Gmail's stamp
    sim.set_push_callback(lambda address, history_id: ...)        # paced like Gmail (1/s, coalesced)
    sim.inject_faults(503, count=2, method="messages.get")
    sim.set_latency(default_ms=50, per_method={"messages.send": 200})
    sim.counters("support@example.com")  # {"calls", "units", "errors", "methods": {...}}
    sim.clock.advance(3600)               # or sim.advance_clock(): quota, retention, tokens, send window
    sim.revoke(address); sim.restore(address); sim.expire_history(address)
    server.stop(); sim.close()

OAuth 2.0 endpoints (as Google's for a web-server or installed app), so the product's whole connect flow runs::

    GET  /o/oauth2/v2/auth?client_id&redirect_uri&response_type=code&scope&state&code_challenge
         &code_challenge_method=S256&access_type=offline&prompt=consent&login_hint=
         → HTML "Choose an account": one button per mailbox (login_hint first, marked), plus Cancel.
         Bad requests get an error page, never a redirect: unknown client_id 401 invalid_client; missing
         client_id/redirect_uri/response_type/scope 400 invalid_request; response_type other than code 400
         unsupported_response_type; a scope without gmail.modify 400 invalid_scope.
    POST same URL, form account=ADDRESS → 302 redirect_uri?code=&state=&scope=
                   form cancel=1      → 302 redirect_uri?error=access_denied&state=
    POST /token grant_type=authorization_code&code&redirect_uri&code_verifier, client as HTTP Basic (what
         requests-oauthlib sends) or client_id/client_secret in the form → {access_token, expires_in,
         token_type, scope, refresh_token?, refresh_token_expires_in?}
    POST /revoke?token= (or form token=) → 200 {} | 400 {"error": "invalid_token"}

Over HTTP the same controls live under /sim/v1 (GET /sim/v1 lists the routes); the CLI is
`gmail-tickets sim --port P --mailbox ADDRESS[:workspace]...` or `python -m devstack.gmail_sim` (also
--seed, --latency-ms, --quota-per-minute, --history-retention-s, --push-url, --pubsub-emulator-host,
--local-delivery). `devstack.gmail_sim.bench.run_bench()` measures throughput through the real client.

Modules, one job each: clock, config, errors, mime (raw mail → API views), query (q=), history, state
(mailboxes), quota (units, budget, concurrency, sending), faults (faults, latency), counters, oauth (codes,
tokens, revocation), consent (the account chooser), push (watch + notifications), api (the methods), routes,
calls, fields (partial responses), multipart, batch, uploads, control (/sim/v1), app (which part answers),
server (HTTP), simulator (the pipeline + Python API), stamp (Gmail's Authentication-Results), cli, bench.

Choices where the simulator differs from, or pins down, Gmail:
- A batch is ONE in-flight request for the concurrency cap (10 per user); its parts run sequentially
  inside it, each charged its own quota units; the latency is slept once per batch.
- Quota exhaustion answers 429 rateLimitExceeded (SimConfig.quota_error_status=403 gives
  403 userRateLimitExceeded). The sending limit answers 429 userRateLimitExceeded with the message
  "User-rate limit exceeded.  Retry after <when the window frees> (Mail sending)", as Gmail words it;
  recipients are To+Cc+Bcc over a rolling 24 h.
- history.list: one record per change of one message; ids step by a random 2..9 (always gaps). A start id
  at or below the stale mark, or above the current id, answers 404 notFound. `expire_history` makes every
  id handed out so far stale (including messages' historyIds) and moves the mailbox to a fresh current id
  (no record): after a 404, take the new cursor from getProfile, not from an old message.
- Record messages carry id, threadId and labelIds (as right after the change); `messages` holds id and
  threadId. Empty lists are left out of answers, as Google does (a message without labels has no labelIds).
- messages.trash adds TRASH and keeps the other labels; the control API's "spam" adds SPAM and removes
  INBOX. SENT, DRAFT and CHAT cannot be added or removed with modify (400 "Invalid label").
- Threading: a requested threadId is honoured only with In-Reply-To/References and a matching normalized
  subject, else the message starts a new thread (an unknown threadId is ignored, not an error). Incoming
  mail (deliver/insert/import) also joins the thread of a referenced Message-ID with a matching subject;
  sent mail without threadId starts a new thread in the sender's mailbox.
- send rewrites From to the account (no send-as aliases), adds Message-ID/Date when missing, refuses no
  recipients or more than 100. insert/import use only the labelIds given (default: none).
- format=full: leaf parts with a filename, or bigger than SimConfig.inline_body_limit (64 KiB), come as
  body.attachmentId; attachment ids are stable (Gmail's change between calls: do not store them).
- Push notifications carry historyId as a decimal string. Watch labelIds never suppress a notification.
  Sinks: callback, else push URL, else the Pub/Sub emulator (explicit settings beat PUBSUB_EMULATOR_HOST).
- The token endpoint is `<url>/token`; one OAuth client (SimConfig.client_id/secret) for all mailboxes
  (SimConfig.extra_clients adds more; codes and refresh tokens are bound to their client).
  Access tokens live `access_token_ttl_s` of SIMULATOR time: advancing the clock expires them (401, and
  google-auth refreshes transparently). `sim.revoke(address)` (the user removing the app) kills every token
  of the account; a new consent grants again with only the new tokens (`restore` revives the old ones).
- Consent: every mailbox is signed in; the page never asks for a password or shows a scope screen. Codes
  live 10 min of simulator time and ANY exchange attempt uses one up (a failed one cannot be retried).
  PKCE S256 or plain (the default when code_challenge_method is missing, per RFC 7636); without
  code_challenge no verifier is checked. A wrong redirect_uri answers 400 redirect_uri_mismatch (as Google
  does); reuse, expiry, another client, a missing or wrong verifier 400 invalid_grant.
- Refresh tokens: a NEW one on each consent with access_type=offline and prompt=consent (the older ones keep
  working); without prompt=consent only when the account holds no live grant (a mailbox made by
  add_mailbox already has one); never for access_type=online. With testing_client, refresh_token_expires_in
  is 604800 (SimConfig.refresh_token_ttl_testing_s).
- /revoke takes a refresh token (it and the access tokens minted from it die; the account's other refresh
  tokens live on) or an access token (its refresh token dies too, as Google says). Google's own endpoint
  may drop the user's whole grant to the client; the simulator revokes only that token.
- prompt=none and Google's "unverified app" / scope-checkbox screens are not simulated (prompt=none is a 400).
- Multi-chunk resumable uploads answer 308 without Location, as Google does; a plain httplib2.Http
  treats 308 as a redirect and fails (googleapiclient.http.build_http() removes 308 from redirect_codes).
- The search language subset is listed in query.py; dates in queries are midnight America/Los_Angeles.
- Authentication-Results: delivered mail gets Gmail's stamp only with the verdicts given per delivery (stamp.py);
  given none, no stamp (real Gmail always stamps, at least `spf=none` for an unauthenticated domain). insert,
  import and local delivery never stamp.
"""

from .clock import SimClock
from .config import SimConfig
from .server import SimServer
from .simulator import GmailSimulator, MailboxCredentials
from .stamp import Verdicts

__all__ = ["GmailSimulator", "MailboxCredentials", "SimClock", "SimConfig", "SimServer", "Verdicts"]
