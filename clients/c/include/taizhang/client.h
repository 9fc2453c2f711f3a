/*
 * taizhang/client.h: a small C client for the Taizhang daemon (taizhangd).
 *
 * It speaks the Taizhang wire protocol (docs/protocol.md): length-prefixed
 * protobuf frames carrying taizhang.rpc.v1.Request / Response envelopes, on
 * a Unix socket or TCP. Messages are protobuf-c messages generated from the
 * project's proto/ files (taizhang/ledger/v1/ledger.pb-c.h and the others,
 * installed beside this header).
 *
 * A unary call:
 *
 *     tz_client *client;
 *     if (tz_connect_unix("/run/taizhang/taizhang.sock", 5000, &client) != TZ_OK) {
 *         fprintf(stderr, "%s\n", tz_last_error(client));
 *         tz_close(client);
 *         return 1;
 *     }
 *     Taizhang__Ledger__V1__GetAssetRequest request = TAIZHANG__LEDGER__V1__GET_ASSET_REQUEST__INIT;
 *     request.id = "ZC00000001";
 *     ProtobufCMessage *response = NULL;
 *     tz_status status = TZ_STATUS_INIT;
 *     tz_result result = tz_call(client, "/taizhang.ledger.v1.Ledger/GetAsset", &request.base,
 *                                &taizhang__ledger__v1__asset__descriptor, NULL, 0, 5000, &response, &status);
 *     if (result == TZ_OK) { ... ((Taizhang__Ledger__V1__Asset *)response)->name ...;
 *                            protobuf_c_message_free_unpacked(response, NULL); }
 *     else if (result == TZ_STATUS) { printf("%s: %s\n", tz_code_name(status.code), status.message); }
 *     tz_status_clear(&status);
 *     tz_close(client);
 *
 * Thread safety: a tz_client is not thread-safe. Use one client per thread,
 * or guard each client with a mutex; different clients are independent.
 * The library keeps no global state and installs no signal handlers (it
 * writes with MSG_NOSIGNAL, so a closed peer never raises SIGPIPE).
 *
 * Memory: every message the library returns is the caller's, freed with
 * protobuf_c_message_free_unpacked(message, NULL). A tz_status starts as
 * TZ_STATUS_INIT, is filled on TZ_STATUS (and left alone on TZ_OK), may be
 * reused, and is cleared with tz_status_clear. The library never aborts on what a server sends:
 * a malformed or oversized frame, or a connection closed in the middle of a
 * frame, is an error result and the client is closed for further calls.
 */
#ifndef TAIZHANG_CLIENT_H
#define TAIZHANG_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
/* The envelope and its status codes (TAIZHANG__RPC__V1__CODE__*). */
#include "taizhang/rpc/v1/envelope.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The outcome of a library call. */
typedef enum tz_result {
    TZ_OK = 0,              /**< done; for tz_stream_next: one item */
    TZ_STATUS = 1,          /**< the server answered with a non-OK status: see the tz_status */
    TZ_END_OF_STREAM = 2,   /**< tz_stream_next: the stream ended with OK */
    TZ_ERR_ARGUMENT = -1,   /**< a NULL or invalid argument, or an unknown call id */
    TZ_ERR_NOMEM = -2,      /**< out of memory */
    TZ_ERR_CONNECT = -3,    /**< could not connect (tz_last_error says why) */
    TZ_ERR_IO = -4,         /**< a read or write failed (tz_last_error says why); the client is closed */
    TZ_ERR_TIMEOUT = -5,    /**< nothing arrived within the wait: tz_finish/tz_stream_next leave the call in flight;
                                 tz_call cancels it and drops its late answer; a request the server did not
                                 take in time closes the client */
    TZ_ERR_CLOSED = -6,     /**< the server closed the connection (or it was closed after an error) */
    TZ_ERR_PROTOCOL = -7,   /**< the server sent something that is not the protocol (oversized frame, bad envelope); the client is closed */
    TZ_ERR_DECODE = -8      /**< the response payload is not the expected message type */
} tz_result;

/** One bad field of a request, as the server reported it. */
typedef struct tz_violation {
    char *field;        /**< path in the request message, e.g. "asset.funding[2].amount_fen" */
    char *description;  /**< what is wrong, for a person */
} tz_violation;

/** A non-OK status: the code (gRPC's numbers), a message for a person, every bad field. */
typedef struct tz_status {
    int code;                   /**< TAIZHANG__RPC__V1__CODE__* (0 = OK) */
    char *message;              /**< never NULL after a TZ_STATUS result */
    size_t n_violations;
    tz_violation *violations;
    char *request_id;           /**< the call's request-id, for the server's log; may be NULL */
} tz_status;

/** An all-empty tz_status. */
#define TZ_STATUS_INIT { 0, NULL, 0, NULL, NULL }

/** Frees what a tz_status holds and empties it (safe on an empty one). */
void tz_status_clear(tz_status *status);

/** One metadata entry: "authorization", "idempotency-key", "request-id", "actor". */
typedef struct tz_metadata {
    const char *key;
    const char *value;
} tz_metadata;

/** An open connection to taizhangd. */
typedef struct tz_client tz_client;

/** Largest response frame the client accepts by default (64 MiB). */
#define TZ_FRAME_MAX_BYTES_DEFAULT (64u * 1024u * 1024u)

/**
 * Connects to the Unix socket at `path` within `timeout_ms` (0: no limit).
 * On TZ_ERR_CONNECT *client is still set, so tz_last_error can say why:
 * free it with tz_close (tz_close(NULL) is harmless). On TZ_ERR_ARGUMENT and
 * TZ_ERR_NOMEM it is NULL.
 */
tz_result tz_connect_unix(const char *path, int timeout_ms, tz_client **client);

/** Connects to `host`:`port` over TCP (IPv4 or IPv6), every resolved address
 * within one `timeout_ms` (0: no limit; name resolution is not bounded).
 * On TZ_ERR_CONNECT *client is set as for tz_connect_unix. */
tz_result tz_connect_tcp(const char *host, uint16_t port, int timeout_ms, tz_client **client);

/** Sets the largest response frame accepted (default TZ_FRAME_MAX_BYTES_DEFAULT, at most 1 GiB). */
void tz_set_frame_max_bytes(tz_client *client, uint32_t frame_max_bytes);

/** Closes the connection and frees the client and any responses it still holds. */
void tz_close(tz_client *client);

/** Why the last TZ_ERR_CONNECT, TZ_ERR_IO, TZ_ERR_PROTOCOL or TZ_ERR_DECODE happened. */
const char *tz_last_error(const tz_client *client);

/**
 * Makes a unary call and waits for its answer.
 *
 * method: "/<package>.<Service>/<Method>", e.g. "/taizhang.ledger.v1.Ledger/RegisterAsset".
 * request: the method's request message. response_type: the descriptor of its response.
 * metadata: n_metadata entries (may be NULL). timeout_ms: the call's deadline, sent
 * to the server and used to wait here (0: none).
 * On TZ_OK *response is set (the caller frees it); on TZ_STATUS *status is filled.
 */
tz_result tz_call(tz_client *client, const char *method, const ProtobufCMessage *request,
                  const ProtobufCMessageDescriptor *response_type, const tz_metadata *metadata,
                  size_t n_metadata, uint32_t timeout_ms, ProtobufCMessage **response, tz_status *status);

/**
 * Sends a call without waiting (pipelining: start several, then finish each);
 * the same for a server-streaming call (then read it with tz_stream_next).
 * *call_id receives the call's id on this connection. While the server
 * cannot take the request, answers already sent are read and kept, so
 * starting many calls before finishing any does not deadlock.
 */
tz_result tz_start(tz_client *client, const char *method, const ProtobufCMessage *request,
                   const tz_metadata *metadata, size_t n_metadata, uint32_t timeout_ms, uint64_t *call_id);

/**
 * Waits up to wait_ms (negative: no limit) for the answer of a unary call
 * started with tz_start. Answers of other calls that arrive meanwhile are kept
 * for them (at most 256 MiB). TZ_ERR_TIMEOUT leaves the call in flight:
 * finish or cancel it later. The library does not track which ids are in
 * flight: waiting for an id that was never started, or already finished,
 * simply waits the whole wait_ms.
 */
tz_result tz_finish(tz_client *client, uint64_t call_id, const ProtobufCMessageDescriptor *response_type,
                    int wait_ms, ProtobufCMessage **response, tz_status *status);

/**
 * The next item of a server-streaming call (e.g. /taizhang.risk.v1.Risk/WatchAlerts),
 * waiting up to wait_ms (negative: no limit): TZ_OK with *item set; TZ_END_OF_STREAM
 * when the server ended it with OK; TZ_STATUS when it ended with an error
 * (CANCELLED after tz_cancel, UNAVAILABLE when the daemon shuts down).
 */
tz_result tz_stream_next(tz_client *client, uint64_t call_id, const ProtobufCMessageDescriptor *item_type,
                         int wait_ms, ProtobufCMessage **item, tz_status *status);

/** Asks the server to cancel call `call_id`; its end still arrives (CANCELLED). */
tz_result tz_cancel(tz_client *client, uint64_t call_id);

/** "OK", "INVALID_ARGUMENT", … for a status code. */
const char *tz_code_name(int code);

/** "TZ_OK", "TZ_ERR_IO", … for a result. */
const char *tz_result_name(tz_result result);

#ifdef __cplusplus
}
#endif

#endif /* TAIZHANG_CLIENT_H */
