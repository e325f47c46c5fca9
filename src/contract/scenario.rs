//! What the contract knows of a scenario before it runs: its feature, rule
//! block, name, tags, the rule ids it cites and where it is written. The
//! runner builds it from the parsed Gherkin; worlds decide from it whether a
//! scenario applies; reports label results with it.

use cucumber::gherkin;

use super::catalogue;

/// A scenario as the runner and the world see it, before it runs.
#[derive(Debug, Clone)]
pub struct ScenarioMeta {
    pub feature: String,
    /// The `Rule:` block's title, when the scenario sits in one.
    pub rule: Option<String>,
    pub scenario: String,
    /// Feature, rule and scenario tags together, without the `@`.
    pub tags: Vec<String>,
    /// The rule ids among the tags (`S-PULL-2`), in order, without duplicates.
    pub rules: Vec<String>,
    /// Where the scenario is written (`features/server/pull.feature:12`).
    pub location: String,
}

impl ScenarioMeta {
    pub(crate) fn new(
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> Self {
        let tags: Vec<String> = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| r.tags.iter()))
            .chain(scenario.tags.iter())
            .cloned()
            .collect();
        let mut rules: Vec<String> = Vec::new();
        for tag in &tags {
            if catalogue::looks_like_rule_id(tag) && !rules.contains(tag) {
                rules.push(tag.clone());
            }
        }
        ScenarioMeta {
            feature: feature.name.clone(),
            rule: rule.map(|r| r.name.clone()),
            scenario: scenario.name.clone(),
            tags,
            rules,
            location: format!("{}:{}", feature_path(feature), scenario.position.line),
        }
    }

    /// True when the scenario carries this tag (given without the `@`).
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

pub(crate) fn feature_path(feature: &gherkin::Feature) -> String {
    feature
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| feature.name.clone())
}
