import Foundation

/// A child process run to completion, with its own wall time and peak memory.
struct ChildRun {
    var status: Int32
    var seconds: Double
    var peakRSSMiB: Double
    var stdout: String
}

/// Runs `path ARGS` (stdin from `input`), waiting with wait4 so the child's
/// own rusage (not the sum of all children) gives its peak memory.
func runChild(_ path: String, _ args: [String], input: String = "") throws -> ChildRun {
    // GNU time measures the child alone: a child's rusage after posix_spawn
    // from this (large) process would carry this process's peak.
    let measure = work + "/rss-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: measure) }
    var run = try spawn("/usr/bin/time", ["-f", "%M", "-o", measure, path] + args, input: input)
    if let text = try? String(contentsOfFile: measure, encoding: .utf8),
       let kb = Double(text.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") {
        run.peakRSSMiB = kb / 1024
    }
    return run
}

func spawn(_ path: String, _ args: [String], input: String) throws -> ChildRun {
    let inPipe = Pipe(), outPipe = Pipe()
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, inPipe.fileHandleForReading.fileDescriptor, 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe.fileHandleForWriting.fileDescriptor, 1)
    let argv = ([path] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = DispatchTime.now().uptimeNanoseconds
    let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
    posix_spawn_file_actions_destroy(&actions)
    guard rc == 0 else { throw BenchError("cannot start \(path): \(rc)") }
    try? inPipe.fileHandleForReading.close()
    try? outPipe.fileHandleForWriting.close()
    inPipe.fileHandleForWriting.write(Data(input.utf8))
    try? inPipe.fileHandleForWriting.close()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return ChildRun(status: (status >> 8) & 0xff, seconds: elapsed, peakRSSMiB: Double(usage.ru_maxrss) / 1024,
                    stdout: String(decoding: out, as: UTF8.self))
}

/// The high-water mark of a running process's resident memory (VmHWM).
func peakRSSMiB(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
