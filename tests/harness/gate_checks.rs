//! Each check of the coverage gate, on fixture features that break exactly one thing.

use std::path::{Path, PathBuf};

use kosync_contract::contract::catalogue;
use kosync_contract::contract::docs::spec;
use kosync_contract::contract::gate::{self, GateProblem};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/features")
        .join(name)
}

fn problems(name: &str) -> Vec<GateProblem> {
    let files = spec::from_dir(&fixture(name)).expect("fixture features are readable");
    gate::check(&files)
}

/// Problems other than "rule has no scenario" (fixtures cover only a few rules).
fn local(problems: &[GateProblem]) -> Vec<&GateProblem> {
    problems
        .iter()
        .filter(|p| !matches!(p, GateProblem::UncoveredRule { .. }))
        .collect()
}

#[test]
fn good_features_have_no_local_problems_and_uncovered_rules_are_listed() {
    let found = problems("good");
    assert!(local(&found).is_empty(), "{}", gate::summary(&found));
    let uncovered: Vec<&str> = found
        .iter()
        .filter_map(|p| match p {
            GateProblem::UncoveredRule { id } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    // The good fixtures cite exactly these catalogue rules; every other rule is uncovered.
    let cited = [
        "S-PULL-1", "S-PUSH-1", "S-PULL-3", "S-PULL-2", "C-PULL-1", "C-PULL-7", "C-PULL-5",
    ];
    for id in cited {
        assert!(!uncovered.contains(&id), "{id} is cited by the fixtures");
    }
    assert_eq!(uncovered.len(), catalogue::all().len() - cited.len());
    assert!(uncovered.contains(&"H-1"));
    assert!(found
        .iter()
        .any(|p| p.to_string() == "rule H-1 has no scenario: add one tagged @H-1 under features/"));
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let found = problems("bad-syntax");
    let parse: Vec<&GateProblem> = found
        .iter()
        .filter(|p| matches!(p, GateProblem::Unparsable(_)))
        .collect();
    assert_eq!(parse.len(), 1, "{}", gate::summary(&found));
    let GateProblem::Unparsable(failure) = parse[0] else {
        unreachable!()
    };
    assert!(
        failure.path.ends_with("bad-syntax/broken.feature"),
        "{}",
        failure.path
    );
    assert_eq!(failure.line, 6, "the stray line is line 6: {failure}");
    let shown = failure.to_string();
    assert!(shown.contains("broken.feature:6:"), "{shown}");
    assert!(
        shown.contains(
            "`This line is neither a step nor a keyword` cannot stand here: expected a step"
        ),
        "{shown}"
    );
    assert_eq!(failure.column, 3, "the line's first character: {failure}");
}

#[test]
fn a_scenario_citing_no_rule_is_reported_with_its_line() {
    let found = problems("uncited");
    let local = local(&found);
    assert_eq!(local.len(), 1, "{}", gate::summary(&found));
    match local[0] {
        GateProblem::UncitedScenario {
            path,
            line,
            scenario,
        } => {
            assert!(path.ends_with("uncited/uncited.feature"));
            assert_eq!(*line, 9);
            assert_eq!(scenario, "This one cites no rule");
        }
        other => panic!("expected an uncited scenario, got {other}"),
    }
}

#[test]
fn an_unknown_rule_id_is_reported_where_it_is_written() {
    let found = problems("unknown-id");
    let unknown: Vec<(String, usize, String)> = found
        .iter()
        .filter_map(|p| match p {
            GateProblem::UnknownRule { tag, line, on, .. } => {
                Some((tag.clone(), *line, on.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        unknown,
        vec![
            (
                "S-PULL-99".to_string(),
                4,
                "Rule \"A rule block with a typo in its id\"".to_string()
            ),
            (
                "C-NOPE-1".to_string(),
                11,
                "Scenario \"Cites only an unknown id\"".to_string()
            ),
        ]
    );
    // An unknown id still counts as a citation: the scenario is not also "uncited".
    assert!(!found
        .iter()
        .any(|p| matches!(p, GateProblem::UncitedScenario { .. })));
    assert!(
        found[1]
            .to_string()
            .contains("unknown.feature:11: tag @C-NOPE-1 on Scenario"),
        "{}",
        found[1]
    );
}

#[test]
fn every_problem_kind_at_once() {
    let mut files = Vec::new();
    for dir in ["good", "bad-syntax", "uncited", "unknown-id"] {
        files.extend(spec::from_dir(&fixture(dir)).expect("readable"));
    }
    let found = gate::check(&files);
    let kinds = |f: fn(&GateProblem) -> bool| found.iter().filter(|p| f(p)).count();
    assert_eq!(kinds(|p| matches!(p, GateProblem::Unparsable(_))), 1);
    assert_eq!(
        kinds(|p| matches!(p, GateProblem::UncitedScenario { .. })),
        1
    );
    assert_eq!(kinds(|p| matches!(p, GateProblem::UnknownRule { .. })), 2);
    // A file that does not parse hides its scenarios, so coverage waits for it.
    assert_eq!(kinds(|p| matches!(p, GateProblem::UncoveredRule { .. })), 0);
    let summary = gate::summary(&found);
    assert!(
        summary.starts_with(&format!("{} problem(s)", found.len())),
        "{summary}"
    );
    assert!(
        summary.contains("checked once every file parses"),
        "{summary}"
    );
}
