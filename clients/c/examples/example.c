/*
 * taizhang-c-example: what a county system written in C does with the
 * Taizhang C client: register an asset, list a village's ledger, and follow
 * the risk monitor's alerts.
 *
 *   taizhang-c-example --socket /run/taizhang/taizhang.sock \
 *       --village 421024101201 --project JL-2019-001 [--follow-seconds 10]
 *
 * Build: cc example.c $(pkg-config --cflags --libs taizhang) -o taizhang-c-example
 */
#define _POSIX_C_SOURCE 200809L
#include "taizhang/client.h"
#include "taizhang/ledger/v1/ledger.pb-c.h"
#include "taizhang/risk/v1/risk.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void print_status(const char *what, tz_result result, const tz_status *status, tz_client *client) {
    if (result == TZ_STATUS) {
        fprintf(stderr, "%s: %s: %s (request-id %s)\n", what, tz_code_name(status->code), status->message,
                status->request_id ? status->request_id : "-");
        for (size_t i = 0; i < status->n_violations; i++)
            fprintf(stderr, "  %s: %s\n", status->violations[i].field, status->violations[i].description);
    } else {
        fprintf(stderr, "%s: %s: %s\n", what, tz_result_name(result), tz_last_error(client));
    }
}

int main(int argc, char **argv) {
    const char *socket_path = "/run/taizhang/taizhang.sock", *village = NULL, *project = NULL;
    int follow_seconds = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--socket") == 0) socket_path = argv[i + 1];
        else if (strcmp(argv[i], "--village") == 0) village = argv[i + 1];
        else if (strcmp(argv[i], "--project") == 0) project = argv[i + 1];
        else if (strcmp(argv[i], "--follow-seconds") == 0) follow_seconds = atoi(argv[i + 1]);
    }
    if (!village || !project) {
        fprintf(stderr, "usage: %s [--socket PATH] --village CODE --project ID [--follow-seconds N]\n", argv[0]);
        return 2;
    }
    tz_client *client = NULL;
    tz_result result = tz_connect_unix(socket_path, 5000, &client);
    if (result != TZ_OK) {
        fprintf(stderr, "cannot connect to %s: %s\n", socket_path, tz_last_error(client));
        tz_close(client);
        return 1;
    }
    int exit_code = 0;

    /* 1. Register an asset: a 100 kW photovoltaic station, ¥10,000.00 (money is in fen). */
    Taizhang__Ledger__V1__Funding central = TAIZHANG__LEDGER__V1__FUNDING__INIT, integrated = TAIZHANG__LEDGER__V1__FUNDING__INIT;
    central.source = TAIZHANG__LEDGER__V1__FUNDING_SOURCE__CENTRAL_SPECIAL;
    central.amount_fen = 600000;
    integrated.source = TAIZHANG__LEDGER__V1__FUNDING_SOURCE__INTEGRATED;
    integrated.amount_fen = 400000;
    Taizhang__Ledger__V1__Funding *funding[] = { &central, &integrated };
    Taizhang__Ledger__V1__Owner owner = TAIZHANG__LEDGER__V1__OWNER__INIT;
    owner.name = "村股份经济合作社";
    owner.kind = TAIZHANG__LEDGER__V1__OWNER_KIND__VILLAGE_COLLECTIVE;
    owner.admin_code = (char *)village;
    owner.share_bp = 10000; /* 100.00% */
    Taizhang__Ledger__V1__Owner *owners[] = { &owner };
    Taizhang__Ledger__V1__Asset asset = TAIZHANG__LEDGER__V1__ASSET__INIT;
    asset.name = "村级光伏电站";
    asset.category = TAIZHANG__LEDGER__V1__ASSET_CATEGORY__OPERATING;
    asset.sub_type = "光伏电站";
    asset.project_id = (char *)project;
    asset.admin_code = (char *)village;
    asset.acquired_date = "2019-06-30";
    asset.useful_life_years = 25;
    asset.quantity = "100";
    asset.unit = "千瓦";
    asset.original_value_fen = 1000000;
    asset.n_funding = 2;
    asset.funding = funding;
    asset.n_owners = 1;
    asset.owners = owners;
    Taizhang__Ledger__V1__RegisterAssetRequest request = TAIZHANG__LEDGER__V1__REGISTER_ASSET_REQUEST__INIT;
    request.asset = &asset;
    /* An idempotency key makes a retry after a lost answer safe. */
    char key[64];
    snprintf(key, sizeof key, "c-example-%ld", (long)time(NULL));
    tz_metadata metadata[] = { { "idempotency-key", key }, { "actor", "C 示例程序" } };
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    result = tz_call(client, "/taizhang.ledger.v1.Ledger/RegisterAsset", &request.base,
                     &taizhang__ledger__v1__asset__descriptor, metadata, 2, 10000, &response, &status);
    if (result == TZ_OK) {
        Taizhang__Ledger__V1__Asset *made = (Taizhang__Ledger__V1__Asset *)response;
        printf("registered %s %s, %lld.%02lld yuan\n", made->id, made->name,
               (long long)(made->original_value_fen / 100), (long long)(made->original_value_fen % 100));
        protobuf_c_message_free_unpacked(response, NULL);
    } else {
        print_status("RegisterAsset", result, &status, client);
        exit_code = 1;
    }
    tz_status_clear(&status);

    /* 2. The village's ledger, page by page. */
    char *token = NULL;
    size_t listed = 0;
    do {
        Taizhang__Ledger__V1__ListAssetsRequest list = TAIZHANG__LEDGER__V1__LIST_ASSETS_REQUEST__INIT;
        list.admin_code = (char *)village;
        list.page_size = 100;
        if (token) list.page_token = token;
        result = tz_call(client, "/taizhang.ledger.v1.Ledger/ListAssets", &list.base,
                         &taizhang__ledger__v1__list_assets_response__descriptor, NULL, 0, 10000, &response, &status);
        free(token);
        token = NULL;
        if (result != TZ_OK) {
            print_status("ListAssets", result, &status, client);
            tz_status_clear(&status);
            exit_code = 1;
            break;
        }
        Taizhang__Ledger__V1__ListAssetsResponse *page = (Taizhang__Ledger__V1__ListAssetsResponse *)response;
        for (size_t i = 0; i < page->n_assets; i++) {
            Taizhang__Ledger__V1__Asset *item = page->assets[i];
            printf("ledger %s\t%s\t%s\t%lld fen\n", item->id, item->name, item->acquired_date, (long long)item->net_value_fen);
            listed++;
        }
        if (page->next_page_token && page->next_page_token[0]) token = strdup(page->next_page_token);
        protobuf_c_message_free_unpacked(response, NULL);
    } while (token);
    printf("village %s: %zu assets\n", village, listed);

    /* 3. Follow alerts: the stream replays open alerts, then waits for new ones. */
    Taizhang__Risk__V1__WatchAlertsRequest watch = TAIZHANG__RISK__V1__WATCH_ALERTS_REQUEST__INIT;
    uint64_t stream = 0;
    if (tz_start(client, "/taizhang.risk.v1.Risk/WatchAlerts", &watch.base, NULL, 0, 0, &stream) == TZ_OK) {
        time_t until = time(NULL) + follow_seconds;
        int ended = 0;
        for (;;) {
            int left = (int)(until - time(NULL));
            if (left <= 0) break;
            ProtobufCMessage *item = NULL;
            result = tz_stream_next(client, stream, &taizhang__risk__v1__alert_event__descriptor, left * 1000, &item, &status);
            if (result == TZ_OK) {
                Taizhang__Risk__V1__AlertEvent *event = (Taizhang__Risk__V1__AlertEvent *)item;
                printf("alert %lld %s: %s\n", (long long)event->seq, event->type, event->message);
                protobuf_c_message_free_unpacked(item, NULL);
            } else if (result == TZ_ERR_TIMEOUT) {
                break;
            } else {
                if (result != TZ_END_OF_STREAM) print_status("WatchAlerts", result, &status, client);
                tz_status_clear(&status);
                ended = 1;
                break;
            }
        }
        if (!ended && tz_cancel(client, stream) == TZ_OK) {
            /* Done watching: cancel, and read up to the stream's end (CANCELLED). */
            ProtobufCMessage *item = NULL;
            while (tz_stream_next(client, stream, &taizhang__risk__v1__alert_event__descriptor, 5000, &item, &status) == TZ_OK)
                protobuf_c_message_free_unpacked(item, NULL);
            tz_status_clear(&status);
        }
        printf("stopped following alerts\n");
    }
    tz_close(client);
    return exit_code;
}
