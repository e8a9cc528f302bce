import Foundation

/// A media answer: the file's SHA-256 (its name in every media folder), the
/// name it had where the person picked it, and its size in bytes.
///
/// Canonical JSON: `{"name":"entrance.jpg","sha256":"9f…","size":2048}`.
public struct FileAnswer: Hashable, Sendable {
    /// 64 lowercase hex digits.
    public var sha256: String
    /// The original file name (no folder), at most 255 bytes.
    public var name: String
    public var size: Int

    public init?(sha256: String, name: String, size: Int) {
        guard Self.isHash(sha256), Self.isName(name), size >= 0 else { return nil }
        self.sha256 = sha256; self.name = name; self.size = size
    }

    /// 64 lowercase hex digits.
    public static func isHash(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// A file name a folder can hold: not empty, not `.`/`..`, no `/`,
    /// NUL or control character, at most 255 bytes.
    public static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 255 && s != "." && s != ".."
            && !s.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7f }
    }

    /// Its name in an export's media folder: the start of its hash, then
    /// its own name, so two files called `photo.jpg` never collide.
    public var exportName: String { String(sha256.prefix(12)) + "-" + name }

    public var json: String {
        "{\"name\":" + JSONText.quote(name) + ",\"sha256\":\"" + sha256 + "\",\"size\":" + String(size) + "}"
    }

    public var jsonValue: JSONValue {
        .object(["name": .string(name), "sha256": .string(sha256), "size": .number(Double(size))])
    }

    /// The file a version's stored value names, nil for any other value
    /// (a cheap first-byte test keeps plain answers off the JSON decoder).
    public init?(stored value: String?) {
        guard let value, value.utf8.first == UInt8(ascii: "{"), case .file(let f)? = Answer(json: value) else { return nil }
        self = f
    }

    /// Reads `{"name", "sha256", "size"}` and nothing else; nil otherwise.
    public init?(jsonValue: JSONValue) {
        guard case .object(let o) = jsonValue, o.count == 3,
              case .string(let name)? = o["name"], case .string(let hash)? = o["sha256"],
              case .number(let n)? = o["size"], n >= 0, n < 1e15, let size = Int(exactly: n) else { return nil }
        self.init(sha256: hash, name: name, size: size)
    }

    /// The short form people read: `entrance.jpg (image/jpeg, 2.1 MB)`.
    public var kind: String { Self.mediaType(name) }

    /// The media type a file name's extension suggests (never the bytes:
    /// the file is kept as given, never opened).
    public static func mediaType(_ name: String) -> String {
        let ext = name.split(separator: ".").count > 1 ? String(name.split(separator: ".").last!).lowercased() : ""
        let types = [
            "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
            "heic": "image/heic", "mp3": "audio/mpeg", "m4a": "audio/mp4", "amr": "audio/amr", "ogg": "audio/ogg",
            "wav": "audio/wav", "3gp": "video/3gpp", "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
            "pdf": "application/pdf", "csv": "text/csv", "txt": "text/plain",
        ]
        return types[ext] ?? "application/octet-stream"
    }

    /// Bytes as people read them: 812 bytes, 3.4 KB, 2.1 MB (powers of 1,000).
    public static func size(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        if bytes < 1_000_000 { return XValue.format((Double(bytes) / 100).rounded() / 10) + " KB" }
        return XValue.format((Double(bytes) / 100_000).rounded() / 10) + " MB"
    }
}
