import Foundation
import GRDB
import RecolhaTesting
import Testing

/// An outside tool checks the API against docs/openapi.yaml: schemathesis
/// (pinned, installed by `make test` into .build-schemathesis) runs against a
/// live server with a valid device token. Every check it has runs but one:
/// no 5xx, every status documented, every response inside its schema,
/// schema-breaking requests refused, 405 for undeclared methods.
///
/// Left out: made-up HTTP framing headers (Tests/Conformance/schemathesis_hooks.py),
/// and `positive_data_acceptance`, which expects every schema-valid
/// request to succeed. A schema cannot say that a site id is derived from
/// the key sent with it, so a valid-looking login with a made-up site is
/// rightly refused (400 site_unproven).
@Suite struct APIConformanceTests {
    static let path = ProcessInfo.processInfo.environment["RECOLHA_SCHEMATHESIS_PATH"] ?? Package.path(".build-schemathesis")

    @Test func schemathesisFindsNoFailure() throws {
        guard FileManager.default.fileExists(atPath: Self.path + "/schemathesis") else {
            Issue.record("schemathesis is not installed in \(Self.path): run the tests with `make test`")
            return
        }
        let server = try TestServer()
        defer { server.stop() }
        let device = Device.ready("ana")
        let login = device.run(["login", "--server", server.url, "--user", "ana", "--password-stdin"],
                               stdin: TestServer.password("ana") + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        let token = try DatabaseQueue(path: device.store).read { try String.fetchOne($0, sql: "SELECT token FROM sync_state") }
        let work = TempDir()
        let cli = "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'schemathesis'; sys.exit(schemathesis())"
        let r = CLI.run(["python3", "-c", cli, "run", Package.path("docs/openapi.yaml"), "--url", server.url,
                         "--header", "Authorization: Bearer \(try #require(token))",
                         "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                         "--max-examples", "60", "--seed", "20261129", "--no-color"],
                        env: ["PYTHONPATH": Self.path + ":" + Package.path("Tests/Conformance"), "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
                              "HOME": work.path],
                        binary: "/usr/bin/env", directory: work.path)
        #expect(r.status == 0, "schemathesis found failures:\n\(r.stdout.suffix(8000))\n\(r.stderr.suffix(2000))")
        #expect(r.stdout.contains("Test cases:"), "schemathesis did not run:\n\(r.stdout.suffix(2000))\n\(r.stderr.suffix(2000))")
        #expect(!server.log.contains(" status=5"), "the server answered 5xx")
    }
}
