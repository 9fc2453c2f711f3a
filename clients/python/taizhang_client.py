"""A small Python client for taizhangd, the Taizhang daemon.

It speaks the Taizhang wire protocol (docs/protocol.md): frames of a
uint32 big-endian length and a protobuf body carrying the taizhang.rpc.v1
Request/Response envelopes, over a Unix socket or TCP. It needs only the
`protobuf` package from PyPI: the message classes are built at run time from
`taizhang.desc`, the FileDescriptorSet of the project's proto/ files
(committed beside this file and kept current by scripts/generate).

    from taizhang_client import Client, Status
    with Client(unix="/run/taizhang/taizhang.sock") as client:
        GetAssetRequest = client.message("taizhang.ledger.v1.GetAssetRequest")
        try:
            asset = client.call("/taizhang.ledger.v1.Ledger/GetAsset", GetAssetRequest(id="ZC00000001"))
            print(asset.name, asset.original_value_fen)
        except Status as status:
            print(status.code_name, status.message, status.violations)

Over TCP off the machine, speak TLS: pass an `ssl.SSLContext` that trusts
the county's CA (and holds a client certificate when the daemon asks for
one), and a bearer token in each call's metadata:

    import ssl
    tls = ssl.create_default_context(cafile="county-ca.pem")
    with Client(host="ledger.county.example", port=7420, tls=tls) as client:
        client.call(method, request, metadata={"authorization": "Bearer " + token})

A Client is not thread-safe: use one per thread (they are cheap), or a lock.
"""

import os
import selectors
import socket
import ssl
import struct
import time

# What a non-blocking socket raises when it cannot go on now; a TLS socket
# may also need to read before it can write, or the reverse.
_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

from google.protobuf import descriptor_pb2, descriptor_pool

try:  # protobuf >= 4.21
    from google.protobuf.message_factory import GetMessageClass as _message_class
except ImportError:  # pragma: no cover - older protobuf
    from google.protobuf import message_factory as _factory_module

    _factory = _factory_module.MessageFactory()

    def _message_class(descriptor):
        return _factory.GetPrototype(descriptor)


DESCRIPTOR_SET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "taizhang.desc")
FRAME_MAX_BYTES = 64 * 1024 * 1024
PENDING_MAX_BYTES = 256 * 1024 * 1024

CODE_NAMES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
]


class Status(Exception):
    """A call ended with a non-OK status: its code, a message for a person,
    every bad field as (field, description), and the call's request-id."""

    def __init__(self, code, message, violations=(), request_id=""):
        self.code = code
        self.code_name = CODE_NAMES[code] if 0 <= code < len(CODE_NAMES) else "UNKNOWN_CODE"
        self.message = message
        self.violations = list(violations)
        self.request_id = request_id
        super().__init__("%s: %s" % (self.code_name, message))


class ProtocolError(Exception):
    """The server sent something that is not the protocol, or closed the
    connection in the middle of a frame; the client is closed."""


class Closed(Exception):
    """The connection is closed."""


class Timeout(Exception):
    """Nothing arrived in time; the call is still in flight."""


class _Schema:
    """The message classes of proto/, built once from taizhang.desc."""

    _shared = None

    def __init__(self, path):
        files = descriptor_pb2.FileDescriptorSet()
        with open(path, "rb") as handle:
            files.ParseFromString(handle.read())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self.classes = {}

    @classmethod
    def shared(cls):
        if cls._shared is None:
            cls._shared = _Schema(DESCRIPTOR_SET)
        return cls._shared

    def message(self, full_name):
        if full_name not in self.classes:
            self.classes[full_name] = _message_class(self.pool.FindMessageTypeByName(full_name))
        return self.classes[full_name]

    def method(self, method):
        """The descriptor of "/package.Service/Method"."""
        try:
            service, name = method.lstrip("/").split("/", 1)
            return self.pool.FindServiceByName(service).FindMethodByName(name)
        except (KeyError, ValueError):
            raise ValueError("unknown method %r (expected /<package>.<Service>/<Method>)" % method) from None


class Client:
    """A connection to taizhangd: `Client(unix=PATH)` or `Client(host=H, port=P)`,
    with `tls=ssl.SSLContext(...)` for TLS over TCP (`server_hostname`
    defaults to `host`)."""

    def __init__(self, unix=None, host=None, port=None, timeout=5.0, frame_max_bytes=FRAME_MAX_BYTES, tls=None,
                 server_hostname=None):
        self.schema = _Schema.shared()
        self.Request = self.schema.message("taizhang.rpc.v1.Request")
        self.Response = self.schema.message("taizhang.rpc.v1.Response")
        self.frame_max_bytes = frame_max_bytes
        self._next_call_id = 1
        self._buffer = bytearray()
        self._pending = {}
        self._pending_bytes = 0
        self._connection_status = None
        self._abandoned = set()
        self._error = None
        self._socket = None
        if tls is not None and unix:
            raise ValueError("TLS is for TCP; the Unix socket is local")
        try:
            if unix:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._socket.settimeout(timeout)
                self._socket.connect(unix)
            elif host and port is not None:
                self._socket = socket.create_connection((host, port), timeout=timeout)
                self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if tls is not None:
                    # The handshake happens here, within `timeout`; a daemon
                    # whose certificate the context does not trust is refused.
                    self._socket = tls.wrap_socket(self._socket, server_hostname=server_hostname or host)
            else:
                raise ValueError("Client needs unix=PATH or host= and port=")
        except OSError as error:
            self.close()
            raise Closed("cannot connect to %s: %s" % (unix or "%s:%s" % (host, port), error)) from error
        self._socket.settimeout(None)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._socket, selectors.EVENT_READ)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()

    def close(self):
        if self._socket is not None:
            if getattr(self, "_selector", None) is not None:
                self._selector.close()
                self._selector = None
            self._socket.close()
            self._socket = None

    def message(self, full_name):
        """The class of a proto message, e.g. message("taizhang.ledger.v1.Asset")."""
        return self.schema.message(full_name)

    # Calls

    def start(self, method, request, metadata=None, timeout_ms=0):
        """Sends a call without waiting; returns its call id (pipelining, streams)."""
        self.schema.method(method)
        self._check_open()
        envelope = self.Request(call_id=self._next_call_id, method=method, payload=request.SerializeToString(),
                                timeout_ms=timeout_ms)
        for key, value in (metadata or {}).items():
            envelope.metadata[key] = value
        self._send(envelope)
        self._next_call_id += 1
        return envelope.call_id

    def finish(self, call_id, method, wait=None):
        """The answer of a unary call started with start(): its response
        message, or Status raised. wait: seconds (None: no limit)."""
        output = self.message(self.schema.method(method).output_type.full_name)
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            response = self._next(call_id, None if deadline is None else max(0.0, deadline - time.monotonic()))
            if not response.end_of_stream and not response.HasField("status"):
                continue  # a stream item of a call finished as unary
            self._raise_status(response)
            return self._parse(output, response.payload)

    def call(self, method, request, metadata=None, timeout_ms=0):
        """A unary call: the response message, or Status raised."""
        call_id = self.start(method, request, metadata, timeout_ms)
        try:
            return self.finish(call_id, method, wait=(timeout_ms / 1000.0 + 1.0) if timeout_ms else None)
        except Timeout:
            # Nobody can finish this call now: cancel it and drop its answer.
            self._abandoned.add(call_id)
            self._pending_drop(call_id)
            self.cancel(call_id)
            raise

    def next_item(self, call_id, method, wait=None):
        """The next item of a server-streaming call started with start():
        the item, or None when the server ended the stream with OK; Status
        raised when it ended with an error (CANCELLED after cancel(),
        UNAVAILABLE on shutdown); Timeout when `wait` seconds pass first."""
        response = self._next(call_id, wait)
        self._raise_status(response)
        if response.end_of_stream:
            return None
        return self._parse(self.message(self.schema.method(method).output_type.full_name), response.payload)

    def stream(self, method, request, metadata=None, wait=None):
        """A server-streaming call as a generator of its items (see next_item)."""
        call_id = self.start(method, request, metadata)
        ended = False
        try:
            while True:
                item = self.next_item(call_id, method, wait)
                if item is None:
                    ended = True
                    return
                yield item
        except Status:
            ended = True
            raise
        finally:
            if not ended and self._socket is not None:
                # Left early (break, Timeout, garbage collection): stop the server's side too.
                self._abandoned.add(call_id)
                self._pending_drop(call_id)
                try:
                    self.cancel(call_id)
                except Closed:
                    pass

    def cancel(self, call_id):
        """Asks the server to cancel a call; its end still arrives (CANCELLED)."""
        self._check_open()
        self._send(self.Request(call_id=call_id, cancel=True))

    # Internals

    def _check_open(self):
        if self._connection_status is not None:
            raise Closed("the server ended the connection: %s" % self._connection_status)
        if self._socket is None:
            raise Closed(self._error or "the client is closed")

    def _fail(self, error, message):
        self._error = message
        self.close()
        raise error(message)

    def _send(self, envelope):
        body = envelope.SerializeToString()
        data = memoryview(struct.pack(">I", len(body)) + body)
        # While the server cannot take more (it stops reading a client that
        # does not read its answers), read and keep the answers that came:
        # starting many calls before finishing any must not deadlock.
        self._socket.setblocking(False)
        try:
            while data:
                try:
                    data = data[self._socket.send(data):]
                    continue
                except _WOULD_BLOCK:
                    pass
                self._selector.modify(self._socket, selectors.EVENT_READ | selectors.EVENT_WRITE)
                events = self._selector.select(None)
                self._selector.modify(self._socket, selectors.EVENT_READ)
                if any(mask & selectors.EVENT_READ and not mask & selectors.EVENT_WRITE for _, mask in events):
                    self._drain()
        except OSError as error:
            self._fail(Closed, "send: %s" % error)
        finally:
            if self._socket is not None:
                self._socket.setblocking(True)

    def _drain(self):
        """Reads and files every answer already on the socket, without waiting."""
        while True:
            try:
                response, size = self._read_frame(time.monotonic())
            except Timeout:
                return
            self._file(response, size)

    def _parse(self, message_class, payload):
        message = message_class()
        try:
            message.ParseFromString(payload)
        except Exception:  # DecodeError
            raise ProtocolError("the response payload is not a %s" % message_class.DESCRIPTOR.full_name) from None
        return message

    def _pending_drop(self, call_id):
        for _, size in self._pending.pop(call_id, []):
            self._pending_bytes -= size

    def _raise_status(self, response):
        if response.HasField("status") and response.status.code != 0:
            raise Status(response.status.code, response.status.message,
                         [(v.field, v.description) for v in response.status.violations],
                         response.metadata.get("request-id", ""))

    def _next(self, call_id, wait):
        """The next Response of `call_id`, from those kept or the socket."""
        kept = self._pending.get(call_id)
        if kept:
            response, size = kept.pop(0)
            self._pending_bytes -= size
            if not kept:
                del self._pending[call_id]
            return response
        if self._connection_status is not None:
            raise Status(self._connection_status.code, self._connection_status.message)
        if self._socket is None:
            raise Closed(self._error or "the client is closed")
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            response, size = self._read_frame(deadline)
            if response.call_id == call_id:
                return response
            self._file(response, size)

    def _file(self, response, size):
        """Keeps a response that is not the one being waited for."""
        if response.call_id == 0:
            # About the connection (an oversized frame, an unreadable request): every call ends.
            if not response.HasField("status") or response.status.code == 0:
                self._fail(ProtocolError, "the server sent a connection-level answer (call id 0) without an error")
            self._connection_status = Status(response.status.code, response.status.message)
            self.close()
            raise Status(response.status.code, response.status.message)
        if response.call_id in self._abandoned:
            if response.end_of_stream or response.HasField("status"):
                self._abandoned.discard(response.call_id)
            return
        if self._pending_bytes + size > PENDING_MAX_BYTES:
            self._fail(ProtocolError, "more than 256 MiB of answers wait for calls nobody finishes")
        self._pending.setdefault(response.call_id, []).append((response, size))
        self._pending_bytes += size

    def _read_frame(self, deadline):
        while True:
            if len(self._buffer) >= 4:
                (length,) = struct.unpack(">I", bytes(self._buffer[:4]))
                if length > self.frame_max_bytes:
                    self._fail(ProtocolError, "the server sent a frame of %d bytes, more than the client's limit of %d"
                               % (length, self.frame_max_bytes))
                if len(self._buffer) >= 4 + length:
                    body = bytes(self._buffer[4:4 + length])
                    del self._buffer[:4 + length]
                    response = self.Response()
                    try:
                        response.ParseFromString(body)
                    except Exception:  # DecodeError, or a RuntimeWarning-turned-error in some versions
                        self._fail(ProtocolError, "the server sent a frame that is not a taizhang.rpc.v1.Response")
                    return response, 4 + length
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            # A TLS socket may hold decrypted bytes the kernel no longer shows.
            buffered = isinstance(self._socket, ssl.SSLSocket) and self._socket.pending() > 0
            if not buffered and not self._selector.select(timeout):
                raise Timeout("nothing arrived in time; the call is still in flight")
            try:
                chunk = self._socket.recv(65536)
            except _WOULD_BLOCK:
                # Part of a TLS record (or a non-blocking read with nothing yet): wait again.
                if deadline is not None and time.monotonic() >= deadline:
                    raise Timeout("nothing arrived in time; the call is still in flight") from None
                continue
            except OSError as error:
                self._fail(Closed, "recv: %s" % error)
            if not chunk:
                if self._buffer:
                    self._fail(ProtocolError, "the server closed the connection in the middle of a frame")
                self._fail(Closed, "the server closed the connection")
            self._buffer += chunk
