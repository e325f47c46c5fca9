//! The differential run itself: the model's own mutants in process (each must be
//! found and attributed to the rule it breaks), the reference model over the
//! whole subprocess path (`kosync-contract adapter`), and the throughput benchmark.

use std::time::Duration;

use kosync_contract::adapter::subprocess::{AdapterCommand, SubprocessDriver};
use kosync_contract::contract::client::differential::{self, Candidate, Options, Outcome};
use kosync_contract::model::{Mutant, Profile};

/// Mutants the differential trace cannot see, and why.
const INVISIBLE: &[(Mutant, &str)] = &[
    // No rule decides when Wi-Fi comes back: the features' C-PULL-3 scenario
    // ("only if Wi-Fi is already connected" on open) catches it; the
    // differential lets a client pull then (KOReader's client does).
    (Mutant::PullsWhenWifiReturns, "no decision forbids it"),
    // Needs a silent apply, then a push before any page turn; the features'
    // C-SAFE-6 scenario does exactly that.
    (
        Mutant::KoAppliedPositionForgotten,
        "needs a push right after an apply",
    ),
    // A page push 59 s late shows only in a life that then stays quiet that
    // long; it exists to test the features' 60 s quiet horizon
    // (`detect_client::what_a_client_does_after_the_last_event_is_judged_too`).
    (Mutant::LastMinutePagePush, "needs 59 quiet seconds"),
    // Answered in order, GET then PUT reach the server in the same order either way.
    (Mutant::UploadBeforePull, "same wire order"),
    // The summary string is not in the trace; the subprocess driver checks it.
    (
        Mutant::QueueSummaryWrongLetter,
        "summary checked by the driver",
    ),
];

/// Where the shortest case shows a neighbouring rule; both are touched.
fn also_accepted(mutant: Mutant) -> &'static [&'static str] {
    match mutant {
        // Queues while disabled before it pushes.
        Mutant::PushesWhenDisabled => &["C-EN-2"],
        // Newer gets the older strategy: the shortest case is an older position.
        Mutant::DirectionSwapped => &["C-CONF-2"],
        _ => &[],
    }
}

#[test]
fn every_model_mutant_is_caught_by_the_rule_it_breaks() {
    let mut missed = Vec::new();
    for mutant in Mutant::ALL {
        if INVISIBLE.iter().any(|(m, _)| m == mutant) {
            continue;
        }
        let options = Options::new(1000, 3).for_profile(mutant.profile());
        let report = differential::run(&Candidate::Model(Some(*mutant)), options);
        let ok = match &report.outcome {
            Outcome::Mismatch(m) => {
                m.rules.contains(&mutant.breaks())
                    || also_accepted(*mutant).iter().any(|r| m.rules.contains(r))
            }
            _ => false,
        };
        if !ok {
            missed.push(format!(
                "{} (breaks {}): {}",
                mutant.name(),
                mutant.breaks(),
                differential::render_report(&report)
            ));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

fn reference_adapter(extra: &str) -> Candidate {
    let line = format!("{} adapter {extra}", env!("CARGO_BIN_EXE_kosync-contract"));
    let command = AdapterCommand::parse(&line).expect("command parses");
    Candidate::Driver {
        make: Box::new(SubprocessDriver::factory(command, Duration::from_secs(5))),
    }
}

#[test]
fn the_reference_adapter_agrees_with_the_model_over_stdio() {
    let report = differential::run(&reference_adapter(""), Options::new(25, 21));
    assert!(
        matches!(report.outcome, Outcome::Agreed),
        "{}",
        differential::render_report(&report)
    );
}

/// `kosync-contract adapter --profile koreader` plays KOReader's model and
/// declares KOReader's capabilities over protocol 2; the differential then
/// compares it with the KOReader model using only what it declares.
#[test]
fn the_reference_adapter_plays_the_koreader_profile_over_stdio() {
    use kosync_contract::adapter::Capabilities;
    let options = Options::new(25, 21)
        .for_profile(Profile::KOReader)
        .declaring(Capabilities::of_profile(Profile::KOReader));
    let report = differential::run(&reference_adapter("--profile koreader"), options);
    assert!(
        matches!(report.outcome, Outcome::Agreed),
        "{}",
        differential::render_report(&report)
    );
    // Played as the BookLore plugin, it is told apart at once.
    let booklore = differential::run(
        &reference_adapter("--profile koreader"),
        Options::new(25, 21).declaring(Capabilities::of_profile(Profile::KOReader)),
    );
    assert!(
        matches!(booklore.outcome, Outcome::Mismatch(_)),
        "{}",
        differential::render_report(&booklore)
    );
}

#[test]
fn a_mutant_served_over_stdio_is_caught() {
    let report = differential::run(
        &reference_adapter("--mutant NoDebounce"),
        Options::new(200, 4),
    );
    let Outcome::Mismatch(m) = &report.outcome else {
        panic!("not caught: {}", differential::render_report(&report));
    };
    assert!(
        m.rules.contains(&"C-PUSH-6"),
        "{}",
        differential::render_report(&report)
    );
}

#[test]
fn a_crashing_adapter_is_a_harness_error_not_a_mismatch() {
    let line = format!(
        "sh {}/fixtures/adapters/broken/crash.sh",
        env!("CARGO_MANIFEST_DIR")
    );
    let command = AdapterCommand::parse(&line).expect("command parses");
    let candidate = Candidate::Driver {
        make: Box::new(SubprocessDriver::factory(command, Duration::from_secs(5))),
    };
    let report = differential::run(&candidate, Options::new(10, 1));
    let Outcome::HarnessError { message } = &report.outcome else {
        panic!(
            "expected a harness error: {}",
            differential::render_report(&report)
        );
    };
    assert!(
        message.contains("attempt to index a nil value"),
        "{message}"
    );
}

/// Readings the sources allow besides the model's (issue 10's list) never
/// fail the differential: it names only rules the reference decided, and
/// none decides these. Those that do make the traces differ show up as
/// unattributed cases, noted, not failed.
#[test]
fn valid_readings_of_the_sources_pass() {
    use kosync_contract::model::Reading;
    for &reading in Reading::ALL {
        let candidate = Candidate::InProcess(Box::new(move |config, settings| {
            reading.client(config, settings)
        }));
        // Several seeds: seed 3 alone once missed a false alarm that seed 6
        // finds (CloseBeforePull opening a book whose own snapshots were still
        // queued, before the reading was narrowed to exclude that case).
        let mut unattributed = 0;
        for seed in [3, 6, 7, 8] {
            let report = differential::run(&candidate, Options::new(1000, seed));
            assert!(
                matches!(report.outcome, Outcome::Agreed),
                "{reading:?} failed (seed {seed}):\n{}",
                differential::render_report(&report)
            );
            unattributed += report.unattributed;
        }
        if matches!(
            reading,
            Reading::UploadOnWifiUp | Reading::ErrorNoticeOnFailedPull
        ) {
            assert!(
                unattributed > 0,
                "{reading:?} never made the traces differ: the test proves nothing"
            );
        }
    }
}

/// Two prompts on screen at once are rare in random lives (about one case
/// in 70,000), so the premise that stacked prompts differ from the model,
/// and that the difference breaks no rule, is shown on a life built for it:
/// a pull on open prompts for 80 %, a pull on resume for 90 % on top; the
/// first answer takes 90 % on both, the second reaches the prompt under it
/// only on the stacked reading.
#[test]
fn stacked_prompts_differ_from_the_model_but_break_no_rule() {
    use differential::{Case, Step};
    use kosync_contract::model::{Event, Position, Reading, Settings};
    let [book, _] = differential::documents();
    let at = |page| Position::at_page(page, 100);
    let reader = |event| Step::Reader { event };
    let case = Case {
        settings: Settings {
            enabled: true,
            ..Settings::default()
        },
        steps: vec![
            reader(Event::WifiConnected),
            Step::RemoteProgress {
                document: book.clone(),
                position: at(80),
            },
            reader(Event::BookOpened {
                document: book.clone(),
                position: at(20),
            }),
            Step::RemoteProgress {
                document: book.clone(),
                position: at(90),
            },
            reader(Event::Suspend),
            reader(Event::Resume),
            reader(Event::PromptAnswered { accept: true }),
            reader(Event::PromptAnswered { accept: true }),
        ],
    };
    let reference = differential::reference_trace(&case, Profile::BookLorePlugin, None);
    let stacked = differential::model_trace(&case, |config, settings| {
        Reading::StackedPrompts.client(config, settings)
    });
    let (step, aspects) = differential::first_difference(&reference, &stacked)
        .expect("the stacked reading answers the prompt under the top one");
    assert_eq!(step, 7, "the second answer is where they part");
    let (_, rules) = differential::attributed_rules(&reference[step].decisions, &aspects);
    assert!(rules.is_empty(), "no rule forbids it, yet {rules:?} named");
}
