//! The document-hash feature (`features/hash/`), run against the crate's own
//! partial-MD5 and the fake server's library scan.
pub mod world;
