//! Where a run's features come from and how they are read: the built-in
//! (embedded) tree or a directory, each file parsed with the plain-words
//! errors of [`crate::contract::parse`] and its Scenario Outlines expanded.

use std::path::{Path, PathBuf};

use cucumber::feature::Ext as _;
use cucumber::gherkin;

use super::HarnessError;

/// Where the features of a run come from.
#[derive(Debug, Clone)]
pub enum FeatureSource {
    /// Features compiled into the binary (`include_dir!`), so the tool works from anywhere.
    Embedded(&'static include_dir::Dir<'static>),
    /// A directory of `.feature` files (searched recursively): a docs author's own copy.
    Dir(PathBuf),
}

impl FeatureSource {
    /// A short description for reports and error messages.
    pub fn describe(&self) -> String {
        match self {
            FeatureSource::Embedded(_) => "built-in features".to_string(),
            FeatureSource::Dir(dir) => dir.display().to_string(),
        }
    }
}

/// Load, parse and expand (Scenario Outline → one scenario per example row)
/// every feature of `source`, in path order.
pub fn load_features(source: &FeatureSource) -> Result<Vec<gherkin::Feature>, HarnessError> {
    let mut files: Vec<(String, String)> = Vec::new();
    match source {
        FeatureSource::Embedded(dir) => collect_embedded(dir, &mut files),
        FeatureSource::Dir(dir) => {
            collect_dir(dir, &mut files).map_err(|e| HarnessError::Features {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
        }
    }
    if files.is_empty() {
        return Err(HarnessError::Features {
            path: source.describe(),
            message: "no .feature files found".to_string(),
        });
    }
    files.sort();
    let mut features = Vec::new();
    for (path, text) in files {
        let feature = crate::contract::parse::feature(&path, &text)?;
        let feature = feature
            .expand_examples()
            .map_err(|e| HarnessError::Features {
                path: path.clone(),
                message: format!("bad Scenario Outline: {e}"),
            })?;
        features.push(feature);
    }
    Ok(features)
}

fn collect_embedded(dir: &include_dir::Dir<'static>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        if file.path().extension().is_some_and(|e| e == "feature") {
            if let Some(text) = file.contents_utf8() {
                out.push((
                    format!("features/{}", file.path().display()),
                    text.to_string(),
                ));
            }
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

fn collect_dir(dir: &Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_dir(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            out.push((path.display().to_string(), text));
        }
    }
    Ok(())
}
