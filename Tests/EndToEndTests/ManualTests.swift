import Foundation
import RecolhaTesting
import Testing

/// The man pages `make dist` packages are committed (docs/man, made by
/// `make man`); each carries the digest of the help it was made from.
@Suite struct ManualTests {
    @Test(arguments: ["recolha", "recolha-server"])
    func manPagesAreMadeFromTheCurrentHelp(command: String) throws {
        let help = CLI.run(["--experimental-dump-help"], env: ["LC_ALL": "C.UTF-8"], binary: CLI.binary(command))
        try #require(help.status == 0, "\(command) --experimental-dump-help: \(help.stderr)")
        let digest = CLI.run(["-c", "sha256sum | cut -d' ' -f1"], stdin: help.stdout, binary: "/bin/sh").stdout
        let recorded = try String(contentsOfFile: Package.path("docs/man/\(command).help.sha256"), encoding: .utf8)
        #expect(digest == recorded, "docs/man/\(command).1 was made from other help than \(command) now gives: run `make man` and commit docs/man")
        let page = try String(contentsOfFile: Package.path("docs/man/\(command).1"), encoding: .utf8)
        #expect(page.contains(".Dt \(command.uppercased()) 1"))
    }
}
