//! The wire: every fact of the KOReader sync protocol that more than one part
//! of kosync-contract needs, defined once.
//!
//! Header names, route paths of both dialects, the auth key derivation, the
//! request/response shapes and the document hash live here. This module does
//! no I/O except reading a file in [`hash`].

pub mod hash;
pub mod lua_number;
mod types;

pub use types::*;

use md5::{Digest, Md5};

/// Header carrying the user name on every authenticated request.
pub const HEADER_AUTH_USER: &str = "x-auth-user";
/// Header carrying the key: lowercase hex MD5 of the password (never the password).
pub const HEADER_AUTH_KEY: &str = "x-auth-key";
/// The vendor media type KOReader's client sends in `Accept`.
pub const KOSYNC_ACCEPT: &str = "application/vnd.koreader.v1+json";
/// The media type every response must carry, exactly (rule S-CT-2).
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// Largest request body either dialect accepts; bigger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The key KOReader sends in `x-auth-key`: lowercase hex MD5 of the password.
pub fn key_for_password(password: &str) -> String {
    hex::encode(Md5::digest(password.as_bytes()))
}

/// Which server's rules a fake server plays or a verifier expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// BookLore's `/api/koreader` endpoints (Spring).
    #[serde(rename = "booklore")]
    BookLore,
    /// The reference koreader-sync-server (routes at the root).
    Kosync,
}

impl Dialect {
    /// Every route of this dialect is below this prefix (no trailing slash).
    pub fn prefix(self) -> &'static str {
        match self {
            Dialect::BookLore => "/api/koreader",
            Dialect::Kosync => "",
        }
    }

    /// Lowercase name, as on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::BookLore => "booklore",
            Dialect::Kosync => "kosync",
        }
    }

    /// `GET` here with auth headers checks credentials.
    pub fn auth_path(self) -> String {
        format!("{}{}", self.prefix(), routes::AUTH)
    }

    /// `POST` here registers a user (refused by BookLore).
    pub fn create_path(self) -> String {
        format!("{}{}", self.prefix(), routes::CREATE)
    }

    /// `PUT` here pushes progress.
    pub fn push_path(self) -> String {
        format!("{}{}", self.prefix(), routes::PROGRESS)
    }

    /// `GET` here pulls a document's progress.
    pub fn pull_path(self, document: &str) -> String {
        format!("{}{}/{}", self.prefix(), routes::PROGRESS, document)
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "booklore" => Ok(Dialect::BookLore),
            "kosync" => Ok(Dialect::Kosync),
            other => Err(format!(
                "unknown dialect {other:?}: expected \"booklore\" or \"kosync\""
            )),
        }
    }
}

/// The fields of a progress record: what a push sends and a pull answers.
pub const PROGRESS_FIELDS: [&str; 6] = [
    "document",
    "percentage",
    "progress",
    "timestamp",
    "device",
    "device_id",
];

/// Route paths relative to a dialect's prefix.
pub mod routes {
    pub const AUTH: &str = "/users/auth";
    pub const CREATE: &str = "/users/create";
    pub const PROGRESS: &str = "/syncs/progress";
    /// kosync dialect only.
    pub const HEALTHCHECK: &str = "/healthcheck";
    /// The fake server's admin API lives below this prefix.
    pub const ADMIN: &str = "/__admin";
}

/// Whole seconds since the Unix epoch that a sync timestamp can plausibly hold
/// (2001 to 2286): wide enough for any real clock, narrow enough to tell
/// seconds from milliseconds, which are far above it (rules C-WIRE-5, S-TS-1).
pub const EPOCH_SECONDS: std::ops::RangeInclusive<i64> = 1_000_000_000..=9_999_999_999;

/// What BookLore's server answers as `device` and `device_id` of every pulled
/// record, whoever pushed it: a client cannot recognise its own record there.
pub const BOOKLORE_DEVICE: &str = "BookLore";

/// How far apart two percentages on the wire may be and still be the same
/// value: the rounding of a JSON encoder that writes 14 significant digits
/// (lua-cjson). Any difference a rule cares about is at least 10⁻⁴ (C-CONF-6).
pub const PERCENTAGE_TOLERANCE: f64 = 1e-9;

/// Wire equality of two percentages: the same value once encoding noise is
/// set aside ([`PERCENTAGE_TOLERANCE`]). This is what "the server holds 20%",
/// "a push at 20%" and the differential's number comparison mean; the model's
/// own comparison of two positions is a different thing (`model::same_floor4`).
pub fn same_percentage(a: f64, b: f64) -> bool {
    (a - b).abs() <= PERCENTAGE_TOLERANCE
}

/// True when `document` is a KOReader partial-MD5: 32 lowercase hex digits (rule C-WIRE-3).
pub fn is_document_hash(document: &str) -> bool {
    document.len() == 32
        && document
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Reference kosync error codes (`{"code", "message"}` bodies).
pub mod kosync_codes {
    /// `Accept` header present but not the vendor type (412).
    pub const ACCEPT_MISMATCH: u16 = 101;
    /// `Accept` header absent (412).
    pub const ACCEPT_MISSING: u16 = 100;
    /// Body is not valid JSON (400).
    pub const INVALID_JSON: u16 = 103;
    /// Body is JSON but not an object (400).
    pub const NOT_AN_OBJECT: u16 = 104;
    /// Unauthorized (401).
    pub const UNAUTHORIZED: u16 = 2001;
    /// Username already registered (402).
    pub const USER_EXISTS: u16 = 2002;
    /// Invalid request: a push needs numeric percentage, progress, device (403).
    pub const INVALID_REQUEST: u16 = 2003;
    /// `document` field missing (403).
    pub const DOCUMENT_MISSING: u16 = 2004;
    /// Registration is disabled (402).
    pub const REGISTRATION_DISABLED: u16 = 2005;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_lowercase_md5_hex() {
        assert_eq!(
            key_for_password("password"),
            "5f4dcc3b5aa765d61d8327deb882cf99"
        );
    }

    #[test]
    fn paths_per_dialect() {
        assert_eq!(
            Dialect::BookLore.push_path(),
            "/api/koreader/syncs/progress"
        );
        assert_eq!(Dialect::Kosync.pull_path("abc"), "/syncs/progress/abc");
        assert_eq!(Dialect::BookLore.auth_path(), "/api/koreader/users/auth");
    }

    #[test]
    fn document_hash_shape() {
        assert!(is_document_hash("0123456789abcdef0123456789abcdef"));
        assert!(!is_document_hash("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_document_hash("abc"));
    }
}
