import Foundation
import Forms
import Store
import Sync
import Words

/// Media files through sync: after the push, every file this device holds
/// that the server lacks goes up in pieces (resumed where the server's copy
/// ends); after the pull, every file the device's records name that it
/// lacks comes down (resumed where its partial copy ends). Both sides check
/// the bytes against the hash the answer names.
extension SyncEngine {
    /// The largest piece sent or asked for at once.
    static let mediaPiece = 1 << 20

    func sendMedia(into summary: inout SyncSummary) throws(SyncError) {
        let files: [MediaFile]
        do { files = try store.mediaFiles().filter { $0.held && !$0.sent && $0.refused == nil } } catch { throw .store(error) }
        for (i, f) in files.enumerated() {
            progress?(SyncProgress(phase: "files", done: i, total: files.count))
            let path = store.mediaPath(f.sha256)
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            let first = try media("GET", "/v1/media/\(f.sha256)")
            guard case .status(var status) = first else { summary.filesWaiting += 1; continue }
            if status.received > 0 && !status.complete { summary.filesResumed += 1 }
            while !status.complete {
                do { try handle.seek(toOffset: UInt64(status.received)) } catch { throw .store(.cannotOpen(path: path, reason: Message(.mediaUnreadable))) }
                let piece = (try? handle.read(upToCount: Self.mediaPiece)) ?? nil ?? Data()
                var h = headers
                h["Content-Type"] = "application/octet-stream"
                h[WireProtocol.mediaOffsetHeader] = String(status.received)
                switch try media("PUT", "/v1/media/\(f.sha256)", headers: h, body: piece) {
                case .status(let s): status = s
                case .resumeAt(let received): status.received = received
                case .refused(let m):
                    do { try store.markMediaRefused(f.sha256, m) } catch { throw .store(error) }
                    summary.notices.append(Message(.syncFileRefused, ["file": .text(f.name), "reason": .message(m)]))
                    status.complete = true
                    continue
                case .missing:
                    status.complete = true
                    summary.filesWaiting += 1
                    continue
                }
                FaultPoint.reach("media-after-piece")
                if status.complete {
                    do { try store.markMediaSent(f.sha256) } catch { throw .store(error) }
                    summary.filesSent += 1
                }
            }
            if case .status(let s) = first, s.complete {
                do { try store.markMediaSent(f.sha256) } catch { throw .store(error) }
            }
        }
    }

    func fetchMedia(into summary: inout SyncSummary) throws(SyncError) {
        let files: [MediaFile]
        do { files = try store.mediaFiles().filter { !$0.held } } catch { throw .store(error) }
        for (i, f) in files.enumerated() {
            progress?(SyncProgress(phase: "files", done: i, total: files.count))
            let partial: String
            do { partial = try store.partialMediaPath(f.sha256) } catch { throw .store(error) }
            var have = (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0
            if have > f.size { unlink(partial); have = 0 }
            var complete = have == f.size
            while !complete {
                var h = headers
                h["Range"] = "bytes=\(have)-"
                let response: HTTPResponse
                do { response = try transport.send(HTTPRequest(method: "GET", path: "/v1/media/\(f.sha256)/content", headers: h)) } catch {
                    throw .unreachable(error.words)
                }
                if response.status == 404 { summary.filesWaiting += 1; break }
                guard response.status == 200 || response.status == 206 else { throw Self.failure(response) }
                guard !response.body.isEmpty, have + response.body.count <= f.size, Self.append(response.body, to: partial) else {
                    unlink(partial)
                    throw .unreachable(Message(.syncUnreadable))
                }
                have += response.body.count
                complete = have == f.size
            }
            guard complete else { continue }
            if f.size == 0 { _ = FileManager.default.createFile(atPath: partial, contents: Data(), attributes: [.posixPermissions: 0o600]) }
            let kept: Bool
            do { kept = try store.receiveMedia(f.sha256, partial: partial) } catch { throw .store(error) }
            if kept {
                summary.filesReceived += 1
            } else {
                summary.notices.append(Message(.syncFileAltered, ["file": .text(f.name)]))
            }
        }
    }

    static func append(_ data: Data, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, data.count) }
        return written == data.count
    }

    enum MediaAnswer {
        case status(MediaStatus)
        /// The server holds another count of bytes: send from there.
        case resumeAt(Int)
        /// The server will not take it (too large, not the file its hash names).
        case refused(Message)
        /// No record the server holds names it yet.
        case missing
    }

    func media(_ method: String, _ path: String, headers h: [String: String]? = nil, body: Data? = nil) throws(SyncError) -> MediaAnswer {
        let response: HTTPResponse
        do { response = try transport.send(HTTPRequest(method: method, path: path, headers: h ?? headers, body: body)) } catch {
            throw .unreachable(error.words)
        }
        let error = try? Self.decoder.decode(ErrorBody.self, from: response.body)
        switch (response.status, error?.error) {
        case (200, _): return .status(try decode(response.body))
        case (404, _): return .missing
        case (409, "media_offset"?): return .resumeAt(error?.received ?? 0)
        case (413, "media_too_large"?): return .refused(Message(.syncFileTooLarge))
        case (422, "media_mismatch"?): return .refused(Message(.syncFileMismatch))
        default: throw Self.failure(response)
        }
    }
}
