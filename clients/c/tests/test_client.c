/*
 * Tests of the C client against a real taizhangd (its socket is the first
 * argument) and against misbehaving servers it forks itself. Run under
 * valgrind by `make test` (zero errors, zero leaks). Prints "ok N checks".
 */
#define _GNU_SOURCE
#include "taizhang/client.h"
#include "taizhang/ledger/v1/ledger.pb-c.h"
#include "taizhang/risk/v1/risk.pb-c.h"
#include "taizhang/system/v1/system.pb-c.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int checks = 0, failures = 0;

#define CHECK(condition, ...) do { \
    checks++; \
    if (!(condition)) { failures++; fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #condition); \
                        fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

static const char *socket_path;

static tz_client *connect_daemon(void) {
    tz_client *client = NULL;
    tz_result result = tz_connect_unix(socket_path, 5000, &client);
    if (result != TZ_OK) {
        fprintf(stderr, "cannot connect to %s: %s (%s)\n", socket_path, tz_result_name(result), tz_last_error(client));
        tz_close(client);
        exit(2);
    }
    return client;
}

#define LEDGER "/taizhang.ledger.v1.Ledger/"

static tz_result call(tz_client *client, const char *method, const ProtobufCMessage *request,
                      const ProtobufCMessageDescriptor *type, ProtobufCMessage **response, tz_status *status) {
    return tz_call(client, method, request, type, NULL, 0, 10000, response, status);
}

static void seed(tz_client *client) {
    const char *units[][4] = {
        { "421024000000", "江陵县", "1", "" },
        { "421024101000", "熊河镇", "2", "421024000000" },
        { "421024101201", "白马村", "3", "421024101000" },
    };
    for (size_t i = 0; i < 3; i++) {
        Taizhang__Ledger__V1__AdminUnit unit = TAIZHANG__LEDGER__V1__ADMIN_UNIT__INIT;
        unit.code = (char *)units[i][0];
        unit.name = (char *)units[i][1];
        unit.level = (Taizhang__Ledger__V1__AdminLevel)atoi(units[i][2]);
        unit.parent_code = (char *)units[i][3];
        Taizhang__Ledger__V1__CreateAdminUnitRequest request = TAIZHANG__LEDGER__V1__CREATE_ADMIN_UNIT_REQUEST__INIT;
        request.unit = &unit;
        ProtobufCMessage *response = NULL;
        tz_status status = TZ_STATUS_INIT;
        tz_result result = call(client, LEDGER "CreateAdminUnit", &request.base, &taizhang__ledger__v1__admin_unit__descriptor, &response, &status);
        CHECK(result == TZ_OK, "CreateAdminUnit %s: %s %s", units[i][0], tz_result_name(result), status.message ? status.message : "");
        if (response) {
            Taizhang__Ledger__V1__AdminUnit *made = (Taizhang__Ledger__V1__AdminUnit *)response;
            CHECK(strcmp(made->name, units[i][1]) == 0, "name %s", made->name);
            protobuf_c_message_free_unpacked(response, NULL);
        }
        tz_status_clear(&status);
    }
    Taizhang__Ledger__V1__Project project = TAIZHANG__LEDGER__V1__PROJECT__INIT;
    project.id = "JL-2019-001";
    project.name = "熊河镇光伏扶贫项目";
    project.year = 2019;
    project.implementing_unit = "县发展和改革局";
    project.admin_code = "421024101000";
    Taizhang__Ledger__V1__CreateProjectRequest request = TAIZHANG__LEDGER__V1__CREATE_PROJECT_REQUEST__INIT;
    request.project = &project;
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    tz_result result = call(client, LEDGER "CreateProject", &request.base, &taizhang__ledger__v1__project__descriptor, &response, &status);
    CHECK(result == TZ_OK, "CreateProject: %s %s", tz_result_name(result), status.message ? status.message : "");
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    tz_status_clear(&status);
}

/* A valid asset of 白马村, value `value` fen, shares adding to `share_bp`. */
static void fill_asset(Taizhang__Ledger__V1__Asset *asset, Taizhang__Ledger__V1__Funding *funding, Taizhang__Ledger__V1__Funding **funding_list,
                       Taizhang__Ledger__V1__Owner *owner, Taizhang__Ledger__V1__Owner **owner_list, int64_t value, uint32_t share_bp) {
    taizhang__ledger__v1__asset__init(asset);
    asset->name = "白马村光伏电站";
    asset->category = TAIZHANG__LEDGER__V1__ASSET_CATEGORY__OPERATING;
    asset->sub_type = "光伏电站";
    asset->project_id = "JL-2019-001";
    asset->admin_code = "421024101201";
    asset->acquired_date = "2019-06-30";
    asset->useful_life_years = 25;
    asset->quantity = "100";
    asset->unit = "千瓦";
    asset->original_value_fen = value;
    taizhang__ledger__v1__funding__init(&funding[0]);
    funding[0].source = TAIZHANG__LEDGER__V1__FUNDING_SOURCE__CENTRAL_SPECIAL;
    funding[0].amount_fen = value * 6 / 10;
    taizhang__ledger__v1__funding__init(&funding[1]);
    funding[1].source = TAIZHANG__LEDGER__V1__FUNDING_SOURCE__INTEGRATED;
    funding[1].amount_fen = value - value * 6 / 10;
    funding_list[0] = &funding[0];
    funding_list[1] = &funding[1];
    asset->n_funding = 2;
    asset->funding = funding_list;
    taizhang__ledger__v1__owner__init(owner);
    owner->name = "白马村股份经济合作社";
    owner->kind = TAIZHANG__LEDGER__V1__OWNER_KIND__VILLAGE_COLLECTIVE;
    owner->admin_code = "421024101201";
    owner->share_bp = share_bp;
    owner_list[0] = owner;
    asset->n_owners = 1;
    asset->owners = owner_list;
}

/* Registers an asset and reads it back; returns its id (the caller frees it). */
static char *register_and_read(tz_client *client) {
    Taizhang__Ledger__V1__Asset asset;
    Taizhang__Ledger__V1__Funding funding[2], *funding_list[2];
    Taizhang__Ledger__V1__Owner owner, *owner_list[1];
    fill_asset(&asset, funding, funding_list, &owner, owner_list, 1000000, 10000);
    Taizhang__Ledger__V1__RegisterAssetRequest request = TAIZHANG__LEDGER__V1__REGISTER_ASSET_REQUEST__INIT;
    request.asset = &asset;
    tz_metadata metadata[] = { { "idempotency-key", "c-client-register-1" }, { "actor", "C 客户端测试" }, { "request-id", "c-test-register" } };
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    tz_result result = tz_call(client, LEDGER "RegisterAsset", &request.base, &taizhang__ledger__v1__asset__descriptor,
                               metadata, 3, 10000, &response, &status);
    CHECK(result == TZ_OK, "RegisterAsset: %s %s", tz_result_name(result), status.message ? status.message : "");
    tz_status_clear(&status);
    if (!response) return NULL;
    Taizhang__Ledger__V1__Asset *made = (Taizhang__Ledger__V1__Asset *)response;
    char *id = strdup(made->id);
    CHECK(strlen(id) > 0, "no id");
    CHECK(strcmp(made->name, "白马村光伏电站") == 0, "name %s", made->name);
    CHECK(made->original_value_fen == 1000000, "value %lld", (long long)made->original_value_fen);
    CHECK(made->n_funding == 2 && made->funding[0]->amount_fen == 600000, "funding");
    CHECK(made->n_owners == 1 && made->owners[0]->share_bp == 10000, "owners");
    protobuf_c_message_free_unpacked(response, NULL);

    /* The same idempotency key: the first answer again, not a second asset. */
    result = tz_call(client, LEDGER "RegisterAsset", &request.base, &taizhang__ledger__v1__asset__descriptor, metadata, 3, 10000, &response, &status);
    CHECK(result == TZ_OK && strcmp(((Taizhang__Ledger__V1__Asset *)response)->id, id) == 0, "idempotent replay gave another asset");
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    tz_status_clear(&status);

    Taizhang__Ledger__V1__GetAssetRequest get = TAIZHANG__LEDGER__V1__GET_ASSET_REQUEST__INIT;
    get.id = id;
    result = call(client, LEDGER "GetAsset", &get.base, &taizhang__ledger__v1__asset__descriptor, &response, &status);
    CHECK(result == TZ_OK, "GetAsset: %s", tz_result_name(result));
    if (response) {
        Taizhang__Ledger__V1__Asset *read = (Taizhang__Ledger__V1__Asset *)response;
        CHECK(strcmp(read->id, id) == 0 && strcmp(read->unit, "千瓦") == 0 && strcmp(read->acquired_date, "2019-06-30") == 0, "read back differs");
        protobuf_c_message_free_unpacked(response, NULL);
    }
    tz_status_clear(&status);

    Taizhang__Ledger__V1__ListAssetsRequest list = TAIZHANG__LEDGER__V1__LIST_ASSETS_REQUEST__INIT;
    list.admin_code = "421024101201";
    result = call(client, LEDGER "ListAssets", &list.base, &taizhang__ledger__v1__list_assets_response__descriptor, &response, &status);
    CHECK(result == TZ_OK, "ListAssets: %s", tz_result_name(result));
    if (response) {
        Taizhang__Ledger__V1__ListAssetsResponse *page = (Taizhang__Ledger__V1__ListAssetsResponse *)response;
        CHECK(page->n_assets == 1 && strcmp(page->assets[0]->id, id) == 0, "village ledger has %zu assets", page->n_assets);
        protobuf_c_message_free_unpacked(response, NULL);
    }
    tz_status_clear(&status);
    return id;
}

/* Updates with optimistic concurrency, a batch, the ledger's totals, the
 * depreciation schedule and the audit chain, with values compared. */
static void more_round_trips(tz_client *client, const char *id) {
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    Taizhang__Ledger__V1__GetAssetRequest get = TAIZHANG__LEDGER__V1__GET_ASSET_REQUEST__INIT;
    get.id = (char *)id;
    if (call(client, LEDGER "GetAsset", &get.base, &taizhang__ledger__v1__asset__descriptor, &response, &status) != TZ_OK) {
        CHECK(0, "GetAsset before the update");
        tz_status_clear(&status);
        return;
    }
    Taizhang__Ledger__V1__Asset *asset = (Taizhang__Ledger__V1__Asset *)response;
    int64_t version = asset->version;
    char *unpacked_name = asset->name;
    asset->name = "白马村光伏电站（一期）";
    Taizhang__Ledger__V1__UpdateAssetRequest update = TAIZHANG__LEDGER__V1__UPDATE_ASSET_REQUEST__INIT;
    update.asset = asset;
    update.expected_version = version;
    ProtobufCMessage *updated = NULL;
    tz_result result = call(client, LEDGER "UpdateAsset", &update.base, &taizhang__ledger__v1__asset__descriptor, &updated, &status);
    CHECK(result == TZ_OK, "UpdateAsset: %s %s", tz_result_name(result), status.message ? status.message : "");
    if (updated) {
        Taizhang__Ledger__V1__Asset *after = (Taizhang__Ledger__V1__Asset *)updated;
        CHECK(strcmp(after->name, "白马村光伏电站（一期）") == 0 && after->version == version + 1, "updated name %s version %lld", after->name, (long long)after->version);
        protobuf_c_message_free_unpacked(updated, NULL);
    }
    tz_status_clear(&status);
    /* The same expected_version again is stale now. */
    result = call(client, LEDGER "UpdateAsset", &update.base, &taizhang__ledger__v1__asset__descriptor, &updated, &status);
    CHECK(result == TZ_STATUS && status.code == TAIZHANG__RPC__V1__CODE__ABORTED, "stale update: %s %s", tz_result_name(result), tz_code_name(status.code));
    tz_status_clear(&status);
    asset->name = unpacked_name; /* the literal is not the unpacker's memory to free */
    protobuf_c_message_free_unpacked(response, NULL);

    Taizhang__Ledger__V1__Asset batch[2];
    Taizhang__Ledger__V1__Funding funding[2][2], *funding_list[2][2];
    Taizhang__Ledger__V1__Owner owner[2], *owner_list[2][1];
    Taizhang__Ledger__V1__Asset *batch_list[2];
    for (int i = 0; i < 2; i++) {
        fill_asset(&batch[i], funding[i], funding_list[i], &owner[i], owner_list[i], 200000 * (i + 1), 10000);
        batch_list[i] = &batch[i];
    }
    Taizhang__Ledger__V1__BatchRegisterAssetsRequest many = TAIZHANG__LEDGER__V1__BATCH_REGISTER_ASSETS_REQUEST__INIT;
    many.n_assets = 2;
    many.assets = batch_list;
    result = call(client, LEDGER "BatchRegisterAssets", &many.base, &taizhang__ledger__v1__batch_register_assets_response__descriptor, &response, &status);
    CHECK(result == TZ_OK && ((Taizhang__Ledger__V1__BatchRegisterAssetsResponse *)response)->n_ids == 2, "BatchRegisterAssets: %s", tz_result_name(result));
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    tz_status_clear(&status);

    Taizhang__Ledger__V1__GetLedgerSummaryRequest summary = TAIZHANG__LEDGER__V1__GET_LEDGER_SUMMARY_REQUEST__INIT;
    summary.admin_code = "421024101201";
    summary.as_of = "2026-12-31";
    result = call(client, LEDGER "GetLedgerSummary", &summary.base, &taizhang__ledger__v1__ledger_summary__descriptor, &response, &status);
    CHECK(result == TZ_OK, "GetLedgerSummary: %s", tz_result_name(result));
    if (response) {
        Taizhang__Ledger__V1__LedgerSummary *totals = (Taizhang__Ledger__V1__LedgerSummary *)response;
        CHECK(totals->total && totals->total->count == 3 && totals->total->original_value_fen == 1000000 + 200000 + 400000,
              "the village's totals: %llu assets", totals->total ? (unsigned long long)totals->total->count : 0ULL);
        protobuf_c_message_free_unpacked(response, NULL);
    }
    tz_status_clear(&status);

    Taizhang__Ledger__V1__GetDepreciationRequest depreciation = TAIZHANG__LEDGER__V1__GET_DEPRECIATION_REQUEST__INIT;
    depreciation.asset_id = (char *)id;
    depreciation.as_of = "2026-12-31";
    result = call(client, LEDGER "GetDepreciation", &depreciation.base, &taizhang__ledger__v1__depreciation_report__descriptor, &response, &status);
    CHECK(result == TZ_OK, "GetDepreciation: %s", tz_result_name(result));
    if (response) {
        Taizhang__Ledger__V1__DepreciationReport *report = (Taizhang__Ledger__V1__DepreciationReport *)response;
        CHECK(strcmp(report->asset_id, id) == 0 && report->life_years >= 25 && report->net_value_fen < 1000000, "depreciation of %s", report->asset_id);
        protobuf_c_message_free_unpacked(response, NULL);
    }
    tz_status_clear(&status);

    Taizhang__Ledger__V1__VerifyAuditChainRequest verify = TAIZHANG__LEDGER__V1__VERIFY_AUDIT_CHAIN_REQUEST__INIT;
    result = call(client, LEDGER "VerifyAuditChain", &verify.base, &taizhang__ledger__v1__verify_audit_chain_response__descriptor, &response, &status);
    CHECK(result == TZ_OK && ((Taizhang__Ledger__V1__VerifyAuditChainResponse *)response)->intact, "VerifyAuditChain: %s", tz_result_name(result));
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    tz_status_clear(&status);
}

/* A page of 1,000 assets (~600 KB): the receive buffer grows as the frame
 * arrives and shrinks back after it; small calls go on working. */
static void large_frames(tz_client *client) {
    Taizhang__Ledger__V1__AdminUnit unit = TAIZHANG__LEDGER__V1__ADMIN_UNIT__INIT;
    unit.code = "421024101202";
    unit.name = "新场村";
    unit.level = TAIZHANG__LEDGER__V1__ADMIN_LEVEL__VILLAGE;
    unit.parent_code = "421024101000";
    Taizhang__Ledger__V1__CreateAdminUnitRequest create = TAIZHANG__LEDGER__V1__CREATE_ADMIN_UNIT_REQUEST__INIT;
    create.unit = &unit;
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    CHECK(call(client, LEDGER "CreateAdminUnit", &create.base, &taizhang__ledger__v1__admin_unit__descriptor, &response, &status) == TZ_OK, "second village");
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    tz_status_clear(&status);

    enum { COUNT = 1200 };
    Taizhang__Ledger__V1__Asset *assets = calloc(COUNT, sizeof *assets);
    Taizhang__Ledger__V1__Funding (*funding)[2] = calloc(COUNT, sizeof *funding);
    Taizhang__Ledger__V1__Funding *(*funding_list)[2] = calloc(COUNT, sizeof *funding_list);
    Taizhang__Ledger__V1__Owner *owners = calloc(COUNT, sizeof *owners);
    Taizhang__Ledger__V1__Owner **owner_list = calloc(COUNT, sizeof *owner_list);
    Taizhang__Ledger__V1__Asset **list = calloc(COUNT, sizeof *list);
    for (int i = 0; i < COUNT; i++) {
        fill_asset(&assets[i], funding[i], funding_list[i], &owners[i], &owner_list[i], 100000 + i, 10000);
        assets[i].admin_code = "421024101202";
        owners[i].admin_code = "421024101202";
        list[i] = &assets[i];
    }
    Taizhang__Ledger__V1__BatchRegisterAssetsRequest batch = TAIZHANG__LEDGER__V1__BATCH_REGISTER_ASSETS_REQUEST__INIT;
    batch.n_assets = COUNT;
    batch.assets = list;
    tz_result result = call(client, LEDGER "BatchRegisterAssets", &batch.base, &taizhang__ledger__v1__batch_register_assets_response__descriptor, &response, &status);
    CHECK(result == TZ_OK && ((Taizhang__Ledger__V1__BatchRegisterAssetsResponse *)response)->n_ids == COUNT, "batch of %d: %s %s", COUNT,
          tz_result_name(result), status.message ? status.message : "");
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    tz_status_clear(&status);
    free(assets); free(funding); free(funding_list); free(owners); free(owner_list); free(list);

    Taizhang__Ledger__V1__ListAssetsRequest page = TAIZHANG__LEDGER__V1__LIST_ASSETS_REQUEST__INIT;
    page.admin_code = "421024101202";
    page.page_size = 1000;
    result = call(client, LEDGER "ListAssets", &page.base, &taizhang__ledger__v1__list_assets_response__descriptor, &response, &status);
    CHECK(result == TZ_OK, "a page of 1,000: %s (%s)", tz_result_name(result), tz_last_error(client));
    if (response) {
        Taizhang__Ledger__V1__ListAssetsResponse *assets_page = (Taizhang__Ledger__V1__ListAssetsResponse *)response;
        CHECK(assets_page->n_assets == 1000 && assets_page->next_page_token[0] != 0, "page of %zu", assets_page->n_assets);
        CHECK(protobuf_c_message_get_packed_size(response) > 200000, "the page is only %zu bytes", protobuf_c_message_get_packed_size(response));
        protobuf_c_message_free_unpacked(response, NULL);
    }
    tz_status_clear(&status);
    Taizhang__System__V1__HealthRequest health = TAIZHANG__SYSTEM__V1__HEALTH_REQUEST__INIT;
    CHECK(call(client, "/taizhang.system.v1.System/Health", &health.base, &taizhang__system__v1__health_response__descriptor, &response, &status) == TZ_OK,
          "a small call after the large frame");
    if (response) protobuf_c_message_free_unpacked(response, NULL);
    tz_status_clear(&status);
}

/* A bad asset: every bad field comes back, and the request-id. */
static void bad_request_lists_every_field(tz_client *client) {
    Taizhang__Ledger__V1__Asset asset;
    Taizhang__Ledger__V1__Funding funding[2], *funding_list[2];
    Taizhang__Ledger__V1__Owner owner, *owner_list[1];
    fill_asset(&asset, funding, funding_list, &owner, owner_list, 1000000, 9000);
    asset.admin_code = "999999999999";
    asset.acquired_date = "2019-02-30";
    Taizhang__Ledger__V1__RegisterAssetRequest request = TAIZHANG__LEDGER__V1__REGISTER_ASSET_REQUEST__INIT;
    request.asset = &asset;
    tz_metadata metadata[] = { { "request-id", "c-test-bad-asset" } };
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    tz_result result = tz_call(client, LEDGER "RegisterAsset", &request.base, &taizhang__ledger__v1__asset__descriptor,
                               metadata, 1, 10000, &response, &status);
    CHECK(result == TZ_STATUS && response == NULL, "a bad asset gave %s", tz_result_name(result));
    CHECK(status.code == TAIZHANG__RPC__V1__CODE__INVALID_ARGUMENT, "code %s", tz_code_name(status.code));
    CHECK(status.message && strlen(status.message) > 0, "no message");
    CHECK(status.request_id && strcmp(status.request_id, "c-test-bad-asset") == 0, "request-id %s", status.request_id ? status.request_id : "(none)");
    int shares = 0, date = 0, admin = 0;
    for (size_t i = 0; i < status.n_violations; i++) {
        if (strstr(status.violations[i].field, "owners")) shares = 1;
        if (strstr(status.violations[i].field, "acquired_date")) date = 1;
        if (strstr(status.violations[i].field, "admin_code")) admin = 1;
        CHECK(strlen(status.violations[i].description) > 0, "violation %s has no description", status.violations[i].field);
    }
    CHECK(shares && date && admin, "violations: %zu, shares %d date %d admin %d", status.n_violations, shares, date, admin);
    tz_status_clear(&status);
}

/* Every method of a service answers with its declared response type or a status. */
static void every_method_round_trips(tz_client *client, const ProtobufCServiceDescriptor *service) {
    for (unsigned i = 0; i < service->n_methods; i++) {
        const ProtobufCMethodDescriptor *method = &service->methods[i];
        if (strcmp(method->name, "WatchAlerts") == 0) continue; /* streaming: below */
        char name[256];
        snprintf(name, sizeof name, "/%s/%s", service->name, method->name);
        ProtobufCMessage *request = malloc(method->input->sizeof_message);
        method->input->message_init(request);
        ProtobufCMessage *response = NULL;
        tz_status status = TZ_STATUS_INIT;
        tz_result result = call(client, name, request, method->output, &response, &status);
        CHECK(result == TZ_OK || result == TZ_STATUS, "%s gave %s (%s)", name, tz_result_name(result), tz_last_error(client));
        CHECK(result != TZ_STATUS || status.code != TAIZHANG__RPC__V1__CODE__UNIMPLEMENTED, "%s is not served", name);
        CHECK(result != TZ_STATUS || (status.message && strlen(status.message) > 0), "%s: a status without a message", name);
        if (response) protobuf_c_message_free_unpacked(response, NULL);
        tz_status_clear(&status);
        free(request);
    }
}

/* 16 calls in flight on one connection, answered in any order, finished in reverse. */
static void pipelining(tz_client *client, const char *id) {
    uint64_t ids[16];
    Taizhang__Ledger__V1__GetAssetRequest get = TAIZHANG__LEDGER__V1__GET_ASSET_REQUEST__INIT;
    get.id = (char *)id;
    Taizhang__Ledger__V1__GetAssetRequest missing = TAIZHANG__LEDGER__V1__GET_ASSET_REQUEST__INIT;
    missing.id = "ZC99999999";
    for (int i = 0; i < 16; i++) {
        tz_result result = tz_start(client, LEDGER "GetAsset", i % 4 == 3 ? &missing.base : &get.base, NULL, 0, 10000, &ids[i]);
        CHECK(result == TZ_OK, "start %d: %s", i, tz_result_name(result));
    }
    for (int i = 15; i >= 0; i--) {
        ProtobufCMessage *response = NULL;
        tz_status status = TZ_STATUS_INIT;
        tz_result result = tz_finish(client, ids[i], &taizhang__ledger__v1__asset__descriptor, 10000, &response, &status);
        if (i % 4 == 3) {
            CHECK(result == TZ_STATUS && status.code == TAIZHANG__RPC__V1__CODE__NOT_FOUND, "call %d: %s", i, tz_result_name(result));
        } else {
            CHECK(result == TZ_OK && strcmp(((Taizhang__Ledger__V1__Asset *)response)->id, id) == 0, "call %d: %s", i, tz_result_name(result));
        }
        if (response) protobuf_c_message_free_unpacked(response, NULL);
        tz_status_clear(&status);
    }
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    CHECK(tz_finish(client, 12345, &taizhang__ledger__v1__asset__descriptor, 100, &response, &status) == TZ_ERR_TIMEOUT,
          "an unknown call id should time out");
}

/* 3000 calls started before any is finished: the server stops reading a
 * client that does not read, so the client must read while it writes. */
static void pipelining_without_reading(tz_client *client, const char *id) {
    enum { CALLS = 3000 };
    static uint64_t ids[CALLS];
    Taizhang__Ledger__V1__GetAssetRequest get = TAIZHANG__LEDGER__V1__GET_ASSET_REQUEST__INIT;
    get.id = (char *)id;
    int started = 0;
    for (; started < CALLS; started++) {
        tz_result result = tz_start(client, LEDGER "GetAsset", &get.base, NULL, 0, 10000, &ids[started]);
        if (result != TZ_OK) { CHECK(0, "start %d: %s (%s)", started, tz_result_name(result), tz_last_error(client)); break; }
    }
    int answered = 0;
    for (int i = 0; i < started; i++) {
        ProtobufCMessage *response = NULL;
        tz_status status = TZ_STATUS_INIT;
        tz_result result = tz_finish(client, ids[i], &taizhang__ledger__v1__asset__descriptor, 10000, &response, &status);
        /* OK, or RESOURCE_EXHAUSTED past the server's calls-in-flight limit. */
        if (result == TZ_OK || (result == TZ_STATUS && status.code == TAIZHANG__RPC__V1__CODE__RESOURCE_EXHAUSTED)) answered++;
        if (response) protobuf_c_message_free_unpacked(response, NULL);
        tz_status_clear(&status);
    }
    CHECK(started == CALLS && answered == CALLS, "%d started, %d answered", started, answered);
}

/* WatchAlerts: a stream that waits; cancelled, it ends CANCELLED. */
static void streaming(tz_client *client) {
    Taizhang__Risk__V1__WatchAlertsRequest request = TAIZHANG__RISK__V1__WATCH_ALERTS_REQUEST__INIT;
    uint64_t id = 0;
    CHECK(tz_start(client, "/taizhang.risk.v1.Risk/WatchAlerts", &request.base, NULL, 0, 0, &id) == TZ_OK, "WatchAlerts start");
    ProtobufCMessage *item = NULL;
    tz_status status = TZ_STATUS_INIT;
    tz_result result = tz_stream_next(client, id, &taizhang__risk__v1__alert_event__descriptor, 300, &item, &status);
    CHECK(result == TZ_ERR_TIMEOUT, "no alerts yet, so the stream waits: %s", tz_result_name(result));
    CHECK(tz_cancel(client, id) == TZ_OK, "cancel");
    result = tz_stream_next(client, id, &taizhang__risk__v1__alert_event__descriptor, 5000, &item, &status);
    CHECK(result == TZ_STATUS && status.code == TAIZHANG__RPC__V1__CODE__CANCELLED, "after cancel: %s %s", tz_result_name(result), tz_code_name(status.code));
    if (item) protobuf_c_message_free_unpacked(item, NULL);
    tz_status_clear(&status);
}

/* A server that accepts one connection, reads a little, sends `bytes` and closes. */
static pid_t misbehaving_server(const char *path, const unsigned char *bytes, size_t length, int linger) {
    unlink(path);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 1) < 0) { perror("bind"); exit(2); }
    pid_t pid = fork();
    if (pid == 0) {
        int connection = accept(listener, NULL, NULL);
        char scratch[4096];
        if (read(connection, scratch, sizeof scratch) < 0) _exit(3);
        if (length && write(connection, bytes, length) < 0) _exit(3);
        if (linger) pause();
        close(connection);
        _exit(0);
    }
    close(listener);
    return pid;
}

static void against(const char *what, const unsigned char *bytes, size_t length, int linger, tz_result expected, int wait_ms) {
    char path[108];
    snprintf(path, sizeof path, "/tmp/tz-c-bad-%d.sock", (int)getpid());
    pid_t server = misbehaving_server(path, bytes, length, linger);
    tz_client *client = NULL;
    CHECK(tz_connect_unix(path, 5000, &client) == TZ_OK, "%s: connect", what);
    Taizhang__System__V1__HealthRequest request = TAIZHANG__SYSTEM__V1__HEALTH_REQUEST__INIT;
    uint64_t id = 0;
    CHECK(tz_start(client, "/taizhang.system.v1.System/Health", &request.base, NULL, 0, 0, &id) == TZ_OK, "%s: start", what);
    ProtobufCMessage *response = NULL;
    tz_status status = TZ_STATUS_INIT;
    tz_result result = tz_finish(client, id, &taizhang__system__v1__health_response__descriptor, wait_ms, &response, &status);
    CHECK(result == expected, "%s: %s, expected %s (%s)", what, tz_result_name(result), tz_result_name(expected), tz_last_error(client));
    CHECK(response == NULL, "%s: a response", what);
    /* The client stays closed (or still waiting) and answers calmly. */
    if (expected != TZ_ERR_TIMEOUT) {
        CHECK(tz_start(client, "/taizhang.system.v1.System/Health", &request.base, NULL, 0, 0, &id) < 0, "%s: usable after the error", what);
    }
    tz_status_clear(&status);
    tz_close(client);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    unlink(path);
}

static void misbehaving_servers(void) {
    /* Closes in the middle of a frame: announces 100 bytes, sends 3. */
    const unsigned char half[] = { 0, 0, 0, 100, 8, 1, 26 };
    against("closed mid-frame", half, sizeof half, 0, TZ_ERR_PROTOCOL, 5000);
    /* Announces a frame larger than the client accepts. */
    const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xf0, 1, 2, 3 };
    against("oversized frame", huge, sizeof huge, 1, TZ_ERR_PROTOCOL, 5000);
    /* A whole frame whose body is not a Response. */
    const unsigned char garbage[] = { 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff };
    against("garbage body", garbage, sizeof garbage, 1, TZ_ERR_PROTOCOL, 5000);
    /* Closes without a word. */
    against("closed at once", NULL, 0, 0, TZ_ERR_CLOSED, 5000);
    /* Never answers: the wait ends, the call stays in flight. */
    against("silent", NULL, 0, 1, TZ_ERR_TIMEOUT, 200);
    /* tz_call on a silent server: TZ_ERR_TIMEOUT after the call's deadline and a moment. */
    {
        char path[108];
        snprintf(path, sizeof path, "/tmp/tz-c-silent-%d.sock", (int)getpid());
        pid_t server = misbehaving_server(path, NULL, 0, 1);
        tz_client *client = NULL;
        CHECK(tz_connect_unix(path, 5000, &client) == TZ_OK, "silent: connect");
        Taizhang__System__V1__HealthRequest request = TAIZHANG__SYSTEM__V1__HEALTH_REQUEST__INIT;
        ProtobufCMessage *response = NULL;
        tz_status status = TZ_STATUS_INIT;
        tz_result result = tz_call(client, "/taizhang.system.v1.System/Health", &request.base,
                                   &taizhang__system__v1__health_response__descriptor, NULL, 0, 100, &response, &status);
        CHECK(result == TZ_ERR_TIMEOUT && response == NULL, "tz_call on a silent server: %s", tz_result_name(result));
        tz_close(client);
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        unlink(path);
    }
    /* A connection-level status (call_id 0) ends the waiting call with it. */
    const unsigned char refusal[] = { 0, 0, 0, 8, 0x12, 0x06, 0x08, 0x08, 0x12, 0x02, 'n', 'o' };
    against("connection status", refusal, sizeof refusal, 0, TZ_STATUS, 5000);

    tz_client *client = NULL;
    CHECK(tz_connect_unix("/nonexistent/taizhang.sock", 1000, &client) == TZ_ERR_CONNECT, "connect to nothing");
    CHECK(client && strstr(tz_last_error(client), "No such file"), "connect error: %s", tz_last_error(client));
    tz_close(client);
    CHECK(tz_connect_unix(NULL, 1000, &client) == TZ_ERR_ARGUMENT, "NULL path");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
        return 2;
    }
    socket_path = argv[1];
    tz_client *client = connect_daemon();
    seed(client);
    char *id = register_and_read(client);
    if (id) more_round_trips(client, id);
    large_frames(client);
    bad_request_lists_every_field(client);
    every_method_round_trips(client, &taizhang__ledger__v1__ledger__descriptor);
    every_method_round_trips(client, &taizhang__risk__v1__risk__descriptor);
    every_method_round_trips(client, &taizhang__system__v1__system__descriptor);
    if (id) pipelining(client, id);
    if (id) pipelining_without_reading(client, id);
    streaming(client);
    free(id);
    tz_close(client);
    misbehaving_servers();
    if (failures) {
        fprintf(stderr, "%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("ok %d checks\n", checks);
    return 0;
}
