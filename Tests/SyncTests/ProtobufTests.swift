import Foundation
import RecolhaTesting
import Testing
@testable import Sync

/// The binary push and pull bodies (proto/recolha_sync.proto): golden bytes
/// made by protoc, round trips of random pages, and every refusal the JSON
/// decoders make.
@Suite struct ProtobufTests {
    static func golden(_ name: String) throws -> Data {
        let text = try String(contentsOfFile: Package.path("sync-fixtures/binary/\(name).hex"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Hex.decode(text, count: text.utf8.count / 2))
    }

    static func signedChangeset() throws -> Changeset {
        let v = try #require(Fixtures.signatures.first { $0["name"] as? String == "changeset" })
        return try JSONDecoder().decode(Changeset.self, from: JSONSerialization.data(withJSONObject: v["changeset"]!))
    }

    /// protoc encoded push.txtpb; ours reads the same changeset, whose
    /// signature still holds, and writes the same bytes.
    @Test func theGoldenPushIsReadAndWrittenByteForByte() throws {
        let bytes = try Self.golden("push")
        let expected = try Self.signedChangeset()
        let push = try PushRequest(protobuf: bytes)
        #expect(push.changesets == [expected])
        #expect(push.changesets[0].verify(publicKey: "207a067892821e25d770f1fba0c47c11ff4b813e54162ece9eb839e076231ab6"))
        #expect(try PushRequest(changesets: [expected]).protobuf() == bytes)
    }

    @Test func theGoldenPullPageIsReadAndWrittenByteForByte() throws {
        let bytes = try Self.golden("pull")
        let page = try PullResponse(protobuf: bytes)
        let c = try Self.signedChangeset()
        let other = SiteID("00000000000000aa")!
        let fourth = Version(id: VersionID(site: other, seq: 13), record: c.record, form: c.form, formVersion: c.formVersion,
                             field: "beds", value: "12", clock: HLC(ms: 1_764_400_000_500, counter: 0, site: other),
                             parents: [VersionID(site: c.site, seq: 8)], author: "joao")
        let expected = zip(41..., c.versions + [fourth]).map { SequencedVersion(seq: Int64($0), version: $1) }
        #expect(page.versions == expected)
        #expect(page.nextCursor == 44 && !page.more && page.serverTime == 1_764_400_001_000)
        #expect(page.changesets == [ChangesetHead(site: c.site, seq: 7, count: 3, signature: c.signature)])
        #expect(page.keys == [c.site.rawValue: "207a067892821e25d770f1fba0c47c11ff4b813e54162ece9eb839e076231ab6"])
        #expect(try page.protobuf() == bytes)
    }

    static func randomChangeset(_ rng: inout SeededRandom, sites: [SiteID]) -> Changeset {
        let site = sites.randomElement(using: &rng)!
        let texts = ["", "\"sim\"", "\"Posto de Saúde de Zóbuè\"", "12", "[\"a\",\"b\"]", "\"\u{0}\""]
        let entries = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
            Changeset.Entry(field: ["province", "beds", "_status", "é"].randomElement(using: &rng)!,
                            value: Bool.random(using: &rng) ? nil : texts.randomElement(using: &rng)!,
                            ms: Int64.random(in: 0...Int64.max, using: &rng), counter: Int32.random(in: .min ... .max, using: &rng),
                            parents: (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                                VersionID(site: sites.randomElement(using: &rng)!, seq: Int64.random(in: 1...Int64.max, using: &rng))
                            })
        }
        return Changeset(site: site, seq: Int64.random(in: 1...999_999_999_999, using: &rng), record: "r\(Int.random(in: 0..<3, using: &rng))",
                         form: "f", formVersion: ["1", "2"].randomElement(using: &rng)!, author: ["ana", "joão"].randomElement(using: &rng)!,
                         entries: entries, signature: String(repeating: "ab", count: 64))
    }

    @Test(arguments: 0..<200)
    func randomPushesAndPagesSurviveTheTrip(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 104_729)
        let sites = (0..<3).map { _ in SiteID.random(using: &rng) }
        let changesets = (0..<Int.random(in: 1...6, using: &rng)).map { _ in Self.randomChangeset(&rng, sites: sites) }
        let push = PushRequest(changesets: changesets)
        #expect(try PushRequest(protobuf: try #require(try push.protobuf())).changesets == changesets)
        // A page: the versions in order, with gaps in the server's numbering
        // now and then, so runs start and stop anywhere.
        var seq: Int64 = Int64.random(in: 0...1000, using: &rng)
        let versions = changesets.flatMap(\.versions).map { v in
            seq += Bool.random(using: &rng) ? 1 : Int64.random(in: 2...5, using: &rng)
            return SequencedVersion(seq: seq, version: v)
        }
        let heads = changesets.map { ChangesetHead(site: $0.site, seq: $0.seq, count: Int64($0.entries.count), signature: $0.signature) }
        let page = PullResponse(versions: versions, nextCursor: seq, more: Bool.random(using: &rng), serverTime: 5,
                                changesets: heads, keys: Dictionary(sites.map { ($0.rawValue, "k" + $0.rawValue) }) { a, _ in a })
        let back = try PullResponse(protobuf: try page.protobuf())
        #expect(back.versions == page.versions && back.changesets == page.changesets && back.keys == page.keys)
        #expect(back.nextCursor == page.nextCursor && back.more == page.more && back.serverTime == page.serverTime)
    }

    /// What the JSON decoder refuses, the binary one refuses, saying where.
    @Test func malformedChangesetsAreRefusedSayingWhere() throws {
        let good = try Self.signedChangeset()
        func refusal(_ change: (inout Changeset) -> Void) -> String? {
            var c = good
            change(&c)
            // Encoded field by field, past the client's own checks.
            var m = Recolha_Sync_V2_PushRequest()
            var cm = Recolha_Sync_V2_Changeset()
            cm.site = c.site.rawValue; cm.seq = c.seq; cm.signature = c.signature; cm.versions = c.entries.map(\.protobuf)
            m.changesets = [cm]
            do { _ = try PushRequest(protobuf: try m.serializedData()); return nil } catch { return "\(error)" }
        }
        #expect(refusal { _ in } == nil)
        #expect(refusal { $0.seq = 0 }?.contains("changesets[0].seq") == true)
        #expect(refusal { $0.entries = [] }?.contains("changesets[0].versions") == true)
        #expect(refusal { $0.signature = "xyz" }?.contains("changesets[0].signature") == true)
        #expect(refusal { $0.entries[1].parents = [VersionID(site: good.site, seq: 0)] }?.contains("changesets[0].versions[1].parents[0]") == true)
        var badSite = Recolha_Sync_V2_PushRequest()
        badSite.changesets = [Recolha_Sync_V2_Changeset()]
        #expect(throws: WireDecodingError.self) { try PushRequest(protobuf: badSite.serializedData()) }
        #expect(throws: (any Error).self) { try PushRequest(protobuf: Data("{\"changesets\":[]}".utf8)) }
    }

    /// A body of tiny versions is refused before it grows in memory: no
    /// changeset over 1 MiB is decoded, nor a push of more than 50,000
    /// versions; the client sends such batches as JSON.
    @Test func bombsOfTinyVersionsAreRefusedCheaply() throws {
        // 4 MiB of empty versions in one changeset: 2 million of them.
        var body = Data([0x0a])
        var inner = Data(repeating: 0, count: 4 << 20)
        for i in stride(from: 0, to: inner.count, by: 2) { inner[i] = 0x3a }
        var n = inner.count
        while n >= 0x80 { body.append(UInt8(n & 0x7f) | 0x80); n >>= 7 }
        body.append(UInt8(n)); body.append(inner)
        #expect { try PushRequest(protobuf: body) } throws: { "\($0)".contains("larger than 1 MiB") }
        // Six full changesets: 60,000 versions.
        let c = try Self.signedChangeset()
        let full = Changeset(site: c.site, seq: 1, record: "r", form: "f", formVersion: "1", author: "a",
                             entries: Array(repeating: c.entries[1], count: Changeset.maxEntries), signature: c.signature)
        let many = PushRequest(changesets: Array(repeating: full, count: 6))
        #expect(try many.protobuf() == nil)
        var m = Recolha_Sync_V2_PushRequest()
        m.changesets = Array(repeating: { var x = Recolha_Sync_V2_Changeset()
            x.site = full.site.rawValue; x.seq = 1; x.signature = full.signature; x.versions = full.entries.map(\.protobuf)
            return x }(), count: 6)
        #expect { try PushRequest(protobuf: m.serializedData()) } throws: { "\($0)".contains("more than 50000 versions") }
        // A changeset too big for a binary body is left to JSON.
        let big = Changeset(site: c.site, seq: 1, record: "r", form: "f", formVersion: "1", author: "a",
                            entries: [Changeset.Entry(field: "notes", value: String(repeating: "x", count: 2 << 20), ms: 1, counter: 0, parents: [])],
                            signature: c.signature)
        #expect(try PushRequest(changesets: [big]).protobuf() == nil)
    }
}
