//! The repository's `features/` folder, compiled into the binary once, and
//! where a verify command's `--features DIR` points.
//!
//! `verify-server`, `verify-client`, `docs`, `rules` and the gate all read the
//! same copy, so the tool works from any directory without a checkout. This
//! module only holds the files; running them is the runner's job and reading
//! them as a spec is `docs::spec`'s.

use std::path::{Path, PathBuf};

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

/// The parts of a tree laid out like `features/`, one per kind of target.
pub const PARTS: [&str; 3] = ["server", "client", "hash"];

/// What `--features DIR` means for a verify command that runs `part`:
/// `DIR/part` when DIR is laid out like `features/` (it has a `server/`,
/// `client/` or `hash/` folder), else every `.feature` file under DIR, taken
/// to be that part's. A tree without the part is an error, never an empty run.
pub fn part_of(dir: &Path, part: &str) -> Result<FeatureSource, String> {
    if !dir.is_dir() {
        return Err(format!("--features {}: no such folder", dir.display()));
    }
    let present: Vec<&str> = PARTS
        .iter()
        .copied()
        .filter(|p| dir.join(p).is_dir())
        .collect();
    if present.is_empty() {
        return Ok(FeatureSource::Dir(dir.to_path_buf()));
    }
    if present.contains(&part) {
        return Ok(FeatureSource::Dir(dir.join(part)));
    }
    Err(format!(
        "--features {}: laid out like features/ (it has {}/) but has no {part}/ folder; \
         give the folder with the {part} features, or a tree with {part}/",
        dir.display(),
        present.join("/, ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_path(source: FeatureSource) -> PathBuf {
        match source {
            FeatureSource::Dir(dir) => dir,
            FeatureSource::Embedded(_) => panic!("a folder was given"),
        }
    }

    #[test]
    fn a_tree_like_features_gives_each_command_its_part() {
        let tree = tempfile::tempdir().expect("temp dir");
        for part in ["server", "client"] {
            std::fs::create_dir(tree.path().join(part)).expect("mkdir");
        }
        let server = source_path(part_of(tree.path(), "server").expect("server part"));
        assert_eq!(server, tree.path().join("server"));
        let client = source_path(part_of(tree.path(), "client").expect("client part"));
        assert_eq!(client, tree.path().join("client"));
        let missing = part_of(tree.path(), "hash").expect_err("no hash/ folder");
        assert!(
            missing.contains("has client/, server/") || missing.contains("has server/, client/"),
            "{missing}"
        );
        assert!(missing.contains("no hash/ folder"), "{missing}");
    }

    #[test]
    fn a_folder_of_one_side_is_taken_whole() {
        let side = tempfile::tempdir().expect("temp dir");
        std::fs::write(side.path().join("pull.feature"), "Feature: x\n").expect("write");
        let source = source_path(part_of(side.path(), "server").expect("one side"));
        assert_eq!(source, side.path());
        assert!(part_of(&side.path().join("nope"), "server").is_err());
    }
}
