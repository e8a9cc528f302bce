import Words
/// The PostgreSQL schema, one named migration at a time (forward-only).
extension PostgresStorage {
    static let migrations: [(String, [String])] = [
        ("v1-server", [
            """
            CREATE TABLE users (
                name TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('enumerator', 'supervisor', 'admin')),
                password_hash TEXT NOT NULL,
                disabled BOOLEAN NOT NULL DEFAULT FALSE,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                user_name TEXT NOT NULL REFERENCES users (name),
                name TEXT NOT NULL,
                site_id TEXT NOT NULL,
                token_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                last_seen_at BIGINT,
                revoked BOOLEAN NOT NULL DEFAULT FALSE)
            """,
            """
            CREATE TABLE forms (
                form_id TEXT NOT NULL,
                version TEXT NOT NULL,
                title TEXT NOT NULL,
                definition TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                published_at BIGINT NOT NULL,
                PRIMARY KEY (form_id, version))
            """,
            """
            CREATE TABLE records (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                form_id TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX records_owner ON records (owner)",
            """
            CREATE TABLE versions (
                seq BIGINT PRIMARY KEY,
                site_id TEXT NOT NULL,
                site_seq BIGINT NOT NULL,
                record_id TEXT NOT NULL REFERENCES records (id),
                form_id TEXT NOT NULL,
                form_version TEXT NOT NULL,
                field TEXT NOT NULL,
                value TEXT,
                clock_ms BIGINT NOT NULL,
                clock_counter INTEGER NOT NULL,
                parents TEXT NOT NULL,
                author TEXT NOT NULL,
                pushed_by TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                UNIQUE (site_id, site_seq))
            """,
            "CREATE INDEX versions_record ON versions (record_id)",
        ]),
        ("v2-identity", [
            "ALTER TABLE devices ADD COLUMN previous_site_id TEXT",
            "CREATE INDEX devices_site ON devices (site_id)",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
        // Protocol 2: each device's Ed25519 public key (and its predecessor's).
        ("v3-device-keys", [
            "ALTER TABLE devices ADD COLUMN public_key TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE devices ADD COLUMN previous_public_key TEXT",
        ]),
        // Each changeset's signature and who carried it here.
        ("v4-changesets", [
            "ALTER TABLE devices ADD COLUMN hpke_key TEXT NOT NULL DEFAULT ''",
            """
            CREATE TABLE changesets (
                site_id TEXT NOT NULL,
                seq BIGINT NOT NULL CHECK (seq >= 1),
                count BIGINT NOT NULL CHECK (count >= 1),
                signature TEXT NOT NULL,
                carried_by TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                PRIMARY KEY (site_id, seq))
            """,
        ]),
        // Each device's clock skew as its last request showed it.
        ("v5-clock-skew", ["ALTER TABLE devices ADD COLUMN clock_skew_ms BIGINT"]),
        mediaMigration,
    ]
}
