//! The differential run against the model's own mutants, in process: each
//! broken rule must be found, shrunk, and attributed to the rule it breaks.

use kosync_contract::adapter::differential::{self, Candidate, Options, Outcome};
use kosync_contract::model::Mutant;

#[test]
#[ignore = "survey: prints which rule each model mutant is attributed to"]
fn survey_model_mutants() {
    for mutant in Mutant::ALL {
        let report = differential::run(&Candidate::Model(Some(*mutant)), Options::new(1000, 3));
        let found = match &report.outcome {
            Outcome::Mismatch(m) => format!("{:?} in {} steps", m.rules, m.case.steps.len()),
            Outcome::Agreed => "NOT CAUGHT".to_string(),
            Outcome::HarnessError { message } => format!("error {message}"),
        };
        println!("{:<36} {:<8} {found}", mutant.name(), mutant.breaks());
    }
}
