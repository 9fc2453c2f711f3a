// The agent's pure parts: its configuration file, routing, silences,
// grouping, the receivers' formats, and the spool on a real folder.

import Foundation
import Testing
@testable import TaizhangAgent
import TaizhangCore

struct AgentConfigurationTests {
    static let text = """
        # the county office's agent
        state-dir = /var/lib/taizhang-agent
        listen = 127.0.0.1:9465
        poll-interval-seconds = 10
        group-wait-ms = 500

        [daemon xian]
        unix = /run/taizhang/taizhang.sock
        title = "示范县"
        admin = 421024000000

        [daemon city]
        tcp = ledger.example.cn:7443
        tls-ca = /etc/taizhang/ca.pem
        token-file = /etc/taizhang-agent/city.token

        [receiver ops]
        type = webhook
        url = http://127.0.0.1:9000/alerts

        [receiver baima]
        type = wecom
        url = https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc

        [route]
        receiver = baima
        admin = 421024101000
        continue = true

        [route]
        receiver = ops
        min-level = yellow
        """

    @Test func aFullFileIsRead() throws {
        let configuration = try AgentConfiguration.parse(Self.text, path: "agent.conf")
        #expect(configuration.listen?.port == 9465)
        #expect(configuration.pollIntervalSeconds == 10)
        #expect(configuration.daemons.map(\.name) == ["xian", "city"])
        #expect(configuration.daemons[0].title == "示范县")
        #expect(configuration.daemons[1].tcp?.host == "ledger.example.cn")
        #expect(configuration.receivers.map(\.kind) == [.webhook, .wecom])
        #expect(configuration.routes.count == 2)
        #expect(configuration.routes[0].continues)
        #expect(configuration.routes[0].origin == "agent.conf:25")
    }

    @Test func everyProblemIsListedWithItsLine() {
        let text = """
            poll-interval-seconds = 0
            colour = blue
            [daemon a b]
            unix = relative/path
            [receiver r]
            type = pager
            [route]
            receiver = nobody
            min-level = orange
            [daemon twice]
            unix = /a
            tcp = h:1
            """
        do {
            _ = try AgentConfiguration.parse(text, path: "bad.conf")
            Issue.record("a bad file was taken")
        } catch let error as AgentConfigurationError {
            let all = error.problems.joined(separator: "\n")
            #expect(all.contains("bad.conf:1: poll-interval-seconds: must be an integer 1…3600"))
            #expect(all.contains("bad.conf:2: colour: is not a setting"))
            #expect(all.contains("bad.conf:3: a daemon's name"))
            #expect(all.contains("bad.conf:4: unix: must be an absolute path"))
            #expect(all.contains("bad.conf:6: type: must be journald, webhook, wecom or dingtalk"))
            #expect(all.contains("bad.conf:9: min-level: must be yellow, red or critical"))
            #expect(all.contains("receiver \"nobody\" is not a [receiver]"))
            #expect(all.contains("daemon twice: give exactly one of unix = or tcp ="))
            #expect(all.contains("a webhook receiver needs url ="))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

struct RoutingTests {
    static func notice(admin: String = "421024101201", kind: String = "entity_targets", level: String = "red", transition: String = "raised",
                       daemon: String = "xian", key: String = "k") -> Notice {
        Notice(key: key, daemon: daemon, daemonTitle: "示范县", alertId: 1, seq: 1, transition: transition, kind: kind, kindZh: "预警",
               level: level, previousLevel: "green", adminCode: admin, message: "消息", messageEn: "message", time: "2026-12-07T01:00:00.000Z")
    }

    static let configuration = try! AgentConfiguration.parse(AgentConfigurationTests.text, path: "agent.conf")

    @Test func theFirstMatchingRouteWinsUnlessItContinues() {
        let routes = Self.configuration.routes
        #expect(Routing.routes(for: Self.notice(), in: routes).map(\.receiver) == ["baima", "ops"])
        #expect(Routing.routes(for: Self.notice(admin: "421024102201"), in: routes).map(\.receiver) == ["ops"])
        var stopping = routes
        stopping[0].continues = false
        #expect(Routing.routes(for: Self.notice(), in: stopping).map(\.receiver) == ["baima"])
    }

    @Test func levelsKindsAndDaemonsFilter() {
        var route = Route(receiver: "r", daemon: "xian", adminCode: nil, kinds: ["asset_idle"], minLevel: .red, continues: false, origin: "")
        #expect(!Routing.matches(route, Self.notice(kind: "asset_idle", level: "yellow")))
        #expect(Routing.matches(route, Self.notice(kind: "asset_idle", level: "red")))
        #expect(!Routing.matches(route, Self.notice(kind: "entity_targets")))
        #expect(!Routing.matches(route, Self.notice(kind: "asset_idle", daemon: "city")))
        route.kinds = []
        // A recovery routes at the level it recovers from.
        var cleared = Self.notice(level: "green", transition: "cleared")
        cleared.previousLevel = "red"
        #expect(Routing.matches(route, cleared))
    }

    @Test func anEscalationGoesToTheUnitAbove() {
        let township = Route(receiver: "t", daemon: nil, adminCode: "421024101000", kinds: [], minLevel: .yellow, continues: false, origin: "")
        let county = Route(receiver: "c", daemon: nil, adminCode: "421024000000", kinds: [], minLevel: .yellow, continues: false, origin: "")
        let escalated = Self.notice(admin: "421024101000", transition: "escalated")
        #expect(escalated.routeAdminCode == "421024000000")
        #expect(Routing.routes(for: escalated, in: [township, county]).map(\.receiver) == ["c"])
        #expect(Routing.routes(for: Self.notice(admin: "421024101201"), in: [township, county]).map(\.receiver) == ["t"])
    }

    @Test func adminCodesHaveTheirStructure() {
        #expect(AdminCodes.township(of: "421024101201") == "421024101000")
        #expect(AdminCodes.township(of: "421024101000") == "421024101000")
        #expect(AdminCodes.parent(of: "421024101201") == "421024101000")
        #expect(AdminCodes.parent(of: "421024101000") == "421024000000")
        #expect(AdminCodes.parent(of: "421024000000") == "421000000000")
        #expect(AdminCodes.contains("421024000000", "421024101201"))
        #expect(!AdminCodes.contains("421024101000", "421024102201"))
        #expect(AdminCodes.contains("421024101201", "421024101201"))
    }

    @Test func anActiveSilenceHoldsWhatItMatchesUntilItEnds() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let silence = Silence(id: "s1", adminCode: "421024101000", kinds: [], maxLevel: .yellow, startsAt: now.addingTimeInterval(-60),
                              endsAt: now.addingTimeInterval(3600), reason: "检修", createdBy: "ops")
        let routes = Self.configuration.routes
        #expect(Routing.receivers(for: Self.notice(level: "yellow"), routes: routes, silences: [silence], now: now).silencedBy?.id == "s1")
        // Above its level, outside its subtree, or after it ended: delivered.
        #expect(Routing.receivers(for: Self.notice(level: "red"), routes: routes, silences: [silence], now: now).receivers == ["baima", "ops"])
        #expect(Routing.receivers(for: Self.notice(admin: "421024102201", level: "yellow"), routes: routes, silences: [silence], now: now).receivers == ["ops"])
        #expect(Routing.receivers(for: Self.notice(level: "yellow"), routes: routes, silences: [silence], now: now.addingTimeInterval(7200)).silencedBy == nil)
    }

    @Test func oneTownshipsRunIsOneMessageSplitAtTheReceiversLimit() {
        var configuration = Self.configuration
        configuration.routes = [Route(receiver: "ops", daemon: nil, adminCode: nil, kinds: [], minLevel: .yellow, continues: false, origin: "")]
        configuration.receivers[0].maxAlertsPerMessage = 5
        // 12 alerts of one township's villages, 3 of another township.
        var notices = (0..<12).map { Self.notice(admin: String(format: "421024101%03d", 201 + $0 % 3), key: "a\($0)") }
        notices += (0..<3).map { Self.notice(admin: "421024102201", key: "b\($0)") }
        let (messages, silenced) = Routing.messages(notices, configuration: configuration, silences: [], now: Date())
        #expect(silenced == 0)
        #expect(messages.map(\.notices.count) == [5, 5, 2, 3])
        #expect(Set(messages.prefix(3).map(\.groupKey)) == ["xian/421024101000/raised"])
        #expect(messages.flatMap(\.notices).map(\.key) == notices.map(\.key))
        // The same notices give the same message key (receivers deduplicate by it).
        let again = Routing.messages(notices, configuration: configuration, silences: [], now: Date()).messages
        #expect(again.map(\.key) == messages.map(\.key))
        #expect(Set(messages.map(\.key)).count == 4)
    }
}

struct ReceiverFormatTests {
    @Test func hmacMatchesRFC4231() {
        let mac = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func theWebhookBodyIsJSONWithEveryAlertsKey() throws {
        let message = NoticeMessage(receiver: "ops", groupKey: "xian/421024101000/raised",
                                    notices: [RoutingTests.notice(key: "xian/1/seq-1"), RoutingTests.notice(key: "xian/2/seq-2")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(ReceiverFormats.webhookBody(message))) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        #expect(object["message_key"] as? String == message.key)
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        #expect(alerts.compactMap { $0["key"] as? String } == ["xian/1/seq-1", "xian/2/seq-2"])
        #expect(alerts[0]["message"] as? String == "消息")
    }

    @Test func robotMessagesStayUnderTheirLimitAndSayWhatWasLeftOut() {
        var long = RoutingTests.notice()
        long.message = String(repeating: "预警内容", count: 60)
        let message = NoticeMessage(receiver: "baima", groupKey: "g", notices: Array(repeating: long, count: 40))
        let (title, text) = ReceiverFormats.markdown(message)
        #expect(text.utf8.count <= 4000)
        #expect(title.contains("40 条"))
        #expect(text.contains("另有"))
        let wecom = try? JSONSerialization.jsonObject(with: Data(ReceiverFormats.wecomBody(message))) as? [String: Any]
        #expect(wecom?["msgtype"] as? String == "markdown")
    }

    @Test func dingtalkSignsTheTimestampWithTheSecret() {
        let url = ReceiverFormats.dingtalkSignedURL("https://oapi.dingtalk.com/robot/send?access_token=t", secret: "SEC123", timestampMillis: 1_700_000_000_000)
        let sign = Data(HMAC.sha256(key: Array("SEC123".utf8), message: Array("1700000000000\nSEC123".utf8))).base64EncodedString()
        #expect(url.hasPrefix("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign="))
        #expect(url.removingPercentEncoding?.hasSuffix(sign) == true)
        #expect(ReceiverFormats.robotAccepted(status: 200, body: Array(#"{"errcode":0,"errmsg":"ok"}"#.utf8)).ok)
        #expect(!ReceiverFormats.robotAccepted(status: 200, body: Array(#"{"errcode":45009,"errmsg":"api freq out of limit"}"#.utf8)).ok)
    }
}

struct SpoolTests {
    static func folder() -> String { NSTemporaryDirectory() + "tz-spool-" + UUID().uuidString }

    static func message(_ key: String) -> NoticeMessage {
        NoticeMessage(receiver: "ops", groupKey: "g", notices: [RoutingTests.notice(key: key)])
    }

    @Test func messagesComeOutInOrderAndSurviveAReopen() throws {
        let directory = Self.folder()
        let spool = try Spool(directory: directory, maxBytes: 1 << 20)
        try spool.append([Self.message("a"), Self.message("b")])
        try spool.append([Self.message("c")])
        #expect(spool.pending == 3)
        #expect(try spool.next()?.notices.first?.key == "a")
        spool.delivered()
        // A restart: what was not delivered is still there, in order.
        let reopened = try Spool(directory: directory, maxBytes: 1 << 20)
        #expect(reopened.pending == 3 - 1 || reopened.pending == 3)
        #expect(try reopened.next()?.notices.first?.key == "b")
        reopened.delivered()
        #expect(try reopened.next()?.notices.first?.key == "c")
        reopened.delivered()
        #expect(try reopened.next() == nil)
        #expect(reopened.pending == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func aFullSpoolDropsItsOldestAndSaysHowMany() throws {
        let spool = try Spool(directory: Self.folder(), maxBytes: 2000)
        var dropped = 0
        for index in 0..<20 { dropped += try spool.append([Self.message("m\(index)")]) }
        #expect(dropped > 0)
        #expect(spool.pending == 20 - dropped)
        #expect(try spool.next()?.notices.first?.key == "m\(dropped)")
    }

    @Test func theMemoryAndTheHeadsAreKeptOnDisk() throws {
        let directory = Self.folder()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var memory = AgentMemory()
        memory.checkpoints["xian"] = 42
        try memory.save(to: directory + "/state.json")
        #expect(try AgentMemory.load(from: directory + "/state.json").checkpoints["xian"] == 42)
        try HeadHistory.append(SeenHead(seq: 1, hash: "aa", seenAt: "t1"), to: directory + "/h.jsonl")
        try HeadHistory.append(SeenHead(seq: 5, hash: "bb", seenAt: "t2"), to: directory + "/h.jsonl")
        #expect(HeadHistory.last(in: directory + "/h.jsonl")?.seq == 5)
        let silences = try SilenceFile.update(directory + "/silences.json") {
            $0.append(Silence(id: "x", startsAt: Date(), endsAt: Date().addingTimeInterval(60), reason: "r", createdBy: "me"))
        }
        #expect(silences.count == 1)
        #expect(try SilenceFile.load(directory + "/silences.json").first?.id == "x")
    }
}

struct AgentTimeTests {
    @Test func rfc3339TimesAreReadByHand() {
        #expect(AgentTime.parse("1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(abs((AgentTime.parse("2026-12-07T02:00:11.484Z")?.timeIntervalSince1970 ?? 0) - 1_796_608_811.484) < 0.0005)
        #expect(AgentTime.parse("2026-12-07T10:00:11+08:00")?.timeIntervalSince1970 == 1_796_608_811)
        #expect(AgentTime.parse("2024-02-29T23:59:59Z")?.timeIntervalSince1970 == 1_709_251_199)
        for bad in ["", "2026-12-07", "2026-13-07T00:00:00Z", "2026-12-07T00:00:00", "2026-12-07T00:00:00Zjunk", "2026-12-07 00:00:00Z"] {
            #expect(AgentTime.parse(bad) == nil, "\(bad)")
        }
    }
}
