"""The Gmail API methods, over one mailbox. Each handler runs under the simulator's lock, after auth,
faults and quota; it returns the JSON answer, or None for Gmail's empty 204 answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .calls import ApiRequest
from .errors import bad_request, not_found
from .history import TYPES as HISTORY_TYPES
from .mime import b64url, b64url_decode, prepare_outgoing, recipients_of
from .push import TOPIC
from .query import Query
from .state import Mailbox

if TYPE_CHECKING:
    from .simulator import GmailSimulator

MAX_PAGE = 500
MAX_BATCH_IDS = 1000
MAX_UPLOAD = 35 * 1024 * 1024


@dataclass
class Ctx:
    sim: GmailSimulator
    mailbox: Mailbox
    request: ApiRequest


Handler = Callable[[Ctx], "dict[str, Any] | None"]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = fn
        return fn

    return register


# ---- profile, watch ---------------------------------------------------------------------------------------
@method("getProfile")
def get_profile(ctx: Ctx) -> dict[str, Any]:
    return ctx.mailbox.profile()


@method("watch")
def watch(ctx: Ctx) -> dict[str, Any]:
    body = ctx.request.json()
    topic = body.get("topicName") or ""
    if not TOPIC.match(topic):
        raise bad_request("Invalid topicName does not match projects/SOME-PROJECT/topics/*")
    behavior = str(body.get("labelFilterBehavior") or body.get("labelFilterAction") or "include").lower()
    if behavior not in ("include", "exclude"):
        raise bad_request(f"Invalid labelFilterBehavior: {behavior}")
    label_ids = list(body.get("labelIds") or [])
    ctx.mailbox.check_labels(label_ids, forbid=frozenset())
    expiration_ms = ctx.sim.push.watch(ctx.mailbox.address, topic, label_ids, behavior)
    return {"historyId": str(ctx.mailbox.history.current), "expiration": str(expiration_ms)}


@method("stop")
def stop(ctx: Ctx) -> None:
    ctx.sim.push.stop(ctx.mailbox.address)


# ---- labels -----------------------------------------------------------------------------------------------
@method("labels.list")
def labels_list(ctx: Ctx) -> dict[str, Any]:
    return {"labels": [label.to_json() for label in ctx.mailbox.labels.values()]}


@method("labels.get")
def labels_get(ctx: Ctx) -> dict[str, Any]:
    label = ctx.mailbox.label(ctx.request.path_params["id"])
    return {**label.to_json(), **ctx.mailbox.label_counts(label.id)}


@method("labels.create")
def labels_create(ctx: Ctx) -> dict[str, Any]:
    body = ctx.request.json()
    label = ctx.mailbox.create_label(
        body.get("name", ""), body.get("messageListVisibility"), body.get("labelListVisibility"), body.get("color")
    )
    return label.to_json()


@method("labels.update")
@method("labels.patch")
def labels_update(ctx: Ctx) -> dict[str, Any]:
    return ctx.mailbox.update_label(ctx.request.path_params["id"], ctx.request.json()).to_json()


@method("labels.delete")
def labels_delete(ctx: Ctx) -> None:
    ctx.mailbox.delete_label(ctx.request.path_params["id"])


# ---- history ----------------------------------------------------------------------------------------------
@method("history.list")
def history_list(ctx: Ctx) -> dict[str, Any]:
    req, history = ctx.request, ctx.mailbox.history
    raw_start = req.param("startHistoryId")
    if not raw_start:
        raise bad_request("Missing required parameter startHistoryId")
    if not raw_start.isdigit():
        raise bad_request(f"Invalid startHistoryId: {raw_start}")
    types = set(req.params("historyTypes"))
    if types - set(HISTORY_TYPES):
        raise bad_request(f"Invalid value for historyTypes: {sorted(types - set(HISTORY_TYPES))[0]}")
    history.prune(ctx.sim.clock.now(), ctx.sim.config.history_retention_s)
    return history.list(
        int(raw_start),
        types=types or None,
        label_id=req.param("labelId"),
        max_results=req.int_param("maxResults", 100, MAX_PAGE) or 100,
        page_token=req.param("pageToken"),
    )


# ---- messages: read -----------------------------------------------------------------------------------------
@method("messages.list")
def messages_list(ctx: Ctx) -> dict[str, Any]:
    req, mb = ctx.request, ctx.mailbox
    q = req.param("q") or ""
    query = None
    if q.strip():
        query = Query(
            q,
            account=mb.address,
            label_ids_by_name=mb.label_ids_by_name(),
            now=ctx.sim.clock.now(),
            tz=ctx.sim.config.query_timezone,
        )
    return mb.search(
        query,
        req.params("labelIds"),
        include_spam_trash=req.bool_param("includeSpamTrash"),
        max_results=req.int_param("maxResults", 100, MAX_PAGE) or 100,
        page_token=req.param("pageToken"),
    )


@method("messages.get")
def messages_get(ctx: Ctx) -> dict[str, Any]:
    req = ctx.request
    msg = ctx.mailbox.get(req.path_params["id"])
    return msg.to_json(req.param("format") or "full", req.params("metadataHeaders"))


@method("messages.attachments.get")
def attachments_get(ctx: Ctx) -> dict[str, Any]:
    msg = ctx.mailbox.get(ctx.request.path_params["messageId"])
    attachment_id = ctx.request.path_params["id"]
    data = msg.parsed.attachments.get(attachment_id)
    if data is None:
        raise bad_request("Invalid attachment token")
    return {"attachmentId": attachment_id, "size": len(data), "data": b64url(data)}


@method("threads.get")
def threads_get(ctx: Ctx) -> dict[str, Any]:
    mb, req = ctx.mailbox, ctx.request
    thread_id = req.path_params["id"]
    ids = mb.threads.get(thread_id)
    if not ids:
        raise not_found()
    fmt = req.param("format") or "full"
    messages = sorted((mb.messages[i] for i in ids), key=lambda m: m.sort_key)
    return {
        "id": thread_id,
        "historyId": str(max(m.history_id for m in messages)),
        "messages": [m.to_json(fmt, req.params("metadataHeaders")) for m in messages],
    }


# ---- messages: change ---------------------------------------------------------------------------------------
@method("messages.modify")
def messages_modify(ctx: Ctx) -> dict[str, Any]:
    body, mb = ctx.request.json(), ctx.mailbox
    msg = mb.get(ctx.request.path_params["id"])
    mb.modify(msg, mb.check_labels(body.get("addLabelIds") or []), mb.check_labels(body.get("removeLabelIds") or []))
    return msg.ref()


@method("messages.batchModify")
def messages_batch_modify(ctx: Ctx) -> None:
    body, mb = ctx.request.json(), ctx.mailbox
    ids = body.get("ids") or []
    if len(ids) > MAX_BATCH_IDS:
        raise bad_request(f"Too many ids: at most {MAX_BATCH_IDS} per request")
    add = mb.check_labels(body.get("addLabelIds") or [])
    remove = mb.check_labels(body.get("removeLabelIds") or [])
    for message_id in ids:
        msg = mb.messages.get(message_id)
        if msg is not None:  # Gmail skips ids it does not know
            mb.modify(msg, add, remove)


@method("messages.trash")
def messages_trash(ctx: Ctx) -> dict[str, Any]:
    msg = ctx.mailbox.get(ctx.request.path_params["id"])
    ctx.mailbox.modify(msg, ["TRASH"], [])
    return msg.ref()


@method("messages.untrash")
def messages_untrash(ctx: Ctx) -> dict[str, Any]:
    msg = ctx.mailbox.get(ctx.request.path_params["id"])
    ctx.mailbox.modify(msg, [], ["TRASH"])
    return msg.ref()


@method("messages.delete")
def messages_delete(ctx: Ctx) -> None:
    ctx.mailbox.delete(ctx.mailbox.get(ctx.request.path_params["id"]))


@method("messages.batchDelete")
def messages_batch_delete(ctx: Ctx) -> None:
    ids = ctx.request.json().get("ids") or []
    if len(ids) > MAX_BATCH_IDS:
        raise bad_request(f"Too many ids: at most {MAX_BATCH_IDS} per request")
    for message_id in ids:
        msg = ctx.mailbox.messages.get(message_id)
        if msg is not None:
            ctx.mailbox.delete(msg)


# ---- messages: add ------------------------------------------------------------------------------------------
def _raw_and_meta(ctx: Ctx) -> tuple[bytes, dict[str, Any]]:
    meta = ctx.request.json()
    if ctx.request.media is not None:
        raw = ctx.request.media
    elif meta.get("raw"):
        try:
            raw = b64url_decode(str(meta["raw"]))
        except ValueError:
            raise bad_request("Invalid value for ByteString: raw") from None
    else:
        raise bad_request("'raw' RFC822 payload message string or uploading message via /upload/* URL required")
    if not raw.strip():
        raise bad_request("Invalid raw message: empty")
    if len(raw) > MAX_UPLOAD:
        raise bad_request("Message too large")
    return raw, meta


def _store(ctx: Ctx, *, send: bool) -> dict[str, Any]:
    raw, meta = _raw_and_meta(ctx)
    mb, sim = ctx.mailbox, ctx.sim
    if send:
        recipients = recipients_of(raw)
        if not recipients:
            raise bad_request("Recipient address required")
        if len(recipients) > sim.config.max_recipients_per_message:
            raise bad_request(f"Too many recipients: at most {sim.config.max_recipients_per_message}")
        sim.send_window.charge(mb.address.lower(), len(recipients), mb.send_limit)
        message_id = mb.new_message_id()
        raw = prepare_outgoing(raw, mb.address, message_id, sim.clock.now())
        msg = mb.add_message(
            raw, {"SENT"}, thread_id=meta.get("threadId"), thread_by_headers=False, message_id=message_id
        )
        sim.deliver_locally(mb.address, raw, recipients)
        return msg.ref()
    labels = mb.check_labels(meta.get("labelIds") or [], forbid=frozenset({"DRAFT", "CHAT"}))
    use_date_header = (ctx.request.param("internalDateSource") or "receivedTime") == "dateHeader"
    msg = mb.add_message(raw, labels, thread_id=meta.get("threadId"), use_date_header=use_date_header)
    return msg.ref()


@method("messages.send")
def messages_send(ctx: Ctx) -> dict[str, Any]:
    return _store(ctx, send=True)


@method("messages.insert")
def messages_insert(ctx: Ctx) -> dict[str, Any]:
    return _store(ctx, send=False)


@method("messages.import")
def messages_import(ctx: Ctx) -> dict[str, Any]:
    return _store(ctx, send=False)
