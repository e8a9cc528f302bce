import Crypto
import Foundation
import Forms
import GRDB
import Sync

/// A media file the store knows of: named by an answer, held here or not.
public struct MediaFile: Hashable, Sendable {
    public var sha256: String
    public var size: Int
    /// The name it had when first kept or seen.
    public var name: String
    public var held: Bool
    public var sent: Bool
    /// The server's refusal, when it refused the file.
    public var refused: Message?
}

extension Store {
    /// The folder beside the store file that holds its media files
    /// (owner-only), each named by its SHA-256.
    public var mediaFolder: String { path + "-media" }

    /// Where the file of `sha256` is (or would be) kept.
    public func mediaPath(_ sha256: String) -> String { mediaFolder + "/" + sha256 }

    /// The largest piece read or written at once.
    static let mediaChunk = 1 << 20

    /// Copies the file at `source` into the media folder and records it as
    /// held: the answer to a media question. Reading stops past `limit`.
    /// - Returns: the answer, or why the file cannot be one (missing,
    ///   unreadable, not a plain file, over the limit): never the file's bytes.
    /// - Throws: `StoreError` when the media folder cannot be written.
    public func keepMedia(from source: String, limit: Int) throws(StoreError) -> Result<FileAnswer, AnswerError> {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            return .failure(AnswerError(e == ENOENT || e == ENOTDIR ? Message(.mediaMissing) : Message(.mediaUnreadable)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .failure(AnswerError(.mediaNotAFile)) }
        if Int(info.st_size) > limit {
            return .failure(AnswerError(Message(.answerFileTooLarge, ["limit": .text(FileAnswer.size(limit))])))
        }
        let name = (source as NSString).lastPathComponent
        guard FileAnswer.isName(name) else { return .failure(AnswerError(.mediaBadName)) }
        let incoming = try openIncoming()
        var hasher = SHA256()
        var size = 0
        var buffer = [UInt8](repeating: 0, count: Self.mediaChunk)
        var failed: AnswerError?
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, Self.mediaChunk) }
            if n < 0 { failed = AnswerError(.mediaUnreadable); break }
            if n == 0 { break }
            size += n
            if size > limit { failed = AnswerError(Message(.answerFileTooLarge, ["limit": .text(FileAnswer.size(limit))])); break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            do throws(StoreError) { try incoming.write(buffer[0..<n]) } catch { incoming.discard(); throw error }
        }
        if let failed { incoming.discard(); return .failure(failed) }
        let sha = Hex.encode(Array(hasher.finalize()))
        try incoming.finish(as: mediaPath(sha))
        guard let answer = FileAnswer(sha256: sha, name: name, size: size) else { return .failure(AnswerError(.mediaBadName)) }
        try write { db in
            try db.execute(sql: """
                INSERT INTO media (sha256, size, name, held) VALUES (?, ?, ?, 1)
                ON CONFLICT (sha256) DO UPDATE SET held = 1
                """, arguments: [sha, size, name])
        }
        return .success(answer)
    }

    /// Keeps bytes that came from elsewhere (a bundle, a download) when
    /// they are the file `sha256` names.
    /// - Returns: false (nothing kept) when they are not.
    @discardableResult
    public func receiveMedia(_ sha256: String, bytes: Data) throws(StoreError) -> Bool {
        guard FileAnswer.isHash(sha256), Hex.encode(Array(SHA256.hash(data: bytes))) == sha256 else { return false }
        let incoming = try openIncoming()
        do throws(StoreError) { try incoming.write(bytes[...]) } catch { incoming.discard(); throw error }
        try incoming.finish(as: mediaPath(sha256))
        try markHeld(sha256, size: bytes.count)
        return true
    }

    /// Keeps a file downloaded to `partial` when its bytes are the file
    /// `sha256` names; removes it either way.
    /// - Returns: false when they are not (nothing kept).
    public func receiveMedia(_ sha256: String, partial: String) throws(StoreError) -> Bool {
        guard let fd = Optional(open(partial, O_RDONLY | O_CLOEXEC)), fd >= 0 else { return false }
        var hasher = SHA256()
        var size = 0
        var buffer = [UInt8](repeating: 0, count: Self.mediaChunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, Self.mediaChunk) }
            if n <= 0 { break }
            size += n
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        close(fd)
        guard Hex.encode(Array(hasher.finalize())) == sha256 else { unlink(partial); return false }
        guard rename(partial, mediaPath(sha256)) == 0 else {
            unlink(partial)
            throw .cannotOpen(path: mediaFolder, reason: .verbatim(String(cString: strerror(errno))))
        }
        try markHeld(sha256, size: size)
        return true
    }

    func markHeld(_ sha256: String, size: Int) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO media (sha256, size, name, held) VALUES (?, ?, ?, 1)
                ON CONFLICT (sha256) DO UPDATE SET held = 1
                """, arguments: [sha256, size, sha256])
        }
    }

    /// Whether the file is in the media folder.
    public func holdsMedia(_ sha256: String) throws(StoreError) -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT held FROM media WHERE sha256 = ?", arguments: [sha256]) ?? false }
    }

    /// The files `versions` name that this device holds and the server has
    /// not confirmed, up to the bundle budget (the rest wait for the next).
    func mediaForBundle(_ db: Database, _ versions: [Version]) throws -> [BundleMedia] {
        var out: [BundleMedia] = []
        var seen: Set<String> = []
        var bytes = 0
        for v in versions {
            guard let f = FileAnswer(stored: v.value), seen.insert(f.sha256).inserted, bytes + f.size <= BundleContent.mediaBudget,
                  try Bool.fetchOne(db, sql: "SELECT held = 1 AND sent = 0 FROM media WHERE sha256 = ?", arguments: [f.sha256]) == true,
                  let data = mediaBytes(f.sha256) else { continue }
            out.append(BundleMedia(sha256: f.sha256, data: data))
            bytes += data.count
        }
        return out
    }

    /// The bytes of a held file (for a bundle), nil when not held.
    public func mediaBytes(_ sha256: String) -> Data? {
        guard FileAnswer.isHash(sha256) else { return nil }
        return FileManager.default.contents(atPath: mediaPath(sha256))
    }

    /// Every media file the store's records name, by hash.
    public func mediaFiles() throws(StoreError) -> [MediaFile] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT sha256, size, name, held, sent, refused FROM media m
                WHERE EXISTS (SELECT 1 FROM media_refs r WHERE r.sha256 = m.sha256) ORDER BY sha256
                """).map { row in
                MediaFile(sha256: row[0], size: row[1], name: row[2], held: row[3], sent: row[4],
                          refused: (row[5] as String?).map(RejectedVersion.read))
            }
        }
    }

    /// The server holds the file whole.
    public func markMediaSent(_ sha256: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE media SET sent = 1, refused = NULL WHERE sha256 = ?", arguments: [sha256]) }
    }

    /// The server refused the file (kept here, not sent again until asked).
    public func markMediaRefused(_ sha256: String, _ reason: Message) throws(StoreError) {
        try write { db in
            let text = (try? JSONEncoder().encode(reason)).flatMap { String(data: $0, encoding: .utf8) } ?? reason.description
            try db.execute(sql: "UPDATE media SET refused = ? WHERE sha256 = ?", arguments: [text, sha256])
        }
    }

    /// The records naming a file, and the names they give it.
    public func mediaRecords(_ sha256: String) throws(StoreError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT record_id FROM media_refs WHERE sha256 = ? ORDER BY record_id", arguments: [sha256]) }
    }

    /// Records the files a batch of versions names (in the batch's transaction).
    static func noteMedia(_ db: Database, record: String, value: String?) throws {
        guard let f = FileAnswer(stored: value) else { return }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO media (sha256, size, name) VALUES (?, ?, ?)")
            .execute(arguments: [f.sha256, f.size, f.name])
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO media_refs (sha256, record_id) VALUES (?, ?)")
            .execute(arguments: [f.sha256, record])
    }

    /// Where a download of `sha256` collects (the media folder made first):
    /// a dropped link resumes from the bytes already there.
    public func partialMediaPath(_ sha256: String) throws(StoreError) -> String {
        try makeMediaFolder()
        return mediaPath(sha256) + ".part"
    }

    func makeMediaFolder() throws(StoreError) {
        if mkdir(mediaFolder, 0o700) != 0 && errno != EEXIST {
            throw .cannotOpen(path: mediaFolder, reason: .verbatim(String(cString: strerror(errno))))
        }
    }

    /// A temporary file in the media folder (made owner-only on first use).
    func openIncoming() throws(StoreError) -> IncomingFile {
        let folder = mediaFolder
        try makeMediaFolder()
        let temp = folder + "/.incoming-" + UUID().uuidString.lowercased()
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.fileError(folder, errno) }
        return IncomingFile(fd: fd, path: temp, folder: folder)
    }

    static func fileError(_ path: String, _ code: Int32) -> StoreError {
        code == ENOSPC || code == EDQUOT ? .diskFull(path: path) : .cannotOpen(path: path, reason: .verbatim(String(cString: strerror(code))))
    }
}

/// A file being written into the media folder: synced, then renamed to its
/// hash, so a power cut leaves a whole file or none.
struct IncomingFile {
    let fd: Int32
    let path: String
    let folder: String

    func write(_ bytes: ArraySlice<UInt8>) throws(StoreError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 { throw Store.fileError(folder, errno) }
            done += n
        }
    }

    func write(_ bytes: Data.SubSequence) throws(StoreError) {
        try write(ArraySlice(bytes))
    }

    func discard() {
        close(fd)
        unlink(path)
    }

    func finish(as final: String) throws(StoreError) {
        if fsync(fd) != 0 { let e = errno; discard(); throw Store.fileError(folder, e) }
        close(fd)
        guard rename(path, final) == 0 else { let e = errno; unlink(path); throw Store.fileError(folder, e) }
        let dir = open(folder, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }
}
