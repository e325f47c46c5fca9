//! The runner against a toy world: every outcome a scenario can have.

use std::path::PathBuf;

use super::*;

/// A world with no target: steps compare numbers, so the runner's
/// bookkeeping (pass, fail, skip, unmatched, outline expansion) is checked alone.
#[derive(Debug, Default, cucumber::World)]
struct Toy {
    value: i64,
    /// A check that could not be made: the scenario ends not applicable.
    unchecked: Option<String>,
}

impl ContractWorld for Toy {
    type Context = ();
    fn applicability(_: &(), meta: &ScenarioMeta) -> Applicability {
        if meta.has_tag("needs-thing") {
            Applicability::Skip("needs a thing this target lacks".into())
        } else if meta.has_tag("needs-capability") {
            Applicability::NotApplicable("needs a capability it lacks".into())
        } else if meta.has_tag("other-dialect") {
            Applicability::Exclude
        } else {
            Applicability::Run
        }
    }
    fn prepare<'a>(
        &'a mut self,
        _: &'a (),
        _: &'a ScenarioMeta,
    ) -> LocalBoxFuture<'a, anyhow::Result<()>> {
        async { Ok(()) }.boxed_local()
    }
    fn reproduce(&self) -> Option<String> {
        Some(format!("echo {}", self.value))
    }
    fn transcript(&self) -> Vec<String> {
        vec![format!("value {}", self.value)]
    }
    fn not_applicable(&self) -> Option<String> {
        self.unchecked.clone()
    }
}

#[cucumber::when("the step needs what the target lacks")]
fn when_lacks(_: &mut Toy) {
    not_applicable("needs a menu item it lacks");
}

#[cucumber::then("a check cannot be made")]
fn then_cannot_check(w: &mut Toy) {
    w.unchecked = Some("needs a count it does not keep".into());
}

#[cucumber::given(expr = "the value {int}")]
fn given_value(w: &mut Toy, v: i64) {
    w.value = v;
}

#[cucumber::then(expr = "the value is {int}")]
fn then_value(w: &mut Toy, v: i64) {
    if w.value != v {
        fail(format!("value {v}"), format!("value {}", w.value));
    }
}

#[cucumber::then("the step gives up")]
fn then_gives_up(_: &mut Toy) {
    skip("not applicable here");
}

const TOY: &str = r#"@T-TOY-1
Feature: Toy
  Rule: Values
@T-TOY-2
Scenario: holds
  Given the value 3
  Then the value is 3

Scenario: breaks
  Given the value 3
  Then the value is 4

Scenario Outline: outline <n>
  Given the value <n>
  Then the value is <n>
  Examples:
    | n |
    | 1 |
    | 2 |

  @needs-thing
  Scenario: skipped statically
Given the value 1

  @other-dialect
  Scenario: excluded
Given the value 1

  Scenario: skipped at run time
Given the value 1
Then the step gives up

  Scenario: unmatched step
Given nothing matches this

  @needs-capability
  Scenario: not applicable statically
Given the value 1

  Scenario: not applicable at run time
Given the value 1
When the step needs what the target lacks
Then the value is 2

  Scenario: not applicable after the steps
Given the value 1
Then a check cannot be made
And the value is 1

  Scenario: a failure beats a check that could not be made
Given the value 1
Then a check cannot be made
And the value is 2
"#;

#[tokio::test]
async fn runs_a_feature_and_collects_every_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("toy.feature"), TOY).expect("write");
    let report = run::<Toy>(
        Arc::new(()),
        RunOptions {
            source: FeatureSource::Dir(dir.path().to_path_buf()),
            tags: None,
            concurrency: 4,
            target: "toy".into(),
            dialect: None,
            profile: None,
        },
    )
    .await
    .expect("runs");
    let by_name = |n: &str| {
        report
            .results
            .iter()
            .find(|r| r.scenario == n)
            .unwrap_or_else(|| panic!("no result for {n}: {:#?}", report.results))
    };
    assert_eq!(report.results.len(), 11, "{:#?}", report.results);
    for (name, reason) in [
        ("not applicable statically", "needs a capability it lacks"),
        ("not applicable at run time", "needs a menu item it lacks"),
        (
            "not applicable after the steps",
            "needs a count it does not keep",
        ),
    ] {
        let r = by_name(name);
        assert_eq!(r.status, Status::NotApplicable, "{name}: {r:#?}");
        assert_eq!(r.reason.as_deref(), Some(reason), "{name}");
        assert_eq!(r.reproduce, None, "{name}");
    }
    let both = by_name("a failure beats a check that could not be made");
    assert_eq!(both.status, Status::Failed, "{both:#?}");
    assert_eq!(by_name("holds").status, Status::Passed);
    assert_eq!(by_name("holds").rules, vec!["T-TOY-1", "T-TOY-2"]);
    let broken = by_name("breaks");
    assert_eq!(broken.status, Status::Failed);
    assert_eq!(broken.expected.as_deref(), Some("value 4"));
    assert_eq!(broken.actual.as_deref(), Some("value 3"));
    assert_eq!(broken.reproduce.as_deref(), Some("echo 3"));
    assert_eq!(broken.step.as_deref(), Some("Then the value is 4"));
    assert_eq!(by_name("outline 1").status, Status::Passed);
    assert_eq!(by_name("outline 2").status, Status::Passed);
    assert_eq!(by_name("skipped statically").status, Status::Skipped);
    let late = by_name("skipped at run time");
    assert_eq!(late.status, Status::Skipped);
    assert_eq!(late.reason.as_deref(), Some("not applicable here"));
    assert_eq!(by_name("unmatched step").status, Status::Error);
    assert!(report.results.iter().all(|r| r.scenario != "excluded"));
    assert_eq!(report.exit_code(), crate::exit::HARNESS_ERROR);

    let only = run::<Toy>(
        Arc::new(()),
        RunOptions {
            source: FeatureSource::Dir(dir.path().to_path_buf()),
            tags: Some(parse_tags("@T-TOY-2").expect("tags")),
            concurrency: 1,
            target: "toy".into(),
            dialect: None,
            profile: None,
        },
    )
    .await
    .expect("runs");
    assert_eq!(only.results.len(), 1);
    assert_eq!(only.exit_code(), 0);
}

#[test]
fn strictest_level_prefers_must() {
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(strictest_level(&ids(&["S-BAD-1", "S-PULL-2"])), Level::Must);
    assert_eq!(strictest_level(&ids(&["S-BAD-1"])), Level::Should);
    assert_eq!(strictest_level(&ids(&["X-NOPE-9"])), Level::Must);
}

#[test]
fn tag_expressions_parse_and_evaluate() {
    let expr = parse_tags("@S-PULL-2 and not @needs-admin").expect("valid expression");
    assert!(expr.eval(["S-PULL-2"].iter()));
    assert!(!expr.eval(["S-PULL-2", "needs-admin"].iter()));
    assert!(parse_tags("@a and (").is_err());
}

#[test]
fn missing_feature_dir_is_a_harness_error() {
    let err = load_features(&FeatureSource::Dir(PathBuf::from("/nonexistent/features")))
        .expect_err("missing dir");
    assert!(err.to_string().contains("/nonexistent/features"), "{err}");
}

#[test]
fn bad_gherkin_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bad.feature"),
        "Feature: x\n  Scenario\n  Given\n",
    )
    .expect("write");
    let err =
        load_features(&FeatureSource::Dir(dir.path().to_path_buf())).expect_err("bad gherkin");
    assert!(err.to_string().contains("bad.feature"), "{err}");
}
