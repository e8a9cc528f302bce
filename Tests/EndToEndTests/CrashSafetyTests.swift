import Foundation
import GRDB
import RecolhaTesting
import Testing

/// A process killed during a save leaves a store that passes
/// integrity_check and holds all or none of that save.
@Suite struct CrashSafetyTests {
    /// Every record's materialized answers agree with its versions, and every
    /// version belongs to a record: no half-written save.
    static func consistent(_ d: Device) throws -> Bool {
        try DatabaseQueue(path: d.store).read { db in
            let orphans = try Int.fetchOne(db, sql: "SELECT count(*) FROM versions WHERE record_id NOT IN (SELECT id FROM records)")!
            let empty = try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE id NOT IN (SELECT record_id FROM versions)")!
            let seq = try Int.fetchOne(db, sql: "SELECT next_seq - 1 - (SELECT count(*) FROM versions) FROM device")!
            return orphans == 0 && empty == 0 && seq == 0
        }
    }

    /// A save killed at each of its fault points (RECOLHA_FAULT_KILL, debug
    /// builds): before the commit nothing of it is kept, after it all of it.
    @Test(arguments: ["save-after-record", "save-mid-versions", "save-before-commit", "save-after-commit"])
    func killedAtAPointOfASave(point: String) throws {
        let d = Device.ready()
        #expect(d.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        let before = try d.count("SELECT count(*) FROM versions")
        let r = d.run(["capture", Device.form, "--answers", Example.machipanda], env: ["RECOLHA_FAULT_KILL": point])
        #expect(r.signaled && r.status == SIGKILL, "the save never reached \(point)")
        #expect(try d.integrity() == "ok")
        #expect(try Self.consistent(d))
        let committed = point == "save-after-commit"
        #expect(try d.count("SELECT count(*) FROM records") == (committed ? 2 : 1))
        #expect((try d.count("SELECT count(*) FROM versions") > before) == committed)
        // The store works on after the crash.
        #expect(d.run(["capture", Device.form, "--answers", Example.machipanda]).status == 0)
        #expect(try Self.consistent(d))
    }

    /// How many versions one save of an answers file writes.
    static func versionsPerSave(_ file: String) throws -> Int {
        let d = Device.ready()
        precondition(d.run(["capture", Device.form, "--answers", file, "--finalize"]).status == 0)
        return try d.count("SELECT count(*) FROM versions")
    }

    /// Kills at no chosen point, wherever they land (the aimed kills are
    /// above): each save is still all or nothing.
    @Test func killedAtRandomMoments() throws {
        let perSave = try Self.versionsPerSave(Example.ressano)
        let d = Device.ready()
        var rng = SeededRandom(seed: 2026)
        var kills = 0
        for _ in 0..<12 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary())
            p.arguments = ["capture", Device.form, "--answers", Example.ressano, "--finalize", "--store", d.store]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 1_000...60_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            #expect(try d.integrity() == "ok")
            #expect(try Self.consistent(d))
            let records = try d.count("SELECT count(*) FROM records")
            #expect(try d.count("SELECT count(*) FROM versions") == records * perSave)  // all or none of each save
        }
        #expect(kills + (try d.count("SELECT count(*) FROM records")) >= 12)
    }
}

@Suite struct DiskFullTests {
    /// A store on a tiny tmpfs (root can mount one; else a file-size limit
    /// stands in): saves fail with one clear message and nothing half written.
    @Test func aFullDiskSavesNothingAndSaysSo() throws {
        let perSave = try CrashSafetyTests.versionsPerSave(Example.ressano)
        let d = Device()
        let mount = d.dir.file("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = Process.launch("/bin/mount", ["-t", "tmpfs", "-o", "size=400k", "tmpfs", mount]) == 0
        defer { if mounted { _ = Process.launch("/bin/umount", ["-l", mount]) } }
        let store = mount + "/store.sqlite"
        let env = ["RECOLHA_STORE": store]
        func run(_ args: [String]) -> CLI.Result {
            if mounted { return CLI.run(args, env: env) }
            // Without tmpfs: a 400 KiB file size limit.
            return CLI.run(["-c", "ulimit -f 400; exec \"$0\" \"$@\"", CLI.binary()] + args, env: env, binary: "/bin/bash")
        }
        #expect(run(["init", "--enumerator", "ana"]).status == 0)
        #expect(run(["forms", "add", Package.path(Package.flagship)]).status == 0)
        var saved = 0
        var last: CLI.Result?
        for _ in 0..<200 {
            last = run(["capture", Device.form, "--answers", Example.ressano, "--finalize"])
            if last?.status != 0 { break }
            saved += 1
        }
        let failed = try #require(last)
        #expect(failed.status == 5, "\(failed.stderr)")
        #expect(failed.stderr.contains("is full: nothing was saved"), "\(failed.stderr)")
        #expect(!failed.signaled)
        let records = try DatabaseQueue(path: store).read { db in
            (try String.fetchOne(db, sql: "PRAGMA integrity_check")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM records")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM versions")!)
        }
        #expect(records.0 == "ok")
        #expect(records.1 == saved && records.2 == saved * perSave)
    }
}

extension Process {
    static func launch(_ path: String, _ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
