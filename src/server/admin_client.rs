//! A Rust client of the fake server's admin API, for the harness and tests.
//!
//! Every method is one HTTP call; a non-2xx answer is an error carrying the
//! status and the server's message, so a failing setup step says why.

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::{json, Value};

use super::{Fault, JournalEntry, UserSpec};
use crate::protocol::routes;

/// Talks to `/__admin/…` of one server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminClient {
    base_url: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl AdminClient {
    /// `base_url` as `http://HOST:PORT` (a trailing slash is tolerated).
    pub fn new(base_url: impl AsRef<str>, token: Option<String>) -> Self {
        AdminClient {
            base_url: base_url.as_ref().trim_end_matches('/').to_owned(),
            token,
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        route: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{}{route}", self.base_url, routes::ADMIN);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("admin request {method} {url} failed"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("reading the answer to {method} {url}"))?;
        if !status.is_success() {
            bail!("admin request {method} {url} answered {status}: {text}");
        }
        serde_json::from_str(&text)
            .with_context(|| format!("admin answer to {method} {url} is not JSON: {text}"))
    }

    /// Every request the server has seen since the last reset, oldest first.
    pub async fn journal(&self) -> anyhow::Result<Vec<JournalEntry>> {
        let value = self
            .call(reqwest::Method::GET, "/journal", None::<&Value>)
            .await?;
        serde_json::from_value(value).context("the journal has an unexpected shape")
    }

    /// Empty the store, the journal and the faults; users and books stay.
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "/reset", None::<&Value>)
            .await
            .map(drop)
    }

    pub async fn add_fault(&self, fault: &Fault) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "/faults", Some(fault))
            .await
            .map(drop)
    }

    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        self.call(reqwest::Method::DELETE, "/faults", None::<&Value>)
            .await
            .map(drop)
    }

    /// The base URL this client talks to (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The active faults, in the order they apply.
    pub async fn faults(&self) -> anyhow::Result<Vec<Fault>> {
        let value = self
            .call(reqwest::Method::GET, "/faults", None::<&Value>)
            .await?;
        serde_json::from_value(value).context("the fault list has an unexpected shape")
    }

    /// The server clock now, seconds since the Unix epoch.
    pub async fn clock(&self) -> anyhow::Result<i64> {
        let value = self
            .call(reqwest::Method::GET, "/clock", None::<&Value>)
            .await?;
        now_of(&value)
    }

    /// Freeze the server clock at `seconds`.
    pub async fn set_clock(&self, seconds: i64) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            "/clock",
            Some(&json!({ "set": seconds })),
        )
        .await
        .map(drop)
    }

    /// Move the server clock by `seconds`.
    pub async fn advance_clock(&self, seconds: i64) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            "/clock",
            Some(&json!({ "advance": seconds })),
        )
        .await
        .map(drop)
    }

    /// Return the server clock to wall time.
    pub async fn real_clock(&self) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            "/clock",
            Some(&json!({ "real": true })),
        )
        .await
        .map(drop)
    }

    /// Add (or replace) a user.
    pub async fn add_user(&self, user: &UserSpec) -> anyhow::Result<()> {
        let body = json!({ "name": user.name, "key": user.key, "sync_enabled": user.sync_enabled });
        self.call(reqwest::Method::POST, "/users", Some(&body))
            .await
            .map(drop)
    }

    /// Add a book (a document hash) to the library.
    pub async fn add_book(&self, document: &str) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            "/books",
            Some(&json!({ "document": document })),
        )
        .await
        .map(drop)
    }
}

fn now_of(value: &Value) -> anyhow::Result<i64> {
    value
        .get("now")
        .and_then(Value::as_i64)
        .with_context(|| format!("the clock answer has no integer \"now\": {value}"))
}
