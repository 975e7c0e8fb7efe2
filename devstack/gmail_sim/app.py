"""Which part of the simulator answers a request: Gmail REST, media uploads, batch, the OAuth endpoints
(consent page, token, revocation), or the /sim/v1 control API. Transport-free (the server hands in an
HttpRequest, writes out the Reply)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote_plus

from .batch import BatchPart, parse_batch, render_batch
from .calls import ApiRequest, Reply, error_reply, json_reply
from .consent import AUTH_PATHS, handle_consent
from .control import handle_control
from .errors import ApiError, bad_request, not_found
from .oauth import OAuthError
from .routes import UPLOAD_METHODS, route
from .simulator import GmailSimulator
from .uploads import UploadSessions, parse_upload

log = logging.getLogger(__name__)
BATCH_PATHS = ("/batch", "/batch/gmail/v1")
TOKEN_PATHS = ("/token", "/oauth2/v4/token", "/o/oauth2/token")
REVOKE_PATHS = ("/revoke", "/o/oauth2/revoke")


@dataclass
class HttpRequest:
    verb: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes
    base_url: str

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        values = self.query.get("access_token")
        return values[0] if values else None


class SimApp:
    def __init__(self, sim: GmailSimulator) -> None:
        self.sim = sim
        self.uploads = UploadSessions()

    def handle(self, r: HttpRequest) -> Reply:
        try:
            if r.path.startswith("/gmail/v1/"):
                return self._api(r)
            if r.path.startswith(("/upload/gmail/v1/", "/resumable/upload/gmail/v1/")):
                return self._upload(r)
            if r.path in BATCH_PATHS and r.verb == "POST":
                return self._batch(r)
            if r.path in TOKEN_PATHS and r.verb == "POST":
                return self._token(r)
            if r.path in REVOKE_PATHS and r.verb in ("GET", "POST"):
                return self._revoke(r)
            if r.path in AUTH_PATHS and r.verb in ("GET", "POST"):
                return handle_consent(self.sim, r.verb, r.path, r.query, r.body)
            if r.path.startswith("/sim/v1"):
                return handle_control(self.sim, r.verb, r.path, ApiRequest("control", {}, r.query, r.body))
            return error_reply(not_found(f"No such endpoint: {r.verb} {r.path}"))
        except ApiError as error:
            return error_reply(error)
        except Exception:
            log.exception("simulator failed on %s %s", r.verb, r.path)
            return error_reply(ApiError(500, "Internal error encountered.", "backendError"))

    # ---- Gmail REST -----------------------------------------------------------------------------------------
    def _api(self, r: HttpRequest) -> Reply:
        found = route(r.verb, r.path)
        if found is None:
            return error_reply(not_found(f"No such method: {r.verb} {r.path}"))
        name, params = found
        return self.sim.handle_api(ApiRequest(name, params, r.query, r.body, r.token))

    def _upload(self, r: HttpRequest) -> Reply:
        api_path = r.path[len("/resumable") :] if r.path.startswith("/resumable") else r.path
        api_path = api_path[len("/upload") :]
        upload_id = (r.query.get("upload_id") or [None])[0]
        if r.verb == "PUT" and upload_id:
            completed, answer = self.uploads.put(upload_id, r.headers, r.body, r.token)
            return answer if completed is None else self.sim.handle_api(completed)
        found = route(r.verb, api_path)
        if found is None or found[0] not in UPLOAD_METHODS:
            return error_reply(not_found(f"No such upload method: {r.verb} {r.path}"))
        name, params = found
        req = ApiRequest(name, params, r.query, r.body, r.token)
        if (req.param("uploadType") or "") == "resumable":
            self.sim.authenticate(r.token)
            return self.uploads.start(req, r.headers, r.base_url, r.path)
        return self.sim.handle_api(parse_upload(req, r.headers.get("content-type", "")))

    # ---- batch ----------------------------------------------------------------------------------------------
    def _batch(self, r: HttpRequest) -> Reply:
        parts = parse_batch(r.body, r.headers.get("content-type", ""))
        if len(parts) > self.sim.config.max_batch_parts:
            raise bad_request(f"Too many requests in batch: at most {self.sim.config.max_batch_parts}")
        account = self._batch_account(r.token, [p.token for p in parts])
        if account is None:
            answers = [(p.content_id, self._batch_part(p, r.token)) for p in parts]
        else:
            with self.sim.gate.slot(account):
                self.sim.note_batch(account)
                fault = self.sim.faults.take("batch", account)
                if fault is not None:
                    return error_reply(fault)
                self.sim.sleep_latency("batch")
                answers = [(p.content_id, self._batch_part(p, r.token)) for p in parts]
        content_type, body = render_batch(answers)
        return Reply(200, body, content_type)

    def _batch_account(self, outer: str | None, inner: list[str | None]) -> str | None:
        """Whose in-flight slot a batch takes: the outer token's account, else the first part's."""
        for token in (outer, *inner):
            try:
                return self.sim.authenticate(token)
            except ApiError:
                continue
        return None

    def _batch_part(self, part: BatchPart, outer_token: str | None) -> Reply:
        found = route(part.verb, part.path)
        if found is None:
            return error_reply(not_found(f"No such method: {part.verb} {part.path}"))
        name, params = found
        try:
            address = self.sim.authenticate(part.token or outer_token)
        except ApiError as error:
            return error_reply(error)
        return self.sim.call(address, ApiRequest(name, params, part.query, part.body, part.token or outer_token))

    # ---- OAuth ----------------------------------------------------------------------------------------------
    @staticmethod
    def _form(r: HttpRequest) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(r.body.decode("utf-8", "replace"), keep_blank_values=True).items()}

    def _token(self, r: HttpRequest) -> Reply:
        form = self._form(r)
        basic = _basic_auth(r.headers.get("authorization", ""))
        if basic is not None:
            # client_secret_basic: requests-oauthlib (google-auth-oauthlib's Flow) sends the client this way.
            if form.get("client_id", basic[0]) != basic[0]:
                return json_reply({"error": "invalid_request", "error_description": "client_id mismatch"}, 400)
            form["client_id"], form["client_secret"] = self._basic_client(basic)
        address = self.sim.tokens.address_of_refresh(form.get("refresh_token", "")) or ""
        fault = self.sim.faults.take("token", address)
        if fault is not None:
            body = {"error": fault.reason or "internal_failure", "error_description": fault.message}
            return Reply(fault.status, json.dumps(body).encode())
        try:
            return json_reply(self.sim.tokens.token_endpoint(form))
        except OAuthError as error:
            return json_reply(error.body, error.status)

    def _basic_client(self, basic: tuple[str, str]) -> tuple[str, str]:
        """RFC 6749 form-encodes id and secret before Basic; requests' HTTPBasicAuth does not. Take either."""
        if self.sim.tokens.clients().get(basic[0]) == basic[1]:
            return basic
        return unquote_plus(basic[0]), unquote_plus(basic[1])

    def _revoke(self, r: HttpRequest) -> Reply:
        """https://oauth2.googleapis.com/revoke: ?token= or form token=; 200 {} or 400 invalid_token."""
        token = self._form(r).get("token") or (r.query.get("token") or [""])[0]
        try:
            self.sim.tokens.revoke_token(token)
        except OAuthError as error:
            return json_reply(error.body, error.status)
        return json_reply({})


def _basic_auth(header: str) -> tuple[str, str] | None:
    """(client_id, client_secret) of an HTTP Basic header, as sent."""
    if header[:6].lower() != "basic ":
        return None
    try:
        user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None
