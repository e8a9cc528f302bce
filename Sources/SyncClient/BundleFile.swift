import Words
import Foundation
import Gzip
import Store
import Sync

/// Writing and reading bundles against a store: what `recolha bundle` and
/// the hub share (docs/sync-protocol.md, "Bundles").
public enum BundleFile {
    /// A sealed bundle and what went into it.
    public struct Written: Sendable {
        public var sealed: Data
        public var content: BundleContent
        /// The devices (besides the server) that can read it.
        public var readers: [RecipientInfo]
        public var versions: Int { content.changesets.reduce(0) { $0 + $1.entries.count } }
    }

    /// Why a bundle cannot be written or read, and the exit status it means.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: Message
        /// True when the input was at fault (refused), false when something was not found.
        public var notFound: Bool
        init(_ message: Message, notFound: Bool = false) { self.message = message; self.notFound = notFound }
        /// In English (logs, tests).
        public var description: String { message.description }
    }

    /// Seals this device's unconfirmed work (or, with `user`, the receipts
    /// it holds for that user's devices) to the server and its readers:
    /// supervisors' and admins' devices, or `user`'s devices. With `to`,
    /// only to the device of that site (a hub's answer).
    public static func write(_ store: Store, for user: String?, to site: SiteID? = nil, also: [RecipientInfo] = [], now: Int64) throws -> Written {
        var known = try store.recipients()
        // Devices this one enrolled, before the server lists them.
        known.devices += also.filter { a in !known.devices.contains { $0.site == a.site } }
        guard let serverKey = known.serverKey else {
            throw Failure(Message(.bundleNoReaders))
        }
        let own = try store.identity().current.hpkeKey
        let readers = known.devices.filter { d in
            if let site { return d.site == site }
            return d.hpkeKey != own && (user.map { d.user == $0 } ?? (d.role == "supervisor" || d.role == "admin"))
        }
        if let site, readers.isEmpty {
            throw Failure(Message(.bundleUnknownSite, ["site": .text(site.rawValue)]), notFound: true)
        }
        if let user, readers.isEmpty {
            throw Failure(Message(.bundleUnknownUser, ["user": .text(user)]), notFound: true)
        }
        let content = try store.bundleContent(for: user, to: site, now: now)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let sealed = try BundleEnvelope.seal(try Gzip.compress(encoder.encode(content)), to: [serverKey] + readers.map(\.hpkeKey))
        return Written(sealed: sealed, content: content, readers: readers)
    }

    /// Opens a sealed bundle with this device's key and reads its contents.
    /// - Throws: `BundleError` (not a bundle, not for this device, damaged),
    ///   `Failure` when it decrypts but its contents are not readable.
    public static func read(_ data: Data, with store: Store) throws -> BundleContent {
        let payload = try BundleEnvelope.open(data, with: try store.identity().current)
        do {
            return try JSONDecoder().decode(BundleContent.self, from: try Gzip.decompress(payload, limit: BundleEnvelope.maxBytes))
        } catch {
            throw Failure(Message(.bundleUnreadable))
        }
    }
}
