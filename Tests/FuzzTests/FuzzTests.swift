import Foundation
import Gzip
import RecolhaTesting
import Sync
import Testing
import XLSForm
@testable import Forms
@testable import SyncServer

/// Every parser that reads outside bytes, fed 100,000 generated and
/// mutated inputs each: none may crash, and each refusal must be a typed
/// error with a sentence. Seeded, so a failure is reproducible.
@Suite struct FuzzTests {
    /// At least 100,000 inputs per parser (RECOLHA_FUZZ_COUNT to change it).
    static let count = ProcessInfo.processInfo.environment["RECOLHA_FUZZ_COUNT"].flatMap { Int($0) } ?? 100_000
    static let trace = ProcessInfo.processInfo.environment["RECOLHA_FUZZ_TRACE"]
    static let flagship = try! Form.load(json: Package.data(Package.flagship))

    /// Runs `body` on `count` inputs made from the seeds; `body` throws only
    /// for a broken property.
    func fuzz(_ name: String, seeds: [[UInt8]], generate: ((inout Mutator) -> [UInt8])? = nil,
              _ body: ([UInt8]) throws -> Void) throws {
        let base = ProcessInfo.processInfo.environment["RECOLHA_FUZZ_SEED"].flatMap { UInt64($0) }
        var m = Mutator(seed: base ?? name.utf8.reduce(0x5EED) { $0 &* 31 &+ UInt64($1) })
        for i in 0..<Self.count {
            let input: [UInt8]
            if let generate, i % 3 == 0 {
                input = generate(&m)
            } else {
                let seed = seeds[m.int(seeds.count)]
                input = i % 11 == 0 ? seed : m.mutate(seed, other: seeds[m.int(seeds.count)])
            }
            // RECOLHA_FUZZ_TRACE=DIR keeps the input in hand before each call,
            // so a crash leaves the input that caused it.
            if let dir = Self.trace {
                FileManager.default.createFile(atPath: dir + "/" + name + ".bin", contents: Data(input))
            }
            try body(input)
        }
    }

    /// A refusal must say something, and not at length.
    func clear(_ error: any Error) {
        let text = String(describing: error)
        #expect(!text.isEmpty && text.count < 4000, "unclear refusal: \(type(of: error))")
    }

    @Test func answersFiles() throws {
        let seeds = ["examples/ressano_garcia.json", "examples/machipanda.json", "examples/bad_answers.json"].map { Array(Package.data($0)) }
        let form = Self.flagship
        try fuzz("answers", seeds: seeds, generate: { Array($0.json().utf8) }) { input in
            do {
                guard case .object(let o) = try JSONValue.parse(Data(input)) else { return }
                var n = 0
                _ = Answers.read(o, form: form) { _ in n += 1; return "k\(n)" }
            } catch {
                clear(error)
            }
        }
    }

    /// Typed answers for every type beyond the basics (types.xlsx): parsed
    /// and checked, never a trap.
    @Test func typedAnswersOfEveryType() throws {
        let loaded = try XLSFormReader.read(Package.data("Tests/Conformance/workbooks/recolha/types.xlsx"), name: "types.xlsx")
        let form = try Form.load(loaded.definition)
        let seeds = ["07:30", "07:30:15.000+02:00", "OK", "4", "7.5", "-25.9 32.5;-25.91 32.51 10 5", "841234567"].map { Array($0.utf8) }
        try fuzz("typed", seeds: seeds) { input in
            let text = String(decoding: input, as: UTF8.self)
            for q in form.orderedQuestions {
                if case .success(let a) = Answer.parse(text, for: q, choices: []) { _ = a.problem(for: q) }
            }
        }
    }

    /// A refusal's message as a server or hub sends it: decoded or refused, never a trap.
    @Test func wireMessages() throws {
        let seeds = [#"{"code":"rejectField","params":{"field":"a","reason":{"code":"answerRange","params":{"start":"0","end":"10","step":"2"}}}}"#,
                     #"{"code":"showBy","params":{"author":"ana","time":{"time":0},"n":[{"code":"verbatim"}]}}"#].map { Array($0.utf8) }
        try fuzz("messages", seeds: seeds) { input in
            if let m = try? JSONDecoder().decode(Message.self, from: Data(input)) { _ = m.text(.pt) }
        }
    }

    /// The fast path for stored answers agrees with Foundation's decoder.
    @Test func storedAnswersAgreeWithTheDecoder() throws {
        let seeds = ["\"tete\"", "12", "-3", "0", "4.5", "[\"a\",\"b\"]", "\"a\\\"b\"", "\"\\ud800\\u0041\"", "1e3", "\"\""].map { Array($0.utf8) }
        try fuzz("answer", seeds: seeds, generate: { m in Array((m.int(2) == 0 ? m.string() : m.json(depth: 3)).utf8) }) { input in
            let text = String(decoding: input, as: UTF8.self)
            let answer = Answer(json: text)
            if let fast = Answer.fast(text) {
                let slow = (try? JSONValue.parse(Data(text.utf8))).flatMap { Answer(jsonValue: $0, integral: true) }
                #expect(slow == fast, "fast path disagrees on \(input.count) bytes")
                #expect(answer == fast)
            }
        }
    }

    /// A media answer as a version carries it: decoded only when it is one
    /// (a hash, a name a folder can hold, a size), and then canonical.
    @Test func fileAnswers() throws {
        let hash = String(repeating: "ab", count: 32)
        let seeds = [#"{"name":"entrance.jpg","sha256":"\#(hash)","size":2048}"#, #"{"name":"a b.pdf","sha256":"\#(hash)","size":0}"#,
                     #"{"name":"../x","sha256":"\#(hash)","size":1}"#, #"{"name":"é.jpg","sha256":"\#(hash)","size":1e3,"x":1}"#].map { Array($0.utf8) }
        try fuzz("file-answer", seeds: seeds) { input in
            let text = String(decoding: input, as: UTF8.self)
            guard case .file(let f)? = Answer(json: text) else { return }
            #expect(FileAnswer.isHash(f.sha256) && FileAnswer.isName(f.name) && f.size >= 0)
            #expect(!f.name.contains("/") && f.name != "..", "a name that leaves the media folder")
            #expect(Answer(json: f.json) == .file(f), "not canonical")
            _ = f.exportName
        }
    }

    /// A CSV of choices published with a form: read or refused by row, never a trap.
    @Test func choiceFiles() throws {
        let form = Data(#"{"settings": [{"form_id": "v"}], "survey": [{"type": "select_one_from_file f.csv", "name": "f", "label": "F"}]}"#.utf8)
        let seeds = ["name,label,district\nTE-1,\"Zóbuè, HC\",moatize\nTE-2,B,chiure\n", "\u{FEFF}name,label::Português (pt)\r\na,Á\r\n",
                     "name,label\n\"a\"\"b\",x\n,\n"].map { Array($0.utf8) }
        let definition = try JSONDecoder().decode(FormDefinition.self, from: form)
        try fuzz("choice-file", seeds: seeds) { input in
            do {
                let attached = try FormFile.attach([FormFile.Media(name: "f.csv", data: Data(input))], to: definition, form: "v.json")
                #expect(attached.files.count == 1)
                _ = try? Form.load(attached)
            } catch {
                clear(error)
            }
        }
    }

    /// ODK's XML and GeoJSON choice files through Foundation's XML parser
    /// (libxml2) and JSON decoder: read by item or feature, or refused.
    @Test func xmlAndGeoJSONChoiceFiles() throws {
        let form = Data(#"{"settings": [{"form_id": "v"}], "survey": [{"type": "select_one_from_file f.xml", "name": "f", "label": "F"}, {"type": "select_one_from_file g.geojson", "name": "g", "label": "G"}]}"#.utf8)
        let seeds = ["<?xml version=\"1.0\"?><root><item><name>a</name><label>Á</label><d>x</d></item><item><name>b</name><label>B</label></item></root>",
                     "<!DOCTYPE r [<!ENTITY e \"ee\">]><r><item><name>&e;</name><label><![CDATA[x]]></label></item></r>",
                     #"{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"geometry":{"type":"Point","coordinates":[34.1,-15.5]},"properties":{"title":"T","n":2.5}}]}"#,
                     #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"x","title":null}}]}"#,
                     // Two inputs that made Foundation's XMLParser trap (the reason for XMLEvents).
                     "<?x?><root><item><name>a</name><label>A</label></item></root>"].map { Array($0.utf8) }
            + [Array("<root><item><name>a</name><labe".utf8) + [0xC3] + Array(">A</label></item></root>".utf8)]
        let definition = try JSONDecoder().decode(FormDefinition.self, from: form)
        let xml = FormFile.Media(name: "f.xml", data: Data(seeds[0])), geojson = FormFile.Media(name: "g.geojson", data: Data(seeds[2]))
        try fuzz("xml-geojson-choice-file", seeds: seeds) { input in
            let data = Data(input)
            let media = input.first == UInt8(ascii: "{") ? [xml, FormFile.Media(name: "g.geojson", data: data)]
                                                          : [FormFile.Media(name: "f.xml", data: data), geojson]
            do {
                let attached = try FormFile.attach(media, to: definition, form: "v.json")
                #expect(attached.files.count == 2)
            } catch {
                clear(error)
            }
        }
    }

    static let pushIdentity = SiteIdentity.make()
    static let enrolmentSeed: Enrolment = {
        let device = SiteIdentity.make()
        return Enrolment(user: "ana", deviceName: "tab", site: device.site, publicKey: device.publicKey, hpkeKey: device.hpkeKey,
                         proof: device.loginProof(user: "ana"), sponsor: pushIdentity.site, at: 1).signed(by: pushIdentity)
    }()

    static func pushSeed() -> [UInt8] {
        let site = pushIdentity.site
        let versions = (1...4).map { i in
            Version(id: VersionID(site: site, seq: Int64(i)), record: "r1", form: "health_facility_assessment", formVersion: "2026.11.3",
                    field: ["province", "district", "beds", "languages"][i - 1], value: ["\"tete\"", "\"moatize\"", "12", "[\"pt\",\"en\"]"][i - 1],
                    clock: HLC(ms: 1_700_000_000_000, counter: Int32(i), site: site), parents: [], author: "ana")
        }
        let signed = Changeset(versions: versions)!.signed(by: pushIdentity)
        return Array(try! JSONEncoder().encode(PushRequest(changesets: [signed])))
    }

    /// The device of `pushIdentity`, as the server has it enrolled.
    static let pushDevice = DeviceRecord(id: "d", user: "ana", name: "t", site: pushIdentity.site, tokenHash: "", createdAt: 0, expiresAt: 0,
                                         lastSeenAt: nil, revoked: false, publicKey: pushIdentity.publicKey)
    static let pushUser = UserRecord(name: "ana", role: .enumerator, passwordHash: "", createdAt: 0)

    /// What the server does with a decoded push: each changeset's signed
    /// bytes and signature, then its versions' rules.
    static func judge(_ request: PushRequest) {
        let forms = [flagship.id + "\u{1}" + flagship.version: flagship]
        for c in request.changesets {
            _ = c.signedBytes
            guard SyncService.signatureProblem(c, device: pushDevice, user: pushUser) == nil else { continue }
            for v in c.versions {
                _ = VersionRules.check(v, owner: nil, device: pushDevice, user: pushUser, forms: forms, now: 1_700_000_000_000)
            }
        }
    }

    /// Push bodies through the server's decoder, its signature check and
    /// then its version rules (where one answer once crashed the server).
    @Test func pushBodies() throws {
        let seed = Self.pushSeed()
        let device = Self.pushDevice, user = Self.pushUser
        let decoded = try JSONDecoder().decode(PushRequest.self, from: Data(seed))
        #expect(SyncService.signatureProblem(decoded.changesets[0], device: device, user: user) == nil, "the seed verifies")
        try fuzz("push", seeds: [seed]) { input in
            do {
                Self.judge(try Body.decode(PushRequest.self, from: Data(input), gzip: false))
            } catch let e as ServerError {
                #expect(e.status == .badRequest)
                clear(e)
            }
        }
    }

    /// Changesets that failed their signature still pass through the
    /// canonical encoding and the check without trapping, whatever their numbers.
    @Test func unverifiedChangesetsNeverTrap() throws {
        let seed = Self.pushSeed()
        let device = Self.pushDevice, user = Self.pushUser
        try fuzz("changesets", seeds: [seed], generate: { Array($0.json().utf8) }) { input in
            guard let request = try? JSONDecoder().decode(PushRequest.self, from: Data(input)) else { return }
            for c in request.changesets {
                _ = c.signedBytes
                _ = SyncService.signatureProblem(c, device: device, user: user)
            }
        }
    }

    /// Bundle files (a stick from anyone) and, behind their encryption,
    /// bundle contents (what a dishonest relay that can open one could write).
    @Test func bundles() throws {
        let reader = SiteIdentity.make()
        let seed = try Gzip.compress(JSONEncoder().encode(BundleContent(
            from: Self.pushIdentity.site, fromUser: "ana", createdAt: 1_700_000_000_000,
            keys: [Self.pushIdentity.site.rawValue: Self.pushIdentity.publicKey],
            changesets: (try JSONDecoder().decode(PushRequest.self, from: Data(Self.pushSeed()))).changesets,
            receipts: [Receipt(site: Self.pushIdentity.site, held: [1...4], serverTime: 1).signed(by: reader)])))
        let file = try BundleEnvelope.seal(seed, to: [reader.hpkeKey])
        try fuzz("bundle-files", seeds: [Array(file)]) { input in
            do {
                let payload = try BundleEnvelope.open(Data(input), with: reader)
                _ = try? JSONDecoder().decode(BundleContent.self, from: Gzip.decompress(payload, limit: 1 << 20))
            } catch {
                clear(error)
            }
        }
        let plain = try Gzip.decompress(seed, limit: 1 << 20)
        try fuzz("bundle-contents", seeds: [Array(plain)], generate: { Array($0.json().utf8) }) { input in
            guard let content = try? JSONDecoder().decode(BundleContent.self, from: Data(input)) else { return }
            for c in content.changesets { _ = content.problem(with: c) }
            for r in content.receipts { _ = r.verify(serverKey: reader.publicKey) }
        }
    }

    @Test func otherRequestBodies() throws {
        let seeds: [[UInt8]] = [
            Array(try JSONEncoder().encode(PullRequest(cursor: 10))),
            Array(try JSONEncoder().encode(LoginRequest(user: "ana", password: "x", deviceName: "d", identity: .make(), previous: .make()))),
            Array(try JSONEncoder().encode(IdentityRequest(deviceName: "d", identity: .make(), user: "ana"))),
            Array(try JSONEncoder().encode(EnrolmentPush(enrolments: [Self.enrolmentSeed]))),
            Array(try JSONEncoder().encode(HubEnrolRequest(user: "ana", deviceName: "d", identity: .make(), code: "123456"))),
        ]
        try fuzz("requests", seeds: seeds, generate: { Array($0.json().utf8) }) { input in
            for decode in [
                { _ = try Body.decode(PullRequest.self, from: Data(input), gzip: false) },
                { _ = try Body.decode(LoginRequest.self, from: Data(input), gzip: false) },
                { _ = try Body.decode(IdentityRequest.self, from: Data(input), gzip: false) },
                {
                    let push = try Body.decode(EnrolmentPush.self, from: Data(input), gzip: false)
                    for e in push.enrolments { _ = e.problem(sponsorKey: Self.pushIdentity.publicKey) }
                },
                { _ = try Body.decode(HubEnrolRequest.self, from: Data(input), gzip: false) },
            ] as [() throws -> Void] {
                do { try decode() } catch let e as ServerError { #expect(e.status == .badRequest); clear(e) }
            }
        }
    }

    @Test func gzipBodies() throws {
        let seeds = [Array(try Gzip.compress(Data(Self.pushSeed()))), Array(try Gzip.compress(Data(repeating: 0x20, count: 100_000)))]
        try fuzz("gzip", seeds: seeds) { input in
            do {
                _ = try Gzip.decompress(Data(input), limit: 1 << 20)
            } catch {
                clear(error)
            }
            do {
                _ = try Body.decode(PushRequest.self, from: Data(input), gzip: true)
            } catch let e as ServerError {
                #expect(e.status == .badRequest)
                clear(e)
            }
        }
    }

    /// What the client reads from a server (which may be hostile or broken).
    @Test func serverAnswers() throws {
        let site = SiteIdentity.make().site
        let v = Version(id: VersionID(site: site, seq: 1), record: "r", form: "f", formVersion: "1", field: "a", value: "\"x\"",
                        clock: HLC(ms: 1, counter: 0, site: site), parents: [VersionID(site: site, seq: 0)], author: "ana")
        let seeds: [[UInt8]] = [
            Array(try JSONEncoder().encode(PushResponse(accepted: [v.id], duplicates: [], rejected: [Rejection(id: v.id, reason: "r")],
                                                        receipts: [Receipt(site: site, held: [1...4], serverTime: 1).signed(by: .make())], serverTime: 1))),
            Array(try JSONEncoder().encode(PullResponse(versions: [SequencedVersion(seq: 3, version: v)], nextCursor: 3, more: false, serverTime: 1))),
            Array(try JSONEncoder().encode(FormList(forms: [FormInfo(formID: "f", version: "1", title: "t", sha256: "x")], serverTime: 1))),
            Array(try JSONEncoder().encode(ErrorBody(error: "site_reused", message: "m", ids: [v.id]))),
        ]
        let d = JSONDecoder()
        try fuzz("answers-from-server", seeds: seeds, generate: { Array($0.json().utf8) }) { input in
            let data = Data(input)
            for decode in [
                {
                    let answer = try d.decode(PushResponse.self, from: data)
                    for r in answer.receipts { _ = r.verify(serverKey: Self.pushIdentity.publicKey); _ = r.signedBytes }
                }, { _ = try d.decode(PullResponse.self, from: data) },
                { _ = try d.decode(FormList.self, from: data) }, { _ = try d.decode(ErrorBody.self, from: data) },
                { _ = try d.decode(LoginResponse.self, from: data) },
            ] as [() throws -> Void] {
                do { try decode() } catch { clear(error) }
            }
        }
        // A binary pull page, as a hostile server could shape one.
        let page = PullResponse(versions: [SequencedVersion(seq: 3, version: v), SequencedVersion(seq: 4, version: v)], nextCursor: 4,
                                more: true, serverTime: 1, changesets: [ChangesetHead(site: site, seq: 1, count: 2, signature: "ab")],
                                keys: [site.rawValue: "cd"])
        try fuzz("binary-pages", seeds: [Array(try page.protobuf())]) { input in
            do { _ = try PullResponse(protobuf: Data(input)) } catch { clear(error) }
        }
    }

    @Test func expressions() throws {
        var seeds: [[UInt8]] = ["${a} > 3 and ${b} != 'x'", "selected(${langs}, 'pt') or count-selected(.) >= 2",
                                "if(${x} = '', 0, number(${x}) * 2)", "regex(., '^[0-9]{9}$')", "concat(${a}, ' ', substr(${b}, 1, 3))",
                                "count(instance('facilities')/root/item[district = ${d} and beds > 2]) + instance('x')/root/item[name = ${f}]/beds"]
            .map { Array($0.utf8) }
        for row in Self.flagship.definition.survey {
            for column in ["relevant", "constraint", "calculation", "choice_filter"] {
                if let e = row.cells[column], !e.isEmpty { seeds.append(Array(e.utf8)) }
            }
        }
        try fuzz("expressions", seeds: seeds) { input in
            do {
                _ = try ExprParser.parse(String(decoding: input, as: UTF8.self))
            } catch {
                clear(error)
            }
        }
    }

    static let smallForm = """
        {"survey": [{"type": "text", "name": "a", "label": "A"}, {"type": "integer", "name": "n", "label": "N", "constraint": ". > 0"},
                    {"type": "select_one yn", "name": "q", "label": "Q", "relevant": "${n} > 2"},
                    {"type": "begin repeat", "name": "r", "label": "R"}, {"type": "date", "name": "d", "label": "D"},
                    {"type": "end repeat"}],
         "choices": [{"list_name": "yn", "name": "yes", "label": "Yes"}, {"list_name": "yn", "name": "no", "label": "No"}],
         "settings": [{"form_id": "f", "version": "1", "form_title": "F"}]}
        """

    @Test func formFiles() throws {
        try fuzz("forms", seeds: [Array(Self.smallForm.utf8)]) { input in
            do {
                _ = try Form.load(json: Data(input))
            } catch {
                clear(error)
            }
        }
    }

    @Test func workbooks() throws {
        let seeds = ["pyxform/yes_or_no_question.xlsx", "pyxform/text_and_integer.xlsx", "recolha/cascading.xlsx"]
            .map { Array(Package.data("Tests/Conformance/workbooks/" + $0)) }
        try fuzz("workbooks", seeds: seeds) { input in
            do {
                _ = try FormFile.load(data: Data(input), name: "fuzz.xlsx")
            } catch {
                clear(error)
            }
        }
    }
}
