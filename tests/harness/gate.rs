//! The rule-coverage gate over the repository's own `features/`.
//!
//! A rule without a scenario, a typo'd rule id, an uncited scenario or a
//! broken feature file fails `cargo test` here. The failure
//! message lists every problem with file and line.

use std::path::Path;

use kosync_contract::contract::docs::spec;
use kosync_contract::contract::gate;

#[test]
fn features_and_catalogue_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    let files = match spec::from_dir(&dir) {
        Ok(files) => files,
        Err(e) => panic!("coverage gate: {e:#}"),
    };
    let problems = gate::check(&files);
    assert!(
        problems.is_empty(),
        "coverage gate: {}",
        gate::summary(&problems)
    );
}

/// The embedded copy is what `docs` and `rules` use by default; it must be the same files.
#[test]
fn embedded_features_match_the_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    let on_disk = spec::from_dir(&dir).unwrap_or_default();
    let embedded = spec::embedded();
    assert_eq!(
        embedded.len(),
        on_disk.len(),
        "features/ changed since the last build of the binary?"
    );
    for (e, d) in embedded.iter().zip(&on_disk) {
        assert!(
            d.path.ends_with(e.path.trim_start_matches("features/")),
            "{} vs {}",
            e.path,
            d.path
        );
        assert_eq!(e.text, d.text, "{} differs from its embedded copy", d.path);
    }
}
