import Foundation
import RecolhaTesting
import Testing
@testable import Sync

func wireVersions(_ objects: [[String: Any]]) throws -> [Version] {
    let data = try JSONSerialization.data(withJSONObject: objects)
    return try JSONDecoder().decode([WireVersion].self, from: data).map(\.version)
}

@Suite struct MergeFixtureTests {
    @Test(arguments: Fixtures.merges)
    func everyDeliveryOrderGivesTheExpectedState(m: Fixtures.Merge) throws {
        let all = try wireVersions(m.versions)
        let byID = Dictionary(all.map { ($0.id.description, $0) }, uniquingKeysWith: { a, _ in a })
        for order in m.deliveries {
            let state = RecordState(record: m.record, versions: order.map { byID[$0]! })
            #expect(state.values == m.values, "\(m.name) \(order)")
            #expect(state.status == m.status)
            #expect(state.isDeleted == m.deleted)
            #expect(state.conflicts == m.conflicts)
        }
    }

    @Test func wireVersionsRoundTrip() throws {
        let all = try wireVersions(Fixtures.merges[0].versions)
        let again = try JSONDecoder().decode([WireVersion].self, from: JSONEncoder().encode(all.map(WireVersion.init)))
        #expect(again.map(\.version) == all)
    }
}
