//! Request and response bodies of both dialects.

use serde::{Deserialize, Serialize};

/// The body of `PUT …/syncs/progress` as a client sends it (rule C-WIRE-2).
///
/// Fields are typed loosely on purpose where servers must tolerate clients:
/// the fake server validates a raw `serde_json::Value` itself so it can answer
/// 400 with a precise message instead of a generic decode error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressPush {
    pub document: String,
    pub percentage: f64,
    pub progress: String,
    /// BookLore's plugin sends it; KOReader's own client does not. Servers ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    pub device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

/// What a pull answers with when progress exists (rule S-PULL-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressRecord {
    pub document: String,
    pub percentage: f64,
    pub progress: String,
    /// Server time of the accepted push, whole seconds since the Unix epoch.
    pub timestamp: i64,
    pub device: String,
    pub device_id: String,
}

/// kosync dialect: answer to a successful push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KosyncPushAck {
    pub document: String,
    pub timestamp: i64,
}

/// kosync dialect: error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KosyncError {
    pub code: u16,
    pub message: String,
}

/// BookLore dialect: error body (Spring's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookLoreError {
    pub status: u16,
    pub message: String,
    pub timestamp: String,
}

/// kosync dialect: registration body. `password` is already the MD5 key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUser {
    pub username: String,
    pub password: String,
}
