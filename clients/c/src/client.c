/*
 * The Taizhang C client: framing (uint32 big-endian length + protobuf
 * body), the taizhang.rpc.v1 envelope, call ids and pipelining, metadata,
 * server streaming, timeouts with poll(2). See include/taizhang/client.h.
 */
#define _GNU_SOURCE
#include "taizhang/client.h"
#include "taizhang/rpc/v1/envelope.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A response kept for a call that was not being waited for when it arrived. */
typedef struct tz_pending {
    Taizhang__Rpc__V1__Response *response;
    size_t bytes;
    struct tz_pending *next;
} tz_pending;

/* At most this many bytes of responses wait for their callers. */
#define TZ_PENDING_MAX_BYTES (256u * 1024u * 1024u)

struct tz_client {
    int fd;
    uint64_t next_call_id;
    uint32_t frame_max_bytes;
    /* Bytes read and not yet taken: buffer[buffer_start ..< buffer_used]. */
    uint8_t *buffer;
    size_t buffer_start;
    size_t buffer_used;
    size_t buffer_capacity;
    tz_pending *pending;
    tz_pending *pending_tail;
    size_t pending_bytes;
    /* A connection-level answer (call_id 0) ends every call. */
    tz_status connection_status;
    /* Calls nobody will finish (a tz_call that timed out): their answers are dropped. */
    uint64_t *abandoned;
    size_t n_abandoned, abandoned_capacity;
    int failed; /* a tz_result < 0 once the connection is unusable */
    char error[512];
};

static const char *code_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

const char *tz_code_name(int code) {
    if (code >= 0 && (size_t)code < sizeof code_names / sizeof code_names[0]) return code_names[code];
    return "UNKNOWN_CODE";
}

const char *tz_result_name(tz_result result) {
    switch (result) {
    case TZ_OK: return "TZ_OK";
    case TZ_STATUS: return "TZ_STATUS";
    case TZ_END_OF_STREAM: return "TZ_END_OF_STREAM";
    case TZ_ERR_ARGUMENT: return "TZ_ERR_ARGUMENT";
    case TZ_ERR_NOMEM: return "TZ_ERR_NOMEM";
    case TZ_ERR_CONNECT: return "TZ_ERR_CONNECT";
    case TZ_ERR_IO: return "TZ_ERR_IO";
    case TZ_ERR_TIMEOUT: return "TZ_ERR_TIMEOUT";
    case TZ_ERR_CLOSED: return "TZ_ERR_CLOSED";
    case TZ_ERR_PROTOCOL: return "TZ_ERR_PROTOCOL";
    case TZ_ERR_DECODE: return "TZ_ERR_DECODE";
    }
    return "TZ_UNKNOWN_RESULT";
}

void tz_status_clear(tz_status *status) {
    if (!status) return;
    free(status->message);
    for (size_t i = 0; i < status->n_violations; i++) {
        free(status->violations[i].field);
        free(status->violations[i].description);
    }
    free(status->violations);
    free(status->request_id);
    memset(status, 0, sizeof *status);
}

const char *tz_last_error(const tz_client *client) {
    return client ? client->error : "no client";
}

static void set_error(tz_client *client, const char *what, int error_number) {
    char text[128];
    if (error_number)
        snprintf(client->error, sizeof client->error, "%s: %s", what, strerror_r(error_number, text, sizeof text));
    else
        snprintf(client->error, sizeof client->error, "%s", what);
}

/* Marks the connection unusable with `result` and returns it. */
static tz_result fail(tz_client *client, tz_result result) {
    if (!client->failed) client->failed = result;
    if (client->fd >= 0) {
        close(client->fd);
        client->fd = -1;
    }
    return result;
}

static int64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Milliseconds left until `deadline` (-1: none) for poll. */
static int remaining(int64_t deadline) {
    if (deadline < 0) return -1;
    int64_t left = deadline - now_ms();
    return left < 0 ? 0 : (left > 0x7fffffff ? 0x7fffffff : (int)left);
}

static tz_client *new_client(int fd) {
    tz_client *client = calloc(1, sizeof *client);
    if (!client) return NULL;
    client->fd = fd;
    client->next_call_id = 1;
    client->frame_max_bytes = TZ_FRAME_MAX_BYTES_DEFAULT;
    return client;
}

/* Connects `fd` to `address` within `timeout_ms` (0: no limit). */
static int connect_within(int fd, const struct sockaddr *address, socklen_t length, int timeout_ms, int *error_number) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) { *error_number = errno; return -1; }
    int result = connect(fd, address, length);
    if (result < 0 && errno != EINPROGRESS && errno != EAGAIN) { *error_number = errno; return -1; }
    if (result < 0) {
        struct pollfd poller = { .fd = fd, .events = POLLOUT };
        int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
        for (;;) {
            int ready = poll(&poller, 1, remaining(deadline));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) { *error_number = errno; return -1; }
            if (ready == 0) { *error_number = ETIMEDOUT; return -1; }
            break;
        }
        int socket_error = 0;
        socklen_t size = sizeof socket_error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &size) < 0) { *error_number = errno; return -1; }
        if (socket_error) { *error_number = socket_error; return -1; }
    }
    /* Blocking from here on: every wait goes through poll with its own deadline. */
    if (fcntl(fd, F_SETFL, flags) < 0) { *error_number = errno; return -1; }
    return 0;
}

tz_result tz_connect_unix(const char *path, int timeout_ms, tz_client **client) {
    if (!path || !client) return TZ_ERR_ARGUMENT;
    *client = NULL;
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address.sun_path) return TZ_ERR_ARGUMENT;
    strcpy(address.sun_path, path);
    tz_client *made = new_client(-1);
    if (!made) return TZ_ERR_NOMEM;
    *client = made; /* also on failure, so tz_last_error can say why; tz_close frees it */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_error(made, "socket", errno);
        made->failed = TZ_ERR_CONNECT;
        return TZ_ERR_CONNECT;
    }
    made->fd = fd;
    /* A blocking connect bounded by SO_SNDTIMEO: on a Unix socket whose
     * backlog is full a non-blocking connect fails with EAGAIN at once,
     * while a blocking one waits for room, up to the timeout. */
    if (timeout_ms > 0) {
        struct timeval limit = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    }
    int connected;
    do { connected = connect(fd, (struct sockaddr *)&address, sizeof address); } while (connected < 0 && errno == EINTR);
    if (connected < 0) {
        int error_number = errno;
        set_error(made, path, error_number == EAGAIN || error_number == EINPROGRESS ? ETIMEDOUT : error_number);
        fail(made, TZ_ERR_CONNECT);
        return TZ_ERR_CONNECT;
    }
    struct timeval none = { 0, 0 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
    return TZ_OK;
}

tz_result tz_connect_tcp(const char *host, uint16_t port, int timeout_ms, tz_client **client) {
    if (!host || !client) return TZ_ERR_ARGUMENT;
    *client = NULL;
    tz_client *made = new_client(-1);
    if (!made) return TZ_ERR_NOMEM;
    *client = made;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints, *addresses = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int resolved = getaddrinfo(host, service, &hints, &addresses);
    if (resolved != 0) {
        snprintf(made->error, sizeof made->error, "%s: %s", host, gai_strerror(resolved));
        made->failed = TZ_ERR_CONNECT;
        return TZ_ERR_CONNECT;
    }
    int error_number = ECONNREFUSED;
    /* One deadline for every address (name resolution itself is not bounded). */
    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
    for (struct addrinfo *address = addresses; address; address = address->ai_next) {
        int left = deadline < 0 ? 0 : remaining(deadline);
        if (deadline >= 0 && left == 0) { error_number = ETIMEDOUT; break; }
        int fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
        if (fd < 0) { error_number = errno; continue; }
        if (connect_within(fd, address->ai_addr, address->ai_addrlen, left, &error_number) == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            made->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(addresses);
    if (made->fd < 0) {
        char what[300];
        snprintf(what, sizeof what, "%s:%u", host, (unsigned)port);
        set_error(made, what, error_number);
        made->failed = TZ_ERR_CONNECT;
        return TZ_ERR_CONNECT;
    }
    return TZ_OK;
}

void tz_set_frame_max_bytes(tz_client *client, uint32_t frame_max_bytes) {
    /* At most 1 GiB, so 4 + length fits any size_t. */
    if (client && frame_max_bytes > 0) client->frame_max_bytes = frame_max_bytes > (1u << 30) ? (1u << 30) : frame_max_bytes;
}

void tz_close(tz_client *client) {
    if (!client) return;
    if (client->fd >= 0) close(client->fd);
    tz_pending *pending = client->pending;
    while (pending) {
        tz_pending *next = pending->next;
        taizhang__rpc__v1__response__free_unpacked(pending->response, NULL);
        free(pending);
        pending = next;
    }
    tz_status_clear(&client->connection_status);
    free(client->abandoned);
    free(client->buffer);
    free(client);
}

static tz_result drain_readable(tz_client *client);

/* Writes all of `bytes` before `deadline`. While the server cannot take
 * more (it stops reading a client that does not read its answers), the
 * answers that arrived are read and kept, so pipelining never deadlocks. */
static tz_result write_all(tz_client *client, const uint8_t *bytes, size_t length, int64_t deadline) {
    size_t written = 0;
    while (written < length) {
        struct pollfd poller = { .fd = client->fd, .events = POLLOUT | POLLIN };
        int ready = poll(&poller, 1, remaining(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) { set_error(client, "poll", errno); return fail(client, TZ_ERR_IO); }
        if (ready == 0) {
            /* Part of a frame may be on the wire: the connection cannot be used again. */
            set_error(client, "the server did not take the request in time; the client is closed", 0);
            fail(client, TZ_ERR_CLOSED);
            return TZ_ERR_TIMEOUT;
        }
        if (!(poller.revents & POLLOUT) && (poller.revents & POLLIN)) {
            tz_result drained = drain_readable(client);
            if (drained != TZ_OK) return drained;
            if (client->failed) return TZ_ERR_CLOSED;
            continue;
        }
        ssize_t sent = send(client->fd, bytes + written, length - written, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (sent < 0) {
            set_error(client, "send", errno);
            return fail(client, errno == EPIPE || errno == ECONNRESET ? TZ_ERR_CLOSED : TZ_ERR_IO);
        }
        written += (size_t)sent;
    }
    return TZ_OK;
}

static tz_result send_request(tz_client *client, Taizhang__Rpc__V1__Request *request, int64_t deadline) {
    size_t size = taizhang__rpc__v1__request__get_packed_size(request);
    if (size > 0xffffffffu) return TZ_ERR_ARGUMENT;
    uint8_t *frame = malloc(4 + size);
    if (!frame) return TZ_ERR_NOMEM;
    frame[0] = (uint8_t)(size >> 24);
    frame[1] = (uint8_t)(size >> 16);
    frame[2] = (uint8_t)(size >> 8);
    frame[3] = (uint8_t)size;
    taizhang__rpc__v1__request__pack(request, frame + 4);
    tz_result result = write_all(client, frame, 4 + size, deadline);
    free(frame);
    return result;
}

tz_result tz_start(tz_client *client, const char *method, const ProtobufCMessage *message,
                   const tz_metadata *metadata, size_t n_metadata, uint32_t timeout_ms, uint64_t *call_id) {
    if (!client || !method || !message || !call_id || (n_metadata && !metadata)) return TZ_ERR_ARGUMENT;
    if (client->failed) return client->failed == TZ_ERR_CONNECT ? TZ_ERR_CLOSED : client->failed;
    Taizhang__Rpc__V1__Request request = TAIZHANG__RPC__V1__REQUEST__INIT;
    request.call_id = client->next_call_id;
    request.method = (char *)method;
    request.timeout_ms = timeout_ms;
    size_t payload_size = protobuf_c_message_get_packed_size(message);
    uint8_t *payload = malloc(payload_size ? payload_size : 1);
    if (!payload) return TZ_ERR_NOMEM;
    protobuf_c_message_pack(message, payload);
    request.payload.data = payload;
    request.payload.len = payload_size;
    Taizhang__Rpc__V1__Request__MetadataEntry *entries = NULL, **pointers = NULL;
    if (n_metadata) {
        entries = calloc(n_metadata, sizeof *entries);
        pointers = calloc(n_metadata, sizeof *pointers);
        if (!entries || !pointers) { free(entries); free(pointers); free(payload); return TZ_ERR_NOMEM; }
        for (size_t i = 0; i < n_metadata; i++) {
            if (!metadata[i].key || !metadata[i].value) { free(entries); free(pointers); free(payload); return TZ_ERR_ARGUMENT; }
            taizhang__rpc__v1__request__metadata_entry__init(&entries[i]);
            entries[i].key = (char *)metadata[i].key;
            entries[i].value = (char *)metadata[i].value;
            pointers[i] = &entries[i];
        }
        request.n_metadata = n_metadata;
        request.metadata = pointers;
    }
    int64_t deadline = timeout_ms ? now_ms() + timeout_ms : -1;
    tz_result result = send_request(client, &request, deadline);
    free(entries);
    free(pointers);
    free(payload);
    if (result != TZ_OK) return result;
    *call_id = client->next_call_id++;
    return TZ_OK;
}

tz_result tz_cancel(tz_client *client, uint64_t call_id) {
    if (!client || call_id == 0) return TZ_ERR_ARGUMENT;
    if (client->failed) return client->failed == TZ_ERR_CONNECT ? TZ_ERR_CLOSED : client->failed;
    Taizhang__Rpc__V1__Request request = TAIZHANG__RPC__V1__REQUEST__INIT;
    request.call_id = call_id;
    request.cancel = 1;
    request.method = "";
    return send_request(client, &request, now_ms() + 5000);
}

/* Copies a status from the wire into `status`. */
static tz_result copy_status(const Taizhang__Rpc__V1__Response *response, tz_status *status) {
    tz_status_clear(status);
    const Taizhang__Rpc__V1__Status *wire = response->status;
    status->code = wire ? (int)wire->code : 0;
    status->message = strdup(wire && wire->message ? wire->message : "");
    if (!status->message) return TZ_ERR_NOMEM;
    for (size_t i = 0; i < response->n_metadata; i++) {
        if (!status->request_id && response->metadata[i]->key && strcmp(response->metadata[i]->key, "request-id") == 0 && response->metadata[i]->value) {
            status->request_id = strdup(response->metadata[i]->value);
            if (!status->request_id) return TZ_ERR_NOMEM;
        }
    }
    if (wire && wire->n_violations) {
        status->violations = calloc(wire->n_violations, sizeof *status->violations);
        if (!status->violations) return TZ_ERR_NOMEM;
        for (size_t i = 0; i < wire->n_violations; i++) {
            status->violations[i].field = strdup(wire->violations[i]->field ? wire->violations[i]->field : "");
            status->violations[i].description = strdup(wire->violations[i]->description ? wire->violations[i]->description : "");
            status->n_violations = i + 1;
            if (!status->violations[i].field || !status->violations[i].description) return TZ_ERR_NOMEM;
        }
    }
    return TZ_STATUS;
}

/* The receive buffer: 64 KiB to start; grown as a large frame's bytes
 * arrive (1 MiB at a time, not the whole announced length at once); shrunk
 * back once a large frame has been taken. */
#define TZ_BUFFER_INITIAL (64u * 1024u)
#define TZ_BUFFER_STEP (1024u * 1024u)

/* Makes room after the buffered bytes for a frame of `frame` bytes in all. */
static tz_result make_room(tz_client *client, size_t frame) {
    size_t held = client->buffer_used - client->buffer_start;
    if (client->buffer_start > 0 && (client->buffer_used == client->buffer_capacity || frame > client->buffer_capacity - client->buffer_start)) {
        memmove(client->buffer, client->buffer + client->buffer_start, held);
        client->buffer_start = 0;
        client->buffer_used = held;
    }
    if (client->buffer_used < client->buffer_capacity) return TZ_OK;
    size_t target = client->buffer_capacity ? client->buffer_capacity : TZ_BUFFER_INITIAL;
    if (held + 1 > target) target = held + TZ_BUFFER_STEP;
    if (frame > held && target > frame) target = frame > TZ_BUFFER_INITIAL ? frame : TZ_BUFFER_INITIAL;
    if (target <= client->buffer_capacity) target = client->buffer_capacity + TZ_BUFFER_STEP;
    uint8_t *grown = realloc(client->buffer, target);
    if (!grown) return fail(client, TZ_ERR_NOMEM);
    client->buffer = grown;
    client->buffer_capacity = target;
    return TZ_OK;
}

/* Reads until one whole frame is buffered, then decodes it into *response.
 * TZ_ERR_TIMEOUT leaves the partial frame buffered for the next read. */
static tz_result read_response(tz_client *client, int64_t deadline, Taizhang__Rpc__V1__Response **response, size_t *frame_bytes) {
    for (;;) {
        size_t held = client->buffer_used - client->buffer_start;
        size_t frame = 4;
        if (held >= 4) {
            const uint8_t *b = client->buffer + client->buffer_start;
            uint32_t length = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
            if (length > client->frame_max_bytes) {
                snprintf(client->error, sizeof client->error,
                         "the server sent a frame of %u bytes, more than the client's limit of %u", length, client->frame_max_bytes);
                return fail(client, TZ_ERR_PROTOCOL);
            }
            frame = 4 + (size_t)length;
            if (held >= frame) {
                Taizhang__Rpc__V1__Response *decoded = taizhang__rpc__v1__response__unpack(NULL, length, b + 4);
                client->buffer_start += frame;
                if (client->buffer_start == client->buffer_used) {
                    client->buffer_start = client->buffer_used = 0;
                    /* After a large frame, give the memory back. */
                    if (client->buffer_capacity > TZ_BUFFER_INITIAL) {
                        uint8_t *smaller = realloc(client->buffer, TZ_BUFFER_INITIAL);
                        if (smaller) { client->buffer = smaller; client->buffer_capacity = TZ_BUFFER_INITIAL; }
                    }
                }
                if (!decoded) {
                    set_error(client, "the server sent a frame that is not a taizhang.rpc.v1.Response", 0);
                    return fail(client, TZ_ERR_PROTOCOL);
                }
                *response = decoded;
                *frame_bytes = frame;
                return TZ_OK;
            }
        }
        tz_result room = make_room(client, frame);
        if (room != TZ_OK) return room;
        struct pollfd poller = { .fd = client->fd, .events = POLLIN };
        int ready = poll(&poller, 1, remaining(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) { set_error(client, "poll", errno); return fail(client, TZ_ERR_IO); }
        if (ready == 0) return TZ_ERR_TIMEOUT;
        ssize_t got = recv(client->fd, client->buffer + client->buffer_used, client->buffer_capacity - client->buffer_used, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) {
            set_error(client, "recv", errno);
            return fail(client, errno == ECONNRESET ? TZ_ERR_CLOSED : TZ_ERR_IO);
        }
        if (got == 0) {
            int partial = client->buffer_used > client->buffer_start;
            set_error(client, partial ? "the server closed the connection in the middle of a frame" : "the server closed the connection", 0);
            return fail(client, partial ? TZ_ERR_PROTOCOL : TZ_ERR_CLOSED);
        }
        client->buffer_used += (size_t)got;
    }
}

/* Takes the first kept response of `call_id`, if any. */
static Taizhang__Rpc__V1__Response *take_pending(tz_client *client, uint64_t call_id) {
    tz_pending *previous = NULL;
    for (tz_pending *pending = client->pending; pending; previous = pending, pending = pending->next) {
        if (pending->response->call_id != call_id) continue;
        if (previous) previous->next = pending->next; else client->pending = pending->next;
        if (client->pending_tail == pending) client->pending_tail = previous;
        client->pending_bytes -= pending->bytes;
        Taizhang__Rpc__V1__Response *response = pending->response;
        free(pending);
        return response;
    }
    return NULL;
}

static tz_result keep_pending(tz_client *client, Taizhang__Rpc__V1__Response *response, size_t bytes) {
    if (client->pending_bytes + bytes > TZ_PENDING_MAX_BYTES) {
        taizhang__rpc__v1__response__free_unpacked(response, NULL);
        set_error(client, "more than 256 MiB of responses wait for calls nobody finishes; finish or cancel calls", 0);
        return fail(client, TZ_ERR_PROTOCOL);
    }
    tz_pending *pending = malloc(sizeof *pending);
    if (!pending) { taizhang__rpc__v1__response__free_unpacked(response, NULL); return fail(client, TZ_ERR_NOMEM); }
    pending->response = response;
    pending->bytes = bytes;
    pending->next = NULL;
    if (client->pending_tail) client->pending_tail->next = pending; else client->pending = pending;
    client->pending_tail = pending;
    client->pending_bytes += bytes;
    return TZ_OK;
}

/* Whether answers of `call_id` are to be dropped; `forget` once its last came. */
static int abandoned(tz_client *client, uint64_t call_id, int forget) {
    for (size_t i = 0; i < client->n_abandoned; i++) {
        if (client->abandoned[i] != call_id) continue;
        if (forget) client->abandoned[i] = client->abandoned[--client->n_abandoned];
        return 1;
    }
    return 0;
}

static void abandon(tz_client *client, uint64_t call_id) {
    Taizhang__Rpc__V1__Response *kept;
    while ((kept = take_pending(client, call_id))) taizhang__rpc__v1__response__free_unpacked(kept, NULL);
    if (client->n_abandoned == client->abandoned_capacity) {
        size_t capacity = client->abandoned_capacity ? client->abandoned_capacity * 2 : 16;
        if (capacity > 65536) return; /* then its answers are kept until the pending cap */
        uint64_t *grown = realloc(client->abandoned, capacity * sizeof *grown);
        if (!grown) return;
        client->abandoned = grown;
        client->abandoned_capacity = capacity;
    }
    client->abandoned[client->n_abandoned++] = call_id;
}

/* Files a response that is not the one being waited for. */
static tz_result absorb(tz_client *client, Taizhang__Rpc__V1__Response *response, size_t bytes) {
    if (response->call_id == 0) {
        /* About the connection, not a call (an oversized frame, a request
         * that could not be read): no call can count on an answer any more,
         * so every call ends with it and the client closes. */
        if (!response->status || response->status->code == TAIZHANG__RPC__V1__CODE__OK) {
            taizhang__rpc__v1__response__free_unpacked(response, NULL);
            set_error(client, "the server sent a connection-level answer (call id 0) without an error", 0);
            return fail(client, TZ_ERR_PROTOCOL);
        }
        copy_status(response, &client->connection_status);
        taizhang__rpc__v1__response__free_unpacked(response, NULL);
        if (!client->connection_status.message) return fail(client, TZ_ERR_NOMEM);
        snprintf(client->error, sizeof client->error, "the server ended the connection: %s: %s",
                 tz_code_name(client->connection_status.code), client->connection_status.message);
        fail(client, TZ_ERR_CLOSED);
        return TZ_OK;
    }
    if (abandoned(client, response->call_id, response->end_of_stream || response->status)) {
        taizhang__rpc__v1__response__free_unpacked(response, NULL);
        return TZ_OK;
    }
    return keep_pending(client, response, bytes);
}

/* Reads and files every answer already on the socket, without waiting. */
static tz_result drain_readable(tz_client *client) {
    while (!client->failed) {
        Taizhang__Rpc__V1__Response *response = NULL;
        size_t bytes = 0;
        tz_result result = read_response(client, now_ms(), &response, &bytes);
        if (result == TZ_ERR_TIMEOUT) return TZ_OK;
        if (result != TZ_OK) return result;
        result = absorb(client, response, bytes);
        if (result != TZ_OK) return result;
    }
    return TZ_OK;
}

/* The next response of `call_id` before `deadline` (-1: none), from those
 * kept or from the socket. */
static tz_result next_response(tz_client *client, uint64_t call_id, int64_t deadline, Taizhang__Rpc__V1__Response **out, tz_status *status) {
    for (;;) {
        Taizhang__Rpc__V1__Response *kept = take_pending(client, call_id);
        if (kept) { *out = kept; return TZ_OK; }
        if (client->connection_status.message) {
            tz_status_clear(status);
            status->code = client->connection_status.code;
            status->message = strdup(client->connection_status.message);
            return status->message ? TZ_STATUS : TZ_ERR_NOMEM;
        }
        if (client->failed) return client->failed == TZ_ERR_CONNECT ? TZ_ERR_CLOSED : client->failed;
        Taizhang__Rpc__V1__Response *response = NULL;
        size_t bytes = 0;
        tz_result result = read_response(client, deadline, &response, &bytes);
        if (result != TZ_OK) return result;
        if (response->call_id == call_id) { *out = response; return TZ_OK; }
        result = absorb(client, response, bytes);
        if (result != TZ_OK) return result;
    }
}

/* Unpacks a payload as `type`. */
static tz_result unpack(tz_client *client, const ProtobufCMessageDescriptor *type, const ProtobufCBinaryData *payload, ProtobufCMessage **out) {
    ProtobufCMessage *message = protobuf_c_message_unpack(type, NULL, payload->len, payload->data);
    if (!message) {
        snprintf(client->error, sizeof client->error, "the response payload (%zu bytes) is not a %s", payload->len, type->name);
        return TZ_ERR_DECODE;
    }
    *out = message;
    return TZ_OK;
}

tz_result tz_finish(tz_client *client, uint64_t call_id, const ProtobufCMessageDescriptor *response_type,
                    int wait_ms, ProtobufCMessage **message, tz_status *status) {
    if (!client || !response_type || !message || !status || call_id == 0) return TZ_ERR_ARGUMENT;
    *message = NULL;
    int64_t deadline = wait_ms < 0 ? -1 : now_ms() + wait_ms;
    for (;;) {
        Taizhang__Rpc__V1__Response *response = NULL;
        tz_result result = next_response(client, call_id, deadline, &response, status);
        if (result != TZ_OK) return result;
        if (!response->end_of_stream && !response->status) {
            /* A stream item on a call finished as unary: skip it. */
            taizhang__rpc__v1__response__free_unpacked(response, NULL);
            continue;
        }
        if (response->status && response->status->code != TAIZHANG__RPC__V1__CODE__OK) {
            result = copy_status(response, status);
        } else {
            result = unpack(client, response_type, &response->payload, message);
        }
        taizhang__rpc__v1__response__free_unpacked(response, NULL);
        return result;
    }
}

tz_result tz_call(tz_client *client, const char *method, const ProtobufCMessage *request,
                  const ProtobufCMessageDescriptor *response_type, const tz_metadata *metadata,
                  size_t n_metadata, uint32_t timeout_ms, ProtobufCMessage **response, tz_status *status) {
    if (!response || !status || !response_type) return TZ_ERR_ARGUMENT;
    *response = NULL;
    uint64_t call_id = 0;
    tz_result result = tz_start(client, method, request, metadata, n_metadata, timeout_ms, &call_id);
    if (result != TZ_OK) return result;
    /* The server answers DEADLINE_EXCEEDED at the deadline; allow it a moment more to arrive. */
    int64_t wait = timeout_ms ? (int64_t)timeout_ms + 1000 : -1;
    result = tz_finish(client, call_id, response_type, wait > 0x7fffffff ? 0x7fffffff : (int)wait, response, status);
    if (result == TZ_ERR_TIMEOUT && !client->failed) {
        /* Nobody can finish this call now: cancel it and drop its answer when it comes. */
        abandon(client, call_id);
        tz_cancel(client, call_id);
    }
    return result;
}

tz_result tz_stream_next(tz_client *client, uint64_t call_id, const ProtobufCMessageDescriptor *item_type,
                         int wait_ms, ProtobufCMessage **item, tz_status *status) {
    if (!client || !item_type || !item || !status || call_id == 0) return TZ_ERR_ARGUMENT;
    *item = NULL;
    Taizhang__Rpc__V1__Response *response = NULL;
    tz_result result = next_response(client, call_id, wait_ms < 0 ? -1 : now_ms() + wait_ms, &response, status);
    if (result != TZ_OK) return result;
    if (response->status && response->status->code != TAIZHANG__RPC__V1__CODE__OK) {
        result = copy_status(response, status);
    } else if (response->end_of_stream) {
        result = TZ_END_OF_STREAM;
    } else {
        result = unpack(client, item_type, &response->payload, item);
    }
    taizhang__rpc__v1__response__free_unpacked(response, NULL);
    return result;
}
