//! The layout shows the architecture: imports in `src/` point down the layers
//! of `docs/architecture.md`, and no two files import each other, directly or
//! round a loop.
//!
//! Every `crate::…` and `super::…` path in a file is resolved to the module
//! (file) it names; an item in a parent module resolves to the parent. A file
//! using its own ancestors (`super::Shared` from `server/http.rs` into
//! `server/mod.rs`) is a module reaching its facade, not a cycle, and is left
//! out of the loop check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom up: a module may use its own layer or
/// lower ones, never a higher one.
const CRATE_LAYERS: &[&[&str]] = &[
    &["protocol"],
    &["model", "server", "sync_client", "exit"],
    &["adapter"],
    &["contract"],
];

/// Inside `contract`: the core knows nothing of either side, and the sides
/// know nothing of `verify`, which runs them all.
const CONTRACT_LAYERS: &[&[&str]] = &[
    &[
        "args",
        "catalogue",
        "docs",
        "features",
        "gate",
        "parse",
        "report",
        "runner",
        "scenario",
    ],
    &["client", "hash", "server"],
    &["verify"],
];

type Module = Vec<String>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every module of the library with its file: `src/lib.rs` is the root `[]`,
/// `src/a/mod.rs` and `src/a.rs` are `[a]`.
fn modules() -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let relative = path.strip_prefix(src_dir()).expect("under src");
            let mut parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let file = parts.pop().expect("a file name");
            match file.as_str() {
                "lib.rs" | "mod.rs" => {}
                "main.rs" if parts.is_empty() => continue,
                other => parts.push(other.trim_end_matches(".rs").to_string()),
            }
            found.insert(parts, path);
        }
    }
    found
}

/// The paths a file names after `crate::` or `super::`, as written (groups
/// `a::{b, c}` expanded one level), each with the module it starts from.
fn paths_in(text: &str, module: &Module) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (start, _) in code
            .match_indices("crate::")
            .chain(code.match_indices("super::"))
        {
            let before = code[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `super::super::x` is read from its first `super`
            }
            let rest = &code[start..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let head: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
            let mut base: Vec<String> = Vec::new();
            let mut names = head.iter().peekable();
            match names.peek() {
                Some(&&"crate") => {
                    names.next();
                }
                _ => {
                    base = module.clone();
                    while names.peek() == Some(&&"super") {
                        names.next();
                        base.pop();
                    }
                }
            }
            base.extend(names.map(|s| s.to_string()));
            let after = &rest[end..];
            if let Some(group) = after.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                for name in group.split(',') {
                    let name = name.trim().split("::").next().unwrap_or("").trim();
                    if name.is_empty() || name == "self" {
                        out.push(base.clone());
                    } else {
                        let mut path = base.clone();
                        path.push(name.to_string());
                        out.push(path);
                    }
                }
            } else {
                out.push(base);
            }
        }
    }
    out
}

/// The module a path lands in: its longest prefix that is a module.
fn resolve(path: &[String], known: &BTreeMap<Module, PathBuf>) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains_key(prefix))
        .unwrap_or_default()
}

/// Which file uses which other module (the file's own module and its
/// ancestors left out).
fn edges() -> BTreeMap<Module, BTreeSet<Module>> {
    let known = modules();
    let mut graph = BTreeMap::new();
    for (module, file) in &known {
        let text = std::fs::read_to_string(file).expect("source is readable");
        let mut targets = BTreeSet::new();
        for path in paths_in(&text, module) {
            let target = resolve(&path, &known);
            if !module.starts_with(&target) {
                targets.insert(target);
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

fn layer_of(name: &str, layers: &[&[&str]]) -> Option<usize> {
    layers.iter().position(|layer| layer.contains(&name))
}

fn show(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

#[test]
fn imports_point_down_the_layers() {
    let mut upward = Vec::new();
    for (from, targets) in edges() {
        for to in targets {
            for (depth, layers) in [(0, CRATE_LAYERS), (1, CONTRACT_LAYERS)] {
                if depth == 1
                    && (from.first() != Some(&"contract".to_string()) || to.first() != from.first())
                {
                    continue;
                }
                let (Some(a), Some(b)) = (from.get(depth), to.get(depth)) else {
                    continue;
                };
                if a == b {
                    continue;
                }
                match (layer_of(a, layers), layer_of(b, layers)) {
                    (Some(la), Some(lb)) if lb > la => upward.push(format!(
                        "{} uses {} (a higher layer)",
                        show(&from),
                        show(&to)
                    )),
                    (None, _) | (_, None) => upward.push(format!(
                        "{} uses {}: one of them is in no layer of tests/harness/layering.rs \
                         (add it there and to docs/architecture.md)",
                        show(&from),
                        show(&to)
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the layering:\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = edges();
    // Modules that reach each other (both ways, maybe round a loop) are in one
    // group; every group of more than one module is a tangle to undo.
    let reaches = |from: &Module| -> BTreeSet<Module> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(m) = stack.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&Module, BTreeSet<Module>> =
        graph.keys().map(|m| (m, reaches(m))).collect();
    let mut tangles: BTreeSet<Vec<String>> = BTreeSet::new();
    for (m, from_m) in &reach {
        let group: Vec<String> = from_m
            .iter()
            .filter(|other| reach.get(other).is_some_and(|r| r.contains(*m)))
            .map(show)
            .collect();
        if group.len() > 1 {
            tangles.insert(group);
        }
    }
    let shown: Vec<String> = tangles.iter().map(|g| g.join(" <-> ")).collect();
    assert!(
        tangles.is_empty(),
        "modules that import each other:\n  {}",
        shown.join("\n  ")
    );
}

#[test]
fn the_path_reader_resolves_groups_and_parents() {
    let module: Module = vec!["server".into(), "http".into()];
    let paths = paths_in(
        "use super::{admin, Shared};\nuse crate::protocol::{self, routes};\n// use crate::contract;\nlet x = super::super::model::Client::new();",
        &module,
    );
    let mut shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    shown.sort();
    assert_eq!(
        shown,
        [
            "model::Client::new",
            "protocol",
            "protocol::routes",
            "server::Shared",
            "server::admin",
        ]
    );
}
