"""Media uploads (`/upload/gmail/v1/users/{userId}/messages[/send|/import]`) as the client sends them:
uploadType=media (the body is the message), multipart (multipart/related: JSON metadata, then the
message) and resumable (a session URL, then PUTs with Content-Range; 308 until complete)."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .calls import ApiRequest, Reply, error_reply
from .errors import ApiError, bad_request, not_found
from .multipart import boundary_of, split_parts


@dataclass
class _Session:
    request: ApiRequest
    total: int | None
    data: bytearray = field(default_factory=bytearray)


class UploadSessions:
    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def start(self, req: ApiRequest, headers: dict[str, str], base_url: str, path: str) -> Reply:
        total = headers.get("x-upload-content-length")
        upload_id = uuid.uuid4().hex
        with self._lock:
            self._sessions[upload_id] = _Session(req, int(total) if total and total.isdigit() else None)
        query = {k: v[0] for k, v in req.query.items() if k != "uploadType"}
        location = f"{base_url}{path}?{urlencode({**query, 'uploadType': 'resumable', 'upload_id': upload_id})}"
        return Reply(200, b"", headers=[("Location", location), ("X-GUploader-UploadID", upload_id)])

    def put(
        self, upload_id: str, headers: dict[str, str], body: bytes, token: str | None
    ) -> tuple[ApiRequest | None, Reply | None]:
        """Append a chunk. Returns (the completed call to run, None) or (None, a 308/error answer).
        The call runs with the last chunk's token: the first one may have expired meanwhile."""
        with self._lock:
            session = self._sessions.get(upload_id)
            if session is None:
                return None, error_reply(not_found("Upload session not found"))
            content_range = headers.get("content-range", "")
            match = re.match(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", content_range)
            if content_range and not match:
                return None, error_reply(bad_request("Invalid Content-Range"))
            if match and match.group(3) != "*":
                session.total = int(match.group(3))
            if match and match.group(1) is not None:
                start = int(match.group(1))
                if start != len(session.data):
                    return None, self._incomplete(session)
                session.data += body
            elif not content_range:
                session.data += body
                session.total = len(session.data)
            if session.total is None or len(session.data) < session.total:
                return None, self._incomplete(session)
            del self._sessions[upload_id]
        req = session.request
        return ApiRequest(
            req.method, req.path_params, req.query, req.body, token or req.token, bytes(session.data)
        ), None

    @staticmethod
    def _incomplete(session: _Session) -> Reply:
        headers = [("Range", f"bytes=0-{len(session.data) - 1}")] if session.data else []
        return Reply(308, b"", headers=headers)


def parse_upload(req: ApiRequest, content_type: str) -> ApiRequest:
    """Turn a simple (media) or multipart upload into the API request with `media` set."""
    upload_type = req.param("uploadType") or "media"
    if upload_type == "media":
        return ApiRequest(req.method, req.path_params, req.query, b"", req.token, req.body)
    if upload_type == "multipart":
        parts = split_parts(req.body, boundary_of(content_type))
        if len(parts) != 2:
            raise ApiError(400, "Multipart upload needs exactly a metadata part and a media part", "badContent")
        (_, metadata), (_, media) = parts
        return ApiRequest(req.method, req.path_params, req.query, metadata, req.token, media)
    raise bad_request(f"Invalid uploadType: {upload_type}")
