import CGzip
import Foundation

/// gzip bodies both ways, through the system zlib.
/// https://www.zlib.net/manual.html
public enum Gzip {
    /// Why a body could not be compressed or decompressed.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Compresses `data` as one gzip member.
    public static func compress(_ data: Data, level: Int32 = 6) throws(Failure) -> Data {
        var stream = z_stream()
        guard recolha_deflate_init_gzip(&stream, level) == Z_OK else { throw Failure(description: "zlib could not start compressing") }
        defer { deflateEnd(&stream) }
        var out = Data(count: Int(deflateBound(&stream, uLong(data.count))) + 32)
        let status: Int32 = data.withUnsafeBytes { (src: UnsafeRawBufferPointer) -> Int32 in
            out.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Failure(description: "zlib could not compress the body") }
        out.count = Int(stream.total_out)
        return out
    }

    /// Decompresses a gzip (or zlib) body, refusing to grow past `limit` bytes.
    /// - Throws: `Failure` for a corrupt or truncated body, or one that
    ///   inflates past the limit (a gzip bomb).
    public static func decompress(_ data: Data, limit: Int) throws(Failure) -> Data {
        var stream = z_stream()
        guard recolha_inflate_init_gzip(&stream) == Z_OK else { throw Failure(description: "zlib could not start decompressing") }
        defer { inflateEnd(&stream) }
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        let ok: Bool = data.withUnsafeBytes { (src: UnsafeRawBufferPointer) -> Bool in
            stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(src.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { buf in
                    stream.next_out = buf.baseAddress
                    stream.avail_out = uInt(buf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return buf.count - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END { return false }
                out.append(contentsOf: chunk[0..<produced])
                if out.count > limit { return false }
                if produced == 0 && stream.avail_in == 0 && status != Z_STREAM_END { return false }
            } while status != Z_STREAM_END
            return true
        }
        guard ok else {
            if out.count > limit { throw Failure(description: "the body inflates past \(limit) bytes") }
            throw Failure(description: "the gzip body is corrupt or truncated")
        }
        return out
    }
}
