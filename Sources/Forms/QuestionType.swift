import Words
/// The question types Recolha captures.
public enum QuestionType: String, Hashable, Sendable, CaseIterable {
    case text, integer, decimal
    case selectOne = "select_one", selectMultiple = "select_multiple"
    case date, datetime, geopoint, note, calculate
    /// `HH:MM` (or `HH:MM:SS`), as ODK's time.
    case time
    /// A code typed or pasted (a laptop has no camera scanner).
    case barcode
    /// "OK" once acknowledged, as ODK Collect stores it.
    case acknowledge
    /// A number from `start` to `end` in `step`s (the `parameters` column).
    case range
    /// Never shown: its value is its `default`.
    case hidden
    /// Points `lat lon [alt acc]` separated by `;`: a line (2 or more), a
    /// closed shape (4 or more, the last the first).
    case geotrace, geoshape
    /// Metadata the device fills in itself (XLSForm's start, end, today,
    /// deviceid, username; phonenumber, simserial and subscriberid stay
    /// empty on a laptop, as Collect leaves them when absent): never asked.
    case start, end, today, deviceid, username, phonenumber, simserial, subscriberid
    /// Where the device was as the record started (`recolha capture
    /// --position`); empty without one, as Collect leaves it without a fix.
    case startGeopoint = "start-geopoint"
    /// A file the person gives (a path on a laptop): kept in the store's
    /// media folder by its SHA-256, the answer its hash, name and size.
    case image, audio, video, file
    /// Every offered choice once, in the order the person ranks them (ODK's
    /// `rank`), kept as select_multiple keeps its choices.
    case rank

    /// The XLSForm spelling: `select_one`, `integer`, ...
    public var name: String { rawValue }

    public var hasChoices: Bool { self == .selectOne || self == .selectMultiple || self == .rank }

    /// A photo, recording, video or file: answered with a file.
    public var isMedia: Bool { [.image, .audio, .video, .file].contains(self) }

    public var isMetadata: Bool {
        [.start, .end, .today, .deviceid, .username, .phonenumber, .simserial, .subscriberid, .startGeopoint].contains(self)
    }

    /// Calculated, hidden or filled in by the device: never typed, never in an answers file.
    public var isAutomatic: Bool { self == .calculate || self == .hidden || isMetadata }

    /// Every type the survey sheet accepts, structure rows included, for
    /// messages that list them.
    public static let supportedList =
        "text, integer, decimal, select_one LIST, select_multiple LIST, rank LIST, date, datetime, time, geopoint, geotrace, geoshape, "
        + "barcode, acknowledge, range, phone number, image, audio, video, file, note, calculate, hidden, start, end, today, deviceid, username, "
        + "phonenumber, simserial, subscriberid, start-geopoint, begin_group, end_group, begin_repeat, end_repeat"
}

extension QuestionType {
    /// Types pyxform converts that Recolha refuses, with the reason; nil
    /// for every other type.
    public static func refusal(_ typeText: String) -> Message? {
        let words = typeText.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        let head = words.first ?? ""
        // pyxform's `begin loop over LIST` copies its questions once per choice under the same names.
        if head == "begin_loop" || (head == "begin" && words.dropFirst().first == "loop") { return Message(.formNoLoop) }
        switch head {
        case "background-audio", "background_audio":
            return Message(.formNoBackgroundAudio)
        case "audit":
            return Message(.formNoAudit)
        case "select_one_from_file", "select_multiple_from_file":
            let file = typeText.split(whereSeparator: \.isWhitespace).dropFirst().first.map { $0.lowercased() } ?? ""
            return [".csv", ".xml", ".geojson"].contains(where: file.hasSuffix) ? nil : Message(.formChoiceFileCSVOnly)
        case "osm":
            return Message(.formNoOSM)
        default: return nil
        }
    }
}

/// What the `type` cell of a survey row says.
enum RowKind: Equatable {
    case question(QuestionType, list: String?, orOther: Bool)
    case beginGroup, endGroup, beginRepeat, endRepeat
    /// pyxform's `phone number`: a text question of digits.
    case phoneNumber

    /// Reads a type cell as XLSForm writers spell it (`select one x`,
    /// `select_one x`, `begin group`, `begin_group`); nil when unknown.
    static func parse(_ raw: String) -> RowKind? {
        let words = raw.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first?.lowercased() else { return nil }
        var head = first
        var rest = Array(words.dropFirst())
        if ["select", "begin", "end"].contains(first), let second = rest.first {
            head = first + "_" + second.lowercased()
            rest.removeFirst()
        }
        // `select all that apply LIST` and `select one from LIST`, as pyxform reads them.
        if head == "select_all", rest.count >= 2, rest[0].lowercased() == "that", rest[1].lowercased() == "apply" {
            head = "select_multiple"
            rest.removeFirst(2)
        } else if head == "select_all_that_apply" {
            head = "select_multiple"
        }
        if (head == "select_one" || head == "select_multiple"), rest.count >= 2, rest[0].lowercased() == "from" {
            rest.removeFirst()
        }
        // A list of the external_choices sheet.
        if head == "select_one_external" || head == "select_multiple_external" {
            guard rest.count == 1 else { return nil }
            return .question(head == "select_one_external" ? .selectOne : .selectMultiple,
                             list: FormDefinition.externalList(rest[0]), orOther: false)
        }
        if head == "rank" {
            guard rest.count == 1 else { return nil }
            return .question(.rank, list: rest[0], orOther: false)
        }
        if head == "phone", rest.map({ $0.lowercased() }) == ["number"] { return .phoneNumber }
        // Choices from a CSV published with the form: the file's rows are the list.
        if head == "select_one_from_file" || head == "select_multiple_from_file" {
            guard rest.count == 1 else { return nil }
            return .question(head == "select_one_from_file" ? .selectOne : .selectMultiple, list: rest[0], orOther: false)
        }
        // pyxform's `add image prompt`, `add photo prompt`, `add audio prompt`, ...
        if head == "add", rest.count == 2, rest[1].lowercased() == "prompt" {
            let media: [String: QuestionType] = ["image": .image, "photo": .image, "audio": .audio, "video": .video, "file": .file]
            return media[rest[0].lowercased()].map { .question($0, list: nil, orOther: false) }
        }
        switch head {
        case "begin_group": return rest.isEmpty ? .beginGroup : nil
        case "end_group": return rest.isEmpty ? .endGroup : nil
        case "begin_repeat": return rest.isEmpty ? .beginRepeat : nil
        case "end_repeat": return rest.isEmpty ? .endRepeat : nil
        case "select_one", "select_multiple":
            let lower = rest.map { $0.lowercased() }
            if lower.count == 4, Array(lower[1...]) == ["or", "specify", "other"] { rest = [rest[0], "or_other"] }
            let orOther = rest.count == 2 && rest[1].lowercased() == "or_other"
            guard rest.count == 1 || orOther else { return nil }
            return .question(head == "select_one" ? .selectOne : .selectMultiple, list: rest[0], orOther: orOther)
        default:
            guard rest.isEmpty else { return nil }
            let aliases: [String: QuestionType] = [
                "text": .text, "string": .text, "integer": .integer, "int": .integer,
                "decimal": .decimal, "date": .date, "datetime": .datetime, "datetime_": .datetime,
                "geopoint": .geopoint, "note": .note, "calculate": .calculate,
                "start": .start, "end": .end, "today": .today, "deviceid": .deviceid, "username": .username,
                "time": .time, "barcode": .barcode, "acknowledge": .acknowledge, "trigger": .acknowledge,
                "range": .range, "hidden": .hidden, "geotrace": .geotrace, "geoshape": .geoshape,
                "phonenumber": .phonenumber, "simserial": .simserial, "subscriberid": .subscriberid,
                "uri:deviceid": .deviceid, "uri:username": .username, "uri:phonenumber": .phonenumber,
                "uri:simserial": .simserial, "uri:subscriberid": .subscriberid, "start-geopoint": .startGeopoint,
                "image": .image, "photo": .image, "audio": .audio, "video": .video, "file": .file,
            ]
            return aliases[head].map { .question($0, list: nil, orOther: false) }
        }
    }
}
