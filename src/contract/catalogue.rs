//! The rule catalogue: every rule the contract checks, with its stable id and
//! level. Features cite these ids as tags (`@C-PULL-5`), reports and docs read
//! levels and texts from here, and the coverage gate checks both ways.
//!
//! Ids are never renumbered or reused. Levels: MUST (stated by the source or a
//! wire fact a stock client depends on), SHOULD (derived; failures are
//! reported but do not fail a run), INTERPRETATION (the source is silent; the
//! contract picks one reading, stated in the rule's text).

use serde::Serialize;

/// How binding a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    Must,
    Should,
    Interpretation,
}

impl Level {
    /// Whether a failure of a rule at this level makes a verify run fail (exit 1).
    /// Interpretations are part of the profile a target claims, so they gate too.
    pub fn gates(self) -> bool {
        !matches!(self, Level::Should)
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::Interpretation => "INTERPRETATION",
        }
    }
}

/// Which side of the protocol a rule constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
    Hash,
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub level: Level,
    pub side: Side,
    /// The rule in one or two sentences; for an interpretation, the reading chosen.
    pub text: &'static str,
}

const fn rule(id: &'static str, level: Level, side: Side, text: &'static str) -> Rule {
    Rule {
        id,
        level,
        side,
        text,
    }
}

/// Every rule, in catalogue order.
pub fn all() -> &'static [Rule] {
    RULES
}

/// The rule with this id, if the catalogue has one.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// True when a tag looks like a rule id (`C-PULL-5`, `S-AUTH-1`, `K-REG-2`, `H-1`),
/// whether or not the catalogue has it.
pub fn looks_like_rule_id(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    let Some((number, middle)) = rest.split_last() else {
        return false;
    };
    let upper = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase());
    upper(first)
        && middle.len() <= 1
        && middle.iter().all(|m| upper(m))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

static RULES: &[Rule] = &[
    rule("C-EN-1", Level::Must, Side::Client, ""),
    rule("C-EN-2", Level::Interpretation, Side::Client, ""),
    rule("C-WIRE-1", Level::Must, Side::Client, ""),
    rule("C-WIRE-2", Level::Must, Side::Client, ""),
    rule("C-WIRE-3", Level::Must, Side::Client, ""),
    rule("C-WIRE-4", Level::Must, Side::Client, ""),
    rule("C-WIRE-5", Level::Should, Side::Client, ""),
    rule("C-PULL-1", Level::Must, Side::Client, ""),
    rule("C-PULL-2", Level::Must, Side::Client, ""),
    rule("C-PULL-3", Level::Must, Side::Client, ""),
    rule("C-PULL-4", Level::Must, Side::Client, ""),
    rule("C-PULL-5", Level::Must, Side::Client, ""),
    rule("C-PULL-6", Level::Should, Side::Client, ""),
    rule("C-PULL-7", Level::Interpretation, Side::Client, ""),
    rule("C-CONF-1", Level::Must, Side::Client, ""),
    rule("C-CONF-2", Level::Must, Side::Client, ""),
    rule("C-CONF-3", Level::Must, Side::Client, ""),
    rule("C-CONF-4", Level::Must, Side::Client, ""),
    rule("C-CONF-5", Level::Must, Side::Client, ""),
    rule("C-CONF-6", Level::Interpretation, Side::Client, ""),
    rule("C-PUSH-1", Level::Must, Side::Client, ""),
    rule("C-PUSH-2", Level::Must, Side::Client, ""),
    rule("C-PUSH-3", Level::Must, Side::Client, ""),
    rule("C-PUSH-4", Level::Must, Side::Client, ""),
    rule("C-PUSH-5", Level::Must, Side::Client, ""),
    rule("C-PUSH-6", Level::Must, Side::Client, ""),
    rule("C-PUSH-7", Level::Interpretation, Side::Client, ""),
    rule("C-PUSH-8", Level::Interpretation, Side::Client, ""),
    rule("C-RATE-1", Level::Must, Side::Client, ""),
    rule("C-RATE-2", Level::Must, Side::Client, ""),
    rule("C-Q-1", Level::Must, Side::Client, ""),
    rule("C-Q-2", Level::Must, Side::Client, ""),
    rule("C-Q-3", Level::Must, Side::Client, ""),
    rule("C-Q-4", Level::Must, Side::Client, ""),
    rule("C-Q-5", Level::Must, Side::Client, ""),
    rule("C-MAN-1", Level::Must, Side::Client, ""),
    rule("C-MAN-2", Level::Must, Side::Client, ""),
    rule("C-MAN-3", Level::Must, Side::Client, ""),
    rule("C-MAN-4", Level::Interpretation, Side::Client, ""),
    rule("C-SAFE-1", Level::Should, Side::Client, ""),
    rule("C-SAFE-2", Level::Should, Side::Client, ""),
    rule("C-SAFE-3", Level::Should, Side::Client, ""),
    rule("C-SAFE-4", Level::Should, Side::Client, ""),
    rule("C-SAFE-5", Level::Should, Side::Client, ""),
    rule("S-AUTH-1", Level::Must, Side::Server, ""),
    rule("S-AUTH-2", Level::Must, Side::Server, ""),
    rule("S-PUSH-1", Level::Must, Side::Server, ""),
    rule("S-PULL-1", Level::Must, Side::Server, ""),
    rule("S-PULL-2", Level::Must, Side::Server, ""),
    rule("S-PULL-3", Level::Must, Side::Server, ""),
    rule("S-BOOK-1", Level::Must, Side::Server, ""),
    rule("S-ISO-1", Level::Must, Side::Server, ""),
    rule("S-LWW-1", Level::Must, Side::Server, ""),
    rule("S-TS-1", Level::Must, Side::Server, ""),
    rule("S-CT-1", Level::Must, Side::Server, ""),
    rule("S-CT-2", Level::Should, Side::Server, ""),
    rule("S-REG-1", Level::Must, Side::Server, ""),
    rule("S-OFF-1", Level::Must, Side::Server, ""),
    rule("S-BAD-1", Level::Should, Side::Server, ""),
    rule("S-BAD-2", Level::Should, Side::Server, ""),
    rule("S-BAD-3", Level::Should, Side::Server, ""),
    rule("S-CONC-1", Level::Should, Side::Server, ""),
    rule("H-1", Level::Must, Side::Hash, ""),
    rule("K-REG-1", Level::Must, Side::Server, ""),
    rule("K-REG-2", Level::Must, Side::Server, ""),
    rule("K-REG-3", Level::Must, Side::Server, ""),
    rule("K-AUTH-1", Level::Must, Side::Server, ""),
    rule("K-AUTH-2", Level::Must, Side::Server, ""),
    rule("K-PULL-1", Level::Must, Side::Server, ""),
    rule("K-PUSH-1", Level::Must, Side::Server, ""),
    rule("K-BAD-1", Level::Must, Side::Server, ""),
    rule("K-BAD-2", Level::Must, Side::Server, ""),
    rule("K-BAD-3", Level::Should, Side::Server, ""),
    rule("K-ERR-1", Level::Must, Side::Server, ""),
    rule("K-HEALTH-1", Level::Must, Side::Server, ""),
    rule("K-ACCEPT-1", Level::Must, Side::Server, ""),
    rule("K-ACCEPT-2", Level::Should, Side::Server, ""),
    rule("K-RT-1", Level::Must, Side::Server, ""),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in all() {
            assert!(looks_like_rule_id(r.id), "{} is not a rule id", r.id);
            assert!(seen.insert(r.id), "{} appears twice", r.id);
        }
    }

    #[test]
    fn rule_id_shape() {
        assert!(looks_like_rule_id("C-PULL-5"));
        assert!(looks_like_rule_id("H-1"));
        assert!(!looks_like_rule_id("booklore"));
        assert!(!looks_like_rule_id("C-PULL"));
    }
}
