//! The repository's `features/` folder, compiled into the binary once.
//!
//! `verify-server`, `verify-client`, `docs`, `rules` and the gate all read the
//! same copy, so the tool works from any directory without a checkout. This
//! module only holds the files; running them is the runner's job and reading
//! them as a spec is `docs::spec`'s.

use std::path::PathBuf;

use include_dir::{include_dir, Dir};

use super::runner::FeatureSource;

/// Every feature file of the repository, as it was when the binary was built.
pub static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/features");

/// The built-in features of one part (`"server"`, `"client"`), ready to run.
pub fn embedded(subdir: &str) -> FeatureSource {
    match EMBEDDED.get_dir(subdir) {
        Some(dir) => FeatureSource::Embedded(dir),
        // Unreachable in a built binary (the directory is compiled in); a
        // missing directory then fails loudly as "no features", never passes.
        None => FeatureSource::Dir(PathBuf::from("features").join(subdir)),
    }
}
