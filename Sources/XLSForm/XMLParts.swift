import Foundation

/// The sheets a workbook lists, in order.
enum WorkbookParser {
    struct Sheet { var name: String; var relationship: String }

    static func sheets(_ xml: Data) -> [Sheet] {
        var out: [Sheet] = []
        XMLEvents.read(xml) { event in
            guard case .start("sheet", let a) = event, let name = a["name"] else { return }
            let rel = a.first { $0.key == "r:id" || $0.key.hasSuffix(":id") || $0.key == "id" }?.value ?? ""
            out.append(Sheet(name: name, relationship: rel))
        }
        return out
    }

    static func relationships(_ xml: Data) -> [String: String] {
        var out: [String: String] = [:]
        XMLEvents.read(xml) { event in
            if case .start("Relationship", let a) = event, let id = a["Id"], let target = a["Target"] { out[id] = target }
        }
        return out
    }
}

/// The shared strings table: plain `<t>` or rich text runs, phonetic runs left out.
enum SharedStringsParser {
    static func strings(_ xml: Data) -> [String] {
        var out: [String] = []
        var current = ""
        var inText = false
        var inPhonetic = false
        XMLEvents.read(xml) { event in
            switch event {
            case .start("si", _): current = ""
            case .start("t", _): inText = !inPhonetic
            case .start("rPh", _): inPhonetic = true
            case .text(let s): if inText { current += s }
            case .end("si"): out.append(current)
            case .end("t"): inText = false
            case .end("rPh"): inPhonetic = false
            default: break
            }
        }
        return out
    }
}

/// A worksheet's cells: shared strings, inline strings, formula strings,
/// numbers and booleans as Excel stores them.
enum SheetParser {
    /// Rows in order, each a map of 0-based column to text, with their
    /// spreadsheet row numbers.
    static func rows(_ xml: Data, shared: [String]) -> ([[Int: String]], [Int]) {
        var rows: [[Int: String]] = []
        var numbers: [Int] = []
        var row: [Int: String] = [:]
        var rowNumber = 0
        var column = 0
        var nextColumn = 0
        var type = "n"
        var text = ""
        var collecting = false
        XMLEvents.read(xml) { event in
            switch event {
            case .start("row", let a):
                row = [:]
                rowNumber = a["r"].flatMap(Int.init) ?? (rowNumber + 1)
                nextColumn = 0
            case .start("c", let a):
                column = a["r"].flatMap(SheetParser.column) ?? nextColumn
                nextColumn = column + 1
                type = a["t"] ?? "n"
                text = ""
            case .start("v", _), .start("t", _): collecting = true
            case .text(let s): if collecting { text += s }
            case .end("v"), .end("t"): collecting = false
            case .end("c"):
                let value: String
                switch type {
                case "s": value = Int(text).flatMap { $0 >= 0 && $0 < shared.count ? shared[$0] : nil } ?? ""
                case "b": value = text == "1" ? "TRUE" : "FALSE"
                case "e": value = ""
                case "n": value = Double(text).map(SheetParser.number) ?? text
                default: value = text
                }
                if !value.isEmpty { row[column] = value }
            case .end("row"):
                rows.append(row)
                numbers.append(rowNumber)
            default: break
            }
        }
        return (rows, numbers)
    }

    /// `B12` -> 1.
    static func column(_ ref: String) -> Int? {
        var n = 0
        var any = false
        for u in ref.unicodeScalars {
            guard u.value >= 65 && u.value <= 90 else { break }
            n = n * 26 + Int(u.value - 64)
            any = true
        }
        return any ? n - 1 : nil
    }

    /// 1 -> `B`.
    static func letters(_ column: Int) -> String {
        var n = column + 1
        var out = ""
        while n > 0 {
            let r = (n - 1) % 26
            out = String(UnicodeScalar(UInt8(65 + r))) + out
            n = (n - 1) / 26
        }
        return out
    }

    /// Numbers as pyxform prints them: whole numbers without a fraction.
    static func number(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}
