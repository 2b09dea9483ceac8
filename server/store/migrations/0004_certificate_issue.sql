-- Issuing registry certificates (core/certificates): what each certificate
-- was issued with, its PDF and glyph, revocation, the marcas da bollo used
-- and the idempotency keys of the requests. The certificates table of 0003
-- keeps its columns; fiscal_code is the holder, to whom it was issued.

ALTER TABLE certificates ADD COLUMN issued_at INTEGER NOT NULL DEFAULT 0;   -- Unix seconds
ALTER TABLE certificates ADD COLUMN copy INTEGER NOT NULL DEFAULT 1;        -- 1-based, within one request
ALTER TABLE certificates ADD COLUMN marca_id TEXT CHECK (marca_id IS NULL OR length(marca_id) = 14);
ALTER TABLE certificates ADD COLUMN marca_date TEXT;
ALTER TABLE certificates ADD COLUMN exemption TEXT;                         -- the exempt use's code
ALTER TABLE certificates ADD COLUMN signer_kid TEXT;                        -- hex, the glyph's kid
ALTER TABLE certificates ADD COLUMN glyph TEXT;                             -- the signed glyph as printed
ALTER TABLE certificates ADD COLUMN revoked_at INTEGER;                     -- Unix seconds, NULL while valid
ALTER TABLE certificates ADD COLUMN revoked_seq INTEGER;                    -- the revocation list's sequence it entered at

-- A marca da bollo pays for one certificate, once, in this municipality.
CREATE UNIQUE INDEX certificates_marca ON certificates (marca_id) WHERE marca_id IS NOT NULL;
CREATE UNIQUE INDEX certificates_revoked_seq ON certificates (revoked_seq) WHERE revoked_seq IS NOT NULL;
CREATE INDEX certificates_holder_issued ON certificates (fiscal_code, issued_at);

-- The PDF of each certificate, rendered once at issue: what the holder
-- downloads is what was signed and recorded that day.
CREATE TABLE certificate_documents (
	serial TEXT PRIMARY KEY REFERENCES certificates (serial),
	pdf    BLOB NOT NULL
);

-- The answer to a request made with an Idempotency-Key, per caller: the
-- same key with the same request gets the same answer again, with a
-- different request a conflict.
CREATE TABLE certificate_requests (
	caller          TEXT NOT NULL,     -- the signed-in citizen's fiscal code
	idempotency_key TEXT NOT NULL,
	request_hash    BLOB NOT NULL,     -- SHA-256 of the normalised request
	response        BLOB NOT NULL,     -- the JSON body answered
	created_at      INTEGER NOT NULL,
	PRIMARY KEY (caller, idempotency_key)
);
