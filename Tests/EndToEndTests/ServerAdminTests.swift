import Foundation
import GRDB
import RecolhaTesting
import Testing

@Suite(.serialized) struct ServerAdminTests {
    /// A district server with its own CA: the client trusts it only with --cacert.
    @Test func httpsWithADistrictCA() throws {
        let certs = TempDir()
        func openssl(_ args: String) {
            let r = CLI.run(["-c", "openssl \(args)"], binary: "/bin/bash")
            precondition(r.status == 0, r.stderr)
        }
        openssl("req -x509 -newkey rsa:2048 -nodes -keyout \(certs.file("ca.key")) -out \(certs.file("ca.pem")) -days 2 -subj '/CN=Recolha test CA'")
        openssl("req -newkey rsa:2048 -nodes -keyout \(certs.file("server.key")) -out \(certs.file("server.csr")) -subj '/CN=127.0.0.1'")
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: certs.file("san.ext"), atomically: true, encoding: .utf8)
        openssl("x509 -req -in \(certs.file("server.csr")) -CA \(certs.file("ca.pem")) -CAkey \(certs.file("ca.key")) -CAcreateserial -out \(certs.file("server.pem")) -days 2 -extfile \(certs.file("san.ext"))")
        let server = try TestServer(serveArgs: ["--tls-cert", certs.file("server.pem"), "--tls-key", certs.file("server.key")])
        #expect(server.url.hasPrefix("https://"))
        let d = Device()
        _ = d.run(["init", "--enumerator", "ana"])
        let untrusted = d.run(["login", "--server", server.url, "--user", "ana", "--password-stdin"], stdin: TestServer.password("ana") + "\n")
        #expect(untrusted.status == 6 && untrusted.stderr.contains("--cacert"), "\(untrusted.stderr)")
        let trusted = d.run(["login", "--server", server.url, "--user", "ana", "--password-stdin", "--cacert", certs.file("ca.pem")],
                            stdin: TestServer.password("ana") + "\n")
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(d.run(["sync"]).status == 0)
    }

    @Test func disabledUsersAndExpiredTokensAreRefused() throws {
        let server = try TestServer()
        let ana = Device.loggedIn("ana", to: server)
        #expect(ana.run(["sync"]).status == 0)
        try TestServer.admin(["users", "disable", "ana", "--data", server.data])
        let r = ana.run(["sync"])
        #expect(r.status == 7 && r.stderr.contains("your user is disabled on the server"))
        try TestServer.admin(["users", "enable", "ana", "--data", server.data])
        #expect(ana.run(["sync"]).status == 0)

        let shortLived = try TestServer(serveArgs: ["--token-days", "0"])
        let bento = Device.loggedIn("bento", to: shortLived)
        let expired = bento.run(["sync"])
        #expect(expired.status == 7 && expired.stderr.contains("expired"), "\(expired.stderr)")
    }

    @Test func adminCommandsSayWhatIsWrong() throws {
        let server = try TestServer()
        let dup = CLI.run(["users", "add", "ana", "--role", "enumerator", "--password-stdin", "--data", server.data],
                          stdin: "long-enough-1\n", binary: CLI.binary("recolha-server"))
        #expect(dup.status == 3 && dup.stderr.contains("already exists"))
        let short = CLI.run(["users", "add", "zed", "--role", "enumerator", "--password-stdin", "--data", server.data],
                            stdin: "short\n", binary: CLI.binary("recolha-server"))
        #expect(short.status == 2 && short.stderr.contains("at least 8 characters"))
        let role = CLI.run(["users", "add", "zed", "--role", "boss", "--password-stdin", "--data", server.data],
                           stdin: "long-enough-1\n", binary: CLI.binary("recolha-server"))
        #expect(role.status == 2)
        let none = CLI.run(["users", "list", "--data", server.dir.file("nowhere")], binary: CLI.binary("recolha-server"))
        #expect(none.status == 3 && none.stderr.contains("recolha-server init"))
        let revoke = CLI.run(["devices", "revoke", "nope", "--data", server.data], binary: CLI.binary("recolha-server"))
        #expect(revoke.status == 4)
        let again = try TestServer.admin(["forms", "publish", Package.path(Package.flagship), "--data", server.data])
        #expect(again.stdout.contains("already published"))
        let list = try TestServer.admin(["users", "list", "--data", server.data]).stdout
        #expect(list.contains("sara  supervisor") && !list.contains("password"))
    }

    /// An import that fails half way leaves an empty target a retry
    /// accepts; a damaged file is refused before anything is written.
    @Test func importIsAllOrNothing() throws {
        let source = try TestServer()
        let ana = Device.loggedIn("ana", to: source)
        _ = try ana.sync()
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        _ = try ana.sync()
        source.stop()
        let file = source.dir.file("export.jsonl")
        _ = try TestServer.admin(["export", "--out", file] + source.storageArgs)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)

        let target = TempDir()
        let data = ["--data", target.file("data")]
        _ = try TestServer.admin(["init"] + data)
        func count() throws -> Int {
            try DatabaseQueue(path: target.file("data/server.sqlite")).read {
                try Int.fetchOne($0, sql: "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM versions)")!
            }
        }
        // Cut short: refused before writing.
        let cut = target.file("cut.jsonl")
        try (lines.dropLast(3).joined(separator: "\n") + "\n").write(toFile: cut, atomically: true, encoding: .utf8)
        let short = CLI.run(["import", cut] + data, binary: CLI.binary("recolha-server"))
        #expect(short.status == 3 && short.stderr.contains("ends early"), "\(short.stderr)")
        #expect(try count() == 0)
        // Well formed but failing while written (a user twice): emptied again.
        let twice = target.file("twice.jsonl")
        let user = try #require(lines.first { $0.contains("\"kind\":\"user\"") })
        try ([lines[0], user] + lines.dropFirst()).joined(separator: "\n").appending("\n").write(toFile: twice, atomically: true, encoding: .utf8)
        let failed = CLI.run(["import", twice] + data, binary: CLI.binary("recolha-server"))
        #expect(failed.status != 0 && failed.stderr.contains("emptied again"), "\(failed.stderr)")
        #expect(try count() == 0)
        // The retry with the good file is accepted.
        let good = try TestServer.admin(["import", file] + data)
        #expect(good.stdout.contains("Imported"), "\(good.stdout)")
        #expect(try count() > 0)
    }
}
