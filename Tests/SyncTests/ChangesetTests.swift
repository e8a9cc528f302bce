import Foundation
import RecolhaTesting
import Sync
import Testing

@Suite struct ChangesetTests {
    static func vector(_ name: String) throws -> [String: Any] {
        try #require(Fixtures.signatures.first { $0["name"] as? String == name })
    }

    /// The vector was made by another implementation of the canonical
    /// encoding and Ed25519: ours reads it, encodes the same bytes, and
    /// signs the same signature.
    @Test func theChangesetVectorHolds() throws {
        let v = try Self.vector("changeset")
        let data = try JSONSerialization.data(withJSONObject: v["changeset"]!)
        let c = try JSONDecoder().decode(Changeset.self, from: data)
        #expect(Hex.encode(c.signedBytes) == v["signed_bytes_hex"] as? String)
        #expect(c.verify(publicKey: v["public_key"] as! String))
        let id = try #require(SiteIdentity(secret: v["secret"] as! String))
        #expect(c.signed(by: id).signature == c.signature)
        // And back to the same JSON.
        let again = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as! NSDictionary
        #expect(again == (v["changeset"] as! NSDictionary))
    }

    @Test func theReceiptVectorHolds() throws {
        let v = try Self.vector("receipt")
        let r = try JSONDecoder().decode(Receipt.self, from: JSONSerialization.data(withJSONObject: v["receipt"]!))
        #expect(Hex.encode(r.signedBytes) == v["signed_bytes_hex"] as? String)
        #expect(r.verify(serverKey: v["server_key"] as! String))
        #expect(!r.verify(serverKey: SiteIdentity.make().publicKey))
        #expect(r.ranges == [1...9, 12...12])
    }

    /// Any change to any part of a signed changeset breaks its signature.
    @Test func everyAlterationIsDetected() throws {
        let v = try Self.vector("changeset")
        let c = try JSONDecoder().decode(Changeset.self, from: JSONSerialization.data(withJSONObject: v["changeset"]!))
        let key = v["public_key"] as! String
        var alterations: [(String, (inout Changeset) -> Void)] = [
            ("seq", { $0.seq += 1 }), ("record", { $0.record += "x" }), ("form", { $0.form = "other" }),
            ("form version", { $0.formVersion = "2" }), ("author", { $0.author = "ana" }),
            ("a value", { $0.entries[0].value = "\"niassa\"" }), ("a cleared value", { $0.entries[1].value = "null" }),
            ("a clock", { $0.entries[2].ms += 1 }), ("a counter", { $0.entries[0].counter = 5 }),
            ("a parent dropped", { $0.entries[1].parents.removeLast() }), ("a field", { $0.entries[0].field = "district" }),
            ("a version dropped", { $0.entries.removeLast() }), ("order", { $0.entries.swapAt(0, 2) }),
        ]
        // Moving text between adjacent parts must not give the same bytes.
        alterations.append(("boundary", { $0.form += "2"; $0.formVersion = String($0.formVersion.dropFirst()) }))
        for (name, alter) in alterations {
            var x = c
            alter(&x)
            #expect(!x.verify(publicKey: key), "\(name) went unnoticed")
        }
        #expect(c.verify(publicKey: key))
    }

    @Test func rangesMergeSequences() {
        #expect(Receipt.ranges(of: [5, 1, 2, 3, 9, 10, 3]) == [1...3, 5...5, 9...10])
        #expect(Receipt.ranges(of: []) == [])
    }

    @Test func aRunOfVersionsIsOneChangesetAndNothingElseIs() {
        let s = SiteID("00000000000000aa")!
        func v(_ seq: Int64, record: String = "r") -> Version {
            Version(id: VersionID(site: s, seq: seq), record: record, form: "f", formVersion: "1", field: "a\(seq)", value: nil,
                    clock: HLC(ms: 1, counter: Int32(seq), site: s), parents: [], author: "ana")
        }
        #expect(Changeset(versions: [v(1), v(2), v(3)])?.versions == [v(1), v(2), v(3)])
        #expect(Changeset(versions: [v(1), v(3)]) == nil)
        #expect(Changeset(versions: [v(1), v(2, record: "other")]) == nil)
        #expect(Changeset(versions: []) == nil)
    }
}
