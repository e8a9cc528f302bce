@testable import Console
import Crypto
import Forms
import Foundation
import Hummingbird
import HummingbirdTesting
import RecolhaTesting
import Sync
import SyncServer
import Testing

/// The record page names the files a record names that the server does
/// not hold whole yet (Central's "missing attachments"), and stops once
/// the last piece arrives.
extension ConsoleTests {
    @Test func aRecordPageListsItsMissingFilesUntilTheyArrive() async throws {
        let (service, record) = try await setUp()
        // ana's tablet adds a photo of the entrance to her record.
        let photo = Data((0..<3000).map { UInt8($0 % 251) })
        let hash = SHA256.hash(data: photo).map { String(format: "%02x", $0) }.joined()
        let identity = SiteIdentity.make()
        let login = try await service.login(LoginRequest(user: "ana", password: "pw-ana", deviceName: "tab2", identity: identity))
        let (device, user) = try await service.authenticate("Bearer " + login.token)
        let answer = FileAnswer(sha256: hash, name: "entrance.jpg", size: photo.count)!
        let v = Version(id: VersionID(site: identity.site, seq: 1), record: record, form: "health_facility_assessment", formVersion: "2026.11.3",
                        field: "entrance_photo", value: answer.json, clock: HLC(ms: ServerClock.nowMs(), counter: 0, site: identity.site),
                        parents: [], author: "ana")
        let pushed = try await service.push(PushRequest(changesets: [Changeset(versions: [v])!.signed(by: identity)]), device: device, user: user)
        #expect(pushed.accepted.count == 1, "\(pushed.rejected)")
        _ = try await service.uploadMedia(hash, offset: 0, bytes: photo.prefix(1000), user: user)

        try await app(service).test(.router) { client in
            let (session, _, _) = try await signIn(client, user: "sara", password: "pw-sara")
            let cookie = headers(["recolha_console": try #require(session)])
            let page = text(try await client.execute(uri: "/console/records/\(record)", method: .get, headers: cookie))
            #expect(page.contains("Files not yet on the server") && page.contains("entrance.jpg: 1 KB / 3 KB"), "\(page)")
            #expect(page.contains("entrance.jpg (image/jpeg, 3 KB)"), "the answer reads as its file")
            _ = try await service.uploadMedia(hash, offset: 1000, bytes: photo.suffix(2000), user: user)
            let after = text(try await client.execute(uri: "/console/records/\(record)", method: .get, headers: cookie))
            #expect(!after.contains("Files not yet on the server"))
            // Whole now: the answer links to the photo, shown in the browser but never run as a page.
            let link = "/console/records/\(record)/files/\(hash)"
            #expect(after.contains("href=\"\(link)\""), "\(after)")
            let file = try await client.execute(uri: link, method: .get, headers: cookie)
            #expect(file.status == .ok && Data(buffer: file.body) == photo)
            #expect(file.headers[.contentType] == "image/jpeg" && file.headers[.xContentTypeOptions] == "nosniff")
            #expect(file.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
            // Another record's address does not reach it; signed out, neither.
            #expect(try await client.execute(uri: "/console/records/\(UUID().uuidString.lowercased())/files/\(hash)", method: .get,
                                             headers: cookie).status == .notFound)
            #expect(try await client.execute(uri: link, method: .get).status == .seeOther)
        }
    }
}
