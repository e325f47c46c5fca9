//! How fast the client side runs: `cargo bench --bench client`.
//!
//! - the client model's property cases per second (generation included) and
//!   the time of one case, from the same stories as `tests/client/model_properties.rs`;
//! - differential cases per second: the model against itself in process, and
//!   the Lua example client over the stdio adapter protocol and the fake
//!   server (skipped, and said so, when `luajit` is not installed).
//!
//! Figures only: nothing here gates a build.

// The property file and its support module are shared with the tests; the
// bench uses only their generators.
#![allow(dead_code, unused_imports)]

#[path = "../tests/client/support/mod.rs"]
mod support;

#[path = "../tests/client/model_properties.rs"]
mod model_properties;

use std::time::{Duration, Instant};

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client::differential::{self, Candidate, Options, Outcome};
use model_properties::{check_story, story, Story};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};

fn main() {
    property_cases_per_second();
    one_property_case();
    differential_cases_per_second();
}

fn property_cases_per_second() {
    let cases = 1000;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    runner
        .run(&story(), |story| check_story(&story, None, None))
        .expect("the reference model keeps its properties");
    let per_second = f64::from(cases) / started.elapsed().as_secs_f64();
    println!("model properties: {per_second:.0} cases/s (generation included)");
}

fn one_property_case() {
    let mut runner = TestRunner::deterministic();
    let stories: Vec<Story> = (0..200)
        .map(|_| story().new_tree(&mut runner).expect("story").current())
        .collect();
    let started = Instant::now();
    for story in &stories {
        check_story(story, None, None).expect("the reference model keeps its properties");
    }
    let per_case = started.elapsed() / stories.len() as u32;
    let steps = stories.iter().map(Story::len).sum::<usize>() / stories.len();
    println!("model properties: {per_case:?} per case of ~{steps} steps, checks included");
}

fn differential_cases_per_second() {
    let cases = 5_000;
    let started = Instant::now();
    let report = differential::run(&Candidate::Model(None), Options::new(cases, 99));
    let elapsed = started.elapsed();
    assert!(matches!(report.outcome, Outcome::Agreed));
    println!(
        "differential, model vs model in process: {cases} cases in {elapsed:.2?} = {:.0} cases/s",
        f64::from(cases) / elapsed.as_secs_f64()
    );
    if std::process::Command::new("luajit")
        .arg("-v")
        .output()
        .is_err()
    {
        println!("differential, Lua client: not measured (luajit is not installed)");
        return;
    }
    let lua = format!(
        "luajit {}/fixtures/adapters/lua/adapter.lua",
        env!("CARGO_MANIFEST_DIR")
    );
    let candidate = Candidate::Driver {
        make: Box::new(SubprocessDriver::factory(
            AdapterCommand::parse(&lua).expect("command parses"),
            Duration::from_secs(5),
        )),
    };
    let cases = 200;
    let started = Instant::now();
    let report = differential::run(&candidate, Options::new(cases, 99));
    let elapsed = started.elapsed();
    assert!(
        matches!(report.outcome, Outcome::Agreed),
        "{}",
        differential::render_report(&report)
    );
    println!(
        "differential, Lua client over stdio + fake server: {cases} cases in {elapsed:.2?} = {:.0} cases/s",
        f64::from(cases) / elapsed.as_secs_f64()
    );
}
