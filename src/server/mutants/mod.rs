//! Deliberately broken server variants, for the harness's own detection tests
//! (compiled only with the `mutants` cargo feature, which the tests enable).
//!
//! Each [`Defect`] breaks exactly one contract rule and nothing else, so a test
//! can check that the verifier catches that rule and only that rule. The
//! reference server knows nothing of them: a defect enters from outside,
//! through the seams the server already has —
//!
//! - the [`Handler`](super::handler::Handler): [`Defective`] runs the
//!   reference's own steps, with one step left out, changed or added, or
//!   rewrites the request before them or the reply after them;
//! - the [`ProgressStore`](super::store::ProgressStore): [`DefectiveStore`]
//!   changes which record is kept;
//! - the server's settings: a body limit of none, registration always open.

mod handler;
mod store;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use handler::Defective;
use store::DefectiveStore;

use super::Shared;

/// Make a server being built break `defect`'s rule.
pub(crate) fn install(defect: Defect, shared: &mut Shared) {
    shared.handler = Box::new(Defective { defect });
    shared.store = Arc::new(DefectiveStore {
        defect,
        inner: Arc::clone(&shared.store),
    });
    match defect {
        Defect::NoBodyLimit => shared.body_limit = None,
        Defect::KosyncRegistrationDisabledIgnored => shared.registration = true,
        _ => {}
    }
}

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
    /// kosync pull with no progress answers 404 instead of 200 `{}` (breaks K-PULL-1).
    KosyncUnknownDocument404,
    /// kosync `GET /healthcheck` answers 404 (breaks K-HEALTH-1).
    KosyncNoHealthcheck,
    /// BookLore's auth route answers 200 `{"authorized":"OK"}`, not naming the user (breaks S-AUTH-1).
    AuthAnswersWithoutUsername,
    /// A push whose progress is an XPointer into a text node (`…/text().17`)
    /// is refused with 400, as by a too-strict check of the marker (breaks S-PUSH-1).
    TextNodeProgressRefused,
    /// A push that lands within a second of the stored record of another
    /// device keeps that record's progress: the fields of two concurrent
    /// pushes are mixed, as a torn write would (breaks S-CONC-1). Decided on
    /// the server's clock rather than a real race, so the run is repeatable.
    ConcurrentPushesMixFields,
    /// kosync registration answers 200 instead of 201 (breaks K-REG-1).
    KosyncRegistrationAnswers200,
    /// kosync registration of a taken name replaces that user and answers 201 (breaks K-REG-2).
    KosyncTakenNameAllowed,
    /// kosync registers users although registration is turned off (breaks K-REG-3).
    KosyncRegistrationDisabledIgnored,
    /// kosync's auth route answers `{"username"}` instead of `{"authorized":"OK"}` (breaks K-AUTH-3).
    KosyncAuthAnswersUsername,
    /// kosync refuses a wrong key with 403 instead of 401 (breaks K-AUTH-2).
    KosyncWrongKeyCode403,
    /// kosync's push answer leaves out `timestamp` (breaks K-PUSH-1).
    KosyncPushAnswersWithoutTimestamp,
    /// kosync refuses a push without percentage, progress or device with 400 instead of 403 (breaks K-BAD-1).
    KosyncInvalidPushCode400,
    /// kosync refuses a push without a document with code 2003 instead of 2004 (breaks K-BAD-2).
    KosyncMissingDocumentCode2003,
    /// kosync answers a body that is not valid JSON with 500 instead of 400 (breaks K-BAD-3).
    KosyncInvalidJson500,
    /// kosync error bodies carry only a `message`, no `code` (breaks K-ERR-1).
    KosyncErrorsWithoutCode,
    /// A kosync server strict about `Accept` refuses even the vendor media type (breaks K-ACCEPT-1).
    KosyncRejectsVendorAccept,
    /// A kosync server strict about `Accept` answers a missing header with code 101 instead of 100 (breaks K-ACCEPT-2).
    KosyncMissingAcceptCode101,
    /// kosync does not store the pushing device's id, so a pull leaves it out (breaks K-RT-1).
    KosyncDeviceIdNotStored,
    /// kosync's auth route answers 204 with no body to valid credentials (breaks K-AUTH-1).
    KosyncAuthAnswers204,
    /// kosync's registration answers 201 with `{}` instead of `{"username"}` (breaks K-REG-4).
    KosyncRegistrationAnswersWithoutUsername,
    /// kosync refuses a percentage sent as numeric text (`"0.5"`), which the
    /// reference reads with Lua's `tonumber` (breaks K-NUM-1).
    KosyncNumericTextRefused,
    /// Percentages are stored in single precision and read back as the
    /// shortest text of that `f32`, as korrosync does: 0.7777777777777778
    /// reads back as 0.7777778, 0.25 as 0.25 (breaks S-PREC-1).
    SinglePrecisionPercentage,
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
        Defect::AuthAnswersWithoutUsername,
        Defect::TextNodeProgressRefused,
        Defect::ConcurrentPushesMixFields,
        Defect::KosyncRegistrationAnswers200,
        Defect::KosyncTakenNameAllowed,
        Defect::KosyncRegistrationDisabledIgnored,
        Defect::KosyncAuthAnswersUsername,
        Defect::KosyncWrongKeyCode403,
        Defect::KosyncPushAnswersWithoutTimestamp,
        Defect::KosyncInvalidPushCode400,
        Defect::KosyncMissingDocumentCode2003,
        Defect::KosyncInvalidJson500,
        Defect::KosyncErrorsWithoutCode,
        Defect::KosyncRejectsVendorAccept,
        Defect::KosyncMissingAcceptCode101,
        Defect::KosyncDeviceIdNotStored,
        Defect::KosyncAuthAnswers204,
        Defect::KosyncRegistrationAnswersWithoutUsername,
        Defect::KosyncNumericTextRefused,
        Defect::SinglePrecisionPercentage,
    ];

    /// The variant's name, as `serve --defect` accepts it.
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// The id of the catalogue rule this defect breaks.
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
            Defect::KosyncUnknownDocument404 => "K-PULL-1",
            Defect::KosyncNoHealthcheck => "K-HEALTH-1",
            Defect::AuthAnswersWithoutUsername => "S-AUTH-1",
            Defect::TextNodeProgressRefused => "S-PUSH-1",
            Defect::ConcurrentPushesMixFields => "S-CONC-1",
            Defect::KosyncRegistrationAnswers200 => "K-REG-1",
            Defect::KosyncTakenNameAllowed => "K-REG-2",
            Defect::KosyncRegistrationDisabledIgnored => "K-REG-3",
            Defect::KosyncAuthAnswersUsername => "K-AUTH-3",
            Defect::KosyncWrongKeyCode403 => "K-AUTH-2",
            Defect::KosyncPushAnswersWithoutTimestamp => "K-PUSH-1",
            Defect::KosyncInvalidPushCode400 => "K-BAD-1",
            Defect::KosyncMissingDocumentCode2003 => "K-BAD-2",
            Defect::KosyncInvalidJson500 => "K-BAD-3",
            Defect::KosyncErrorsWithoutCode => "K-ERR-1",
            Defect::KosyncRejectsVendorAccept => "K-ACCEPT-1",
            Defect::KosyncMissingAcceptCode101 => "K-ACCEPT-2",
            Defect::KosyncDeviceIdNotStored => "K-RT-1",
            Defect::KosyncAuthAnswers204 => "K-AUTH-1",
            Defect::KosyncRegistrationAnswersWithoutUsername => "K-REG-4",
            Defect::KosyncNumericTextRefused => "K-NUM-1",
            Defect::SinglePrecisionPercentage => "S-PREC-1",
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
