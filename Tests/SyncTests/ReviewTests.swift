import Foundation
import Sync
import Testing

@Suite struct ReviewTests {
    @Test func theTextIsCanonical() {
        let r = Review(state: .hasIssues, comment: "Confirme / \"já\"", fields: ["b": "2", "a": "1"])
        #expect(r.json == #"{"comment":"Confirme / \"já\"","fields":{"a":"1","b":"2"},"state":"has_issues"}"#)
        #expect(Review(state: .approved, comment: "", fields: [:]).json == #"{"state":"approved"}"#)
        #expect(Review.parse(r.json) == r)
    }

    @Test func onlyReviewsWithinBoundsAreRead() {
        for bad in [nil, "", "null", "[]", #"{"state":"maybe"}"#, #"{"state":"rejected"}"#, #"{"comment":"x"}"#,
                    #"{"state":"approved","fields":{"_status":"x"}}"#, #"{"state":"approved","fields":{"a":""}}"#,
                    #"{"state":"approved","comment":"\#(String(repeating: "x", count: 2001))"}"#] {
            #expect(Review.parse(bad) == nil, "\(bad ?? "nil")")
        }
        #expect(Review.parse(#"{"state":"has_issues","fields":{"a":"why"}}"#) != nil, "field comments alone say why")
    }

    /// Any bytes at all: parse never traps, and what it reads writes back to
    /// a text it reads the same.
    @Test func arbitraryBytesNeverTrap() {
        var g = SystemRandomNumberGenerator()
        let pieces = ["{", "}", "\"state\"", ":", "\"approved\"", "\"has_issues\"", ",", "\"comment\"", "\"x\"", "\"fields\"",
                      "{\"a\":\"b\"}", "[", "]", "null", "1e999", "\\u0000", "\"", " "]
        for _ in 0..<5000 {
            let text = (0..<Int.random(in: 0...12, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
            if let r = Review.parse(text) { #expect(Review.parse(r.json) == r) }
        }
    }

    @Test func theStatePeopleSee() {
        let site = SiteID("00000000000000aa")!
        func v(_ seq: Int64, _ field: String, _ value: String, parents: [VersionID] = []) -> Version {
            Version(id: VersionID(site: site, seq: seq), record: "r", form: "f", formVersion: "1", field: field, value: value,
                    clock: HLC(ms: seq, counter: 0, site: site), parents: parents, author: "ana")
        }
        #expect(RecordState(record: "r", versions: [v(1, "_status", "\"draft\"")]).reviewState == nil)
        let finalized = [v(1, "_status", "\"draft\""), v(2, "_status", "\"finalized\"", parents: [VersionID(site: site, seq: 1)])]
        #expect(RecordState(record: "r", versions: finalized).reviewState == .received)
        let returned = finalized + [v(3, "_review", Review(state: .hasIssues, comment: "x").json)]
        #expect(RecordState(record: "r", versions: returned).reviewState == .hasIssues)
        #expect(RecordState(record: "r", versions: returned).review?.comment == "x")
    }
}
