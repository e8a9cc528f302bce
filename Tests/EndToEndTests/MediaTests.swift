import Foundation
import GRDB
import RecolhaTesting
import Testing

/// Photos and files, end to end: captured offline, sent in pieces over a
/// real server, resumed after a cut, stored once, checked against their
/// hash, fetched by the supervisor and exported beside the CSV.
@Suite(.serialized) struct MediaTests {
    static let workbook = "Tests/Conformance/workbooks/recolha/media.xlsx"

    /// `bytes` of random content in a file called `name` in the device's folder.
    static func file(_ d: Device, _ name: String, bytes: Int) throws -> String {
        var g = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) })
        let path = d.dir.file(name)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func capture(_ d: Device, _ answers: String) throws -> String {
        let path = d.dir.file("answers-\(UUID().uuidString).json")
        try answers.write(toFile: path, atomically: true, encoding: .utf8)
        let r = d.run(["capture", "media", "--answers", path, "--finalize", "--json"])
        guard r.status == 0 else { throw CLIFailure(result: r) }
        return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["id"] as! String
    }

    @Test(arguments: Engine.available)
    func aPhotoTakenOfflineReachesTheSupervisorAfterACutUpload(engine: Engine) throws {
        let servers = try Servers(engine, publish: [Package.flagship, Self.workbook])
        let ana = Device.loggedIn("ana", to: servers.a)
        let sara = Device.loggedIn("sara", to: servers.b)
        _ = try ana.sync()
        // Offline: a 3.5 MB photo and a small scan, in two records (the scan twice).
        _ = try Self.file(ana, "entrance.jpg", bytes: 3_500_000)
        _ = try Self.file(ana, "register.pdf", bytes: 20_000)
        let first = try Self.capture(ana, #"{"entrance": "entrance.jpg", "register": "register.pdf"}"#)
        let second = try Self.capture(ana, #"{"register": "register.pdf"}"#)
        let shown = try #require(try ana.json(["show", first]) as? [String: Any])
        let photo = try #require(shown["entrance"] as? [String: Any])
        #expect(photo["name"] as? String == "entrance.jpg" && photo["size"] as? Int == 3_500_000)
        let hash = try #require(photo["sha256"] as? String)
        #expect(FileManager.default.fileExists(atPath: ana.store + "-media/" + hash))
        let mode = try FileManager.default.attributesOfItem(atPath: ana.store + "-media/" + hash)[.posixPermissions] as? Int
        #expect(mode == 0o600, "media files are owner-only")

        // The link drops after the second 1 MiB piece of the photo.
        let cut = ana.run(["sync"], env: ["RECOLHA_FAULT_KILL": "media-after-piece:2"])
        #expect(cut.status != 0)
        // Cut after whole pieces: the server holds 1 or 2 MiB of the photo (the scan may have gone first).
        let held = try servers.count("SELECT received FROM media WHERE sha256 = '\(hash)'")
        #expect(held == 1 << 20 || held == 2 << 20, "\(held)")
        let resumed = try ana.sync()
        #expect(resumed["files_resumed"] as? Int == 1, "the photo resumed where the cut left it: \(resumed)")
        #expect(resumed["files_sent"] as? Int == 2 || resumed["files_sent"] as? Int == 1, "\(resumed)")
        // Two records, one scan: stored once on the server.
        #expect(try servers.count("SELECT count(*) FROM media") == 2)
        #expect(try servers.count("SELECT count(*) FROM media_refs") == 3)
        #expect(try servers.count("SELECT count(*) FROM media WHERE complete = \(engine == .postgres ? "true" : "1")") == 2)

        // The supervisor's sync fetches both files, checked against their hash.
        let got = try sara.sync()
        #expect(got["files_received"] as? Int == 2, "\(got)")
        let onSara = try Data(contentsOf: URL(fileURLWithPath: sara.store + "-media/" + hash))
        #expect(onSara == (try Data(contentsOf: URL(fileURLWithPath: ana.dir.file("entrance.jpg")))))
        #expect(try sara.json(["show", second]) is [String: Any])

        // Her export holds the files beside the CSV, named as the CSV names them.
        let out = sara.dir.file("export/media.csv")
        try FileManager.default.createDirectory(atPath: sara.dir.file("export"), withIntermediateDirectories: true)
        let r = sara.run(["export", "--form", "media", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try String(contentsOfFile: out, encoding: .utf8)
        let exported = String(hash.prefix(12)) + "-entrance.jpg"
        #expect(csv.contains(exported))
        #expect(FileManager.default.fileExists(atPath: sara.dir.file("export/media-media/" + exported)))
        // The server's log names the media requests, not the hashes answers hold.
        #expect(servers.log.contains("path=/v1/media/{sha256}/content") && !servers.log.contains(hash), "\(servers.log.suffix(600))")
    }

    @Test func aFileChangedAfterItWasKeptIsRefusedByTheServerAndTheRecordKept() throws {
        let servers = try Servers(.sqlite, publish: [Package.flagship, Self.workbook])
        let ana = Device.loggedIn("ana", to: servers.a)
        _ = try ana.sync()
        _ = try Self.file(ana, "register.pdf", bytes: 50_000)
        let id = try Self.capture(ana, #"{"register": "register.pdf"}"#)
        let hash = try #require(((try ana.json(["show", id]) as? [String: Any])?["register"] as? [String: Any])?["sha256"] as? String)
        // Someone (or a failing disk) alters the kept copy.
        let kept = ana.store + "-media/" + hash
        var bytes = try Data(contentsOf: URL(fileURLWithPath: kept))
        bytes[100] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: kept))
        let r = ana.run(["sync"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("the server refused the file register.pdf: its bytes are not the file the record names"), "\(r.stdout)")
        #expect(try servers.count("SELECT count(*) FROM records") == 1, "the record is kept without its file")
        #expect(try servers.count("SELECT count(*) FROM media_pieces") == 0, "nothing of the altered bytes is kept")
        let status = ana.run(["status"])
        #expect(status.stdout.contains("register.pdf"), "\(status.stdout)")
    }

    @Test func aMissingTooLargeOrFolderPathIsRefusedAndNothingSaved() throws {
        let d = Device()
        _ = d.run(["init", "--enumerator", "ana"])
        #expect(d.run(["forms", "add", Package.path(Self.workbook)]).status == 0)
        _ = try Self.file(d, "huge.jpg", bytes: 5_000_001)
        for (answers, says) in [
            (#"{"register": "nowhere.pdf"}"#, "no file at that path"),
            (#"{"register": "huge.jpg"}"#, "over this form's limit of 5 MB"),
            (#"{"register": "."}"#, "a folder or a device"),
            (#"{"register": 7}"#, "give the path of a file"),
        ] {
            let path = d.dir.file("a.json")
            try answers.write(toFile: path, atomically: true, encoding: .utf8)
            let r = d.run(["capture", "media", "--answers", path, "--finalize"])
            #expect(r.status == 3 && r.stderr.contains(says), "\(answers): \(r.stderr)")
        }
        #expect(try d.count("SELECT count(*) FROM records") == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: d.store + "-media")) ?? []).filter { !$0.hasPrefix(".") }.isEmpty)
    }
}

/// Files ride with the saves that name them: on a USB stick and through a
/// supervisor's hub, each checked against its hash where it lands.
@Suite(.serialized) struct MediaRelayTests {
    @Test func aPhotoTravelsOnAStickThenThroughTheHubAndReachesTheServer() throws {
        let server = try TestServer(publish: [Package.flagship, MediaTests.workbook])
        let (sara, ana) = try BundleTests.team(server)
        _ = try MediaTests.file(ana, "entrance.jpg", bytes: 1_500_000)
        _ = try MediaTests.file(ana, "r1.pdf", bytes: 10_000)
        let id = try MediaTests.capture(ana, #"{"entrance": "entrance.jpg", "register": "r1.pdf"}"#)
        let hash = try #require(((try ana.json(["show", id]) as? [String: Any])?["entrance"] as? [String: Any])?["sha256"] as? String)

        // On a stick: the bundle holds the photo, sealed (its bytes are not on the stick in the clear).
        let stick = TempDir()
        let out = ana.run(["bundle", "export", "--out", stick.file("ana.bundle")])
        #expect(out.status == 0 && out.stdout.contains("It carries 2 files the server does not have yet"), "\(out.stdout)")
        let sealed = try Data(contentsOf: URL(fileURLWithPath: stick.file("ana.bundle")))
        let photo = try Data(contentsOf: URL(fileURLWithPath: ana.dir.file("entrance.jpg")))
        #expect(sealed.range(of: photo.prefix(64)) == nil)
        let imported = sara.run(["bundle", "import", stick.file("ana.bundle"), "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: Any])?["files_stored"] as? Int == 2,
                "\(imported.stdout) \(imported.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: sara.store + "-media/" + hash)) == photo)

        // The supervisor drives to a connection: the record and its photo reach the server.
        let relayed = try sara.sync()
        #expect(relayed["files_sent"] as? Int == 2, "\(relayed)")
        let db = try DatabaseQueue(path: server.data + "/server.sqlite")
        #expect(try db.read { try Bool.fetchOne($0, sql: "SELECT complete FROM media WHERE sha256 = ?", arguments: [hash]) } == true)

        // A second photo goes through the hub.
        _ = try MediaTests.file(ana, "sign.jpg", bytes: 300_000)
        _ = try MediaTests.file(ana, "r2.pdf", bytes: 12_000)
        _ = try MediaTests.capture(ana, #"{"sign": "sign.jpg", "register": "r2.pdf"}"#)
        let hub = try TestHub(store: sara.store)
        defer { hub.stop() }
        let handed = ana.run(["sync", "--hub", hub.url, "--json"])
        #expect(handed.status == 0, "\(handed.stderr)")
        // The first record's files ride again (this device has not heard from
        // the server that it holds them); the hub keeps each file once.
        #expect((try JSONSerialization.jsonObject(with: Data(handed.stdout.utf8)) as? [String: Any])?["files_handed"] as? Int == 4, "\(handed.stdout)")
        hub.stop()
        #expect(try sara.sync()["files_sent"] as? Int == 2)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM media WHERE complete = 1") } == 4)
    }
}
