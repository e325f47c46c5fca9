//! Deliberately broken server variants, for the harness's own detection tests.
//!
//! Each [`Defect`] breaks exactly one contract rule and nothing else, so a test
//! can check that the verifier catches that rule and only that rule. Each is a
//! small branch at the one place the behaviour lives in the server, never a
//! copy of it. A correct server runs with no defect.

use std::fmt;
use std::str::FromStr;

/// One deliberate contract violation. Not for production use.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Defect {
    /// BookLore pull with no progress answers 200 `{}` instead of 404 (breaks S-PULL-2).
    UnknownProgressAnswers200Empty,
    /// All users share one progress store (breaks S-ISO-1).
    SharedAcrossUsers,
    /// `timestamp` in milliseconds (breaks S-TS-1).
    MillisecondTimestamps,
    /// The client's `timestamp` is stored instead of the server's time (breaks S-TS-1).
    EchoClientTimestamp,
    /// `percentage` is read back as a JSON string (breaks S-PULL-1).
    PercentageAsString,
    /// `progress` is stored with surrounding whitespace trimmed (breaks S-PULL-1).
    TrimProgress,
    /// A known user name with any key is accepted (breaks S-AUTH-2).
    AcceptAnyKey,
    /// The first push for a document is kept; later ones are ignored (breaks S-LWW-1).
    FirstWriteWins,
    /// Responses are labelled `text/plain` (breaks S-CT-1).
    TextPlainContentType,
    /// Responses are labelled `application/json; charset=utf-8` (breaks S-CT-2).
    CharsetInContentType,
    /// A push for a book not in the library is stored and answered 200 (breaks S-BOOK-1).
    StoreUnknownBook,
    /// A push without `percentage` answers 500, like BookLore (breaks S-BAD-1).
    MissingPercentage500,
    /// `percentage` outside [0, 1] is stored (breaks S-BAD-2).
    PercentageOutOfRangeAccepted,
    /// A stored percentage of 0 is left out of the pull answer (breaks S-PULL-3).
    ZeroPercentageOmitted,
    /// BookLore's `users/create` registers the user and answers 201 (breaks S-REG-1).
    RegistrationAllowed,
    /// Users with sync disabled can pull and push (breaks S-OFF-1).
    IgnoreSyncDisabled,
    /// Bodies of any size are read whole and processed (breaks S-BAD-3).
    NoBodyLimit,
    /// kosync pull with no progress answers 404 instead of 200 `{}`.
    KosyncUnknownDocument404,
    /// kosync `GET /healthcheck` answers 404.
    KosyncNoHealthcheck,
}

impl Defect {
    /// Every defect, in declaration order.
    pub const ALL: &'static [Defect] = &[
        Defect::UnknownProgressAnswers200Empty,
        Defect::SharedAcrossUsers,
        Defect::MillisecondTimestamps,
        Defect::EchoClientTimestamp,
        Defect::PercentageAsString,
        Defect::TrimProgress,
        Defect::AcceptAnyKey,
        Defect::FirstWriteWins,
        Defect::TextPlainContentType,
        Defect::CharsetInContentType,
        Defect::StoreUnknownBook,
        Defect::MissingPercentage500,
        Defect::PercentageOutOfRangeAccepted,
        Defect::ZeroPercentageOmitted,
        Defect::RegistrationAllowed,
        Defect::IgnoreSyncDisabled,
        Defect::NoBodyLimit,
        Defect::KosyncUnknownDocument404,
        Defect::KosyncNoHealthcheck,
    ];

    /// The variant's name, as `serve --defect` accepts it.
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// The rule id (or kosync difference) this defect breaks.
    pub fn breaks(self) -> &'static str {
        match self {
            Defect::UnknownProgressAnswers200Empty => "S-PULL-2",
            Defect::SharedAcrossUsers => "S-ISO-1",
            Defect::MillisecondTimestamps | Defect::EchoClientTimestamp => "S-TS-1",
            Defect::PercentageAsString | Defect::TrimProgress => "S-PULL-1",
            Defect::AcceptAnyKey => "S-AUTH-2",
            Defect::FirstWriteWins => "S-LWW-1",
            Defect::TextPlainContentType => "S-CT-1",
            Defect::CharsetInContentType => "S-CT-2",
            Defect::StoreUnknownBook => "S-BOOK-1",
            Defect::MissingPercentage500 => "S-BAD-1",
            Defect::PercentageOutOfRangeAccepted => "S-BAD-2",
            Defect::ZeroPercentageOmitted => "S-PULL-3",
            Defect::RegistrationAllowed => "S-REG-1",
            Defect::IgnoreSyncDisabled => "S-OFF-1",
            Defect::NoBodyLimit => "S-BAD-3",
            Defect::KosyncUnknownDocument404 => "kosync: unknown document answers 200 {}",
            Defect::KosyncNoHealthcheck => "kosync: GET /healthcheck answers {\"state\":\"OK\"}",
        }
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Accepts the variant name in any case, with or without `-`/`_` separators
/// (`TrimProgress`, `trim-progress`, `trim_progress`).
impl FromStr for Defect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let squash = |t: &str| {
            t.chars()
                .filter(|c| *c != '-' && *c != '_')
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let wanted = squash(s);
        Defect::ALL
            .iter()
            .copied()
            .find(|d| squash(&d.name()) == wanted)
            .ok_or_else(|| {
                let names: Vec<String> = Defect::ALL.iter().map(|d| d.name()).collect();
                format!("unknown defect {s:?}: expected one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defect_parses_back_from_its_name_and_kebab_case() {
        for d in Defect::ALL {
            assert_eq!(d.name().parse::<Defect>(), Ok(*d));
        }
        assert_eq!("trim-progress".parse(), Ok(Defect::TrimProgress));
        assert!("nonsense".parse::<Defect>().is_err());
    }
}
