//! `features/hash/` (rule H-1) against the crate's hash, and detection: two
//! hash functions that real servers have shipped by mistake must each fail H-1.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use kosync_contract::contract::hash::world::{verify_hash, HashTarget};
use kosync_contract::contract::report::Status;
use kosync_contract::contract::runner::FeatureSource;

fn features() -> FeatureSource {
    FeatureSource::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("features/hash"))
}

/// Like the reference, but over `samples` offsets and optionally zero-padding the last sample.
fn variant(path: &Path, samples: usize, pad: bool) -> std::io::Result<String> {
    use md5::{Digest, Md5};
    let mut file = std::fs::File::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    let mut md5 = Md5::new();
    for offset in kosync_contract::protocol::hash::sample_offsets().take(samples) {
        if offset >= len {
            break;
        }
        file.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0u8; 1024];
        let n = (len - offset).min(1024) as usize;
        file.read_exact(&mut buf[..n])?;
        md5.update(if pad { &buf[..] } else { &buf[..n] });
    }
    Ok(hex::encode(md5.finalize()))
}

fn eleven_samples(path: &Path) -> std::io::Result<String> {
    variant(path, 11, false)
}

fn padded_last_sample(path: &Path) -> std::io::Result<String> {
    variant(path, 12, true)
}

#[tokio::test]
async fn h_1_reference_hash_passes_every_scenario() {
    let report = verify_hash(HashTarget::reference(), features(), None)
        .await
        .unwrap();
    assert!(
        report.results.len() >= 12,
        "{} scenarios",
        report.results.len()
    );
    for r in &report.results {
        assert_eq!(r.status, Status::Passed, "{r:?}");
        assert!(r.rules.iter().any(|id| id == "H-1"), "{r:?}");
    }
}

#[tokio::test]
async fn h_1_catches_a_hash_with_eleven_samples() {
    let target = HashTarget {
        name: "eleven samples",
        hash: eleven_samples,
    };
    let report = verify_hash(target, features(), None).await.unwrap();
    let failed: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .collect();
    // Only the file past 1 GiB has a twelfth sample.
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].scenario.contains("1 GiB"), "{failed:?}");
    assert!(failed[0].rules.contains(&"H-1".to_string()));
}

#[tokio::test]
async fn h_1_catches_a_zero_padded_last_sample() {
    let target = HashTarget {
        name: "padded",
        hash: padded_last_sample,
    };
    let report = verify_hash(target, features(), None).await.unwrap();
    let failed = report
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .count();
    assert!(
        failed >= 5,
        "padding must change the hash of most sizes, {failed} failed"
    );
}

#[tokio::test]
async fn a_feature_that_misuses_the_steps_is_a_harness_error_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("misused.feature"),
        "Feature: misused\n  @H-1\n  Scenario: no file was given\n    Then its document hash is \"d41d8cd98f00b204e9800998ecf8427e\"\n",
    )
    .unwrap();
    let report = verify_hash(
        HashTarget::reference(),
        FeatureSource::Dir(dir.path().to_path_buf()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.results.len(), 1);
    let result = &report.results[0];
    assert_eq!(result.status, Status::Error, "{result:?}");
}
