import Words
import Foundation
import Forms
import Store
import Sync

public struct SyncOptions: Sendable {
    /// Send versions of draft records too (held back by default).
    public var includeDrafts: Bool
    public var pushBatch: Int
    public var pushBytes: Int
    public var pullLimit: Int
    public var pullBytes: Int

    public init(includeDrafts: Bool = false, pushBatch: Int = 5000, pushBytes: Int = 4 << 20,
                pullLimit: Int = 2000, pullBytes: Int = 2 << 20) {
        self.includeDrafts = includeDrafts; self.pushBatch = pushBatch; self.pushBytes = pushBytes
        self.pullLimit = pullLimit; self.pullBytes = pullBytes
    }
}

public struct SyncProgress: Sendable {
    public var phase: String
    public var done: Int
    public var total: Int?
}

/// What one sync did.
public struct SyncSummary: Sendable {
    public var sent = 0
    public var alreadyOnServer = 0
    public var received = 0
    public var rejected: [Rejection] = []
    public var formsAdded: [String] = []
    /// Records holding conflicts after the sync.
    public var conflicts = 0
    /// This device's clock minus the server's, in milliseconds.
    public var skewMs: Int64 = 0
    /// Things the person should know: a new identity taken, work moved.
    public var notices: [Message] = []
    /// Media files sent whole, of them resumed from an earlier sync, and fetched.
    public var filesSent = 0
    public var filesResumed = 0
    public var filesReceived = 0
    /// Files not moved yet: their record is not on the server (a draft,
    /// a refusal), or the device that took them has not sent them.
    public var filesWaiting = 0
}

/// Why a sync stopped. Whatever it is, the store holds only whole batches:
/// the next `recolha sync` finishes the job.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    case notLoggedIn
    /// Nothing usable came back: no connection, a timeout, a 5xx after
    /// retries, or an answer that could not be read.
    case unreachable(Message)
    /// The server answered no: a 4xx (token, protocol, size).
    case refused(status: Int, code: String, message: String, ids: [VersionID]? = nil)
    /// An answer that claims to be the server's but is not signed by the
    /// key this device learnt at login: nothing of it was applied.
    case untrusted(Message)
    case store(StoreError)

    /// What to say, in the catalogue's words: a server refusal by its code
    /// when the device knows it, else the server's own sentence.
    public var message: Message {
        switch self {
        case .notLoggedIn: return Message(.syncNotLoggedIn)
        case .unreachable(let m): return Message(.syncUnreachable, ["reason": .message(m)])
        case .refused(_, let code, let m, _): return Message(.syncRefused, ["reason": .message(Self.worded(code: code) ?? .verbatim(m))])
        case .store(let e): return e.message
        case .untrusted(let m): return Message(.syncUntrusted, ["reason": .message(m)])
        }
    }

    public var description: String { message.description }

    /// The device's own words for a server error code.
    public static func worded(code: String) -> Message? {
        let keys: [String: Key] = [
            "wrong_credentials": .serverWrongCredentials, "token_expired": .serverTokenExpired, "token_revoked": .serverTokenRevoked,
            "user_disabled": .serverUserDisabled, "too_large": .serverTooLarge,
            ErrorCode.tooManyAttempts: .serverTooManyAttempts, "site_unproven": .serverSiteUnproven, "busy": .serverBusy,
            "no_server_key": .syncNoServerKey,
            // A hub's refusals.
            "bad_code": .hubBadCode, "hub_not_ready": .hubNotReady, "unknown_device": .hubUnknownDevice,
            "enrolment_refused": .hubEnrolmentRefused,
        ]
        if let theirs = code.split(separator: "@").last.flatMap({ Int($0) }), code.hasPrefix("protocol_mismatch@") {
            return Message(theirs > WireProtocol.version ? .serverProtocolUpgradeDevice : .serverProtocolUpgradeServer,
                           ["mine": .text(String(WireProtocol.version)), "theirs": .text(String(theirs))])
        }
        return keys[code].map { Message($0) }
    }
}

/// Push, then forms, then pull, each batch in its own local transaction.
///
/// Forms come before pull because pulled records need their form; the
/// order is otherwise the one the protocol describes (docs/sync-protocol.md).
public final class SyncEngine {
    let store: Store
    let transport: any Transport
    var token: String
    let deviceName: String
    let now: () -> Int64
    public var progress: ((SyncProgress) -> Void)?
    /// Cut-point hook for tests: called with "push" or "pull" after an
    /// answer arrived and before it is committed locally.
    public var beforeCommit: ((String) throws -> Void)?
    /// Push and pull in protobuf (proto/recolha_sync.proto); JSON when off,
    /// or from the first push a server refuses as unreadable (an older one).
    public var binaryBodies = true

    public init(store: Store, transport: any Transport, token: String, deviceName: String = ProcessInfo.processInfo.hostName,
                now: @escaping () -> Int64 = Store.wallClock) {
        self.store = store
        self.transport = transport
        self.token = token
        self.deviceName = deviceName
        self.now = now
    }

    static let decoder = JSONDecoder()
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    public func run(_ options: SyncOptions = SyncOptions()) throws(SyncError) -> SyncSummary {
        var summary = SyncSummary()
        try ensureIdentity(into: &summary)
        try carryEnrolments(into: &summary)
        try push(options, into: &summary)
        try sendMedia(into: &summary)
        try syncForms(into: &summary)
        try syncRecipients()
        try pull(options, into: &summary)
        try fetchMedia(into: &summary)
        do {
            try store.recordSync(at: now(), skewMs: summary.skewMs)
            summary.conflicts = try store.conflictedRecordCount()
        } catch {
            throw .store(error)
        }
        return summary
    }

    /// Enrolments this (supervisor's) device made through its hub go to the
    /// server before the work of those devices does.
    func carryEnrolments(into summary: inout SyncSummary) throws(SyncError) {
        let pending: [Enrolment]
        do { pending = try store.enrolments().filter { $0.status == "pending" }.map(\.enrolment) } catch { throw .store(error) }
        guard !pending.isEmpty else { return }
        let answer: EnrolmentResponse = try exchange("POST", "/v1/enrolments", body: EnrolmentPush(enrolments: pending))
        do { try store.recordEnrolmentResults(answer.results) } catch { throw .store(error) }
        for r in answer.results {
            let who = pending.first { $0.site == r.site }.map { "\($0.user)'s \"\($0.deviceName)\"" } ?? "site \(r.site)"
            summary.notices.append(r.accepted ? Message(.syncEnrolmentAccepted, ["who": .text(who)])
                                              : Message(.syncEnrolmentRefused, ["who": .text(who), "reason": r.reason.map { .text($0) } ?? .message(Message(.syncNoReason))]))
        }
    }

    /// Who may read this device's bundles, as the server lists them now.
    func syncRecipients() throws(SyncError) {
        let list: RecipientList = try exchange("GET", "/v1/recipients")
        do { try store.saveRecipients(list) } catch { throw .store(error) }
    }

    func syncForms(into summary: inout SyncSummary) throws(SyncError) {
        let list: FormList = try exchange("GET", "/v1/forms")
        let held: [String: String]
        do { held = try store.formDefinitions() } catch { throw .store(error) }
        for info in list.forms where held[info.formID + "\u{1}" + info.version] == nil {
            let data = try raw("GET", "/v1/forms/\(info.formID)/\(info.version)")
            do {
                let form = try Form.load(json: data)
                try store.addForm(form)
                summary.formsAdded.append("\(form.id) v\(form.version)")
            } catch {
                throw .unreachable(Message(.syncBadForm, ["form": .text(info.formID), "version": .text(info.version)]))
            }
        }
    }

    func pull(_ options: SyncOptions, into summary: inout SyncSummary) throws(SyncError) {
        var cursor: Int64
        do { cursor = try store.syncState()?.cursor ?? 0 } catch { throw .store(error) }
        let binary = binaryBodies
        let page = { (cursor: Int64) throws(SyncError) -> PullResponse in
            let body: Data
            do { body = try Self.encoder.encode(PullRequest(cursor: cursor, limit: options.pullLimit, maxBytes: options.pullBytes)) }
            catch { throw .unreachable(Message(.syncCannotEncode)) }
            let answer = try self.send("POST", "/v1/pull", body: body,
                                       accept: binary ? "\(WireEncoding.protobuf), \(WireEncoding.json);q=0.5" : WireEncoding.json)
            guard WireEncoding.isProtobuf(answer.headers["content-type"]) else { return try self.decode(answer.body) }
            // A page is about the bytes asked for; many more could only be a
            // broken or hostile server's, and would grow many times in memory.
            guard answer.body.count <= max(WireEncoding.maxProtobufBytes, 2 * options.pullBytes) else { throw .unreachable(Message(.syncUnreadable)) }
            do { return try PullResponse(protobuf: answer.body) } catch { throw .unreachable(Message(.syncUnreadable)) }
        }
        // The next page is asked for while this one is written: the server
        // reads and encodes it while the device decodes and saves (each
        // waited for the other before). Nothing is kept of a page until it
        // is applied, so a page fetched and never applied costs nothing.
        var next: Prefetch<PullResponse>?
        defer { next?.wait() }
        while true {
            let answer: PullResponse
            if let fetching = next {
                next = nil
                answer = try fetching.value()
            } else {
                answer = try page(cursor)
            }
            var last = cursor
            for v in answer.versions {
                guard v.seq > last else { throw .unreachable(Message(.syncOutOfOrder)) }
                last = v.seq
            }
            guard answer.nextCursor >= last else {
                throw .unreachable(Message(.syncCursorBehind))
            }
            summary.skewMs = now() - answer.serverTime
            try beforeCommitHook("pull")
            FaultPoint.reach("sync-before-pull-apply")
            if answer.more && answer.nextCursor > cursor {
                let from = answer.nextCursor
                next = Prefetch { () throws(SyncError) in try page(from) }
            }
            do {
                summary.received += try store.applyPulled(answer.versions, nextCursor: answer.nextCursor, serverTime: answer.serverTime,
                                                          changesets: answer.changesets ?? [], keys: answer.keys ?? [:])
            } catch { throw .store(error) }
            FaultPoint.reach("sync-after-pull-apply")
            progress?(SyncProgress(phase: "receiving", done: summary.received, total: nil))
            if !answer.more { break }
            if answer.nextCursor <= cursor {
                throw .unreachable(Message(.syncCursorStuck))
            }
            cursor = answer.nextCursor
        }
    }

    func beforeCommitHook(_ phase: String) throws(SyncError) {
        do { try beforeCommit?(phase) } catch { throw .unreachable(Message(.syncStoppedBeforeSaving, ["phase": .text(phase)])) }
    }

    var headers: [String: String] {
        [WireProtocol.protocolHeader: String(WireProtocol.version), "Authorization": "Bearer " + token,
         "Content-Type": "application/json", "Accept": "application/json", WireProtocol.clientTimeHeader: String(now())]
    }

    func raw(_ method: String, _ path: String, body: Data? = nil) throws(SyncError) -> Data {
        try send(method, path, body: body).body
    }

    /// A request with this device's headers; the answer when it is a 200.
    func send(_ method: String, _ path: String, body: Data?, contentType: String = WireEncoding.json,
              accept: String = WireEncoding.json) throws(SyncError) -> HTTPResponse {
        var headers = self.headers
        headers["Content-Type"] = contentType
        headers["Accept"] = accept
        let response: HTTPResponse
        do {
            response = try transport.send(HTTPRequest(method: method, path: path, headers: headers, body: body))
        } catch {
            throw .unreachable(error.words)
        }
        guard response.status == 200 else { throw Self.failure(response) }
        return response
    }

    func exchange<T: Decodable>(_ method: String, _ path: String) throws(SyncError) -> T {
        try decode(raw(method, path))
    }

    func exchange<B: Encodable, T: Decodable>(_ method: String, _ path: String, body: B) throws(SyncError) -> T {
        let data: Data
        do { data = try Self.encoder.encode(body) } catch { throw .unreachable(Message(.syncCannotEncode)) }
        return try decode(raw(method, path, body: data))
    }

    func decode<T: Decodable>(_ data: Data) throws(SyncError) -> T {
        do {
            return try Self.decoder.decode(T.self, from: data)
        } catch {
            throw .unreachable(Message(.syncUnreadable))
        }
    }

    /// An HTTP error status as what to do.
    static func failure(_ r: HTTPResponse) -> SyncError {
        let body = try? decoder.decode(ErrorBody.self, from: r.body)
        if r.status >= 500 || r.status == 429 {
            return .unreachable(body.map { Message(.syncServerFailedSaid, ["status": .text(String(r.status)), "said": .text($0.message)]) }
                ?? Message(.syncServerFailed, ["status": .text(String(r.status))]))
        }
        var code = body?.error ?? "http_\(r.status)"
        // Which side is older: the server says its protocol in a header.
        if code == "protocol_mismatch", let theirs = r.headers[WireProtocol.protocolHeader.lowercased()].flatMap({ Int($0) }) {
            code += "@\(theirs)"
        }
        return .refused(status: r.status, code: code, message: body?.message ?? "HTTP \(r.status) with no explanation", ids: body?.ids)
    }
}

/// Logs in: exchanges a user's password for this device's token.
public enum Login {
    public static func run(transport: any Transport, user: String, password: String, deviceName: String,
                           identity: SiteIdentity, previous: SiteIdentity? = nil) throws(SyncError) -> LoginResponse {
        let body: Data
        do {
            body = try JSONEncoder().encode(LoginRequest(user: user, password: password, deviceName: deviceName,
                                                         identity: identity, previous: previous))
        } catch { throw .unreachable(Message(.syncCannotEncode)) }
        let response: HTTPResponse
        do {
            response = try transport.send(HTTPRequest(
                method: "POST", path: "/v1/login",
                headers: [WireProtocol.protocolHeader: String(WireProtocol.version), "Content-Type": "application/json"],
                body: body))
        } catch {
            throw .unreachable(error.words)
        }
        guard response.status == 200 else { throw SyncEngine.failure(response) }
        do {
            return try JSONDecoder().decode(LoginResponse.self, from: response.body)
        } catch {
            throw .unreachable(Message(.syncUnreadableLogin))
        }
    }
}
