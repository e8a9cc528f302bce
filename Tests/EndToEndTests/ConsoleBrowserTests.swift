import Foundation
import RecolhaTesting
import Testing

/// The console in a real browser (Debian's headless Chromium, driven by
/// Selenium: Tests/Browser/console.py): a supervisor returns one record with
/// a comment on a question and approves another; the enumerator's device
/// shows the returned record after `recolha sync`; the fix comes back and
/// the console shows it corrected. Screenshots go to .build/console-screenshots.
@Suite struct ConsoleBrowserTests {
    static let selenium = ProcessInfo.processInfo.environment["RECOLHA_SELENIUM_PATH"] ?? Package.path(".build-selenium")
    static let shots = Package.path(".build/console-screenshots")

    /// Runs the browser script; a browser that dies under it (Chromium's
    /// renderer lost on a loaded machine) gets one more try, said aloud.
    func browse(_ server: TestServer, _ args: [String]) throws -> [String: Any] {
        func run() -> CLI.Result {
            let home = TempDir()
            return CLI.run(["python3", Package.path("Tests/Browser/console.py"), server.url, Self.shots] + args,
                        env: ["PYTHONPATH": Self.selenium, "HOME": home.path], binary: "/usr/bin/env", directory: home.path)
        }
        var r = run()
        if r.status != 0, ["InvalidSessionIdException", "disconnected", "crashed"].contains(where: { r.stdout.contains($0) }) {
            print("the browser died under the script, trying once more: \(r.stdout.prefix(400))")
            r = run()
        }
        try #require(r.status == 0, "the browser: \(r.stdout.suffix(3000)) \(r.stderr.suffix(3000))")
        return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
    }

    @Test func aSupervisorReviewsInTheBrowserAndTheEnumeratorFixesTheRecord() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/chromedriver"),
              FileManager.default.fileExists(atPath: Self.selenium + "/selenium") else {
            Issue.record("chromium, chromium-driver or selenium is missing: run the tests with `make test`, which installs them")
            return
        }
        try? FileManager.default.removeItem(atPath: Self.shots)  // last run's pictures prove nothing
        try FileManager.default.createDirectory(atPath: Self.shots, withIntermediateDirectories: true)
        let server = try TestServer()
        defer { server.stop() }
        let (sara, ana) = try BundleTests.team(server)
        _ = sara
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        _ = try ana.sync()
        let ids = try (ana.json(["list"]) as! [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(ids.count == 2)

        let seen = try browse(server, ["review", ids[0], ids[1]])
        #expect(seen["signin_button"] as? String == "Iniciar sessão", "the browser asks for Portuguese")
        #expect(Set(seen["queue"] as? [String] ?? []) == Set(ids))
        #expect(seen["returned"] as? String == "Returned")
        #expect(seen["approved"] as? String == "Approved")
        #expect(seen["after_signout"] as? String == "signin", "signed out, the queue is closed")
        let cookie = seen["cookie"] as? [String: Any]
        #expect(cookie?["httpOnly"] as? Bool == true && cookie?["sameSite"] as? String == "Strict")

        // The enumerator's device, after `recolha sync`.
        let synced = ana.run(["sync"])
        #expect(synced.stdout.contains("Returned for correction: 1 record"), "\(synced.stdout) \(synced.stderr)")
        let returned = try ana.json(["list", "--returned"]) as! [[String: Any]]
        #expect(returned.map { $0["id"] as? String } == [ids[0]])
        let review = returned.first?["review"] as? [String: Any]
        #expect(review?["comment"] as? String == "Confirm the phone number with the person in charge")
        #expect((review?["fields"] as? [String: String])?["respondent_phone"] == "One digit seems missing")
        #expect(((try ana.json(["show", ids[1]]) as! [String: Any])["_review"] as? [String: Any])?["state"] as? String == "approved")

        #expect(ana.run(["edit", ids[0], "--set", "respondent_phone=+258823456789"]).status == 0)
        _ = try ana.sync()
        _ = try browse(server, ["check", ids[0], "Corrected"])
        for page in ["signin", "overview", "queue", "record", "record-returned", "record-corrected"] {
            #expect(FileManager.default.fileExists(atPath: Self.shots + "/\(page).png"), "screenshot \(page)")
        }
    }
}
