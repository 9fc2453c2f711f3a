// What a command does with taizhangd once its flags make a request: one
// call printed as JSON or for people, or a list followed page by page and
// printed as a table of columns.

import Foundation
import SwiftProtobuf
import TaizhangClient
import TaizhangProto

/// A list request that pages with a token.
protocol PagedRequest: SwiftProtobuf.Message {
    var pageToken: String { get set }
}

/// A page of a list; `nextPageToken` is empty on the last.
protocol Page: SwiftProtobuf.Message {
    var nextPageToken: String { get }
}

extension Taizhang_Ledger_V1_ListAdminUnitsRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListAdminUnitsResponse: Page {}
extension Taizhang_Ledger_V1_ListProjectsRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListProjectsResponse: Page {}
extension Taizhang_Ledger_V1_ListAssetsRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListAssetsResponse: Page {}
extension Taizhang_Ledger_V1_ListEntitiesRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListEntitiesResponse: Page {}
extension Taizhang_Ledger_V1_ListContractsRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListContractsResponse: Page {}
extension Taizhang_Ledger_V1_ListIncomeRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListIncomeResponse: Page {}
extension Taizhang_Ledger_V1_ListDistributionPlansRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListDistributionPlansResponse: Page {}
extension Taizhang_Ledger_V1_ListStockTakesRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListStockTakesResponse: Page {}
extension Taizhang_Ledger_V1_ListDisposalsRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListDisposalsResponse: Page {}
extension Taizhang_Ledger_V1_ListRevitalisingPlansRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListRevitalisingPlansResponse: Page {}
extension Taizhang_Risk_V1_ListAlertsRequest: PagedRequest {}
extension Taizhang_Risk_V1_ListAlertsResponse: Page {}

/// What a list printed: its records, and the last page read (for totals
/// and whether more follow).
struct Listing<Response, Record> {
    var records: [Record]
    var last: Response
}

/// How --json prints a list.
enum JSONPages {
    /// Each page as it arrives.
    case each
    /// One response holding every page's records (the last page's other fields).
    case merged
}

extension GlobalOptions {
    /// Connects, calls one method and closes.
    func once<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>, _ request: Request, idempotencyKey: String? = nil
    ) async throws -> Response {
        let client = try await connect()
        defer { Task { await client.close() } }
        return try await call(client, method, request, idempotencyKey: idempotencyKey)
    }

    /// Prints a message as JSON with --json, else as `describe` does for people.
    func present<M: SwiftProtobuf.Message>(_ message: M, _ describe: (M) throws -> Void) throws {
        if json { try printJSON(message) } else { try describe(message) }
    }

    /// Calls one method and prints the response: as JSON with --json, else
    /// as `describe` does. Returns the response (for an exit code).
    @discardableResult
    func show<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>, _ request: Request, idempotencyKey: String? = nil, _ describe: (Response) throws -> Void
    ) async throws -> Response {
        let response = try await once(method, request, idempotencyKey: idempotencyKey)
        try present(response, describe)
        return response
    }

    /// Follows a list page by page (only the first page unless `all`),
    /// handing each page to `body`; returns the last.
    @discardableResult
    func pages<Request: PagedRequest, Response: Page>(
        _ client: TaizhangClient, _ method: RPCMethod<Request, Response>, _ request: Request, all: Bool = true,
        _ body: (Response) throws -> Void = { _ in }
    ) async throws -> Response {
        var request = request
        var page: Response
        repeat {
            page = try await call(client, method, request)
            try body(page)
            request.pageToken = page.nextPageToken
        } while all && !request.pageToken.isEmpty
        return page
    }

    /// Every record of a list, from all its pages.
    func all<Request: PagedRequest, Response: Page, Record>(
        _ client: TaizhangClient, _ method: RPCMethod<Request, Response>, _ request: Request, items: KeyPath<Response, [Record]>
    ) async throws -> [Record] {
        var records: [Record] = []
        try await pages(client, method, request) { records += $0[keyPath: items] }
        return records
    }

    /// Lists records: connects, follows the pages (only the first unless
    /// `all`), and prints them as JSON with --json, else as a table of
    /// `columns`. Returns what was listed, for a footer. `request` is
    /// evaluated once connected: a command that checks flags while making
    /// it (asset list, alerts) reports an unreachable daemon first, as ever.
    @discardableResult
    func list<Request: PagedRequest, Response: Page, Record>(
        _ method: RPCMethod<Request, Response>, _ request: @autoclosure () throws -> Request, items: WritableKeyPath<Response, [Record]>,
        columns: [Column<Record>], all: Bool = true, json printing: JSONPages = .each
    ) async throws -> Listing<Response, Record> {
        let client = try await connect()
        defer { Task { await client.close() } }
        var records: [Record] = []
        var last = try await pages(client, method, try request(), all: all) { page in
            if json, printing == .each { try printJSON(page) }
            records += page[keyPath: items]
        }
        if !json {
            print(Table(columns, records, language).render())
        } else if printing == .merged {
            last[keyPath: items] = records
            try printJSON(last)
        }
        return Listing(records: records, last: last)
    }
}
