"""The control API under /sim/v1 (JSON, no auth: the simulator listens on 127.0.0.1 for tests and the demo).

Every route calls one GmailSimulator method; see ROUTES for the list (also served at GET /sim/v1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from . import bulk
from .calls import ApiRequest, Reply, json_reply
from .errors import ApiError
from .stamp import Verdicts

if TYPE_CHECKING:
    from .simulator import GmailSimulator

Action = Callable[["GmailSimulator", dict[str, str], ApiRequest], Any]
ROUTES: list[tuple[str, str, Action, str]] = []
_COMPILED: list[tuple[str, re.Pattern[str], Action]] = []


def route(verb: str, pattern: str, doc: str) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        ROUTES.append((verb, pattern, fn, doc))
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        _COMPILED.append((verb, re.compile(f"^/sim/v1{regex}$"), fn))
        return fn

    return register


def _json(req: ApiRequest) -> dict[str, Any]:
    return req.json()


@route("GET", "", "this list of routes")
def _index(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"routes": [f"{verb} /sim/v1{pattern} — {doc}" for verb, pattern, _, doc in ROUTES]}


@route("GET", "/health", "liveness")
def _health(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"ok": True, "mailboxes": len(sim.mailboxes())}


@route("GET", "/mailboxes", "all mailboxes with their state")
def _list_mailboxes(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"mailboxes": [sim.mailbox_info(a) for a in sim.mailboxes()]}


@route("POST", "/mailboxes", "create {address, kind, send_limit?, testing_client?} → credentials")
def _create_mailbox(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    body = _json(req)
    creds = sim.add_mailbox(
        body.get("address", ""),
        body.get("kind", "gmail"),
        send_limit=body.get("send_limit"),
        testing_client=bool(body.get("testing_client")),
    )
    return 201, creds.to_json()


@route("POST", "/mailboxes/bulk", "create many {prefix, domain, count, start?, kind?, label?, watch_topic?} → "
       "[{address, refresh_token, label_id, history_id, watch_expiration_ms}] (gmail_sim/bulk.py)")
def _create_mailboxes(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    body = _json(req)
    return 201, {"mailboxes": bulk.add_mailboxes(
        sim, prefix=body.get("prefix", "mailbox"), domain=body.get("domain", "example.com"),
        count=int(body.get("count", 0)), start=int(body.get("start", 0)), kind=body.get("kind", "workspace"),
        label=body.get("label"), watch_topic=body.get("watch_topic"))}


@route("GET", "/mailboxes/{address}", "one mailbox's state")
def _get_mailbox(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return sim.mailbox_info(p["address"])


@route("DELETE", "/mailboxes/{address}", "delete a mailbox and its grant")
def _delete_mailbox(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    sim.remove_mailbox(p["address"])
    return {}


@route("GET", "/mailboxes/{address}/credentials", "OAuth credentials for the mailbox")
def _credentials(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return sim.credentials(p["address"]).to_json()


@route("POST", "/mailboxes/{address}/deliver",
       "body = raw RFC 822; ?labels=INBOX,UNREAD&internalDate=ms&threadId=; Gmail's Authentication-Results stamp "
       "with ?spf=RESULT[:DOMAIN]&dkim=RESULT[:DOMAIN][,…]&dmarc=RESULT&dmarcPolicy=NONE (none given: no stamp)")
def _deliver(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    labels = req.param("labels")
    internal = req.param("internalDate")
    message_id = sim.deliver(
        p["address"],
        req.body,
        None if labels is None else [x for x in labels.split(",") if x],
        internal_date_ms=int(internal) if internal else None,
        thread_id=req.param("threadId"),
        auth=Verdicts.from_params(req.param),
    )
    info = sim.message(p["address"], message_id)
    return 201, {"id": message_id, "threadId": info["threadId"], "historyId": info["historyId"]}


@route("GET", "/mailboxes/{address}/messages", "summaries, newest first; ?q=")
def _messages(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"messages": sim.messages(p["address"], req.param("q") or "")}


@route("GET", "/mailboxes/{address}/messages/{id}", "one message; ?format=raw answers message/rfc822")
def _message(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    if req.param("format") == "raw":
        return Reply(200, sim.raw_message(p["address"], p["id"]), "message/rfc822")
    return sim.message(p["address"], p["id"])


@route("DELETE", "/mailboxes/{address}/messages/{id}", "delete for good (history: messageDeleted)")
def _delete(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    sim.delete(p["address"], p["id"])
    return {}


_ACTIONS: dict[str, Callable[[GmailSimulator, str, str], None]] = {
    "read": lambda s, a, m: s.mark_read(a, m),
    "unread": lambda s, a, m: s.mark_read(a, m, read=False),
    "trash": lambda s, a, m: s.trash(a, m),
    "untrash": lambda s, a, m: s.untrash(a, m),
    "spam": lambda s, a, m: s.spam(a, m),
}


@route("POST", "/mailboxes/{address}/messages/{id}/{action}", "action = read | unread | trash | untrash | spam")
def _message_action(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    if p["action"] == "labels":
        body = _json(req)
        sim.modify_labels(p["address"], p["id"], body.get("add", []), body.get("remove", []))
    elif p["action"] in _ACTIONS:
        _ACTIONS[p["action"]](sim, p["address"], p["id"])
    else:
        raise KeyError(f"unknown action: {p['action']}")
    return sim.message(p["address"], p["id"])


@route("POST", "/mailboxes/{address}/labels", "create a user label {name} → {id}")
def _create_label(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return 201, {"id": sim.create_label(p["address"], _json(req).get("name", ""))}


@route("POST", "/mailboxes/{address}/revoke", "revoke the grant: refresh → invalid_grant, API → 401")
def _revoke(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    sim.revoke(p["address"])
    return {}


@route("POST", "/mailboxes/{address}/restore", "re-grant {new_refresh_token?: bool} → credentials")
def _restore(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return sim.restore(p["address"], new_refresh_token=bool(_json(req).get("new_refresh_token"))).to_json()


@route("POST", "/mailboxes/{address}/auth-code", "a code for grant_type=authorization_code {redirect_uri?}")
def _auth_code(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"code": sim.issue_auth_code(p["address"], _json(req).get("redirect_uri"))}


@route("POST", "/mailboxes/{address}/history/expire", "make the mailbox's history ids stale")
def _expire_one(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"historyIds": sim.expire_history(p["address"])}


@route("POST", "/history/expire", "make every mailbox's history ids stale")
def _expire_all(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"historyIds": sim.expire_history()}


@route("PUT", "/mailboxes/{address}/send-limit", "{limit}: recipients per rolling 24 h")
def _send_limit(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    sim.set_send_limit(p["address"], int(_json(req)["limit"]))
    return sim.mailbox_info(p["address"])


@route("GET", "/clock", "the simulator's time")
def _clock(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"now": sim.clock.now()}


@route("POST", "/clock/advance", "{seconds}: move the simulator's time forward")
def _advance(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"now": sim.advance_clock(float(_json(req).get("seconds", 0)))}


@route("GET", "/faults", "pending injected faults")
def _faults(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"faults": sim.faults.list()}


@route("POST", "/faults", "{status, count?, method?, address?, reason?, message?, retry_after?}")
def _add_fault(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    body = _json(req)
    if "status" not in body:
        raise ValueError("status is required")
    fault = sim.inject_faults(
        int(body["status"]),
        int(body.get("count", 1)),
        method=body.get("method", "*"),
        address=body.get("address", "*"),
        reason=body.get("reason"),
        message=body.get("message"),
        retry_after=body.get("retry_after"),
    )
    return 201, fault.to_json()


@route("DELETE", "/faults", "clear injected faults")
def _clear_faults(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    sim.clear_faults()
    return {}


@route("GET", "/latency", "latency settings")
def _latency(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return sim.latency.to_json()


@route("PUT", "/latency", "{default_ms?, methods?: {method: ms}}")
def _set_latency(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    body = _json(req)
    sim.set_latency(body.get("default_ms"), body.get("methods"))
    return sim.latency.to_json()


@route("GET", "/quota", "quota settings")
def _quota(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {"per_minute": sim.budget.limit, "concurrency": sim.gate.cap}


@route("PUT", "/quota", "{per_minute?, concurrency?}")
def _set_quota(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    body = _json(req)
    sim.set_quota(body.get("per_minute"), body.get("concurrency"))
    return {"per_minute": sim.budget.limit, "concurrency": sim.gate.cap}


@route("GET", "/counters", "calls/units/errors per method; ?address=")
def _counters(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return sim.counters(req.param("address"))


@route("DELETE", "/counters", "reset counters; ?address=")
def _reset_counters(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    sim.reset_counters(req.param("address"))
    return {}


@route("GET", "/push", "push settings, stats, watches, recent notifications")
def _push(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return {
        "settings": sim.push.settings(),
        "stats": dict(sim.push.stats),
        "watches": sim.push.watches(),
        "recent": list(sim.push.recent),
    }


@route("PUT", "/push", "{url?, pubsub_topic?, subscription?, delay_s?, drop_rate?, min_interval_s?}")
def _set_push(sim: GmailSimulator, p: dict[str, str], req: ApiRequest) -> Any:
    return sim.configure_push(**_json(req))


def handle_control(sim: GmailSimulator, verb: str, path: str, req: ApiRequest) -> Reply:
    path = path.rstrip("/") if path != "/sim/v1/" else "/sim/v1"
    for route_verb, regex, action in _COMPILED:
        match = regex.match(path)
        if match and route_verb == verb:
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            try:
                result = action(sim, params, req)
            except ApiError as error:
                return json_reply({"error": error.message}, error.status)
            except KeyError as error:
                return json_reply({"error": str(error.args[0]) if error.args else "not found"}, 404)
            except (ValueError, TypeError) as error:
                return json_reply({"error": str(error)}, 400)
            if isinstance(result, Reply):
                return result
            if isinstance(result, tuple):
                return json_reply(result[1], result[0])
            return json_reply(result)
    return Reply(404, json.dumps({"error": f"no control route {verb} {path}"}).encode())
