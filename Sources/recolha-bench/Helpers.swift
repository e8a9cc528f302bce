// Shared by the benchmarks: the flagship form, survey answers and timers.
import Foundation
import Forms
import GRDBSQLite
import Store
import SyncClient

let count = Int(ProcessInfo.processInfo.environment["RECOLHA_BENCH_SURVEYS"] ?? "") ?? 10_000
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let work = FileManager.default.temporaryDirectory.path + "/recolha-bench-\(getpid())"

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let form = try! Form.load(json: Data(contentsOf: URL(fileURLWithPath: root + "/schema/forms/health_facility_assessment.json")))
let base: [String: JSONValue] = {
    guard case .object(let o) = try! JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: root + "/examples/ressano_garcia.json"))) else {
        fatalError("examples/ressano_garcia.json is not an object")
    }
    return o
}()

/// The n-th survey: the Ressano Garcia answers with a different facility, numbers and staff.
func survey(_ n: Int) -> Answers {
    var o = base
    o["facility_name"] = .string("Centro de Saúde \(n)")
    o["facility_code"] = .string(String(format: "MP-%04d", n % 10_000))
    o["non_national_share"] = .number(Double(n % 101))
    o["isolation_beds"] = .number(Double(n % 17))
    o["border_distance_km"] = .number(Double(n % 500) / 4)
    o["staff"] = .array((0..<(1 + n % 4)).map { i in
        .object(["cadre": .string(["nurse", "doctor", "chw", "lab"][i]), "cadre_count": .number(Double(2 + (n + i) % 9))])
    })
    var key = 0
    let (answers, problems) = Answers.read(o, form: form) { _ in key += 1; return RepeatKey.make(ms: Int64(n), index: key) }
    precondition(problems.isEmpty, "\(problems)")
    return answers
}

/// The versions a device's pull page holds (and applies in one transaction):
/// the plain-SQLite limits write in transactions of this size.
let pullPage = SyncOptions().pullLimit
