import Forms
import Foundation
import RecolhaTesting
import Testing
@testable import XLSForm

/// Every workbook of the corpus through pyxform (pinned, installed by
/// `make test`) and through Recolha: the same questions, paths, types,
/// required, relevant, constraint and choices; a workbook pyxform refuses,
/// Recolha refuses too, naming the row.
@Suite struct ConformanceTests {
    static let folders = ["Tests/Conformance/workbooks/pyxform", "Tests/Conformance/workbooks/recolha", "schema/forms"]

    static var workbooks: [String] {
        folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: Package.path(folder))) ?? [])
                .filter { $0.hasSuffix(".xlsx") }.sorted().map { folder + "/" + $0 }
        }
    }

    /// Workbooks pyxform converts (it checks neither types Recolha does not
    /// capture nor XPath) that Recolha refuses on purpose, by row.
    static let refusedOnPurpose: [String: String] = [
        "case_insensitivity.xlsx": "is not captured by Recolha: osm questions are filled with OpenMapKit",
        "loop.xlsx": "is not captured by Recolha: a loop over a choice list",
        "bad_calc.xlsx": "cannot parse",
    ]

    /// Workbooks both read whose trees differ in what is named here; their
    /// photo, audio and video questions must still agree.
    static let differsOnPurpose: [String: String] = [
        "attribute_columns_test.xlsx": "repeat_count with an expression (pyxform adds a calculate, Recolha evaluates it) and table-list labels",
        "flat_xlsform_test.xlsx": "a group pyxform flattens into its parent's relevance",
    ]

    static let keys = ["path", "name", "type", "required", "relevant", "constraint", "choices"]

    /// Whitespace as pyxform leaves it around the references it rewrites.
    static func normalize(_ value: Any?) -> Any? {
        guard let s = value as? String else { return value is NSNull ? nil : value }
        var t = s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for (a, b) in [("( ", "("), (" ,", ","), (" )", ")")] {
            while t.contains(a) { t = t.replacingOccurrences(of: a, with: b) }
        }
        return t
    }

    static func questions(_ object: Any) -> [[String: String]] {
        ((object as? [String: Any])?["questions"] as? [[String: Any]] ?? []).map { q in
            Dictionary(uniqueKeysWithValues: keys.map { k in (k, "\(normalize(q[k]) ?? "nil")") })
        }
    }

    static func pyxform(_ path: String, media: String? = nil) -> (status: Int32, out: String, err: String) {
        var env: [String: String] = [:]
        let pythonPath = ProcessInfo.processInfo.environment["RECOLHA_PYXFORM_PATH"] ?? Package.path(".build-py")
        env["PYTHONPATH"] = pythonPath
        let r = CLI.run(["python3", Package.path("Tests/Conformance/pyxform_questions.py"), path] + (media.map { [$0] } ?? []),
                        env: env, binary: "/usr/bin/env")
        return (r.status, r.stdout, r.stderr)
    }

    @Test func pyxformIsInstalled() {
        let r = CLI.run(["python3", "-c", "import pyxform, sys; print(pyxform.__version__)"],
                        env: ["PYTHONPATH": ProcessInfo.processInfo.environment["RECOLHA_PYXFORM_PATH"] ?? Package.path(".build-py")],
                        binary: "/usr/bin/env")
        #expect(r.stdout.hasPrefix("4.5.0"), "pyxform 4.5.0 must be installed by make test: \(r.stderr)")
    }

    @Test func theCorpusHoldsEnoughAgreedWorkbooks() {
        let agreed = Self.workbooks.filter { Self.refusedOnPurpose[($0 as NSString).lastPathComponent] == nil && !$0.contains("/refused_") && !$0.hasSuffix("duplicate_columns.xlsx") }
        #expect(agreed.count >= 11, "\(agreed)")
        #expect(agreed.contains("schema/forms/health_facility_assessment.xlsx"))
    }

    @Test(arguments: workbooks)
    func agreesWithPyxform(workbook: String) throws {
        let name = (workbook as NSString).lastPathComponent
        // A folder NAME-media/ beside a workbook holds the files published with it.
        let folder = Package.path(String(workbook.dropLast(5)) + "-media")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        let media = try files.map { FormFile.Media(name: $0, data: try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) }
        let py = Self.pyxform(Package.path(workbook), media: files.isEmpty ? nil : folder)
        let ours = Result<FormFile.Loaded, FormFile.Failure> { () throws(FormFile.Failure) in
            try FormFile.load(data: Package.data(workbook), name: name, media: media)
        }
        if py.status == 3 {
            guard case .failure(let e) = ours else { Issue.record("\(name): pyxform refuses it but Recolha took it: \(py.err)"); return }
            #expect(e.description.contains("row"), "\(name): the refusal must name the row: \(e)")
            return
        }
        #expect(py.status == 0, "\(name): pyxform failed: \(py.err)")
        if let reason = Self.refusedOnPurpose[name] {
            guard case .failure(let e) = ours else { Issue.record("\(name): expected a refusal (\(reason))"); return }
            #expect(e.description.contains(reason) && e.description.contains("row"), "\(name): \(e)")
            return
        }
        let loaded = try ours.get()
        let theirs = try JSONSerialization.jsonObject(with: Data(py.out.utf8))
        let mine = try JSONSerialization.jsonObject(with: Data(FormFile.resolved(loaded.form).text().utf8))
        if Self.differsOnPurpose[name] != nil {
            let media: ([String: String]) -> Bool = { ["image", "audio", "video", "file"].contains($0["type"] ?? "") }
            let theirMedia = Self.questions(theirs).filter(media).map { [$0["name"], $0["type"]] }
            #expect(Self.questions(mine).filter(media).map { [$0["name"], $0["type"]] } == theirMedia && !theirMedia.isEmpty, "\(name)")
            return
        }
        #expect(Self.questions(mine) == Self.questions(theirs), "\(name)")
        #expect(!Self.questions(theirs).isEmpty)
    }
}

@Suite struct XLSFormReaderTests {
    @Test func theFlagshipWorkbookAndItsJSONLoadToTheSameModel() throws {
        // The workbook with its facility list, as `forms publish --media` reads them,
        // and the JSON that holds the list inline (Tests/Conformance/make_workbooks.py).
        let csv = FormFile.Media(name: "facilities.csv", data: Package.data("schema/forms/health_facility_assessment-media/facilities.csv"))
        let xlsx = try FormFile.load(data: Package.data("schema/forms/health_facility_assessment.xlsx"), name: "health_facility_assessment.xlsx",
                                     media: [csv])
        let json = try FormFile.load(data: Package.data(Package.flagship), name: "health_facility_assessment.json")
        #expect(xlsx.form.definition.files == json.form.definition.files && json.form.definition.files.count == 1,
                "the JSON's facility list must be the CSV's: run Tests/Conformance/make_workbooks.py")
        #expect(json.form.choices(for: json.form.questions["facility_listed"]!).count > 300)
        #expect(FormFile.resolved(xlsx.form) == FormFile.resolved(json.form))
        #expect(xlsx.form.choiceLists.mapValues { $0.map { "\($0.name) \($0.label.byLanguage.sorted { $0.key < $1.key })" } }
                == json.form.choiceLists.mapValues { $0.map { "\($0.name) \($0.label.byLanguage.sorted { $0.key < $1.key })" } })
        #expect(xlsx.form.orderedQuestions.map { $0.label.byLanguage } == json.form.orderedQuestions.map { $0.label.byLanguage })
        #expect(xlsx.form.id == json.form.id && xlsx.form.version == json.form.version)
    }

    @Test func spellingVariantsAndExtraColumns() throws {
        let loaded = try FormFile.load(data: Package.data("Tests/Conformance/workbooks/recolha/spellings.xlsx"), name: "spellings.xlsx")
        let form = loaded.form
        #expect(form.questions["fruit"]?.type == .selectOne && form.questions["fruit"]?.required != nil)
        #expect(form.questions["fruits_many"]?.type == .selectMultiple)
        #expect(form.questions["how_many"]?.enclosing == ["grp"])
        #expect(form.choices(for: form.questions["color"]!).map(\.name) == ["red", "blue", "other"])
        #expect(form.questions["color_other"]?.relevant != nil)
        #expect(form.questions["start"]?.type == .start && form.questions["end"]?.type == .end)
        // Unknown columns are kept as extra properties of the row.
        #expect(form.definition.survey.contains { $0["my_notes"] == "reviewed" })
        #expect(form.choices(for: form.questions["fruit"]!).map(\.name) == ["apple", "mango"])
    }

    @Test func malformedFilesSayFileSheetRowAndColumn() throws {
        func refusal(_ data: Data, _ name: String) -> String {
            do { _ = try FormFile.load(data: data, name: name); return "" } catch { return error.description }
        }
        #expect(refusal(Data("hello".utf8), "notes.xlsx") == "notes.xlsx is not an .xlsx workbook (not a zip file): save it from Excel or LibreOffice as .xlsx")
        let dir = TempDir()
        let zip = dir.file("plain.zip")
        _ = CLI.run(["-c", "import zipfile; z=zipfile.ZipFile('\(zip)','w'); z.writestr('hello.txt','hi'); z.close()"], binary: "/usr/bin/python3")
        #expect(refusal(try Data(contentsOf: URL(fileURLWithPath: zip)), "plain.xlsx").contains("is a zip file but not an Excel workbook"))
        #expect(refusal(Package.data("Tests/Conformance/workbooks/malformed/no_survey_sheet.xlsx"), "no_survey_sheet.xlsx")
                .contains("has no survey sheet (its sheets: choices, settings)"))
        let bad = refusal(Package.data("Tests/Conformance/workbooks/malformed/bad_expression_row40.xlsx"), "bad_expression_row40.xlsx")
        #expect(bad.contains("bad_expression_row40.xlsx") && bad.contains("survey row 40, column constraint: cannot parse"), "\(bad)")
        let dup = refusal(Package.data("Tests/Conformance/workbooks/pyxform/duplicate_columns.xlsx"), "duplicate_columns.xlsx")
        #expect(dup.contains("sheet survey, row 1, column E: duplicate column header label"))
    }

    /// Found by the workbook fuzz test: a deflated part that runs past the end
    /// of the file made ZIPFoundation loop forever on Linux (fixed in
    /// Vendor/ZIPFoundation); a part that unpacks to gigabytes is refused
    /// before it fills memory.
    @Test func truncatedPartsAndZipBombsAreRefusedNotLoopedOn() throws {
        func refusal(_ data: Data, _ name: String) -> String {
            do { _ = try FormFile.load(data: data, name: name); return "" } catch { return error.description }
        }
        let dir = TempDir()
        let truncated = dir.file("truncated.xlsx"), bomb = dir.file("bomb.xlsx")
        let script = """
        import struct, zipfile
        z = zipfile.ZipFile('\(truncated)', 'w', zipfile.ZIP_STORED)
        # A stored deflate block that promises 65,535 bytes and holds three.
        z.writestr('xl/workbook.xml', b'\\x00' + struct.pack('<HH', 65535, 0) + b'abc')
        z.close()
        b = bytearray(open('\(truncated)', 'rb').read())
        b[8:10] = struct.pack('<H', 8)  # local header: deflate
        c = b.index(b'PK\\x01\\x02')
        b[c + 10:c + 12] = struct.pack('<H', 8)  # central directory: deflate
        open('\(truncated)', 'wb').write(bytes(b))
        z = zipfile.ZipFile('\(bomb)', 'w', zipfile.ZIP_DEFLATED)
        z.writestr('xl/workbook.xml', b'<workbook>' + b' ' * (65 << 20))
        z.close()
        """
        let made = CLI.run(["-c", script], binary: "/usr/bin/python3")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(refusal(try Data(contentsOf: URL(fileURLWithPath: truncated)), "truncated.xlsx")
                .contains("its part xl/workbook.xml is damaged: save the workbook again"))
        #expect(refusal(try Data(contentsOf: URL(fileURLWithPath: bomb)), "bomb.xlsx")
                .contains("its part xl/workbook.xml unpacks to more than 64 MiB"))
    }

    /// Teams still download Excel 97-2003 workbooks: one line says how to
    /// convert, in place of a JSON error.
    @Test func anOldXLSWorkbookIsRefusedWithHowToConvertIt() {
        let ole2 = Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + Data(count: 504)
        for name in ["assessment.xls", "assessment.bin"] {
            do {
                _ = try FormFile.load(data: ole2, name: name)
                Issue.record("an .xls workbook was read")
            } catch {
                #expect(error.description.hasPrefix(name + " is an old Excel 97-2003 workbook (.xls)"), "\(error)")
                #expect(error.description.contains("libreoffice --headless --convert-to xlsx \(name)"))
            }
        }
    }

    /// A cell typed as a formula gives the value Excel last computed (its
    /// cached `<v>`), as pyxform (openpyxl with data_only) reads it.
    @Test func formulaCellsGiveTheirCachedValues() throws {
        let dir = TempDir()
        let path = dir.file("formulas.xlsx")
        let script = """
        import zipfile
        z = zipfile.ZipFile('\(path)', 'w', zipfile.ZIP_DEFLATED)
        z.writestr('xl/workbook.xml', '<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                   '<sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr('xl/_rels/workbook.xml.rels', '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr('xl/worksheets/sheet1.xml', '<worksheet><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c>'
            '<c r="C1" t="inlineStr"><is><t>label</t></is></c><c r="D1" t="inlineStr"><is><t>default</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>integer</t></is></c><c r="B2" t="str"><f>LOWER("ROOMS")</f><v>rooms</v></c>'
            '<c r="C2" t="str"><f>CONCATENATE("Number of ","rooms")</f><v>Number of rooms</v></c><c r="D2"><f>2*3</f><v>6</v></c></row>'
            '</sheetData></worksheet>')
        z.close()
        """
        let made = CLI.run(["-c", script], binary: "/usr/bin/python3")
        #expect(made.status == 0, "\(made.stderr)")
        let form = try FormFile.load(data: Data(contentsOf: URL(fileURLWithPath: path)), name: "formulas.xlsx").form
        let q = try #require(form.orderedQuestions.first)
        #expect(q.name == "rooms")
        #expect(q.label.text("en") == "Number of rooms")
        #expect(q.defaultValue == "6")
    }
}
