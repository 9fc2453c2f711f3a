// The HTTP listener for monitoring: /metrics read by the real Prometheus
// text parser (the prometheus-client package from PyPI), /healthz, the
// answers to wrong requests, and the connection limit.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct MetricsTests {
    /// Fetches the listener's paths with urllib and parses /metrics with
    /// prometheus_client.parser; prints one JSON object.
    static let probe = #"""
        import json, sys, urllib.request, urllib.error
        from prometheus_client.parser import text_string_to_metric_families
        base = sys.argv[1]
        def fetch(path, method="GET"):
            request = urllib.request.Request(base + path, method=method)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, dict(response.headers), response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, dict(error.headers), error.read().decode()
        status, headers, text = fetch("/metrics")
        samples = []
        types = {}
        for family in text_string_to_metric_families(text):
            types[family.name] = family.type
            for sample in family.samples:
                samples.append([sample.name, sample.labels, sample.value])
        out = {"status": status, "content_type": headers.get("Content-Type", ""), "types": types, "samples": samples}
        out["healthz"] = fetch("/healthz")[0::2]
        out["head"] = fetch("/healthz", "HEAD")[0]
        out["missing"] = fetch("/nothing")[0]
        out["post"] = fetch("/metrics", "POST")[0]
        print(json.dumps(out))
        """#

    struct Scrape {
        let json: [String: Any]
        var samples: [(name: String, labels: [String: String], value: Double)] {
            (json["samples"] as? [[Any]] ?? []).map { ($0[0] as? String ?? "", $0[1] as? [String: String] ?? [:], ($0[2] as? NSNumber)?.doubleValue ?? .nan) }
        }
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
        }
        func type(_ family: String) -> String? { (json["types"] as? [String: String])?[family] }
    }

    static func scrape(_ url: String) throws -> Scrape {
        let (status, data) = try JournaldTests.output(["/usr/bin/env", "python3", "-c", probe, url], withErrors: false)
        try #require(status == 0, "the probe failed: \(String(decoding: data, as: UTF8.self))")
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Scrape(json: json)
    }

    @Test func metricsParseWithThePrometheusParserAndCountCallsCommitsAndAlerts() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--metrics-listen", "127.0.0.1:0", "--risk-config", try RiskMonitorTests.configuration()])
        defer { daemon.stop() }
        let url = try #require(daemon.metricsURL, "no http listener announced")
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var missing = Taizhang_Ledger_V1_GetAssetRequest()
        missing.id = "ZC99999999"
        await #expect(throws: RPCError.self) {
            _ = try await client.unary(Fixture.ledger + "GetAsset", missing, as: Taizhang_Ledger_V1_Asset.self)
        }
        _ = try await RiskMonitorTests.run(client)

        let scrape = try Self.scrape(url)
        #expect(scrape.json["status"] as? Int == 200)
        #expect((scrape.json["content_type"] as? String ?? "").hasPrefix("text/plain; version=0.0.4"))
        #expect(scrape.value("taizhang_calls_total", ["method": Fixture.ledger + "GetAsset", "code": "NOT_FOUND"]) == 1)
        #expect((scrape.value("taizhang_calls_total", ["method": Fixture.ledger + "CreateAdminUnit", "code": "OK"]) ?? 0) >= 1)
        #expect(scrape.type("taizhang_call_duration_seconds") == "histogram")
        #expect(scrape.value("taizhang_call_duration_seconds_count", ["method": Fixture.ledger + "GetAsset"]) == 1)
        #expect(scrape.value("taizhang_call_duration_seconds_bucket", ["method": Fixture.ledger + "GetAsset", "le": "+Inf"]) == 1)
        #expect(scrape.value("taizhang_connections") == 1)
        #expect(scrape.value("taizhang_calls_in_flight") == 0)
        #expect(scrape.value("taizhang_build_info", ["version": "0.1.0"]) == 1)
        #expect((scrape.value("taizhang_store_bytes") ?? 0) > 0)
        #expect(scrape.value("taizhang_store_writable") == 1)
        #expect(scrape.value("taizhang_ledger_held") == 0)
        #expect((scrape.value("taizhang_store_records", ["kind": "admin_unit"]) ?? 0) >= 1)
        #expect(scrape.type("taizhang_store_commit_duration_seconds") == "histogram")
        #expect((scrape.value("taizhang_store_commit_duration_seconds_count") ?? 0) >= 1)
        #expect((scrape.value("taizhang_store_commit_batch_size_count") ?? 0) >= 1)
        #expect(scrape.value("taizhang_store_commits_failed_total") == 0)
        #expect((scrape.value("taizhang_risk_runs_total") ?? 0) >= 1)
        #expect((scrape.value("taizhang_risk_last_run_timestamp_seconds") ?? 0) > 1.7e9)
        #expect(scrape.value("taizhang_risk_last_run_ok") == 1)
        #expect(scrape.value("taizhang_alerts_open", ["kind": "entity_targets", "level": "red"]) == 0)
        #expect(scrape.samples.filter { $0.name == "taizhang_alerts_open" }.count == 32) // 16 kinds × yellow, red
        // The follow-ups owed as the run counted them: yellow, red × the five states before closed.
        #expect(scrape.samples.filter { $0.name == "taizhang_alert_follow_ups" }.count == 10)
        #expect(scrape.value("taizhang_alert_follow_ups", ["level": "red", "state": "pending"]) == 0)
        #expect(scrape.value("taizhang_alert_follow_up_oldest_days", ["level": "yellow", "state": "rectifying"]) == 0)
        #expect(scrape.value("taizhang_alert_follow_ups_overdue") == 0)
        // The other paths.
        let healthz = scrape.json["healthz"] as? [Any] ?? []
        #expect(healthz.first as? Int == 200)
        #expect(healthz.last as? String == "ok\n")
        #expect(scrape.json["head"] as? Int == 200)
        #expect(scrape.json["missing"] as? Int == 404)
        #expect(scrape.json["post"] as? Int == 405)
        await client.close()
    }

    /// A writer that cannot commit within 2 s makes /healthz answer 503 with the reason.
    @Test func aWedgedWriterMakesHealthz503() throws {
        let daemon = try DaemonProcess(extraArguments: ["--metrics-listen", "127.0.0.1:0", "--fault-commit-delay-ms", "4000"])
        defer { daemon.stop() }
        let url = try #require(daemon.metricsURL)
        let script = #"""
            import sys, urllib.request, urllib.error
            try:
                with urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=20) as response:
                    print(response.status, response.read().decode().strip())
            except urllib.error.HTTPError as error:
                print(error.code, error.read().decode().strip())
            """#
        let (status, data) = try JournaldTests.output(["/usr/bin/env", "python3", "-c", script, url], withErrors: true)
        let output = String(decoding: data, as: UTF8.self)
        #expect(status == 0, "\(output)")
        #expect(output.hasPrefix("503 not serving: an event loop or the store's writer did not answer within 2000 ms"), "\(output)")
    }

    /// Past 16 open connections the listener closes new ones at once; the
    /// daemon's own protocol is not affected.
    @Test func theListenerClosesConnectionsPastItsLimit() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--metrics-listen", "127.0.0.1:0"])
        defer { daemon.stop() }
        let url = try #require(daemon.metricsURL)
        let script = #"""
            import socket, sys
            host, port = sys.argv[1].rsplit("/", 1)[1].split(":")
            held = [socket.create_connection((host, int(port)), timeout=10) for _ in range(16)]
            extra = socket.create_connection((host, int(port)), timeout=10)
            try:
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                print("closed" if extra.recv(100) == b"" else "answered")
            except (ConnectionResetError, BrokenPipeError):
                print("closed")
            """#
        let (status, data) = try JournaldTests.output(["/usr/bin/env", "python3", "-c", script, url], withErrors: true)
        #expect(status == 0, "\(String(decoding: data, as: UTF8.self))")
        #expect(String(decoding: data, as: UTF8.self) == "closed\n")
        let client = try await daemon.connect()
        let health = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(),
                                            as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        await client.close()
    }
}
