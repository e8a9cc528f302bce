import CLibXML2
import Foundation

/// XML read with libxml2's pull reader (xmlTextReader), called directly.
///
/// Foundation's XMLParser on Linux traps, taking the whole process with it,
/// on inputs libxml2 itself reads or refuses calmly: an element name that
/// is not UTF-8 (`<labe\u{C3}>`) and a processing instruction without data
/// (`<?x?>`), both found by FuzzTests.xmlAndGeoJSONChoiceFiles. Workbook
/// parts come from anyone who uploads a form, so no byte of them reaches
/// XMLParser. Entities are not expanded and nothing is fetched from the
/// network; libxml2's own limits (depth 256, 10 MB text nodes) hold.
enum XMLEvents {
    enum Event {
        /// An element's local name and its attributes by qualified name (`r:id`).
        case start(String, [String: String])
        case end(String)
        case text(String)
    }

    private static let initialized: Bool = { xmlInitParser(); return true }()

    /// Calls `handle` for each event in document order.
    /// - Returns: nil when the whole document was read, else the line where
    ///   it stopped being XML (events before it were handled).
    @discardableResult
    static func read(_ data: Data, _ handle: (Event) -> Void) -> Int? {
        _ = initialized
        guard !data.isEmpty, data.count < Int(Int32.max) else { return 1 }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue)
        return data.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                  let reader = xmlReaderForMemory(base, Int32(raw.count), nil, nil, options) else { return 1 }
            defer { xmlFreeTextReader(reader) }
            func text(_ p: UnsafePointer<xmlChar>?) -> String { p.map { String(cString: $0) } ?? "" }
            while true {
                let r = xmlTextReaderRead(reader)
                if r == 0 { return nil }
                if r < 0 { return max(1, Int(xmlTextReaderGetParserLineNumber(reader))) }
                switch xmlReaderTypes(rawValue: UInt32(xmlTextReaderNodeType(reader))) {
                case XML_READER_TYPE_ELEMENT:
                    let name = text(xmlTextReaderConstLocalName(reader))
                    let empty = xmlTextReaderIsEmptyElement(reader) == 1
                    var attributes: [String: String] = [:]
                    while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                        attributes[text(xmlTextReaderConstName(reader))] = text(xmlTextReaderConstValue(reader))
                    }
                    xmlTextReaderMoveToElement(reader)
                    handle(.start(name, attributes))
                    if empty { handle(.end(name)) }
                case XML_READER_TYPE_END_ELEMENT:
                    handle(.end(text(xmlTextReaderConstLocalName(reader))))
                case XML_READER_TYPE_TEXT, XML_READER_TYPE_CDATA, XML_READER_TYPE_SIGNIFICANT_WHITESPACE, XML_READER_TYPE_WHITESPACE:
                    handle(.text(text(xmlTextReaderConstValue(reader))))
                default:
                    break
                }
            }
        }
    }
}
