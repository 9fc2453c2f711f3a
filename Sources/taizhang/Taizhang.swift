// taizhang: the command-line client of taizhangd.

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangCore
import TaizhangProto

/// What the CLI shares.
enum CLI {
    /// The one clock the CLI reads (today's date, token expiry).
    static let clock: any WallClock = SystemWallClock()
}

@main
struct Taizhang: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taizhang",
        abstract: "Command-line client of taizhangd, the ledger of poverty-alleviation project assets (扶贫项目资产台账).",
        discussion: """
        Every subcommand takes --socket PATH (default $TAIZHANG_SOCKET) or --host/--port, --json, \
        --lang zh|en and --actor NAME. \
        Exit codes: 0 success; 2 bad command line; 3 cannot reach taizhangd; 4 the audit chain is broken; \
        10 + the status code when a call fails (13 INVALID_ARGUMENT, 15 NOT_FOUND, 16 ALREADY_EXISTS, \
        19 FAILED_PRECONDITION, 20 ABORTED, 23 INTERNAL, 24 UNAVAILABLE, ...).
        """,
        subcommands: [HealthCommand.self, StatusCommand.self, MethodsCommand.self, AuditCommand.self,
                      AdminCommand.self, ProjectCommand.self, AssetCommand.self, LedgerCommand.self, EntityCommand.self, ContractCommand.self,
                      ReportCommand.self, IncomeCommand.self, PlanCommand.self, StockTakeCommand.self, DisposalCommand.self, RevitaliseCommand.self, UpkeepCommand.self,
                      AlertsCommand.self, RiskCommand.self, MonitorCommand.self, SupervisionCommand.self, HouseholdCommand.self, TokenCommand.self, BackupCommand.self, RestoreCommand.self,
                      CallCommand.self, DemoCommand.self])
}

/// Where taizhangd is and how to print.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("socket"), help: ArgumentHelp("taizhangd's Unix socket. Default: $TAIZHANG_SOCKET, else ~/.local/share/taizhang/taizhang.sock.", valueName: "path"))
    var socket: String?

    @Option(name: .customLong("host"), help: "Connect over TCP to this host instead of the Unix socket.")
    var host: String?

    @Option(name: .customLong("port"), help: "TCP port, with --host.")
    var port: Int?

    @Option(name: .customLong("tls-ca"), help: ArgumentHelp("With --host: speak TLS, trusting this PEM CA for the daemon's certificate (default: $TAIZHANG_TLS_CA).", valueName: "file"))
    var tlsCA: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("With --tls-ca: a PEM client certificate, for a daemon that asks for one (with --tls-key).", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Flag(name: .customLong("json"), help: "Print JSON (the proto3 JSON mapping) instead of tables.")
    var json = false

    @Option(name: .customLong("lang"), help: "Language of tables: zh (default) or en.")
    var language: Language = .zh

    @Option(name: .customLong("actor"), help: "Your name, recorded in the audit journal with each change. Default: $TAIZHANG_ACTOR, else $USER.")
    var actor: String?

    @Option(name: .customLong("timeout-ms"), help: "Deadline of each call, in milliseconds (0: none).")
    var timeoutMillis: UInt32 = 30_000

    @Option(name: .customLong("token-file"), help: ArgumentHelp("A file holding your bearer token (from `taizhang token create`), sent as \"authorization: Bearer …\". Default: $TAIZHANG_TOKEN_FILE, else $TAIZHANG_TOKEN itself; none on the Unix socket is fine when the access file names your Unix user.", valueName: "path"))
    var tokenFile: String?

    var target: TaizhangClient.Target {
        if let host {
            if let ca = tlsCA ?? ProcessInfo.processInfo.environment["TAIZHANG_TLS_CA"] {
                return .tls(host: host, port: port ?? 7420, tls: .init(caFile: ca, certificateFile: tlsCertificate, keyFile: tlsKey))
            }
            return .tcp(host: host, port: port ?? 7420)
        }
        let environment = ProcessInfo.processInfo.environment
        return .unix(path: socket ?? environment["TAIZHANG_SOCKET"] ?? (NSHomeDirectory() + "/.local/share/taizhang/taizhang.sock"))
    }

    var metadata: [String: String] {
        let environment = ProcessInfo.processInfo.environment
        let name = actor ?? environment["TAIZHANG_ACTOR"] ?? environment["USER"] ?? ""
        var metadata = name.isEmpty ? [:] : ["actor": name]
        if let token { metadata["authorization"] = "Bearer " + token }
        return metadata
    }

    /// The bearer token: from --token-file, $TAIZHANG_TOKEN_FILE or $TAIZHANG_TOKEN
    /// (never a command-line value: those show in `ps`).
    var token: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = tokenFile ?? environment["TAIZHANG_TOKEN_FILE"] {
            // A token file given and unusable is an error, never a quiet fall-back to another identity.
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  case let token = text.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                printError("cannot read a token from \(path); calls would run as another identity, so nothing was sent")
                Foundation.exit(2)
            }
            return token
        }
        return environment["TAIZHANG_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Connects, or exits 3 with a message saying what to check.
    func connect() async throws -> TaizhangClient {
        _ = token // a bad --token-file stops here, before anything is sent
        do {
            return try await TaizhangClient.connect(target)
        } catch {
            printError("cannot reach taizhangd at \(target): \(error)\nIs it running? Start it with scripts/run, or pass --socket PATH or --host/--port.")
            throw ExitCode(3)
        }
    }

    /// Calls a unary method and maps failures to exit codes.
    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ client: TaizhangClient, _ method: RPCMethod<Request, Response>, _ request: Request, as: Response.Type = Response.self,
        idempotencyKey: String? = nil
    ) async throws -> Response {
        try await call(client, method.path, request, as: Response.self, idempotencyKey: idempotencyKey)
    }

    /// Calls a unary method by its path and maps failures to exit codes.
    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ client: TaizhangClient, _ method: String, _ request: Request, as: Response.Type = Response.self,
        idempotencyKey: String? = nil
    ) async throws -> Response {
        var metadata = self.metadata
        if let idempotencyKey { metadata["idempotency-key"] = idempotencyKey }
        do {
            return try await client.unary(method, request, as: Response.self, metadata: metadata, timeoutMillis: timeoutMillis)
        } catch let error as RPCError {
            printError("\(method) failed: \(error)")
            if let requestId = error.metadata["request-id"] { printError("(request-id \(requestId))") }
            throw ExitCode(Int32(10 + error.status.code.rawValue))
        } catch {
            printError("\(method) failed: \(error)")
            throw ExitCode(3)
        }
    }

    /// Prints a message as proto3 JSON.
    func printJSON<M: SwiftProtobuf.Message>(_ message: M) throws {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        print(try message.jsonString(options: options))
    }
}

/// The language of text for county staff.
enum Language: String, ExpressibleByArgument, CaseIterable {
    case zh, en
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

import SwiftProtobuf

/// Global options may come before the subcommand too (`taizhang --socket S
/// asset list`): they are moved after it, where each subcommand's
/// `GlobalOptions` reads them.
enum GlobalArguments {
    /// The global options that take a value, and the flags.
    static let valued: Set<String> = ["--socket", "--host", "--port", "--tls-ca", "--tls-cert", "--tls-key", "--lang", "--actor",
                                      "--timeout-ms", "--token-file"]
    static let flags: Set<String> = ["--json"]

    /// `arguments` (without the program name) with the global options
    /// that precede the first subcommand word moved to the end.
    static func reordered(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            if flags.contains(argument) || (valued.contains(name) && argument.contains("=")) {
                moved.append(argument)
                index += 1
            } else if valued.contains(argument), index + 1 < arguments.count {
                moved += [argument, arguments[index + 1]]
                index += 2
            } else {
                break
            }
        }
        guard !moved.isEmpty, index < arguments.count else { return arguments }
        return Array(arguments[index...]) + moved
    }
}

extension Taizhang {
    /// Parses the command line with global options allowed before the
    /// subcommand, then runs the command.
    static func main() async {
        do {
            var command = try parseAsRoot(GlobalArguments.reordered(Array(CommandLine.arguments.dropFirst())))
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
