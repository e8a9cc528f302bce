/// A message on the wire: `{"code": "rejectClockAhead", "params": {"minutes": 12}}`.
/// Text parameters are strings, numbers are numbers, a time is
/// `{"time": ms}`, a nested message is an object with a code, lines an
/// array. A code this side does not know fails to decode: the reader then
/// falls back to the English sentence sent beside it.
extension Message: Codable {
    enum CodingKeys: String, CodingKey { case code, params }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let code = try c.decode(String.self, forKey: .code)
        guard let key = Key(rawValue: code) else {
            throw DecodingError.dataCorruptedError(forKey: .code, in: c, debugDescription: "unknown message code")
        }
        self.init(key, try c.decodeIfPresent([String: Arg].self, forKey: .params) ?? [:])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key.rawValue, forKey: .code)
        if !args.isEmpty { try c.encode(args, forKey: .params) }
    }
}

extension Message.Arg: Codable {
    enum TimeKey: String, CodingKey { case time }

    public init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let s = try? single.decode(String.self) { self = .text(s); return }
        if let n = try? single.decode(Int.self) { self = .int(n); return }
        if let lines = try? single.decode([Message].self) { self = .lines(lines); return }
        if let t = try? decoder.container(keyedBy: TimeKey.self), let ms = try? t.decode(Int64.self, forKey: .time) {
            self = .time(ms); return
        }
        self = .message(try single.decode(Message.self))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .int(let n): var c = encoder.singleValueContainer(); try c.encode(n)
        case .lines(let ms): var c = encoder.singleValueContainer(); try c.encode(ms)
        case .time(let ms): var c = encoder.container(keyedBy: TimeKey.self); try c.encode(ms, forKey: .time)
        case .message(let m): var c = encoder.singleValueContainer(); try c.encode(m)
        }
    }
}
