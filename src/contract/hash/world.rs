//! The document-hash feature (`features/hash/`, rule H-1) as a cucumber world.
//!
//! The target is a hash function: the crate's own ([`HashTarget::reference`])
//! or, in the detection tests, a deliberately wrong one. Files are written to a
//! scratch directory per scenario; a sparse file stands in for a 1 GiB book.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use cucumber::{given, then, when};
use futures::future::LocalBoxFuture;
use futures::FutureExt as _;

use crate::contract::runner::{fail, harness_fault, Applicability, ContractWorld, ScenarioMeta};
use crate::contract::server::world::OwnedServer;
use crate::protocol::{self, hash};
use crate::server::{self, BookPolicy, ServerConfig, UserSpec};

/// A document-hash implementation under test.
pub type HashFn = fn(&Path) -> std::io::Result<String>;

/// What the hash features check.
#[derive(Debug, Clone, Copy)]
pub struct HashTarget {
    pub name: &'static str,
    pub hash: HashFn,
}

impl HashTarget {
    /// The crate's implementation, the one `kosync-contract hash` and `serve --books` use.
    pub fn reference() -> HashTarget {
        HashTarget {
            name: "kosync-contract's partial MD5",
            hash: hash::partial_md5_file,
        }
    }
}

/// The byte at `offset` of every test file: a pattern that differs at each
/// sample offset, so a sample read from the wrong place changes the hash.
fn pattern_byte(offset: u64) -> u8 {
    ((offset.wrapping_mul(31) + 7) % 251) as u8
}

fn pattern(from: u64, len: u64) -> Vec<u8> {
    (from..from + len).map(pattern_byte).collect()
}

#[derive(Debug, cucumber::World)]
#[world(init = Self::blank)]
pub struct HashWorld {
    target: Option<HashTarget>,
    dir: Option<tempfile::TempDir>,
    files: Vec<PathBuf>,
    server: Option<OwnedServer>,
    last: Option<String>,
}

impl HashWorld {
    fn blank() -> Self {
        HashWorld {
            target: None,
            dir: None,
            files: Vec::new(),
            server: None,
            last: None,
        }
    }

    fn new_path(&self) -> PathBuf {
        let Some(dir) = self.dir.as_ref() else {
            harness_fault("the hash world has no scratch directory (prepare did not run)");
        };
        let dir = dir.path();
        dir.join(format!("book-{}.pdf", self.files.len()))
    }

    fn hash_of(&mut self, path: &Path) -> String {
        let Some(target) = self.target else {
            harness_fault("the hash world has no target (prepare did not run)");
        };
        match (target.hash)(path) {
            Ok(h) => h,
            Err(e) => fail(
                format!("H-1: {} hashes {}", target.name, path.display()),
                format!("error: {e}"),
            ),
        }
    }

    fn add_pattern_file(&mut self, size: u64) {
        let path = self.new_path();
        if let Err(e) = std::fs::write(&path, pattern(0, size)) {
            harness_fault(format!("cannot write {}: {e}", path.display()));
        }
        self.files.push(path);
    }
}

impl ContractWorld for HashWorld {
    type Context = HashTarget;

    fn applicability(_: &HashTarget, _: &ScenarioMeta) -> Applicability {
        Applicability::Run
    }

    fn prepare<'a>(
        &'a mut self,
        target: &'a HashTarget,
        _: &'a ScenarioMeta,
    ) -> LocalBoxFuture<'a, anyhow::Result<()>> {
        async move {
            self.target = Some(*target);
            self.dir = Some(tempfile::tempdir().context("cannot make a scratch directory")?);
            Ok(())
        }
        .boxed_local()
    }

    fn finish(&mut self) -> LocalBoxFuture<'_, ()> {
        async move {
            if let Some(server) = self.server.take() {
                server.0.shutdown().await;
            }
        }
        .boxed_local()
    }

    fn reproduce(&self) -> Option<String> {
        self.files
            .last()
            .map(|f| format!("kosync-contract hash {}", f.display()))
    }

    fn transcript(&self) -> Vec<String> {
        self.last.iter().cloned().collect()
    }
}

#[given(regex = r"^(?:a|another) book file of (\d+) bytes filled with the test pattern$")]
fn pattern_file(world: &mut HashWorld, size: u64) {
    world.add_pattern_file(size);
}

#[given(
    regex = r"^a sparse book file of (\d+) bytes with the test pattern at every sample offset$"
)]
fn sparse_file(world: &mut HashWorld, size: u64) {
    let path = world.new_path();
    let written = (|| -> std::io::Result<()> {
        let mut file = File::create(&path)?;
        file.set_len(size)?;
        for offset in hash::sample_offsets().take_while(|&o| o < size) {
            let len = hash::SAMPLE_LEN.min(size - offset);
            file.seek(SeekFrom::Start(offset))?;
            file.write_all(&pattern(offset, len))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        harness_fault(format!(
            "cannot write the sparse file {}: {e}",
            path.display()
        ));
    }
    world.files.push(path);
}

/// The file the last Given step made; a feature without one misuses the steps.
fn last_file(world: &HashWorld) -> PathBuf {
    match world.files.last() {
        Some(f) => f.clone(),
        None => harness_fault("this step needs a book file from an earlier Given step"),
    }
}

#[then(regex = r#"^its document hash is "([0-9a-f]{32})"$"#)]
fn hash_is(world: &mut HashWorld, expected: String) {
    let path = last_file(world);
    let got = world.hash_of(&path);
    world.last = Some(format!("{got}  {}", path.display()));
    if got != expected {
        fail(format!("H-1: document hash {expected}"), got);
    }
}

#[then("both files have the same document hash")]
fn same_hash(world: &mut HashWorld) {
    let files = world.files.clone();
    let hashes: Vec<String> = files.iter().map(|f| world.hash_of(f)).collect();
    if hashes.windows(2).any(|w| w[0] != w[1]) {
        fail(
            "H-1: the same hash (only the samples count)",
            hashes.join(" vs "),
        );
    }
}

#[when("the fake server scans a library holding that file")]
async fn scan_library(world: &mut HashWorld) {
    let mut known = BTreeSet::new();
    for file in world.files.clone() {
        known.insert(world.hash_of(&file));
    }
    let mut config = ServerConfig::new(protocol::Dialect::BookLore);
    config.books = BookPolicy::Known(known);
    config.users = vec![UserSpec::with_password("reader", "secret")];
    match server::start(config).await {
        Ok(s) => world.server = Some(OwnedServer(s)),
        Err(e) => fail("the fake server starts", format!("{e:#}")),
    }
}

async fn push_status(world: &HashWorld, document: &str) -> u16 {
    let Some(OwnedServer(server)) = world.server.as_ref() else {
        harness_fault(
            "this step needs \"When the fake server scans a library holding that file\" first",
        );
    };
    let url = format!(
        "{}{}",
        server.base_url(),
        protocol::Dialect::BookLore.push_path()
    );
    let body = serde_json::json!({
        "document": document, "percentage": 0.5, "progress": "5",
        "device": "hash-feature", "device_id": "0000"
    });
    let answer = reqwest::Client::new()
        .put(url)
        .header(protocol::HEADER_AUTH_USER, "reader")
        .header(
            protocol::HEADER_AUTH_KEY,
            protocol::key_for_password("secret"),
        )
        .json(&body)
        .send()
        .await;
    match answer {
        Ok(r) => r.status().as_u16(),
        Err(e) => fail("the fake server answers", e.to_string()),
    }
}

#[then("the server accepts progress for the file's document hash")]
async fn accepts_known(world: &mut HashWorld) {
    let file = last_file(world);
    let document = match hash::partial_md5_file(&file) {
        Ok(d) => d,
        Err(e) => harness_fault(format!("cannot hash {}: {e}", file.display())),
    };
    let status = push_status(world, &document).await;
    if status != 200 {
        fail(
            format!("H-1: a push for {document} (the file's hash) answers 200"),
            format!("{status}"),
        );
    }
}

#[then("the server refuses progress for any other document hash")]
async fn refuses_unknown(world: &mut HashWorld) {
    let status = push_status(world, "ffffffffffffffffffffffffffffffff").await;
    if status != 404 {
        fail(
            "a push for a hash of no book answers 404",
            format!("{status}"),
        );
    }
}

/// Run the hash features of `source` (those matching `tags`, if given) against `target`.
pub async fn verify_hash(
    target: HashTarget,
    source: crate::contract::runner::FeatureSource,
    tags: Option<&str>,
) -> Result<crate::contract::report::Report, crate::contract::runner::HarnessError> {
    let tags = tags
        .map(crate::contract::runner::parse_tags)
        .transpose()
        .map_err(crate::contract::runner::HarnessError::Target)?;
    crate::contract::runner::run::<HashWorld>(
        Arc::new(target),
        crate::contract::runner::RunOptions {
            source,
            tags,
            concurrency: 4,
            target: target.name.to_string(),
            dialect: None,
            profile: None,
        },
    )
    .await
}
