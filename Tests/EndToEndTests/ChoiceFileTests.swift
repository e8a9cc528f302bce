import Foundation
import GRDB
import RecolhaTesting
import Testing

/// A form whose choices come from a CSV published with it
/// (`select_one_from_file`): published with `--media`, carried to devices
/// inside the form's definition, filtered by district on the device and
/// checked by the server.
@Suite struct ChoiceFileTests {
    static let form = #"""
    {"settings": [{"form_id": "visits", "version": "1"}],
     "survey": [
      {"type": "select_one districts", "name": "district", "label": "District", "required": "yes"},
      {"type": "select_one_from_file facilities.csv", "name": "facility", "label": "Facility", "choice_filter": "district = ${district}"},
      {"type": "calculate", "name": "facility_label", "calculation": "pulldata('facilities', 'label', 'name', ${facility})"}],
     "choices": [{"list_name": "districts", "name": "moatize", "label": "Moatize"}, {"list_name": "districts", "name": "chiure", "label": "Chiure"}]}
    """#
    static let csv = "name,label,district\nTE-0091,Zobue Health Centre,moatize\nTE-0092,Moatize Rural Hospital,moatize\nCD-0004,Chiure Health Centre,chiure\n"

    @Test func aFacilityListPublishedWithTheFormReachesTheDeviceAndFiltersByDistrict() throws {
        let server = try TestServer()
        let files = TempDir()
        try Self.form.write(toFile: files.file("visits.json"), atomically: true, encoding: .utf8)
        try Self.csv.write(toFile: files.file("facilities.csv"), atomically: true, encoding: .utf8)
        // Without its file the form is refused, naming the file.
        let bare = CLI.run(["forms", "publish", files.file("visits.json")] + server.storageArgs, binary: CLI.binary("recolha-server"))
        #expect(bare.status == 3 && bare.stderr.contains("which was not given: add it with --media facilities.csv"), "\(bare.stderr)")
        try TestServer.admin(["forms", "publish", files.file("visits.json"), "--media", files.file("facilities.csv")] + server.storageArgs)

        let ana = Device.loggedIn("ana", to: server)
        _ = try ana.sync()
        // Moatize offers its two facilities only.
        let r = ana.run(["capture", "visits"], stdin: "1\n3\n2\ny\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("1. Zobue Health Centre") && r.stdout.contains("2. Moatize Rural Hospital"), "\(r.stdout)")
        #expect(!r.stdout.contains("Chiure Health Centre"))
        #expect(r.stdout.contains("! choose a number from 1 to 2"), "\(r.stdout)")
        let id = try #require((try ana.json(["list"]) as? [[String: Any]])?.first?["id"] as? String)
        #expect((try ana.json(["show", id]) as? [String: Any])?["facility"] as? String == "TE-0092")
        #expect((try ana.json(["show", id]) as? [String: Any])?["facility_label"] as? String == "Moatize Rural Hospital", "pulldata() read the file")
        let synced = try ana.sync()
        #expect((synced["rejected"] as? [Any])?.isEmpty == true, "\(synced)")
        // The server checks the choice against the file's rows too.
        let db = try DatabaseQueue(path: server.data + "/server.sqlite")
        #expect(try db.read { try String.fetchOne($0, sql: "SELECT value FROM versions WHERE field = 'facility'") } == "\"TE-0092\"")
        let definition = try db.read { try String.fetchOne($0, sql: "SELECT definition FROM forms WHERE form_id = 'visits'") } ?? ""
        #expect(definition.contains("\"files\"") && definition.contains("facilities.csv"))

        // On a laptop alone: `recolha forms add` takes the file the same way.
        let solo = Device()
        _ = solo.run(["init", "--enumerator", "ana"])
        let added = solo.run(["forms", "add", files.file("visits.json"), "--media", files.file("facilities.csv")])
        #expect(added.status == 0, "\(added.stderr)")
    }
}
