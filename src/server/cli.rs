//! `kosync-contract serve`: run the fake sync server from the command line.
//!
//! The first line on stdout is the server's base URL alone, so a script (or a
//! test) that started it with `--bind 127.0.0.1:0` can learn the port; the
//! rest of the banner tells a person how to point KOReader or the BookLore
//! plugin at it. Bad arguments exit 2 with a message naming the problem.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{
    start, user_name_problem, BookPolicy, Defect, ServerConfig, UserSpec, DEFAULT_JOURNAL_BYTES,
    DEFAULT_JOURNAL_LIMIT, DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT,
};
use crate::exit::Outcome;
use crate::protocol::{self, routes, Dialect};

/// The user created when no `--user` is given.
pub const DEMO_USER: &str = "demo";
/// Its password.
pub const DEMO_PASSWORD: &str = "demo";

/// Arguments of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Which server to play: BookLore's /api/koreader or the reference kosync server.
    #[arg(long, default_value = "booklore", value_parser = parse_dialect)]
    pub dialect: Dialect,
    /// Address to listen on (port 0 picks a free port; 0.0.0.0 to reach it from an e-reader).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = parse_bind, value_name = "ADDR")]
    pub bind: SocketAddr,
    /// A user, as NAME:PASSWORD (repeatable). Without any, a demo user is created.
    #[arg(long = "user", value_parser = parse_user, value_name = "NAME:PASSWORD")]
    pub users: Vec<Credentials>,
    /// booklore dialect only: a user whose KOReader sync is switched off in
    /// BookLore, as NAME:PASSWORD (repeatable); its pulls and pushes get
    /// 401 (S-OFF-1). Pass it to `verify-server --disabled-user`.
    #[arg(long = "sync-off-user", value_parser = parse_user, value_name = "NAME:PASSWORD")]
    pub sync_off_users: Vec<Credentials>,
    /// Treat every well-formed document hash as a book in the library (the default).
    #[arg(long, conflicts_with = "books")]
    pub any_document: bool,
    /// The library: every regular file under DIR (recursively), hashed the way BookLore's scan does.
    #[arg(long, value_name = "DIR")]
    pub books: Option<PathBuf>,
    /// Keep progress in this SQLite file (created if missing) instead of in memory.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// kosync dialect only: refuse registration (402 code 2005).
    #[arg(long)]
    pub no_registration: bool,
    /// kosync dialect only: require `Accept: application/vnd.koreader.v1+json` (412 otherwise).
    #[arg(long)]
    pub strict_accept: bool,
    /// Most requests kept in the admin journal (oldest dropped).
    #[arg(long, default_value_t = DEFAULT_JOURNAL_LIMIT, value_parser = parse_journal_limit, value_name = "N")]
    pub journal_limit: usize,
    /// Most bytes the admin journal keeps (oldest dropped); large headers and bodies are kept truncated.
    #[arg(long, default_value_t = DEFAULT_JOURNAL_BYTES, value_parser = parse_journal_limit, value_name = "BYTES")]
    pub journal_bytes: usize,
    /// Seconds a client may take to send a request's body (408 then); headers have 30 s,
    /// and an idle kept-alive connection is closed after 30 s.
    #[arg(long, default_value_t = DEFAULT_READ_TIMEOUT.as_secs(), value_parser = parse_read_timeout, value_name = "SECONDS")]
    pub read_timeout: u64,
    /// Most connections served at once; more wait until one ends.
    /// [default: 512, or fewer when the open-file limit is low]
    #[arg(long, value_parser = parse_max_connections, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Require this token on the admin API (then it answers any address, not only loopback).
    #[arg(long, value_parser = parse_admin_token, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    /// Break one contract rule on purpose (for the harness's detection tests).
    #[arg(long, hide = true, value_parser = parse_defect, value_name = "NAME")]
    pub defect: Option<Defect>,
}

/// A `--user NAME:PASSWORD` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

fn parse_dialect(s: &str) -> Result<Dialect, String> {
    s.parse()
}

fn parse_defect(s: &str) -> Result<Defect, String> {
    s.parse()
}

fn parse_bind(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    if let Some(port) = s.strip_prefix("localhost:") {
        if let Ok(port) = port.parse::<u16>() {
            return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
        }
    }
    Err(format!(
        "{s:?} is not an address to listen on: expected IP:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080"
    ))
}

fn parse_user(s: &str) -> Result<Credentials, String> {
    match s.split_once(':') {
        Some((name, password)) if !name.is_empty() => match user_name_problem(name) {
            Some(problem) => Err(format!(
                "{s:?}: {problem}, so this user could never sign in"
            )),
            None => Ok(Credentials {
                name: name.to_owned(),
                password: password.to_owned(),
            }),
        },
        _ => Err(format!(
            "{s:?} is not NAME:PASSWORD (a non-empty name, a colon, then the password)"
        )),
    }
}

fn parse_admin_token(s: &str) -> Result<String, String> {
    match super::admin::token_problem(s) {
        Some(problem) => Err(format!(
            "{problem}; it would open the admin API to anyone, or to no one"
        )),
        None => Ok(s.to_owned()),
    }
}

fn parse_read_timeout(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if (1..=86_400).contains(&n) => Ok(n),
        _ => Err(format!(
            "{s:?} is not a read timeout: expected whole seconds from 1 to 86400"
        )),
    }
}

fn parse_max_connections(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{s:?} is not a connection count: expected a whole number ≥ 1"
        )),
    }
}

/// The connection cap when none is given: the default, lowered under a low
/// open-file limit so that accepting never runs out of descriptors (some stay
/// for the runtime, the store and the listener).
fn default_max_connections() -> usize {
    const RESERVED: usize = 32;
    match open_file_limit() {
        Some(limit) => limit
            .saturating_sub(RESERVED)
            .clamp(1, DEFAULT_MAX_CONNECTIONS),
        None => DEFAULT_MAX_CONNECTIONS,
    }
}

/// The soft limit on open files, where the system tells it (Linux's /proc).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn parse_journal_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{s:?} is not a journal size: expected a whole number ≥ 1"
        )),
    }
}

/// Hash every regular file under `dir`, recursively (symlinked directories are
/// not followed). Unreadable files are reported and skipped; an unreadable
/// `dir` is an error.
pub fn hash_library(dir: &Path) -> Result<(BTreeSet<String>, Vec<String>), String> {
    let mut books = BTreeSet::new();
    let mut warnings = Vec::new();
    let top = std::fs::read_dir(dir)
        .map_err(|err| format!("cannot read the books directory {}: {err}", dir.display()))?;
    let mut pending = vec![(dir.to_path_buf(), top)];
    while let Some((parent, entries)) = pending.pop() {
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    warnings.push(format!("skipped an entry of {}: {err}", parent.display()));
                    continue;
                }
            };
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                warnings.push(format!("skipped {}: cannot read its type", path.display()));
                continue;
            };
            let is_file = if kind.is_symlink() {
                std::fs::metadata(&path)
                    .map(|m| m.is_file())
                    .unwrap_or(false)
            } else {
                kind.is_file()
            };
            if kind.is_dir() {
                match std::fs::read_dir(&path) {
                    Ok(sub) => pending.push((path, sub)),
                    Err(err) => warnings.push(format!("skipped {}: {err}", path.display())),
                }
            } else if is_file {
                match protocol::hash::partial_md5_file(&path) {
                    Ok(hash) => {
                        books.insert(hash);
                    }
                    Err(err) => warnings.push(format!("skipped {}: {err}", path.display())),
                }
            }
        }
    }
    Ok((books, warnings))
}

fn fail(message: &str) -> Outcome {
    eprintln!("kosync-contract serve: {message}");
    Outcome::HarnessError
}

/// Run `serve` until Ctrl-C (or SIGTERM).
pub fn run(args: ServeArgs) -> Outcome {
    let mut config = ServerConfig::new(args.dialect);
    config.bind = args.bind;
    config.data = args.data.clone();
    config.registration = !args.no_registration;
    config.strict_accept = args.strict_accept;
    config.journal_limit = args.journal_limit;
    config.journal_bytes = args.journal_bytes;
    config.read_timeout = std::time::Duration::from_secs(args.read_timeout);
    config.max_connections = args.max_connections.unwrap_or_else(default_max_connections);
    config.admin_token = args.admin_token.clone();
    config.defect = args.defect;

    // A flag the chosen dialect has no use for is refused rather than ignored:
    // whoever passed it expects a behaviour they would not get.
    let misplaced = match args.dialect {
        Dialect::BookLore => [
            (args.no_registration, "--no-registration"),
            (args.strict_accept, "--strict-accept"),
        ]
        .into_iter()
        .find(|(given, _)| *given)
        .map(|(_, flag)| {
            format!("{flag} applies to the kosync dialect only (add --dialect kosync); BookLore never registers users and ignores Accept")
        }),
        Dialect::Kosync if !args.sync_off_users.is_empty() => Some(
            "--sync-off-user applies to the booklore dialect only: the reference kosync server has no per-user sync switch".to_owned(),
        ),
        Dialect::Kosync => args.books.as_ref().map(|_| {
            "--books applies to the booklore dialect only: the kosync dialect, like the reference server, has no library and accepts every document id".to_owned()
        }),
    };
    if let Some(message) = misplaced {
        return fail(&message);
    }

    let credentials = if args.users.is_empty() {
        vec![Credentials {
            name: DEMO_USER.into(),
            password: DEMO_PASSWORD.into(),
        }]
    } else {
        args.users.clone()
    };
    let mut names = std::collections::HashSet::new();
    if let Some(twice) = credentials
        .iter()
        .chain(&args.sync_off_users)
        .map(|c| c.name.as_str())
        .find(|name| !names.insert(*name))
    {
        return fail(&format!("the user {twice:?} is given twice"));
    }
    config.users = credentials
        .iter()
        .map(|c| UserSpec::with_password(&c.name, &c.password))
        .chain(args.sync_off_users.iter().map(|c| {
            let mut user = UserSpec::with_password(&c.name, &c.password);
            user.sync_enabled = false;
            user
        }))
        .collect();

    let library_line = match &args.books {
        _ if args.dialect == Dialect::Kosync => {
            "library: none (the kosync dialect, like the reference server, accepts every document id)".to_owned()
        }
        Some(dir) => match hash_library(dir) {
            Ok((books, warnings)) => {
                for warning in warnings {
                    eprintln!("kosync-contract serve: warning: {warning}");
                }
                let line = format!(
                    "library: {} book(s) hashed from {}",
                    books.len(),
                    dir.display()
                );
                config.books = BookPolicy::Known(books);
                line
            }
            Err(message) => return fail(&message),
        },
        None => "library: any well-formed document hash is a known book (--any-document; use --books DIR for a real library)".to_owned(),
    };

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the async runtime: {err}")),
    };
    runtime.block_on(async move {
        let server = match start(config).await {
            Ok(server) => server,
            Err(err) => return fail(&format!("{err:#}")),
        };
        let stop = stop_signal();
        let url = server.base_url();
        let mut banner = String::new();
        banner.push_str(&format!("{url}\n"));
        banner.push_str(&banner_text(&args, &url, &credentials, &library_line));
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(banner.as_bytes());
        let _ = stdout.flush();
        stop.await;
        server.shutdown().await;
        Outcome::SUCCESS
    })
}

fn banner_text(args: &ServeArgs, url: &str, users: &[Credentials], library: &str) -> String {
    let mut out = String::new();
    let dialect_line = match args.dialect {
        Dialect::BookLore => format!(
            "kosync-contract fake sync server, BookLore dialect (routes under {})",
            Dialect::BookLore.prefix()
        ),
        Dialect::Kosync => {
            "kosync-contract fake sync server, kosync dialect (the reference koreader-sync-server's routes)".to_owned()
        }
    };
    out.push_str(&format!("{dialect_line}\nlistening on {url}\n"));
    match &args.data {
        Some(path) => out.push_str(&format!("store: SQLite file {}\n", path.display())),
        None => out.push_str("store: in memory (lost on exit; --data FILE to keep it)\n"),
    }
    out.push_str(library);
    out.push('\n');
    out.push_str(&format!(
        "admin API: {url}{}/ ({})\n",
        routes::ADMIN,
        if args.admin_token.is_some() {
            "token required"
        } else {
            "loopback only"
        }
    ));
    if let Some(defect) = args.defect {
        out.push_str(&format!(
            "WARNING: defect {defect} is on: this server breaks {} on purpose\n",
            defect.breaks()
        ));
    }
    out.push_str("users:\n");
    let sync_off = "; KOReader sync switched off: pull and push answer 401";
    let listed = users
        .iter()
        .map(|u| (u, ""))
        .chain(args.sync_off_users.iter().map(|u| (u, sync_off)));
    for (user, note) in listed {
        out.push_str(&format!(
            "  {} / {}   (x-auth-key {}{note})\n",
            user.name,
            user.password,
            protocol::key_for_password(&user.password)
        ));
    }
    let Some(first) = users.first() else {
        return out;
    };
    out.push_str("point a client at it with these settings:\n");
    match args.dialect {
        Dialect::BookLore => {
            out.push_str(&format!(
                "  BookLore KOReader plugin:  Server URL: {url}   Username: {}   Password: {}\n",
                first.name, first.password
            ));
            out.push_str(&format!(
                "  KOReader Progress sync, Custom sync server: {url}{}   then Login: {} / {}\n",
                Dialect::BookLore.prefix(),
                first.name,
                first.password
            ));
        }
        Dialect::Kosync => {
            out.push_str(&format!(
                "  KOReader Progress sync, Custom sync server: {url}   then Login: {} / {}{}\n",
                first.name,
                first.password,
                if args.no_registration {
                    ""
                } else {
                    " (or Register a new user)"
                }
            ));
        }
    }
    if args.bind.ip().is_loopback() {
        out.push_str(
            "  (an e-reader on your network cannot reach 127.0.0.1: use --bind 0.0.0.0:PORT and this machine's address)\n",
        );
    }
    out.push_str("press Ctrl-C to stop\n");
    out
}

/// Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is created (before
/// the banner announces the server, so a stop sent right after it is not missed).
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_argument_splits_at_the_first_colon() {
        assert_eq!(
            parse_user("ann:pa:ss").unwrap(),
            Credentials {
                name: "ann".into(),
                password: "pa:ss".into()
            }
        );
        assert!(parse_user("nocolon").unwrap_err().contains("NAME:PASSWORD"));
        assert!(parse_user(":pw").is_err());
    }

    #[test]
    fn bind_argument_names_the_problem() {
        assert_eq!(
            parse_bind("127.0.0.1:0").unwrap(),
            SocketAddr::from(([127, 0, 0, 1], 0))
        );
        assert_eq!(parse_bind("localhost:9").unwrap().port(), 9);
        assert!(parse_bind("nowhere").unwrap_err().contains("nowhere"));
    }
}
