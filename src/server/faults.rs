//! Scripted faults: make the next N matching requests fail in a chosen way.
//!
//! A fault matches on method (any case) and exact path (no query string);
//! `None` matches anything. Faults are tried in the order they were added and
//! the first match applies. A fault with `times` is used up after that many
//! matches ("fail twice, then heal"); without it, it applies until cleared.
//! A request answered by a fault is not processed: nothing is stored.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One scripted misbehaviour, as `POST /__admin/faults` takes it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (`"PUT"`); `None` = any.
    #[serde(default)]
    pub method: Option<String>,
    /// Exact request path to match; `None` = any.
    #[serde(default)]
    pub path: Option<String>,
    /// Answer with this status instead of processing the request
    /// (200 when only `body` is given).
    #[serde(default)]
    pub status: Option<u16>,
    /// Apply to this many matching requests, then disappear; `None` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
    /// Wait this long (wall time) before answering. Alone, the request is then
    /// processed normally.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Close the connection without answering.
    #[serde(default)]
    pub drop: bool,
    /// Raw body to answer with (served as `application/json`).
    #[serde(default)]
    pub body: Option<String>,
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.as_deref().is_none_or(|p| p == path)
    }

    /// True when the fault replaces the real answer (rather than only delaying it).
    pub fn replaces_answer(&self) -> bool {
        self.drop || self.status.is_some() || self.body.is_some()
    }

    /// Why a fault would be refused by the admin API, if it would.
    pub fn problem(&self) -> Option<String> {
        if let Some(status) = self.status {
            if !(100..=999).contains(&status) {
                return Some(format!("status {status} is not an HTTP status"));
            }
            if (100..200).contains(&status) {
                return Some(format!(
                    "status {status} is informational and cannot end a request"
                ));
            }
        }
        if self.times == Some(0) {
            return Some("times must be at least 1 (omit it for \"forever\")".into());
        }
        if !self.drop && self.status.is_none() && self.body.is_none() && self.delay_ms.is_none() {
            return Some("a fault needs at least one of status, body, delay_ms, drop".into());
        }
        None
    }
}

/// The active faults, shared by every connection.
#[derive(Default)]
pub struct FaultList {
    faults: Mutex<Vec<Fault>>,
}

impl FaultList {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add(&self, fault: Fault) {
        self.lock().push(fault);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    /// The fault that applies to this request, if any, using up one of its `times`.
    pub fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = self.lock();
        let index = faults.iter().position(|f| f.matches(method, path))?;
        let fault = faults[index].clone();
        match faults[index].times {
            Some(1) => {
                faults.remove(index);
            }
            Some(n) => faults[index].times = Some(n - 1),
            None => {}
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_then_heal() {
        let list = FaultList::default();
        list.add(Fault {
            method: Some("put".into()),
            path: Some("/p".into()),
            status: Some(500),
            times: Some(2),
            ..Fault::default()
        });
        assert!(list.take("GET", "/p").is_none());
        assert!(list.take("PUT", "/q").is_none());
        assert_eq!(list.take("PUT", "/p").and_then(|f| f.status), Some(500));
        assert!(list.take("PUT", "/p").is_some());
        assert!(list.take("PUT", "/p").is_none());
    }

    #[test]
    fn problems_are_named() {
        assert!(Fault::default().problem().is_some());
        let f = Fault {
            status: Some(42),
            ..Fault::default()
        };
        assert!(f.problem().unwrap().contains("42"));
    }
}
