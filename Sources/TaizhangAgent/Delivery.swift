// Sending one message to one receiver: journald entries, or an HTTP POST
// (webhook JSON with an Idempotency-Key, or a robot's markdown). A 4xx other
// than 408 and 429 will never succeed: the message goes to dead/ and the
// spool moves on; anything else is tried again with backoff.

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import NIOCore
import TaizhangJournal
import TaizhangCore

enum Delivery {
    struct Permanent: Error { let reason: String }
    struct Retry: Error, CustomStringConvertible { let description: String }

    static func send(_ message: NoticeMessage, to receiver: Receiver, http: AgentHTTPClient, nowMillis: Int64) async throws {
        switch receiver.kind {
        case .journald:
            for notice in message.notices {
                let result = JournalEntry.send(ReceiverFormats.journalFields(notice))
                if result < 0 { throw Retry(description: "journald refused the entry: error \(-result)") }
            }
        case .webhook:
            var headers = [("Content-Type", "application/json; charset=utf-8"), ("Idempotency-Key", message.key)]
            if let path = receiver.tokenFile, let token = try? String(contentsOfFile: path, encoding: .utf8) {
                headers.append(("Authorization", "Bearer " + token.trimmed()))
            }
            let result = try await post(receiver, url: receiver.url, headers: headers, body: ReceiverFormats.webhookBody(message), http: http)
            try check(status: result.status, body: result.body)
        case .wecom:
            let result = try await post(receiver, url: receiver.url, headers: [("Content-Type", "application/json")],
                                        body: ReceiverFormats.wecomBody(message), http: http)
            try checkRobot(result)
        case .dingtalk:
            var url = receiver.url
            if let path = receiver.secretFile, let secret = try? String(contentsOfFile: path, encoding: .utf8) {
                url = ReceiverFormats.dingtalkSignedURL(url, secret: secret.trimmed(), timestampMillis: nowMillis)
            }
            let result = try await post(receiver, url: url, headers: [("Content-Type", "application/json")], body: ReceiverFormats.dingtalkBody(message), http: http)
            try checkRobot(result)
        }
    }

    static func post(_ receiver: Receiver, url: String, headers: [(String, String)], body: [UInt8], http: AgentHTTPClient) async throws -> HTTPResult {
        do {
            return try await http.post(url: url, headers: headers, body: body, timeout: .milliseconds(Int64(receiver.timeoutMillis)), caFile: receiver.tlsCAFile)
        } catch {
            throw Retry(description: "\(error)")
        }
    }

    static func check(status: Int, body: [UInt8]) throws {
        if (200..<300).contains(status) { return }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        if (400..<500).contains(status), status != 408, status != 429 { throw Permanent(reason: "HTTP \(status): \(text)") }
        throw Retry(description: "HTTP \(status): \(text)")
    }

    /// The robots' errcodes worth trying again: too many messages (企业微信
    /// 45009, 钉钉 130101), the system busy (-1). Any other refuses the
    /// message for good (a wrong key, a keyword or signature refused).
    static let robotRetryCodes: Set<Int> = [-1, 45009, 130101]

    static func checkRobot(_ result: HTTPResult) throws {
        try check(status: result.status, body: result.body)
        let (ok, reason) = ReceiverFormats.robotAccepted(status: result.status, body: result.body)
        guard !ok else { return }
        if let code = ReceiverFormats.robotErrorCode(result.body), !robotRetryCodes.contains(code) { throw Permanent(reason: reason) }
        throw Retry(description: reason)
    }

    /// Keeps a message no receiver will take, for an operator to look at.
    static func keepDead(_ message: NoticeMessage, receiver: String, state: String) {
        let folder = state + "/dead/" + receiver
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? encoder.encode(message) {
            _ = FileManager.default.createFile(atPath: folder + "/" + message.key + ".json", contents: data, attributes: [.posixPermissions: 0o600])
        }
    }
}
