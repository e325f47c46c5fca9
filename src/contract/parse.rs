//! Reading one `.feature` file, for every command that reads features (the
//! verify commands, `docs`, `rules`, the gate): the `gherkin` crate parses it,
//! and this module refuses what that parser would accept wrongly and explains
//! what it rejects.
//!
//! Gherkin lets free text follow a `Feature:`, `Rule:`, `Background:`,
//! `Scenario:` or `Examples:` line as its description, and it ends that text
//! only at a keyword it expects there. So a misspelt keyword (`Scenaro:`,
//! `Givn`) does not fail to parse: the line, and often the steps under it,
//! quietly become prose, and a scenario disappears from every run. A line
//! scan that follows the parser's own description rules finds such lines and
//! names the keyword that was probably meant ([`feature`] refuses the file).
//!
//! The same scan locates real syntax errors: the parser backtracks and reports
//! where it finally gave up, often lines below the mistake, as a set of
//! grammar tokens. [`ParseFailure`] instead names the first line that cannot
//! stand where it is and says in words what could.
//!
//! It knows English keywords only (the features are written in English); a
//! file with another `# language:` is parsed without the scan.
//!
//! One file because it is one reader: the line scanner, the misspelt-keyword
//! guess and the plain-words error texts change together; half of it is tests.

use std::fmt;

use cucumber::gherkin;

/// A feature file that cannot be used as written, located for the person who has to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub path: String,
    /// 1-based; 0 when nothing better than "somewhere in the file" is known.
    pub line: usize,
    /// 1-based column of the first non-blank character (or the parser's column).
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseFailure {}

/// Parse `text` (read from `path`) into a feature, or say precisely why not:
/// a syntax error at the line that caused it, a line that reads as a
/// description where a keyword was meant, or a scenario without steps.
/// The feature's `path` is set to `path`.
pub fn feature(path: &str, text: &str) -> Result<gherkin::Feature, ParseFailure> {
    let english = is_english(text);
    let findings = if english { scan(text) } else { Vec::new() };
    let failure = |finding: &Finding| ParseFailure {
        path: path.to_string(),
        line: finding.line,
        column: finding.column,
        message: finding.message.clone(),
    };
    match gherkin::Feature::parse(text, gherkin::GherkinEnv::default()) {
        Err(err) => {
            // The earliest suspicious line explains the error better than the
            // place the parser gave up at (it backtracks past the mistake).
            if let Some(first) = findings.first() {
                return Err(failure(first));
            }
            Err(parser_failure(path, &err.to_string()))
        }
        Ok(mut feature) => {
            // A stray line cannot survive a successful parse; a line read as
            // description where a keyword was meant can.
            if let Some(lost) = findings.iter().find(|f| f.kind == Kind::ReadAsDescription) {
                return Err(failure(lost));
            }
            if let Some(empty) = empty_scenario(&feature) {
                return Err(ParseFailure {
                    path: path.to_string(),
                    ..empty
                });
            }
            feature.path = Some(std::path::PathBuf::from(path));
            Ok(feature)
        }
    }
}

/// A scenario without steps checks nothing and passes: refuse it. (A
/// misspelt first and only step is read as its description.)
fn empty_scenario(feature: &gherkin::Feature) -> Option<ParseFailure> {
    let scenarios = feature
        .scenarios
        .iter()
        .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
    for s in scenarios {
        if s.steps.is_empty() {
            return Some(ParseFailure {
                path: String::new(),
                line: s.position.line,
                column: s.position.col,
                message: format!(
                    "{} \"{}\" has no steps, so it would pass without checking anything; \
                     give it steps (a misspelt step keyword makes a step part of the description)",
                    s.keyword, s.name
                ),
            });
        }
    }
    None
}

fn is_english(text: &str) -> bool {
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(comment) = t.strip_prefix('#') else {
            return true;
        };
        if let Some((key, value)) = comment.split_once(':') {
            if key.trim() == "language" {
                return value.trim() == "en";
            }
        }
    }
    true
}

/// The parser's own error (`Error at 12:3: {"Scenario", …}`), in words.
/// The gherkin crate keeps the position private and only prints it.
fn parser_failure(path: &str, shown: &str) -> ParseFailure {
    let mut line = 0;
    let mut column = 0;
    let mut message = format!("not valid Gherkin: {shown}");
    if let Some(rest) = shown.strip_prefix("Error at ") {
        if let Some((pos, expected)) = rest.split_once(": ") {
            if let Some((l, c)) = pos.split_once(':') {
                line = l.trim().parse().unwrap_or(0);
                column = c.trim().parse().unwrap_or(0);
            }
            message = format!(
                "not valid Gherkin: expected {}",
                expected_in_words(expected)
            );
        }
    }
    ParseFailure {
        path: path.to_string(),
        line,
        column,
        message,
    }
}

/// The parser's `{"\"\"\"", "|", "given, when or then"}` token set as a phrase.
fn expected_in_words(expected: &str) -> String {
    let inner = expected
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}');
    let mut words: Vec<&str> = Vec::new();
    for token in inner.split("\", \"") {
        let token = token.trim().trim_matches('"').replace("\\\"", "\"");
        let word = match token.as_str() {
            "\"\"\"" | "```" => "a doc string",
            "|" => "a table row",
            "given, when or then" => "a Given, When or Then step (And and But continue one)",
            "unknown keyword" | "no match" | "success" => {
                "a Gherkin keyword (Feature:, Rule:, Background:, Scenario:, Examples:, Given, When, Then, And, But)"
            }
            "@" | "tag character" => "a tag",
            "#" => "a comment",
            "EOF" => "the end of the file",
            "inconsistent table row sizes" => "table rows with the same number of cells",
            _ => "",
        };
        if !word.is_empty() && !words.contains(&word) {
            words.push(word);
        }
    }
    match words.len() {
        0 => "something else here".to_string(),
        1 => words[0].to_string(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// What a suspicious line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The parser reads it as description text, but it looks like a keyword.
    ReadAsDescription,
    /// It cannot stand here at all: the parse fails on (or after) it.
    Stray,
}

#[derive(Debug, Clone)]
struct Finding {
    kind: Kind,
    line: usize,
    column: usize,
    message: String,
}

/// Where in a file a line is, as the parser sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before `Feature:` (only tags, comments and blank lines may come).
    Start,
    /// Free text after a `Feature:`/`Rule:`/`Background:`/`Scenario:`/`Examples:` line.
    Description(Block),
    /// After a step (or its table or doc string).
    Steps,
    /// After an `Examples:` table row.
    ExampleRows,
    /// After a tag line: a keyword line must follow.
    Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Feature,
    Rule,
    Background,
    Scenario,
    Examples,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Block::Feature => "Feature",
            Block::Rule => "Rule",
            Block::Background => "Background",
            Block::Scenario => "Scenario",
            Block::Examples => "Examples",
        }
    }

    /// Whether this keyword ends this block's description. Mirrors the
    /// gherkin crate's `excluded_*` lists; any other line is description text.
    fn description_ends_at(self, keyword: Keyword) -> bool {
        use Keyword::*;
        match self {
            Block::Feature => matches!(keyword, Background | Rule | Scenario | Outline | Examples),
            // `Examples` starts with `Example`, a Scenario keyword.
            Block::Rule => matches!(keyword, Background | Scenario | Outline | Examples),
            Block::Background | Block::Scenario => {
                matches!(keyword, Scenario | Outline | Examples | Step)
            }
            Block::Examples => matches!(keyword, Scenario | Outline | Examples | Step | TableRow),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Feature,
    Background,
    Rule,
    Scenario,
    Outline,
    Examples,
    Step,
    TableRow,
}

/// English block keywords as the parser matches them (`keyword` then `:`).
const BLOCKS: &[(&str, Keyword)] = &[
    ("Feature", Keyword::Feature),
    ("Business Need", Keyword::Feature),
    ("Ability", Keyword::Feature),
    ("Background", Keyword::Background),
    ("Rule", Keyword::Rule),
    ("Scenario Outline", Keyword::Outline),
    ("Scenario Template", Keyword::Outline),
    ("Examples", Keyword::Examples),
    ("Scenarios", Keyword::Examples),
    ("Example", Keyword::Scenario),
    ("Scenario", Keyword::Scenario),
];

/// English step keywords, each followed by a space as the parser requires.
const STEPS: &[&str] = &["Given ", "When ", "Then ", "And ", "But ", "* "];

/// Words within one edit of a step keyword that start ordinary sentences.
const ENGLISH: &[&str] = &[
    "The", "They", "Them", "Than", "Thin", "Thus", "Ten", "Hen", "Went", "Whey", "Wren", "Whet",
    "Gives", "Giver", "Liven", "Riven", "Driven", "Even",
];

/// The keyword a line starts with, if it starts with one the way the parser needs.
fn keyword_of(t: &str) -> Option<Keyword> {
    if t.starts_with('|') {
        return Some(Keyword::TableRow);
    }
    if STEPS.iter().any(|k| t.starts_with(k)) {
        return Some(Keyword::Step);
    }
    BLOCKS
        .iter()
        .find(|(k, _)| t.strip_prefix(k).is_some_and(|rest| rest.starts_with(':')))
        .map(|(_, kw)| *kw)
}

/// Every line a person most likely got wrong, in file order.
fn scan(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut place = Place::Start;
    let mut fence: Option<&str> = None;
    // The step keyword of the current scenario's previous step, for `And` first.
    let mut steps_in_block = 0usize;
    // A step line read as description text: (line, column, keyword), or
    // line 0 once the run of such lines has been reported.
    let mut step_run: Option<(usize, usize, &str)> = None;
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        let line = i + 1;
        let column = raw.len() - raw.trim_start().len() + 1;
        let mut find = |kind: Kind, message: String| {
            findings.push(Finding {
                kind,
                line,
                column,
                message,
            })
        };
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('@') {
            // A tag line ends any description (the parser stops there).
            place = Place::Tags;
            continue;
        }
        if (t.starts_with("\"\"\"") || t.starts_with("```")) && place == Place::Steps {
            fence = Some(if t.starts_with("```") {
                "```"
            } else {
                "\"\"\""
            });
            continue;
        }
        let keyword = keyword_of(t);
        if keyword != Some(Keyword::Step) {
            step_run = None;
        }
        // Inside a description, a line is text unless it is a keyword that ends it.
        if let Place::Description(block) = place {
            match keyword {
                Some(kw) if block.description_ends_at(kw) => {}
                Some(Keyword::Step) => {
                    // Prose may start a line with "When …"; two such lines in a
                    // row are steps that lost their Scenario: line.
                    match step_run {
                        Some((at, col, word)) if at > 0 => {
                            findings.push(Finding {
                                kind: Kind::ReadAsDescription,
                                line: at,
                                column: col,
                                message: format!(
                                    "these steps (`{word} …` and the lines after it) stand in the \
                                     description of the {} above, before any Scenario:, so they \
                                     are read as text and never run: is the Scenario: line above \
                                     them missing or misspelt?",
                                    block.name()
                                ),
                            });
                            step_run = Some((0, 0, word));
                        }
                        Some(_) => {}
                        None => step_run = Some((line, column, first_word(t))),
                    }
                    continue;
                }
                Some(Keyword::TableRow) => continue,
                Some(kw) => {
                    let word = first_word(t);
                    let why = if block == Block::Rule && kw == Keyword::Rule {
                        "the Rule above has no scenario yet: give it one, or remove it"
                    } else {
                        "it cannot start there"
                    };
                    find(
                        Kind::ReadAsDescription,
                        format!(
                            "`{word}` here is read as text in the description of the {} above \
                             ({why}), so what it starts is lost",
                            block.name()
                        ),
                    );
                    continue;
                }
                None => {
                    if let Some(message) = misspelt_keyword(t, block) {
                        find(Kind::ReadAsDescription, message);
                    }
                    continue;
                }
            }
        }
        match keyword {
            Some(Keyword::Feature) => place = Place::Description(Block::Feature),
            Some(Keyword::Rule) => place = Place::Description(Block::Rule),
            Some(Keyword::Background) => {
                steps_in_block = 0;
                place = Place::Description(Block::Background)
            }
            Some(Keyword::Scenario) | Some(Keyword::Outline) => {
                steps_in_block = 0;
                place = Place::Description(Block::Scenario)
            }
            Some(Keyword::Examples) => place = Place::Description(Block::Examples),
            Some(Keyword::Step) => {
                let continues = t.starts_with("And ") || t.starts_with("But ");
                let allowed = matches!(
                    place,
                    Place::Steps | Place::Description(Block::Scenario | Block::Background)
                );
                if !allowed {
                    find(Kind::Stray, stray_message(t, place));
                } else if continues && steps_in_block == 0 {
                    find(
                        Kind::Stray,
                        format!(
                            "`{}` cannot be the first step: And and But continue a Given, When \
                             or Then step above them",
                            first_word(t)
                        ),
                    );
                }
                steps_in_block += 1;
                place = Place::Steps;
            }
            Some(Keyword::TableRow) => match place {
                Place::Steps => {}
                Place::ExampleRows | Place::Description(Block::Examples) => {
                    place = Place::ExampleRows
                }
                _ => find(Kind::Stray, stray_message(t, place)),
            },
            None => find(Kind::Stray, stray_message(t, place)),
        }
    }
    findings
}

/// The text before the first space (or the whole line), for messages.
fn first_word(t: &str) -> &str {
    t.split_whitespace().next().unwrap_or(t)
}

/// If this description line starts like a misspelt keyword, why it is refused.
fn misspelt_keyword(t: &str, block: Block) -> Option<String> {
    // `Scenaro: …`, `Scenario Outlin: …`: one to three words, then a colon.
    if let Some((head, _)) = t.split_once(':') {
        let words = head.split_whitespace().count();
        if (1..=3).contains(&words) && head.chars().all(|c| c.is_alphabetic() || c == ' ') {
            let near = BLOCKS
                .iter()
                .map(|(k, _)| (*k, distance(&head.to_lowercase(), &k.to_lowercase())))
                .min_by_key(|(_, d)| *d);
            if let Some((keyword, d)) = near {
                let exact_but_case = d == 0 && head != keyword;
                if exact_but_case || (d > 0 && d <= allowed_edits(keyword)) {
                    return Some(format!(
                        "`{head}:` is not a Gherkin keyword; did you mean `{keyword}:`? As written, \
                         {} read as text in the description of the {} above, and what it starts \
                         is lost",
                        if keyword == "Feature" || keyword == "Background" {
                            "this line is"
                        } else {
                            "this line and the steps under it are"
                        },
                        block.name()
                    ));
                }
            }
        }
    }
    // `Givn a book`: a step whose keyword is misspelt, where steps may follow.
    if matches!(block, Block::Scenario | Block::Background) {
        let word = first_word(t);
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        if capitalised && !ENGLISH.contains(&word) {
            for keyword in ["Given", "When", "Then", "And", "But"] {
                let d = distance(word, keyword);
                // Short keywords are close to many words: only a swap counts there.
                let close = if keyword.len() <= 3 {
                    d == 1 && is_swap(word, keyword)
                } else {
                    d == 1
                };
                if close {
                    return Some(format!(
                        "`{word}` is not a step keyword; did you mean `{keyword}`? As written, \
                         this line is read as text in the description of the {} above and never \
                         runs",
                        block.name()
                    ));
                }
            }
        }
    }
    None
}

/// How many typing mistakes still make a word "that keyword".
fn allowed_edits(keyword: &str) -> usize {
    if keyword.chars().count() <= 5 {
        1
    } else {
        2
    }
}

/// Whether `a` is `b` with two neighbouring letters swapped.
fn is_swap(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    diff.len() == 2
        && diff[1] == diff[0] + 1
        && a[diff[0]] == b[diff[1]]
        && a[diff[1]] == b[diff[0]]
}

/// Why a line cannot stand where it is, and what could.
fn stray_message(t: &str, place: Place) -> String {
    let shown: String = t.chars().take(60).collect();
    let shown = if shown.len() < t.len() {
        format!("{shown}…")
    } else {
        shown
    };
    let expected = match place {
        Place::Start => "the `Feature:` line (after optional tags and comments)",
        Place::Tags => "a `Feature:`, `Rule:`, `Scenario:`, `Scenario Outline:` or `Examples:` line after the tags",
        Place::Steps => {
            "a step (Given, When, Then, And, But), a table row, a doc string, or the next \
             `Scenario:`, `Examples:` or `Rule:`"
        }
        Place::ExampleRows => "another table row, more `Examples:`, or the next `Scenario:` or `Rule:`",
        Place::Description(_) => "description text or a keyword",
    };
    let hint = nearest_keyword(first_word(t).trim_end_matches(':'))
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    format!("`{shown}` cannot stand here: expected {expected}{hint}")
}

/// The keyword closest to `word`, when it is close enough to be a typo of it.
fn nearest_keyword(word: &str) -> Option<String> {
    let steps = ["Given", "When", "Then", "And", "But"];
    let blocks = BLOCKS.iter().map(|(k, _)| *k);
    steps
        .into_iter()
        .chain(blocks)
        .map(|k| (k, distance(&word.to_lowercase(), &k.to_lowercase())))
        .filter(|(k, d)| *d <= allowed_edits(k))
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| {
            if steps.contains(&k) {
                k.to_string()
            } else {
                format!("{k}:")
            }
        })
}

/// Edits (insert, delete, replace, swap two neighbours) between two words.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
@S-PULL-1
Feature: Pulling
  The server answers pulls. Then it stops.

  @S-PULL-2
  Rule: Unknown documents are not found
    Text about the rule.

    Scenario: An unread book
      The reader never opened it.
      Given a book \"A\"
      When alice pulls \"A\"
      Then the answer is 404

    Scenario Outline: Push <n>
      Given a book \"A\"
      And alice pushes <n>
      Examples:
        | n |
        | 1 |
";

    fn refused(text: &str) -> ParseFailure {
        feature("f.feature", text).expect_err("refused")
    }

    #[test]
    fn a_good_file_parses_and_keeps_its_path() {
        let f = feature("f.feature", GOOD).expect("parses");
        assert_eq!(f.rules[0].scenarios.len(), 2);
        assert_eq!(f.path.as_deref(), Some(std::path::Path::new("f.feature")));
    }

    #[test]
    fn a_misspelt_scenario_keyword_is_refused_at_its_line() {
        let text = GOOD.replace(
            "    Scenario: An unread book",
            "    Scenaro: An unread book",
        );
        // The gherkin crate alone accepts it, with one scenario fewer.
        let lax = gherkin::Feature::parse(&text, gherkin::GherkinEnv::default()).expect("lax");
        assert_eq!(lax.rules[0].scenarios.len(), 1);
        let err = refused(&text);
        assert_eq!((err.line, err.column), (9, 5), "{err}");
        assert!(err.message.contains("did you mean `Scenario:`"), "{err}");
        assert!(err.message.contains("Rule"), "{err}");
    }

    #[test]
    fn a_misspelt_first_step_is_refused_at_its_line() {
        let text = GOOD.replace(
            "      Given a book \"A\"\n      When",
            "      Givn a book \"A\"\n      When",
        );
        let err = refused(&text);
        assert_eq!(err.line, 11, "{err}");
        assert!(err.message.contains("did you mean `Given`"), "{err}");
    }

    #[test]
    fn a_misspelt_step_after_steps_is_a_syntax_error_at_its_line() {
        let text = GOOD.replace(
            "      Then the answer is 404",
            "      Thn the answer is 404",
        );
        let err = refused(&text);
        assert_eq!((err.line, err.column), (13, 7), "{err}");
        assert!(err.message.contains("did you mean `Then`"), "{err}");
        assert!(err.message.contains("expected a step"), "{err}");
    }

    #[test]
    fn a_misspelt_first_step_followed_by_and_names_the_misspelt_line() {
        let text = GOOD.replace(
            "      Given a book \"A\"\n      And alice pushes",
            "      Givn a book \"A\"\n      And alice pushes",
        );
        let err = refused(&text);
        assert_eq!(err.line, 16, "{err}");
        assert!(err.message.contains("did you mean `Given`"), "{err}");
    }

    #[test]
    fn prose_that_starts_like_a_keyword_is_left_alone() {
        // "The" is one edit from "Then"; "Then it stops." sits in a Feature's
        // description, where steps are text anyway.
        feature("f.feature", GOOD).expect("prose stays prose");
    }

    #[test]
    fn steps_in_a_rule_description_are_refused() {
        let text = GOOD.replace(
            "    Text about the rule.",
            "    Given a book \"B\"\n    When alice pulls \"B\"",
        );
        let err = refused(&text);
        assert_eq!(err.line, 7, "{err}");
        assert!(
            err.message.contains("Scenario: line above them missing"),
            "{err}"
        );
        // One line of prose that starts like a step is still prose.
        let prose = GOOD.replace(
            "    Text about the rule.",
            "    When a book opens, it pulls.",
        );
        feature("f.feature", &prose).expect("prose");
    }

    #[test]
    fn a_scenario_without_steps_is_refused() {
        let text = "Feature: F\n  Scenario: Nothing here\n    Just words.\n";
        let err = refused(text);
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("has no steps"), "{err}");
    }

    #[test]
    fn parser_errors_are_said_in_words() {
        let f = parser_failure(
            "x",
            r#"Error at 15:5: {"\"\"\"", "```", "|", "given, when or then"}"#,
        );
        assert_eq!((f.line, f.column), (15, 5));
        assert_eq!(
            f.message,
            "not valid Gherkin: expected a doc string, a table row or a Given, When or Then step \
             (And and But continue one)"
        );
    }

    #[test]
    fn distance_counts_a_swap_as_one_edit() {
        assert_eq!(distance("scenaro", "scenario"), 1);
        assert_eq!(distance("secnario", "scenario"), 1);
        assert_eq!(distance("givn", "given"), 1);
        assert_eq!(distance("the", "then"), 1);
        assert!(is_swap("Adn", "And"));
        assert!(!is_swap("Any", "And"));
    }
}
