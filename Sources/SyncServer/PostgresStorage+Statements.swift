import PostgresNIO
import Sync

/// The push's statements, prepared once on each pooled connection
/// (PostgresNIO names them and prepares each the first time a connection
/// runs it). Sent unnamed, PostgreSQL parsed, analysed and planned all of
/// them again on every push: under `make load` that was about a third of
/// PostgreSQL's processor (BENCHMARKS.md).
enum PushStatement {
    /// The versions of a batch this server already holds, by site and number.
    struct Held: PostgresPreparedStatement {
        static let sql = """
            SELECT v.site_id, v.site_seq, v.record_id, v.form_id, v.form_version, v.field, v.value, v.clock_ms, v.clock_counter,
                   v.parents, v.author
            FROM versions v
            JOIN unnest($1::text[], $2::bigint[]) AS u(s, q) ON v.site_id = u.s AND v.site_seq = u.q
            """
        typealias Row = (String, Int64, String, String, String, String, String?, Int64, Int32, String, String)
        var sites: [String]
        var seqs: [Int64]

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 2)
            b.append(sites); b.append(seqs)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The owners of the records a batch writes to.
    struct Owners: PostgresPreparedStatement {
        static let sql = "SELECT id, owner FROM records WHERE id = ANY($1::text[])"
        typealias Row = (String, String)
        var ids: [String]

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 1)
            b.append(ids)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The accepted changesets' signatures, with who carried them and when.
    struct InsertChangesets: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO changesets (site_id, seq, count, signature, carried_by, received_at)
            SELECT s, q, n, sig, $5, $6
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS u(s, q, n, sig)
            ON CONFLICT DO NOTHING
            """
        typealias Row = ()
        var sites: [String], seqs: [Int64], counts: [Int64], signatures: [String]
        var carrier: String, at: Int64

        init(_ signed: [Changeset], carrier: String, at: Int64) {
            sites = signed.map(\.site.rawValue); seqs = signed.map(\.seq)
            counts = signed.map { Int64($0.entries.count) }; signatures = signed.map(\.signature)
            self.carrier = carrier; self.at = at
        }

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 6)
            b.append(sites); b.append(seqs); b.append(counts); b.append(signatures); b.append(carrier); b.append(at)
            return b
        }

    }

    /// Records seen for the first time, each owned by its writer.
    struct InsertRecords: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO records (id, owner, form_id, created_at)
            SELECT r, o, f, $4
            FROM unnest($1::text[], $2::text[], $3::text[]) AS u(r, f, o)
            """
        typealias Row = ()
        var ids: [String], forms: [String], owners: [String]
        var at: Int64

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 4)
            b.append(ids); b.append(forms); b.append(owners); b.append(at)
            return b
        }

    }

    /// A block of sequence numbers, locked until this transaction ends.
    struct TakeBlock: PostgresPreparedStatement {
        static let sql = "SELECT recolha_take_block()"
        typealias Row = Int64

        func makeBindings() throws -> PostgresBindings { PostgresBindings() }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }

    /// The accepted versions, numbered from the blocks taken.
    struct InsertVersions: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO versions (seq, site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms,
                                  clock_counter, parents, author, pushed_by, received_at)
            SELECT seq, site, site_seq, record, form, form_version, field, CASE WHEN cleared THEN NULL ELSE value END,
                   ms, counter, parents, author, $14, $15
            FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                        $9::bool[], $10::bigint[], $11::int[], $12::text[], $13::text[])
                 AS u(seq, site, site_seq, record, form, form_version, field, value, cleared, ms, counter, parents, author)
            """
        typealias Row = ()
        var seqs: [Int64], sites: [String], siteSeqs: [Int64], records: [String], forms: [String], formVersions: [String]
        var fields: [String], values: [String], cleared: [Bool], ms: [Int64], counters: [Int32], parents: [String], authors: [String]
        var user: String, at: Int64

        /// `versions` numbered `seqs`, a value nil when cleared.
        init(_ versions: [Version], seqs: [Int64], user: String, at: Int64) {
            self.seqs = seqs
            sites = versions.map { $0.id.site.rawValue }; siteSeqs = versions.map(\.id.seq); records = versions.map(\.record)
            forms = versions.map(\.form); formVersions = versions.map(\.formVersion); fields = versions.map(\.field)
            values = versions.map { $0.value ?? "" }; cleared = versions.map { $0.value == nil }; ms = versions.map(\.clock.ms)
            counters = versions.map { Int32($0.clock.counter) }
            parents = versions.map { $0.parents.map(\.description).joined(separator: " ") }; authors = versions.map(\.author)
            self.user = user; self.at = at
        }

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 15)
            b.append(seqs); b.append(sites); b.append(siteSeqs); b.append(records); b.append(forms); b.append(formVersions)
            b.append(fields); b.append(values); b.append(cleared); b.append(ms); b.append(counters); b.append(parents)
            b.append(authors); b.append(user); b.append(at)
            return b
        }

    }
}

/// Statements that return no rows.
extension PostgresPreparedStatement where Row == () {
    func decodeRow(_ row: PostgresRow) throws {}
}
