import Foundation
import Forms
import GRDB
import Store

/// `photos` photos of 2 MB each captured offline, sent by `recolha sync`
/// to a real server over loopback (1 MiB pieces, each verified on arrival),
/// beside curl sending the same bytes to the same server in one process;
/// then a supervisor's sync fetching them all.
struct MediaBench {
    let photos = Int(ProcessInfo.processInfo.environment["RECOLHA_BENCH_PHOTOS"] ?? "") ?? 200
    let photoBytes = 2_000_000
    let sync = SyncBench()

    func run() throws {
        print("\n## Media: \(photos) photos of 2 MB sent over loopback (release binaries, SQLite server)")
        let data = work + "/media-server"
        _ = try sync.must(runChild(sync.serverBinary, ["init", "--data", data]), "server init")
        for (user, role) in [("ana", "enumerator"), ("sara", "supervisor")] {
            _ = try sync.must(runChild(sync.serverBinary, ["users", "add", user, "--role", role, "--password-stdin", "--data", data],
                                       input: "\(user)-bench-password\n"), "users add")
        }
        let workbook = root + "/Tests/Conformance/workbooks/recolha/media.xlsx"
        _ = try sync.must(runChild(sync.serverBinary, ["forms", "publish", workbook, "--data", data]), "publish")
        let (server, url, port) = try sync.serve(data)
        defer { server.terminate(); server.waitUntilExit() }

        let a = try sync.device("media-a", user: "ana", url: url)
        _ = try sync.must(runChild(sync.recolha, ["sync", "--store", a]), "first sync")
        let store = try Store(path: a)
        let mediaForm = try store.form(id: "media")
        let folder = work + "/photos"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var g = SystemRandomNumberGenerator()
        var files: [String] = []
        // The form requires a scan of the register: one small file, named by every record (stored once).
        try Data(repeating: 7, count: 10_000).write(to: URL(fileURLWithPath: folder + "/register.pdf"))
        guard case .success(let register) = try store.keepMedia(from: folder + "/register.pdf", limit: 5_000_000) else {
            throw BenchError("keeping the register failed")
        }
        for n in 0..<photos {
            let path = folder + "/photo\(n).jpg"
            var bytes = [UInt8](repeating: 0, count: photoBytes)
            for i in stride(from: 0, to: photoBytes, by: 8) {
                withUnsafeBytes(of: g.next()) { r in for j in 0..<min(8, photoBytes - i) { bytes[i + j] = r[j] } }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            files.append(path)
            guard case .success(let f) = try store.keepMedia(from: path, limit: 5_000_000) else { throw BenchError("keeping \(path) failed") }
            try store.save(SaveRequest(form: mediaForm, answers: Answers(["entrance": .file(f), "register": .file(register)]), finalize: true))
        }

        let push = try sync.must(runChild(sync.recolha, ["sync", "--json", "--store", a]), "push")
        guard push.stdout.contains("\"files_sent\": \(photos + 1),") else {
            throw BenchError("the sync did not send every photo: \(push.stdout)")
        }
        let serverPeak = peakRSSMiB(pid: server.processIdentifier)
        let b = try sync.device("media-b", user: "sara", url: url)
        let pull = try sync.must(runChild(sync.recolha, ["sync", "--store", b]), "pull")

        // The limit: curl PUTs the same files, whole, in one process with keep-alive.
        var config = ""
        for (i, file) in files.enumerated() {
            config += "\(i == 0 ? "" : "next\n")url = \"http://127.0.0.1:\(port)/v1/bench-sink\"\nupload-file = \"\(file)\"\noutput = \"/dev/null\"\nsilent\n"
        }
        try config.write(toFile: work + "/media-curl.cfg", atomically: true, encoding: .utf8)
        let curl = try sync.must(runChild("/usr/bin/curl", ["-K", work + "/media-curl.cfg"]), "curl")

        // The limit of the server's writes: plain SQLite (WAL, synchronous=FULL)
        // storing the same 1 MiB pieces, one transaction each, as the server does.
        let plain = try DatabaseQueue(path: work + "/plain-media.sqlite")
        try plain.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "CREATE TABLE pieces (sha256 TEXT NOT NULL, offset INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sha256, offset)) WITHOUT ROWID")
        }
        let sqliteSeconds = try seconds {
            for (i, file) in files.enumerated() {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                for offset in stride(from: 0, to: bytes.count, by: 1 << 20) {
                    try plain.write { db in
                        try db.execute(sql: "INSERT INTO pieces VALUES (?, ?, ?)",
                                       arguments: ["f\(i)", offset, bytes[offset..<min(offset + (1 << 20), bytes.count)]])
                    }
                }
            }
        }

        func f(_ x: Double, _ d: Int = 0) -> String { String(format: "%.\(d)f", x) }
        let mb = Double(photos * photoBytes) / 1_000_000
        print("")
        print("| work | seconds | MB/s | peak RSS |")
        print("|---|---:|---:|---:|")
        print("| `recolha sync` sending \(photos) photos (and their \(photos) records) | \(f(push.seconds, 2)) | \(f(mb / push.seconds)) | client \(f(push.peakRSSMiB, 1)) MiB, server \(f(serverPeak, 1)) MiB |")
        print("| `recolha sync` fetching them on a second device | \(f(pull.seconds, 2)) | \(f(mb / pull.seconds)) | client \(f(pull.peakRSSMiB, 1)) MiB |")
        print("| curl PUT of the same files (one process, keep-alive) | \(f(curl.seconds, 2)) | \(f(mb / curl.seconds)) | \(f(curl.peakRSSMiB, 1)) MiB |")
        print("| plain SQLite storing the same 1 MiB pieces, one transaction each | \(f(sqliteSeconds, 2)) | \(f(mb / sqliteSeconds)) | |")
        print("")
        print("sending photos costs \(f(push.seconds / curl.seconds, 2))x curl sending the same bytes, "
              + "\(f(push.seconds / (curl.seconds + sqliteSeconds), 2))x curl's transfer plus plain SQLite's writes of the same pieces")
    }
}
