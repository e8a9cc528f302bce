// Benchmarks, each printed side by side with the limit of the same work in
// the same run. `make bench` runs them all; `recolha-bench store` or
// `recolha-bench sync` or `recolha-bench media` runs one; `recolha-bench push` only the push and
// pull of the sync benchmark (for profiling them alone).
import Foundation

try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
let which = CommandLine.arguments.dropFirst().first ?? "all"
if which == "all" || which == "store" { try storeBench() }
if which == "all" || which == "sync" { try SyncBench().run() }
if which == "push" { try SyncBench(storeSizes: false).run() }
if which == "all" || which == "media" { try MediaBench().run() }
