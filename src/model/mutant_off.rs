//! Without the `mutants` cargo feature there are no broken clients: [`Mutant`]
//! has no value, so every `Option<Mutant>` is `None` and the hidden
//! `--mutant` flag refuses every name. `cargo test` builds with the feature.

use super::{ClientConfig, ClientModel, Profile, Settings};

/// A broken rule of the model; none exist in this build.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutant {}

impl Mutant {
    /// Every mutant: none in this build.
    pub const ALL: &'static [Mutant] = &[];

    pub fn name(self) -> &'static str {
        match self {}
    }

    pub fn breaks(self) -> &'static str {
        match self {}
    }

    pub fn profile(self) -> Profile {
        match self {}
    }

    pub fn client(
        self,
        _config: ClientConfig,
        _settings: Settings,
        _profile: Profile,
        _password: &str,
    ) -> Box<dyn ClientModel> {
        match self {}
    }
}

impl std::fmt::Display for Mutant {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::str::FromStr for Mutant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Err(format!(
            "unknown mutant {s:?}: this build has none (build with --features mutants)"
        ))
    }
}
