import Foundation
import Forms
import Store

extension Store {
    /// Reads what a person gave for a question: for a photo, recording,
    /// video or file the path of a file (relative to `folder`), which is
    /// kept in the media folder; for every other type `Answer.parse`.
    func answer(_ raw: String, for q: Question, choices: [Choice], folder: String? = nil) throws(StoreError) -> Result<Answer, AnswerError> {
        guard q.type.isMedia else { return Answer.parse(raw, for: q, choices: choices) }
        var given = raw.trimmingCharacters(in: .whitespaces)
        // A path dragged into a terminal comes quoted.
        if given.count >= 2, let f = given.first, f == given.last, f == "'" || f == "\"" { given = String(given.dropFirst().dropLast()) }
        guard !given.isEmpty else { return .failure(AnswerError(.answerMediaPath)) }
        if given.hasPrefix("~/") { given = NSHomeDirectory() + given.dropFirst() }
        if !given.hasPrefix("/"), let folder { given = folder + "/" + given }
        return try keepMedia(from: given, limit: q.maxFileSize).map { .file($0) }
    }
}

/// The media folder an export writes beside its CSV, as ODK Central's
/// export zip holds `media/`: each file under the name the CSV gives it.
enum MediaExport {
    static func write(_ files: [FileAnswer], from store: Store, to folder: String) throws {
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw CLIError(.exportMediaFolder, ["path": .text(folder)], code: .failed)
        }
        var seen: Set<String> = []
        var written = 0, missing = 0
        for f in files where seen.insert(f.exportName).inserted {
            let source = store.mediaPath(f.sha256)
            let target = folder + "/" + f.exportName
            guard FileManager.default.fileExists(atPath: source) else { missing += 1; continue }
            unlink(target)
            // A hard link costs no space; another disk gets a copy.
            if link(source, target) != 0 {
                do { try FileManager.default.copyItem(atPath: source, toPath: target) } catch {
                    throw CLIError(.exportMediaFolder, ["path": .text(folder)], code: .failed)
                }
            }
            written += 1
        }
        say(.exportMediaWrote, ["count": .int(written), "path": .text(folder)])
        if missing > 0 { Console.warning(Message(.exportMediaMissing, ["count": .int(missing)])) }
    }
}
