//! A client under test as a subprocess speaking the stdio adapter protocol.
//!
//! [`SubprocessDriver`] starts the adapter command once per session
//! ([`ClientDriver::start`]), writes one request line per event and waits for
//! the matching reply. Whatever the adapter does wrong — a line that is not
//! JSON, a reply to the wrong message, exiting, or staying silent past the
//! per-message timeout — ends in [`DriverError::Adapter`] quoting the last
//! lines of its stderr; the driver never hangs and never panics on its output.
//!
//! Start-up (spawn until `ready`) has its own, longer allowance than the other
//! messages ([`Timeouts`]): an interpreter loading its modules on a busy CI
//! machine is slow once, not on every event.
//!
//! The session speaks the version the adapter picked in `ready` (1 or 2) and
//! keeps the capabilities it declared; an event the client did not declare is
//! never written to it ([`DriverError::Harness`] instead, since the harness
//! should not have asked).
//!
//! Why a fresh process per session rather than a `reset` message: a client's
//! state lives in more places than its author remembers (module globals,
//! caches, settings files), and a reset that misses one makes failures depend
//! on scenario order. Starting a process costs milliseconds; isolation is free.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

use crate::adapter::protocol::{
    check_observed_effects, encode_request, Reply, ReplyBody, RequestBody, INIT_PROTOCOL_FIELD,
    MAX_LINE_BYTES, PROTOCOL_VERSIONS,
};
use crate::adapter::{
    Capabilities, Capability, ClientDriver, ClientIdentity, DriverError, DriverFuture, Observation,
};
use crate::model::{Event, QueueCounts, Settings};

/// How long the adapter may take to answer one message unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the adapter may take from being started to answering `init`
/// unless told otherwise: start-up loads an interpreter and the client's code.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the harness waits for the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From writing a message to its reply, `init` excepted.
    pub message: Duration,
    /// From starting the process to the reply to `init`.
    pub startup: Duration,
}

impl From<Duration> for Timeouts {
    /// `message` per message, and for start-up the longer of it and
    /// [`DEFAULT_STARTUP_TIMEOUT`].
    fn from(message: Duration) -> Timeouts {
        Timeouts {
            message,
            startup: message.max(DEFAULT_STARTUP_TIMEOUT),
        }
    }
}
/// How many of the adapter's last stderr lines an error quotes.
const STDERR_TAIL_LINES: usize = 20;
/// How long to wait for a failing adapter's last stderr lines and exit status.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// The adapter command line, split the way a shell would split a simple command:
/// leading `NAME=value` words set environment variables, then the program and
/// its arguments; single quotes, double quotes and backslashes work as in `sh`.
/// No shell runs, so killing the process kills the client itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterCommand {
    pub env: Vec<(String, String)>,
    pub program: String,
    pub args: Vec<String>,
    /// The command as given, for messages.
    pub line: String,
}

impl AdapterCommand {
    /// Parse `line` (e.g. `KOSYNC_MUTANT=no_debounce luajit fixtures/adapters/lua/adapter.lua`).
    pub fn parse(line: &str) -> Result<AdapterCommand, String> {
        let words = split_words(line)?;
        let mut env = Vec::new();
        let mut rest = words.into_iter().peekable();
        while let Some(word) = rest.peek() {
            match word.split_once('=') {
                Some((name, value)) if is_env_name(name) => {
                    env.push((name.to_string(), value.to_string()));
                    rest.next();
                }
                _ => break,
            }
        }
        let program = rest
            .next()
            .ok_or_else(|| format!("adapter command {line:?} names no program to run"))?;
        Ok(AdapterCommand {
            env,
            program,
            args: rest.collect(),
            line: line.to_string(),
        })
    }
}

fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed ' in adapter command {line:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unclosed \" in adapter command {line:?}")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("unclosed \" in adapter command {line:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err(format!("trailing \\ in adapter command {line:?}")),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Drives a client adapter subprocess over JSON lines (see the module docs).
pub struct SubprocessDriver {
    command: AdapterCommand,
    timeouts: Timeouts,
    session: Option<Session>,
}

/// One running adapter process.
struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    /// The protocol version the adapter picked in `ready` (1 until then).
    version: u32,
    /// What the client declared in `ready`.
    capabilities: Capabilities,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_task: Option<JoinHandle<()>>,
}

impl SubprocessDriver {
    /// A driver that will run `command` with these timeouts (a plain
    /// [`Duration`] is the per-message one, see [`Timeouts::from`]).
    pub fn new(command: AdapterCommand, timeouts: impl Into<Timeouts>) -> SubprocessDriver {
        SubprocessDriver {
            command,
            timeouts: timeouts.into(),
            session: None,
        }
    }

    /// A factory for the client World: each call gives a driver for a fresh process.
    pub fn factory(
        command: AdapterCommand,
        timeouts: impl Into<Timeouts>,
    ) -> impl Fn() -> Box<dyn ClientDriver> + Send + Sync + Clone + 'static {
        let timeouts = timeouts.into();
        move || Box::new(SubprocessDriver::new(command.clone(), timeouts)) as Box<dyn ClientDriver>
    }

    fn spawn(&self) -> Result<Session, DriverError> {
        let mut command = Command::new(&self.command.program);
        command
            .args(&self.command.args)
            .envs(
                self.command
                    .env
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|err| DriverError::Adapter {
            message: format!(
                "could not start adapter `{}`: {err} (is {:?} installed and on PATH?)",
                self.command.line, self.command.program
            ),
            stderr_tail: Vec::new(),
        })?;
        let missing = |what: &str| DriverError::Harness(format!("adapter {what} was not piped"));
        let stdin = child.stdin.take().ok_or_else(|| missing("stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| missing("stdout"))?;
        let stderr = child.stderr.take().ok_or_else(|| missing("stderr"))?;
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr_tail);
        let stderr_task = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match (&mut lines)
                    .take(MAX_LINE_BYTES as u64)
                    .read_until(b'\n', &mut buf)
                    .await
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                        if let Ok(mut tail) = tail.lock() {
                            if tail.len() == STDERR_TAIL_LINES {
                                tail.pop_front();
                            }
                            tail.push_back(line);
                        }
                    }
                }
            }
        });
        Ok(Session {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            next_id: 1,
            version: INIT_PROTOCOL_FIELD,
            capabilities: Capabilities::protocol_1(),
            stderr_tail,
            stderr_task: Some(stderr_task),
        })
    }

    /// Send `body` and wait for its reply, checking id and size. On any failure
    /// the process is killed and the session ends.
    async fn exchange(&mut self, body: RequestBody) -> Result<ReplyBody, DriverError> {
        let timeout = match body {
            RequestBody::Init { .. } => self.timeouts.startup,
            _ => self.timeouts.message,
        };
        let Some(session) = self.session.as_mut() else {
            return Err(DriverError::Harness(format!(
                "adapter `{}` is not running: start() was not called or an earlier error ended it",
                self.command.line
            )));
        };
        let result = session.exchange(body, timeout).await;
        match result {
            Ok(reply) => Ok(reply),
            Err(message) => {
                let session = self.session.take();
                Err(match session {
                    Some(session) => session.fail(message).await,
                    None => DriverError::Adapter {
                        message,
                        stderr_tail: Vec::new(),
                    },
                })
            }
        }
    }

    /// End the session over a reply that broke the protocol.
    async fn protocol_error(&mut self, message: String) -> DriverError {
        match self.session.take() {
            Some(session) => session.fail(message).await,
            None => DriverError::Adapter {
                message,
                stderr_tail: Vec::new(),
            },
        }
    }
}

impl Session {
    async fn exchange(
        &mut self,
        body: RequestBody,
        timeout: Duration,
    ) -> Result<ReplyBody, String> {
        let id = self.next_id;
        self.next_id += 1;
        let kind = body.type_name();
        let line = encode_request(id, body, self.version)
            .map_err(|err| format!("could not encode message {id} ({kind}): {err}"))?;
        let write = async {
            self.stdin.write_all(line.as_bytes()).await?;
            self.stdin.flush().await
        };
        match tokio::time::timeout(timeout, write).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                return Err(format!(
                    "could not write message {id} ({kind}) to the adapter: {err}{}",
                    self.exit_note()
                ))
            }
            Err(_) => {
                return Err(format!(
                    "the adapter did not read message {id} ({kind}) within {} ms",
                    timeout.as_millis()
                ))
            }
        }
        let flag = if kind == "init" {
            "--adapter-startup-timeout-ms"
        } else {
            "--adapter-timeout-ms"
        };
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let mut limited = (&mut self.stdout).take(MAX_LINE_BYTES as u64 + 1);
            let read = limited.read_until(b'\n', &mut buf);
            match tokio::time::timeout(timeout, read).await {
                Err(_) => {
                    return Err(format!(
                        "the adapter was silent for {} ms after message {id} ({kind}); \
                         it must answer every message (raise {flag} if it is just slow)",
                        timeout.as_millis()
                    ))
                }
                Ok(Err(err)) => {
                    return Err(format!(
                        "could not read the reply to message {id} ({kind}): {err}"
                    ))
                }
                Ok(Ok(0)) => {
                    return Err(format!(
                        "the adapter closed its stdout before replying to message {id} ({kind}){}",
                        self.exit_note()
                    ))
                }
                Ok(Ok(n)) if n > MAX_LINE_BYTES => {
                    return Err(format!(
                        "the adapter wrote a line longer than {MAX_LINE_BYTES} bytes \
                         in reply to message {id} ({kind})"
                    ))
                }
                Ok(Ok(_)) => {}
            }
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let reply: Reply = serde_json::from_str(text).map_err(|err| {
                format!(
                    "the adapter's reply to message {id} ({kind}) is not a protocol message \
                     ({err}): {}  (logs belong on stderr, stdout carries only JSON lines)",
                    clip(text)
                )
            })?;
            if reply.in_reply_to != id {
                return Err(format!(
                    "out-of-order reply: expected in_reply_to {id} (message {kind}), got \
                     in_reply_to {}: {}",
                    reply.in_reply_to,
                    clip(text)
                ));
            }
            return Ok(reply.body);
        }
    }

    /// " (it exited with …)" when the process has exited, after a short grace.
    fn exit_note(&mut self) -> String {
        match self.child.try_wait() {
            Ok(Some(status)) => format!(" (it exited: {status})"),
            _ => String::new(),
        }
    }

    /// End the process and build the error, with the last stderr lines.
    async fn fail(mut self, message: String) -> DriverError {
        // A crashed adapter may still be flushing stderr: give it a moment.
        let status = tokio::time::timeout(DRAIN_GRACE, self.child.wait()).await;
        let mut message = message;
        match status {
            Ok(Ok(status)) => {
                if !message.contains("exited") {
                    message.push_str(&format!(" (it exited: {status})"));
                }
            }
            _ => {
                let _ = self.child.start_kill();
                let _ = tokio::time::timeout(DRAIN_GRACE, self.child.wait()).await;
            }
        }
        if let Some(task) = self.stderr_task.take() {
            if tokio::time::timeout(DRAIN_GRACE, task).await.is_err() {
                // A grandchild may hold stderr open; quote what arrived.
            }
        }
        DriverError::Adapter {
            message,
            stderr_tail: self.tail(),
        }
    }

    fn tail(&self) -> Vec<String> {
        self.stderr_tail
            .lock()
            .map(|tail| tail.iter().cloned().collect())
            .unwrap_or_default()
    }
}

fn clip(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return format!("{text:?}");
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}…", &text[..end])
}

impl ClientDriver for SubprocessDriver {
    fn start<'a>(
        &'a mut self,
        identity: &'a ClientIdentity,
        settings: &'a Settings,
    ) -> DriverFuture<'a, Capabilities> {
        Box::pin(async move {
            if let Some(old) = self.session.take() {
                let mut old = old;
                let _ = old.child.start_kill();
            }
            self.session = Some(self.spawn()?);
            let reply = self
                .exchange(RequestBody::Init {
                    protocol: INIT_PROTOCOL_FIELD,
                    versions: PROTOCOL_VERSIONS.to_vec(),
                    identity: identity.clone(),
                    settings: settings.clone(),
                })
                .await?;
            let (protocol, declared) = match reply {
                ReplyBody::Ready {
                    protocol,
                    capabilities,
                    ..
                } => (protocol, capabilities),
                other => {
                    return Err(self
                        .protocol_error(unexpected("init", "ready", &other))
                        .await)
                }
            };
            let capabilities = match (protocol, declared) {
                (1, None) => Capabilities::protocol_1(),
                (1, Some(_)) => {
                    return Err(self
                        .protocol_error(
                            "the adapter answered init with protocol 1 and `capabilities`: \
                             capabilities are declared in protocol 2 (answer `\"protocol\": 2`)"
                                .to_string(),
                        )
                        .await)
                }
                (2, Some(capabilities)) => capabilities,
                (2, None) => {
                    return Err(self
                        .protocol_error(
                            "the adapter answered init with protocol 2 but no `capabilities`: \
                             protocol 2 declares them in `ready` (an empty list is allowed)"
                                .to_string(),
                        )
                        .await)
                }
                (other, _) => {
                    return Err(self
                        .protocol_error(format!(
                            "the adapter speaks protocol {other}; this harness speaks {}",
                            PROTOCOL_VERSIONS
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ))
                        .await)
                }
            };
            if let Some(session) = self.session.as_mut() {
                session.version = protocol;
                session.capabilities = capabilities;
            }
            Ok(capabilities)
        })
    }

    fn send<'a>(&'a mut self, event: &'a Event) -> DriverFuture<'a, Observation> {
        Box::pin(async move {
            let Some(body) = RequestBody::from_event(event) else {
                return Err(DriverError::Harness(
                    "http_completed is not sent to an adapter: the client does its own HTTP"
                        .to_string(),
                ));
            };
            let kind = body.type_name();
            let (version, keeps_counts) = match &self.session {
                Some(session) => {
                    if !session.capabilities.allow_event(event) {
                        // Never written: the client said it cannot do this.
                        return Err(DriverError::Harness(format!(
                            "the harness tried to send `{kind}` to a client that does not \
                             declare {} (it declares: {})",
                            Capability::for_event(event).map_or("it", Capability::name),
                            session.capabilities.list()
                        )));
                    }
                    let caps = &session.capabilities;
                    (
                        session.version,
                        caps.has(Capability::PendingCount) || caps.has(Capability::SyncedCount),
                    )
                }
                None => (INIT_PROTOCOL_FIELD, true),
            };
            match self.exchange(body).await? {
                ReplyBody::Observed {
                    effects,
                    queue,
                    summary,
                } => {
                    // A wrong summary is the client breaking C-Q-4, which the
                    // features report as a rule failure: pass it through as is.
                    let queue = match queue {
                        Some(queue) => queue,
                        None if version >= 2 && !keeps_counts => QueueCounts::default(),
                        None => {
                            let why = if version >= 2 {
                                "the client declares pending_count or synced_count"
                            } else {
                                "protocol 1 requires it"
                            };
                            return Err(self
                                .protocol_error(format!(
                                    "the adapter's `observed` reply to {kind} has no `queue` ({why})"
                                ))
                                .await);
                        }
                    };
                    match check_observed_effects(&effects) {
                        Err(message) => Err(self.protocol_error(message).await),
                        Ok(()) => Ok(Observation {
                            effects,
                            queue,
                            summary,
                        }),
                    }
                }
                other => Err(self
                    .protocol_error(unexpected(kind, "observed", &other))
                    .await),
            }
        })
    }

    fn stop(&mut self) -> DriverFuture<'_, ()> {
        Box::pin(async move {
            if self.session.is_none() {
                return Ok(());
            }
            let reply = self.exchange(RequestBody::Shutdown).await?;
            let timeout = self.timeouts.message;
            let Some(mut session) = self.session.take() else {
                return Ok(());
            };
            if !matches!(reply, ReplyBody::Bye) {
                return Err(session.fail(unexpected("shutdown", "bye", &reply)).await);
            }
            drop(session.stdin);
            if tokio::time::timeout(timeout, session.child.wait())
                .await
                .is_err()
            {
                let _ = session.child.start_kill();
            }
            Ok(())
        })
    }
}

fn unexpected(sent: &str, expected: &str, got: &ReplyBody) -> String {
    match got {
        ReplyBody::Error { message } => {
            format!("the adapter answered {sent} with an error: {message}")
        }
        other => format!(
            "the adapter answered {sent} with `{}`; expected `{expected}`",
            other.type_name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell() {
        let cmd = AdapterCommand::parse(
            "KOSYNC_MUTANT=no_debounce luajit 'fixtures/my dir/adapter.lua' --x \"a b\" c\\ d",
        )
        .unwrap();
        assert_eq!(
            cmd.env,
            vec![("KOSYNC_MUTANT".to_string(), "no_debounce".to_string())]
        );
        assert_eq!(cmd.program, "luajit");
        assert_eq!(
            cmd.args,
            vec!["fixtures/my dir/adapter.lua", "--x", "a b", "c d"]
        );
    }

    #[test]
    fn bad_command_lines_are_refused_with_a_reason() {
        assert!(AdapterCommand::parse("   ")
            .unwrap_err()
            .contains("no program"));
        assert!(AdapterCommand::parse("A=1")
            .unwrap_err()
            .contains("no program"));
        assert!(AdapterCommand::parse("luajit 'x")
            .unwrap_err()
            .contains("unclosed"));
        // `=` after a non-name is an argument, not an assignment.
        let cmd = AdapterCommand::parse("prog --opt=1").unwrap();
        assert_eq!(cmd.args, vec!["--opt=1"]);
    }
}
