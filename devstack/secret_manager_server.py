"""A local Secret Manager: Google's gRPC service, in memory, built on the official message types.

Google ships no Secret Manager emulator and the third-party ones fail with the official client, so this serves
`google.cloud.secretmanager.v1.SecretManagerService` itself: the client library talks to it exactly as to Google
(`SecretManagerServiceClient` over `grpc.insecure_channel`), and the adapter is tested for real. The package ships
proto-plus types but no generated servicer, so the methods are registered as generic handlers that (de)serialize
with those types.

Implemented: Create/Get/List/DeleteSecret; Add/Get/Access/List/Enable/Disable/DestroySecretVersion, with the
"latest" alias for Get and Access (the newest version, whatever its state, as Google resolves it). Status codes as
Google answers: ALREADY_EXISTS, NOT_FOUND (also "latest" of a secret without versions), FAILED_PRECONDITION (access
to a disabled or destroyed version, destroying or disabling a destroyed one), INVALID_ARGUMENT (bad names, no
replication, payload over 64 KiB, CRC32C mismatch). Not implemented: IAM, rotation, etags, update (UNIMPLEMENTED).
List filters: only `state:X` and `NOT state:X`. Versions are listed newest first.

    python -m devstack.secret_manager_server [--port N]   # prints `export SECRET_MANAGER_EMULATOR_HOST=...`
"""

from __future__ import annotations

import argparse
import re
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import google_crc32c
import grpc
from google.cloud.secretmanager_v1.types import resources, service
from google.protobuf import empty_pb2

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"
MAX_PAYLOAD_BYTES = 65536
_PROJECT = r"projects/(?P<project>[^/]+)"
_SECRET = _PROJECT + r"/secrets/(?P<secret>[^/]+)"
_VERSION = _SECRET + r"/versions/(?P<version>[^/]+)"
_SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_FILTER = re.compile(r"^\s*(?P<neg>NOT\s+|-)?state\s*[:=]\s*(?P<state>[A-Za-z_]+)\s*$", re.IGNORECASE)
State = resources.SecretVersion.State


class RpcError(Exception):
    """Ends the call with this status (raised anywhere inside a handler)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Version:
    number: int
    created: datetime
    state: int = State.ENABLED
    data: bytes = b""
    destroyed: datetime | None = None


@dataclass
class _Secret:
    name: str
    created: datetime
    replication: resources.Replication
    labels: dict[str, str]
    versions: list[_Version] = field(default_factory=list)  # oldest first; number = index + 1


def _now() -> datetime:
    return datetime.now(UTC)


def _match(pattern: str, name: str) -> re.Match[str]:
    found = re.fullmatch(pattern, name or "")
    if not found:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"malformed resource name: {name!r}")
    return found


class SecretManagerState:
    """Every project's secrets, in memory, behind one lock (handlers run on a thread pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, _Secret] = {}  # by full name, in creation order
        self.calls: dict[str, int] = {}  # method name → count, for tests that count round trips
        self._faults: list[tuple[str, grpc.StatusCode]] = []

    # ----------------------------------------------------------------- test controls

    def inject_faults(self, method: str, code: grpc.StatusCode, count: int = 1) -> None:
        """The next `count` calls of `method` (e.g. "AccessSecretVersion") fail with `code`."""
        with self._lock:
            self._faults.extend([(method, code)] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        with self._lock:
            self._secrets.clear()
            self.calls.clear()
            self._faults.clear()

    def _enter(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        for i, (name, code) in enumerate(self._faults):
            if name == method:
                del self._faults[i]
                raise RpcError(code, f"injected fault on {method}")

    # ----------------------------------------------------------------- resources

    def _secret(self, name: str) -> _Secret:
        _match(_SECRET, name)
        secret = self._secrets.get(name)
        if secret is None:
            raise RpcError(grpc.StatusCode.NOT_FOUND, f"Secret [{name}] not found.")
        return secret

    def _version(self, name: str, *, latest: bool) -> tuple[_Secret, _Version]:
        found = _match(_VERSION, name)
        secret_name = name.rsplit("/versions/", 1)[0]
        secret = self._secrets.get(secret_name)
        wanted = found["version"]
        if wanted == "latest" and latest:
            if secret is None or not secret.versions:
                raise RpcError(grpc.StatusCode.NOT_FOUND, f"Secret [{secret_name}] not found or has no versions.")
            return secret, secret.versions[-1]
        if not wanted.isdigit() or int(wanted) < 1:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid version id: {wanted!r}")
        if secret is None or int(wanted) > len(secret.versions):
            raise RpcError(grpc.StatusCode.NOT_FOUND, f"Secret Version [{name}] not found.")
        return secret, secret.versions[int(wanted) - 1]

    @staticmethod
    def _secret_message(secret: _Secret) -> resources.Secret:
        return resources.Secret(name=secret.name, replication=secret.replication, create_time=secret.created,
                                labels=secret.labels, etag=f'"{int(secret.created.timestamp() * 1e6):x}"')

    @staticmethod
    def _version_message(secret: _Secret, version: _Version) -> resources.SecretVersion:
        message = resources.SecretVersion(name=f"{secret.name}/versions/{version.number}", create_time=version.created,
                                          state=version.state, etag=f'"{version.number}-{int(version.state)}"')
        if version.destroyed is not None:
            message.destroy_time = version.destroyed
        return message

    # ----------------------------------------------------------------- secrets

    def create_secret(self, request: service.CreateSecretRequest) -> resources.Secret:
        _match(_PROJECT, request.parent)
        if not _SECRET_ID.match(request.secret_id):
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid secret id: {request.secret_id!r}")
        replication = request.secret.replication
        if "automatic" not in replication and "user_managed" not in replication:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "Secret.replication is required")
        name = f"{request.parent}/secrets/{request.secret_id}"
        with self._lock:
            self._enter("CreateSecret")
            if name in self._secrets:
                raise RpcError(grpc.StatusCode.ALREADY_EXISTS, f"Secret [{name}] already exists.")
            secret = _Secret(name, _now(), replication, dict(request.secret.labels))
            self._secrets[name] = secret
            return self._secret_message(secret)

    def get_secret(self, request: service.GetSecretRequest) -> resources.Secret:
        with self._lock:
            self._enter("GetSecret")
            return self._secret_message(self._secret(request.name))

    def delete_secret(self, request: service.DeleteSecretRequest) -> empty_pb2.Empty:
        with self._lock:
            self._enter("DeleteSecret")
            del self._secrets[self._secret(request.name).name]
            return empty_pb2.Empty()

    def list_secrets(self, request: service.ListSecretsRequest) -> service.ListSecretsResponse:
        _match(_PROJECT, request.parent)
        with self._lock:
            self._enter("ListSecrets")
            prefix = request.parent + "/secrets/"
            items = [self._secret_message(s) for name, s in self._secrets.items() if name.startswith(prefix)]
        page, token = _page(items, request.page_size, request.page_token)
        return service.ListSecretsResponse(secrets=page, next_page_token=token, total_size=len(items))

    # ----------------------------------------------------------------- versions

    def add_secret_version(self, request: service.AddSecretVersionRequest) -> resources.SecretVersion:
        payload = request.payload
        if len(payload.data) > MAX_PAYLOAD_BYTES:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
        if "data_crc32c" in payload and payload.data_crc32c != google_crc32c.value(payload.data):
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "payload checksum (data_crc32c) does not match")
        with self._lock:
            self._enter("AddSecretVersion")
            secret = self._secret(request.parent)
            version = _Version(len(secret.versions) + 1, _now(), data=bytes(payload.data))
            secret.versions.append(version)
            return self._version_message(secret, version)

    def get_secret_version(self, request: service.GetSecretVersionRequest) -> resources.SecretVersion:
        with self._lock:
            self._enter("GetSecretVersion")
            return self._version_message(*self._version(request.name, latest=True))

    def access_secret_version(self, request: service.AccessSecretVersionRequest) -> service.AccessSecretVersionResponse:
        with self._lock:
            self._enter("AccessSecretVersion")
            secret, version = self._version(request.name, latest=True)
            if version.state != State.ENABLED:
                raise RpcError(grpc.StatusCode.FAILED_PRECONDITION,
                               f"Secret Version [{secret.name}/versions/{version.number}] is in "
                               f"{State(version.state).name} state.")
            data = version.data
        return service.AccessSecretVersionResponse(
            name=f"{secret.name}/versions/{version.number}",
            payload=resources.SecretPayload(data=data, data_crc32c=google_crc32c.value(data)),
        )

    def list_secret_versions(self, request: service.ListSecretVersionsRequest) -> service.ListSecretVersionsResponse:
        wanted = _state_filter(request.filter)
        with self._lock:
            self._enter("ListSecretVersions")
            secret = self._secret(request.parent)
            items = [self._version_message(secret, v) for v in reversed(secret.versions) if wanted(v.state)]
        page, token = _page(items, request.page_size, request.page_token)
        return service.ListSecretVersionsResponse(versions=page, next_page_token=token, total_size=len(items))

    def _set_state(self, method: str, name: str, state: int) -> resources.SecretVersion:
        with self._lock:
            self._enter(method)
            secret, version = self._version(name, latest=False)
            if version.state == State.DESTROYED:
                raise RpcError(grpc.StatusCode.FAILED_PRECONDITION,
                               f"Secret Version [{name}] is in DESTROYED state.")
            version.state = state
            if state == State.DESTROYED:
                version.data = b""
                version.destroyed = _now()
            return self._version_message(secret, version)

    def enable_secret_version(self, request: service.EnableSecretVersionRequest) -> resources.SecretVersion:
        return self._set_state("EnableSecretVersion", request.name, State.ENABLED)

    def disable_secret_version(self, request: service.DisableSecretVersionRequest) -> resources.SecretVersion:
        return self._set_state("DisableSecretVersion", request.name, State.DISABLED)

    def destroy_secret_version(self, request: service.DestroySecretVersionRequest) -> resources.SecretVersion:
        return self._set_state("DestroySecretVersion", request.name, State.DESTROYED)


def _page(items: list[Any], page_size: int, page_token: str) -> tuple[list[Any], str]:
    if page_token and not page_token.isdigit():
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid page token: {page_token!r}")
    start = int(page_token or 0)
    size = page_size if page_size > 0 else 25000
    end = start + size
    return items[start:end], (str(end) if end < len(items) else "")


def _state_filter(text: str) -> Callable[[int], bool]:
    if not text.strip():
        return lambda state: True
    found = _FILTER.match(text)
    if not found or found["state"].upper() not in State.__members__:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"filter not supported by this local server: {text!r}")
    target, negate = State[found["state"].upper()], bool(found["neg"])
    return lambda state: (state == target) != negate


# --------------------------------------------------------------------------- the gRPC server

_METHODS: dict[str, tuple[str, Any, Any]] = {
    # RPC name: (state method, request type, response type)
    "CreateSecret": ("create_secret", service.CreateSecretRequest, resources.Secret),
    "GetSecret": ("get_secret", service.GetSecretRequest, resources.Secret),
    "DeleteSecret": ("delete_secret", service.DeleteSecretRequest, None),
    "ListSecrets": ("list_secrets", service.ListSecretsRequest, service.ListSecretsResponse),
    "AddSecretVersion": ("add_secret_version", service.AddSecretVersionRequest, resources.SecretVersion),
    "GetSecretVersion": ("get_secret_version", service.GetSecretVersionRequest, resources.SecretVersion),
    "AccessSecretVersion": ("access_secret_version", service.AccessSecretVersionRequest,
                            service.AccessSecretVersionResponse),
    "ListSecretVersions": ("list_secret_versions", service.ListSecretVersionsRequest,
                           service.ListSecretVersionsResponse),
    "EnableSecretVersion": ("enable_secret_version", service.EnableSecretVersionRequest, resources.SecretVersion),
    "DisableSecretVersion": ("disable_secret_version", service.DisableSecretVersionRequest, resources.SecretVersion),
    "DestroySecretVersion": ("destroy_secret_version", service.DestroySecretVersionRequest, resources.SecretVersion),
}


def _handler(state: SecretManagerState, method: str, request_type: Any, response_type: Any) -> grpc.RpcMethodHandler:
    call = getattr(state, method)

    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return call(request)
        except RpcError as exc:
            context.abort(exc.code, exc.message)

    serialize = response_type.serialize if response_type is not None else empty_pb2.Empty.SerializeToString
    return grpc.unary_unary_rpc_method_handler(handle, request_deserializer=request_type.deserialize,
                                               response_serializer=serialize)


class SecretManagerServer:
    """The service on `host:port` (port 0: a free one). `with SecretManagerServer() as server:` starts and stops
    it; `server.host` is what SECRET_MANAGER_EMULATOR_HOST and grpc.insecure_channel want."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, workers: int = 16) -> None:
        self.state = SecretManagerState()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secretmanager"))
        handlers = {rpc: _handler(self.state, *spec) for rpc, spec in _METHODS.items()}
        self._server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            raise OSError(f"cannot listen on {host}:{port}")
        self.host = f"{host}:{self.port}"

    def start(self) -> SecretManagerServer:
        self._server.start()
        return self

    def stop(self, grace: float = 0.5) -> None:
        self._server.stop(grace).wait()

    def __enter__(self) -> SecretManagerServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; print the export line a shell (or GT_SECRETS=secretmanager) needs."""
    parser = argparse.ArgumentParser(prog="python -m devstack.secret_manager_server", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with SecretManagerServer(args.host, args.port) as server:
        print(f"export SECRET_MANAGER_EMULATOR_HOST={server.host}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
