import Words

extension Answer {
    /// Reads what a person typed for a question.
    /// - Parameter choices: the choices on offer (after choice_filter), numbered from 1.
    /// - Returns: the answer, or the reason it is not one (never the value itself).
    public static func parse(_ raw: String, for q: Question, choices: [Choice]) -> Result<Answer, AnswerError> {
        let text = raw.trimmingSpaces
        switch q.type {
        case .text, .calculate, .barcode:
            return .success(.text(text))
        case .integer:
            guard let i = Int(text) else { return .failure(.init(.answerWholeNumber)) }
            return .success(.integer(i))
        case .decimal:
            guard let d = Double(text), d.isFinite else { return .failure(.init(.answerNumber)) }
            return .success(.decimal(d))
        case .selectOne:
            return choice(text, choices).map { .text($0) }
        case .selectMultiple:
            var picked: [String] = []
            for token in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
                switch choice(String(token), choices) {
                case .success(let c): if !picked.contains(c) { picked.append(c) }
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.choices(picked))
        case .rank:
            // Every choice on offer once, first the one ranked highest: `3 1 2`.
            var ranked: [String] = []
            for token in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
                switch choice(String(token), choices) {
                case .success(let c):
                    guard !ranked.contains(c) else { return .failure(.init(Message(.answerRankTwice))) }
                    ranked.append(c)
                case .failure(let e): return .failure(e)
                }
            }
            guard ranked.count == choices.count else { return .failure(.init(Message(.answerRankAll, ["count": .int(choices.count)]))) }
            return .success(.choices(ranked))
        case .date, .datetime, .geopoint, .time, .geotrace, .geoshape:
            let a = Answer.text(text)
            if let reason = a.problem(for: q) { return .failure(.init(reason)) }
            return .success(a)
        case .acknowledge:
            guard ["ok", "y", "yes", "s", "sim", "1"].contains(text.lowercased()) else { return .failure(.init(.answerAcknowledge)) }
            return .success(.text("OK"))
        case .range:
            guard let d = Double(text), d.isFinite else { return .failure(.init(Answer.rangeMessage(q))) }
            let a: Answer = q.parameters.isWhole && d == d.rounded() && abs(d) < 1e15 ? .integer(Int(d)) : .decimal(d)
            if let reason = a.problem(for: q) { return .failure(.init(reason)) }
            return .success(a)
        case .image, .audio, .video, .file:
            // The command line takes the path and keeps the file first (Store.keepMedia).
            return .failure(.init(.answerMediaPath))
        case .note:
            return .failure(.init(.answerNote))
        case .start, .end, .today, .deviceid, .username, .phonenumber, .simserial, .subscriberid, .hidden, .startGeopoint:
            return .failure(.init(.answerAutomatic))
        }
    }

    private static func choice(_ token: String, _ choices: [Choice]) -> Result<String, AnswerError> {
        if let n = Int(token) {
            guard n >= 1, n <= choices.count else {
                return .failure(.init(Message(.answerChooseNumber, ["count": .int(choices.count)])))
            }
            return .success(choices[n - 1].name)
        }
        guard choices.contains(where: { $0.name == token }) else {
            return .failure(.init(.answerNotAChoice))
        }
        return .success(token)
    }

    /// Reads an answers-file value for a question: numbers as numbers,
    /// select_one as the choice name, select_multiple as an array of names.
    public static func from(json: JSONValue, for q: Question) -> Result<Answer, AnswerError> {
        switch (q.type, json) {
        case (.note, _):
            return .failure(.init(.answerNote))
        case (.integer, .number(let n)):
            guard let i = Int(exactly: n) else { return .failure(.init(.answerWholeNumber)) }
            return .success(.integer(i))
        case (.integer, _):
            return .failure(.init(.answerWholeNumberJSON))
        case (.decimal, .number(let n)):
            return .success(.decimal(n))
        case (.decimal, _):
            return .failure(.init(.answerNumberJSON))
        case (.range, .number(let n)):
            return .success(q.parameters.isWhole && n == n.rounded() && abs(n) < 1e15 ? .integer(Int(n)) : .decimal(n))
        case (.range, _):
            return .failure(.init(.answerNumberJSON))
        case (.acknowledge, .bool(true)):
            return .success(.text("OK"))
        case (.rank, .array(let items)):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { return .failure(.init(.answerChoiceArray)) }
                out.append(s)
            }
            return .success(.choices(out))
        case (.rank, .string(let s)):
            return .success(.choices(s.split(separator: " ").map(String.init)))
        case (.rank, _):
            return .failure(.init(.answerChoiceArray))
        case (.selectMultiple, .array(let items)):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    return .failure(.init(.answerChoiceArray))
                }
                if !out.contains(s) { out.append(s) }
            }
            return .success(.choices(out))
        case (.selectMultiple, .string(let s)):
            return .success(.choices(s.split(separator: " ").map(String.init)))
        case (.selectMultiple, _):
            return .failure(.init(.answerChoiceArray))
        case (_, .string(let s)):
            return .success(.text(s))
        case (.text, .number(let n)):
            return .success(.text(XValue.format(n)))
        default:
            return .failure(.init(.answerString))
        }
    }

    /// What is wrong with this answer for a question's type (format, range,
    /// known choice), or nil. The reason never repeats the value.
    public func problem(for q: Question) -> Message? {
        switch (q.type, self) {
        case (.text, .text), (.calculate, .text): return nil
        case (.start, .text), (.end, .text), (.today, .text), (.deviceid, .text), (.username, .text): return nil
        case (.phonenumber, .text), (.simserial, .text), (.subscriberid, .text), (.hidden, .text), (.barcode, .text): return nil
        case (.time, .text(let s)):
            return TimeText.seconds(s) == nil ? Message(.answerTime) : nil
        case (.acknowledge, .text(let s)):
            return s == "OK" ? nil : Message(.answerAcknowledge)
        case (.range, .integer(let i)):
            return q.parameters.holds(Double(i)) ? nil : Answer.rangeMessage(q)
        case (.range, .decimal(let d)):
            return q.parameters.holds(d) ? nil : Answer.rangeMessage(q)
        case (.image, .file(let f)), (.audio, .file(let f)), (.video, .file(let f)), (.file, .file(let f)):
            return f.size <= q.maxFileSize ? nil : Message(.answerFileTooLarge, ["limit": .text(FileAnswer.size(q.maxFileSize))])
        case (.geotrace, .text(let s)):
            return Geopoint.trace(s).map { $0.count >= 2 } == true ? nil : Message(.answerGeotrace)
        case (.geoshape, .text(let s)):
            guard let points = Geopoint.trace(s), points.count >= 4, points.first == points.last else { return Message(.answerGeoshape) }
            return nil
        case (.integer, .integer): return nil
        case (.decimal, .decimal), (.decimal, .integer): return nil
        case (.selectOne, .text(let s)):
            return s.isEmpty ? Message(.answerEmpty) : nil
        case (.selectMultiple, .choices): return nil
        case (.rank, .choices(let c)):
            return Set(c).count == c.count ? nil : Message(.answerRankTwice)
        case (.date, .text(let s)):
            return s.utf8.count == 10 && DateText.days(s) != nil ? nil : Message(.answerDate)
        case (.datetime, .text(let s)):
            return s.utf8.count > 10 && DateText.days(s) != nil ? nil : Message(.answerDateTime)
        case (.geopoint, .text(let s)), (.startGeopoint, .text(let s)):
            return Geopoint(s) == nil
                ? Message(.answerGeopoint) : nil
        case (.note, _): return Message(.answerNote)
        default: return q.type == .integer ? Message(.answerWholeNumber) : Message(.answerWrongType, ["type": .text(q.type.name)])
        }
    }
}

/// Why an answer was refused.
public struct AnswerError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: Message
    public init(_ message: Message) { self.message = message }
    public init(_ key: Key) { self.message = Message(key) }
    /// In English (logs, tests); `message.localized` for a person.
    public var reason: String { message.description }
    public var description: String { reason }
}

/// A point as ODK writes it: `lat lon [alt accuracy]`.
public struct Geopoint: Hashable, Sendable {
    public var latitude: Double
    public var longitude: Double
    public var altitude: Double?
    public var accuracy: Double?

    public init?(_ text: String) {
        let parts = text.split(whereSeparator: \.isWhitespace).map { Double($0) }
        guard (2...4).contains(parts.count), parts.allSatisfy({ $0?.isFinite == true }) else { return nil }
        latitude = parts[0]!
        longitude = parts[1]!
        altitude = parts.count > 2 ? parts[2] : nil
        accuracy = parts.count > 3 ? parts[3] : nil
        guard (-90...90).contains(latitude), (-180...180).contains(longitude), (accuracy ?? 0) >= 0 else { return nil }
    }
}

extension Answer {
    /// What a range takes, in its own numbers.
    static func rangeMessage(_ q: Question) -> Message {
        let p = q.parameters
        return Message(.answerRange, ["start": .text(XValue.format(p.start)), "end": .text(XValue.format(p.end)),
                                      "step": .text(XValue.format(p.step))])
    }
}

extension Geopoint {
    /// Points separated by `;` (a geotrace or geoshape), nil when one is not a point.
    public static func trace(_ text: String) -> [Geopoint]? {
        let parts = text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !parts.isEmpty, parts.count <= 10_000 else { return nil }
        var points: [Geopoint] = []
        for part in parts {
            guard let p = Geopoint(part) else { return nil }
            points.append(p)
        }
        return points
    }
}

/// Times of day as ODK writes them: `HH:MM` or `HH:MM:SS` (a zone or
/// fraction after the seconds is allowed and kept).
public enum TimeText {
    /// Seconds since midnight, nil when not a time.
    public static func seconds(_ text: String) -> Int? {
        let u = Array(text.utf8)
        guard u.count >= 5, u[2] == UInt8(ascii: ":") else { return nil }
        func two(_ i: Int) -> Int? {
            guard i + 1 < u.count, (48...57).contains(u[i]), (48...57).contains(u[i + 1]) else { return nil }
            return Int(u[i] - 48) * 10 + Int(u[i + 1] - 48)
        }
        guard let h = two(0), let m = two(3), h < 24, m < 60 else { return nil }
        if u.count == 5 { return h * 3600 + m * 60 }
        guard u[5] == UInt8(ascii: ":"), let sec = two(6), sec < 60 else { return nil }
        if u.count > 8 {
            let rest = u[8...]
            guard rest.count <= 16, rest.allSatisfy({ (48...57).contains($0) || [UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "Z")].contains($0) }),
                  [UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "Z")].contains(rest.first!) else { return nil }
        }
        return h * 3600 + m * 60 + sec
    }
}
