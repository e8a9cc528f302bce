import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The sheets a workbook lists, in order.
enum WorkbookParser {
    struct Sheet { var name: String; var relationship: String }

    static func sheets(_ xml: Data) -> [Sheet] {
        final class D: NSObject, XMLParserDelegate {
            var out: [Sheet] = []
            func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String]) {
                guard local(e) == "sheet", let name = a["name"] else { return }
                let rel = a.first { $0.key == "r:id" || $0.key.hasSuffix(":id") || $0.key == "id" }?.value ?? ""
                out.append(Sheet(name: name, relationship: rel))
            }
        }
        let d = D()
        let p = XMLParser(data: xml)
        p.delegate = d
        p.parse()
        return d.out
    }

    static func relationships(_ xml: Data) -> [String: String] {
        final class D: NSObject, XMLParserDelegate {
            var out: [String: String] = [:]
            func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String]) {
                if local(e) == "Relationship", let id = a["Id"], let target = a["Target"] { out[id] = target }
            }
        }
        let d = D()
        let p = XMLParser(data: xml)
        p.delegate = d
        p.parse()
        return d.out
    }
}

func local(_ name: String) -> String {
    name.split(separator: ":").last.map(String.init) ?? name
}

/// The shared strings table: plain `<t>` or rich text runs, phonetic runs left out.
enum SharedStringsParser {
    static func strings(_ xml: Data) -> [String] {
        final class D: NSObject, XMLParserDelegate {
            var out: [String] = []
            var current = ""
            var inText = false
            var inPhonetic = false
            func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String]) {
                switch local(e) {
                case "si": current = ""
                case "t": inText = !inPhonetic
                case "rPh": inPhonetic = true
                default: break
                }
            }
            func parser(_ p: XMLParser, foundCharacters s: String) { if inText { current += s } }
            func parser(_ p: XMLParser, didEndElement e: String, namespaceURI: String?, qualifiedName: String?) {
                switch local(e) {
                case "si": out.append(current)
                case "t": inText = false
                case "rPh": inPhonetic = false
                default: break
                }
            }
        }
        let d = D()
        let p = XMLParser(data: xml)
        p.delegate = d
        p.parse()
        return d.out
    }
}

/// A worksheet's cells: shared strings, inline strings, formula strings,
/// numbers and booleans as Excel stores them.
enum SheetParser {
    /// Rows in order, each a map of 0-based column to text, with their
    /// spreadsheet row numbers.
    static func rows(_ xml: Data, shared: [String]) -> ([[Int: String]], [Int]) {
        final class D: NSObject, XMLParserDelegate {
            let shared: [String]
            var rows: [[Int: String]] = []
            var numbers: [Int] = []
            var row: [Int: String] = [:]
            var rowNumber = 0
            var column = 0
            var nextColumn = 0
            var type = "n"
            var text = ""
            var collecting = false
            init(shared: [String]) { self.shared = shared }
            func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String]) {
                switch local(e) {
                case "row":
                    row = [:]
                    rowNumber = a["r"].flatMap(Int.init) ?? (rowNumber + 1)
                    nextColumn = 0
                case "c":
                    column = a["r"].flatMap(SheetParser.column) ?? nextColumn
                    nextColumn = column + 1
                    type = a["t"] ?? "n"
                    text = ""
                case "v", "t": collecting = true
                default: break
                }
            }
            func parser(_ p: XMLParser, foundCharacters s: String) { if collecting { text += s } }
            func parser(_ p: XMLParser, didEndElement e: String, namespaceURI: String?, qualifiedName: String?) {
                switch local(e) {
                case "v", "t": collecting = false
                case "c":
                    let value: String
                    switch type {
                    case "s": value = Int(text).flatMap { $0 < shared.count ? shared[$0] : nil } ?? ""
                    case "b": value = text == "1" ? "TRUE" : "FALSE"
                    case "e": value = ""
                    case "n": value = Double(text).map(SheetParser.number) ?? text
                    default: value = text
                    }
                    if !value.isEmpty { row[column] = value }
                case "row":
                    rows.append(row)
                    numbers.append(rowNumber)
                default: break
                }
            }
        }
        let d = D(shared: shared)
        let p = XMLParser(data: xml)
        p.delegate = d
        p.parse()
        return (d.rows, d.numbers)
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
