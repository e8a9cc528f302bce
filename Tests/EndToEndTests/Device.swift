import Foundation
import GRDB
import RecolhaTesting

/// One enumerator's device: a store in a temporary folder, driven through
/// the real `recolha` binary.
final class Device: @unchecked Sendable {
    let dir = TempDir()
    var store: String { dir.file("store.sqlite") }
    static let form = "health_facility_assessment"

    /// A device set up with `init` and the flagship form.
    static func ready(_ enumerator: String = "ana") -> Device {
        let d = Device()
        precondition(d.run(["init", "--enumerator", enumerator]).status == 0)
        precondition(d.run(["forms", "add", Package.path(Package.flagship)]).status == 0)
        return d
    }

    @discardableResult
    func run(_ args: [String], stdin: String = "", env: [String: String] = [:]) -> CLI.Result {
        CLI.run(args, stdin: stdin, env: env.merging(["RECOLHA_STORE": store]) { a, _ in a })
    }

    func json(_ args: [String]) throws -> Any {
        let r = run(args + ["--json"])
        guard r.status == 0 else { throw CLIFailure(result: r) }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    func integrity() throws -> String {
        try DatabaseQueue(path: store).read { try String.fetchOne($0, sql: "PRAGMA integrity_check")! }
    }

    func count(_ sql: String) throws -> Int {
        try DatabaseQueue(path: store).read { try Int.fetchOne($0, sql: sql)! }
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var result: CLI.Result
    var description: String { "exit \(result.status): \(result.stderr)" }
}

enum Example {
    static let ressano = Package.path("examples/ressano_garcia.json")
    static let machipanda = Package.path("examples/machipanda.json")
    static let bad = Package.path("examples/bad_answers.json")
}
