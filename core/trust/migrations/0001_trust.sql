-- Trust data of an offline verifier: per municipality synced from, the
-- pinned trust anchor, the signed trust list as downloaded (verified again
-- at every load) and the revocation entries, which were verified chunk by
-- chunk at sync. All of it is public data.
CREATE TABLE trust_sources (
    site                  TEXT PRIMARY KEY,            -- "demo" or the server's base URL
    url                   TEXT NOT NULL,               -- where it was last synced from
    name                  TEXT NOT NULL DEFAULT '',    -- the municipality's name as its server gives it (not signed)
    istat                 TEXT NOT NULL DEFAULT '',    -- the issuer its signed lists state
    anchor_pem            BLOB NOT NULL,               -- the pinned trust anchor
    trust_list            BLOB NOT NULL,               -- COSE_Sign1, as downloaded
    revocation_seq        INTEGER NOT NULL DEFAULT 0,  -- the sequence the entries are complete up to
    revocations_issued_at INTEGER NOT NULL,            -- Unix seconds: the oldest chunk of the last sync
    synced_at             INTEGER NOT NULL             -- Unix seconds, this device's clock
);

CREATE TABLE trust_revocations (
    site TEXT NOT NULL REFERENCES trust_sources (site) ON DELETE CASCADE,
    hash BLOB NOT NULL,                                -- SHA-256(serial)[0:16]
    PRIMARY KEY (site, hash)
) WITHOUT ROWID;
