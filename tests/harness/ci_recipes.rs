//! The GitHub Actions workflows of `docs/ci.md`, run as GitHub would run them,
//! so the recipes people copy cannot rot.
//!
//! Each workflow is parsed (YAML), its jobs taken in order, and each step run:
//! a `run:` step by `bash -eo pipefail` (GitHub's default shell) in a stand-in
//! checkout with the workflow's, job's and step's `env:`; a `uses:` step by a
//! stand-in for that action (checkout: the stand-in checkout is already there;
//! upload-artifact: every listed file must exist; pages: the site must have
//! an `index.html`). An action or an `if:` this file does not know fails the
//! test, so a new recipe step needs a stand-in here first.
//!
//! Stand-in commands come first on PATH: `sudo` runs its arguments, `apt-get`
//! checks that what it is asked to install is really on this machine (the
//! plugin recipe's Lua client must run for real), `cargo install` checks its
//! arguments and puts the `kosync-contract` under test on PATH. Nothing else is
//! faked: the recipes run the real binary against the real Lua example client
//! and the built-in fake server (as the "server under test").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use yaml_rust2::{Yaml, YamlLoader};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each ```yaml block of docs/ci.md with the `##` heading it sits under.
fn recipes() -> Vec<(String, Yaml)> {
    let text = std::fs::read_to_string(root().join("docs/ci.md")).expect("docs/ci.md is readable");
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        if let Some(body) = &mut block {
            if line.trim_start().starts_with("```") {
                let docs = YamlLoader::load_from_str(body)
                    .unwrap_or_else(|e| panic!("the workflow under {heading:?} is not YAML: {e}"));
                let doc = docs.into_iter().next().expect("one YAML document");
                out.push((heading.clone(), doc));
                block = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if let Some(h) = line.strip_prefix("## ") {
            heading = h.trim().to_string();
        } else if line.trim() == "```yaml" {
            block = Some(String::new());
        }
    }
    out
}

fn recipe(heading: &str) -> Yaml {
    recipes()
        .into_iter()
        .find(|(h, _)| h == heading)
        .map(|(_, y)| y)
        .unwrap_or_else(|| panic!("docs/ci.md has no workflow under \"## {heading}\""))
}

/// A YAML scalar as the text GitHub would substitute (`6060` → "6060").
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn env_of(y: &Yaml) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    if let Some(map) = y["env"].as_hash() {
        for (k, v) in map {
            if let (Some(k), Some(v)) = (k.as_str(), scalar(v)) {
                env.insert(k.to_string(), v);
            }
        }
    }
    env
}

/// A stand-in machine: a checkout, stand-in commands, a place `cargo install` puts binaries.
struct Runner {
    _work: tempfile::TempDir,
    checkout: PathBuf,
    standins: PathBuf,
    cargo_bin: PathBuf,
    /// Variables the test sets over the workflow's (a free port, say).
    overrides: BTreeMap<String, String>,
    /// Artifacts uploaded so far (pages included), for the deploy stand-in.
    pages: Option<PathBuf>,
    log: Vec<String>,
}

impl Runner {
    fn new() -> Runner {
        let work = tempfile::tempdir().expect("temp dir");
        let checkout = work.path().join("checkout");
        let standins = work.path().join("standins");
        let cargo_bin = work.path().join("cargo-bin");
        for dir in [&checkout, &standins, &cargo_bin] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        let write = |name: &str, script: String| {
            let path = standins.join(name);
            std::fs::write(&path, script).expect("write stand-in");
            make_executable(&path);
        };
        write("sudo", "#!/bin/sh\nexec \"$@\"\n".to_string());
        // apt-get: `update` is a no-op; `install` only passes when each
        // package is really here, since the steps after it use them for real.
        write(
            "apt-get",
            r#"#!/bin/bash
set -u
[ "${1:-}" = update ] && exit 0
[ "${1:-}" = install ] || { echo "stand-in apt-get: only update and install: $*" >&2; exit 2; }
shift
for pkg in "$@"; do
  case "$pkg" in
    -y|-q|--yes|--quiet) ;;
    luajit) luajit -v >/dev/null 2>&1 || { echo "stand-in apt-get: luajit is not installed here" >&2; exit 1; } ;;
    lua-socket) luajit -e "require('socket.http')" 2>/dev/null || { echo "stand-in apt-get: lua-socket is not installed here" >&2; exit 1; } ;;
    lua-cjson) luajit -e "require('cjson')" 2>/dev/null || { echo "stand-in apt-get: lua-cjson is not installed here" >&2; exit 1; } ;;
    *) echo "stand-in apt-get: no stand-in for package $pkg" >&2; exit 2 ;;
  esac
done
"#
            .to_string(),
        );
        // cargo install: the forms docs/ci.md may use; the binary under test lands on PATH.
        write(
            "cargo",
            format!(
                r#"#!/bin/bash
set -u
[ "${{1:-}}" = install ] || {{ echo "stand-in cargo: only install: $*" >&2; exit 2; }}
shift
args=" $* "
case "$args" in *" --locked "*) ;; *) echo "stand-in cargo: install without --locked: $*" >&2; exit 2 ;; esac
case "$args" in
  *" --path . "*) grep -q '^name = "kosync-contract"' Cargo.toml || {{ echo "stand-in cargo: . is not kosync-contract" >&2; exit 2; }} ;;
  *" kosync-contract "*) ;;
  *) echo "stand-in cargo: installs what? $*" >&2; exit 2 ;;
esac
ln -sf '{bin}' '{cargo_bin}/kosync-contract'
echo "stand-in cargo: installed kosync-contract"
"#,
                bin = env!("CARGO_BIN_EXE_kosync-contract"),
                cargo_bin = cargo_bin.display()
            ),
        );
        Runner {
            _work: work,
            checkout,
            standins,
            cargo_bin,
            overrides: BTreeMap::new(),
            pages: None,
            log: Vec::new(),
        }
    }

    /// PATH for a step: stand-ins, then where `cargo install` puts binaries,
    /// then this machine's PATH without any folder holding a `kosync-contract`
    /// (a recipe that forgets to install it must fail here too).
    fn path(&self) -> String {
        let system = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.standins.clone(), self.cargo_bin.clone()];
        dirs.extend(std::env::split_paths(&system).filter(|d| !d.join("kosync-contract").exists()));
        std::env::join_paths(dirs)
            .expect("PATH joins")
            .to_string_lossy()
            .into_owned()
    }

    /// Run every job of `workflow` in order (`needs:` must name earlier jobs).
    fn run(&mut self, workflow: &Yaml) {
        let jobs = workflow["jobs"].as_hash().expect("the workflow has jobs");
        let mut done: Vec<String> = Vec::new();
        for (name, job) in jobs {
            let name = name.as_str().expect("job name").to_string();
            let needs: Vec<String> = match &job["needs"] {
                Yaml::String(s) => vec![s.clone()],
                Yaml::Array(a) => a
                    .iter()
                    .filter_map(|n| n.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            for need in &needs {
                assert!(
                    done.contains(need),
                    "job {name} needs {need}, which does not come before it"
                );
            }
            let runs_on = job["runs-on"].as_str().unwrap_or("");
            assert!(
                runs_on.starts_with("ubuntu-"),
                "job {name} runs on {runs_on:?}: the recipes are for Ubuntu runners"
            );
            let mut env = env_of(workflow);
            env.extend(env_of(job));
            self.run_job(&name, job, &env);
            done.push(name);
        }
    }

    fn run_job(&mut self, job_name: &str, job: &Yaml, env: &BTreeMap<String, String>) {
        let steps = job["steps"].as_vec().expect("the job has steps");
        let mut failed: Option<String> = None;
        for (i, step) in steps.iter().enumerate() {
            let label = step["name"]
                .as_str()
                .or_else(|| step["uses"].as_str())
                .unwrap_or("(unnamed)")
                .to_string();
            let always = match step["if"].as_str() {
                None => false,
                Some("always()") => true,
                Some(other) => panic!("step {label:?}: no stand-in evaluates `if: {other}`"),
            };
            if failed.is_some() && !always {
                continue;
            }
            let mut step_env = env.clone();
            step_env.extend(env_of(step));
            step_env.extend(self.overrides.clone());
            let result = if let Some(script) = step["run"].as_str() {
                if let Some(shell) = step["shell"].as_str() {
                    assert_eq!(shell, "bash", "step {label:?}: only bash is stood in");
                }
                self.run_script(&label, script, &step_env)
            } else if let Some(action) = step["uses"].as_str() {
                self.use_action(action, step)
            } else {
                panic!("step {label:?} of job {job_name} has neither run: nor uses:");
            };
            self.log
                .push(format!("{job_name} step {}: {label}: {:?}", i + 1, result));
            if let Err(err) = result {
                failed.get_or_insert(format!("job {job_name}, step {:?}: {err}", label));
            }
        }
        if let Some(err) = failed {
            panic!("{err}\n\nsteps:\n{}", self.log.join("\n"));
        }
    }

    fn run_script(
        &self,
        label: &str,
        script: &str,
        env: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        assert!(
            !script.contains("${{"),
            "step {label:?}: a `${{{{ … }}}}` expression in run: has no stand-in; use an env: variable"
        );
        let mut child = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&self.checkout)
            .envs(env)
            .env("PATH", self.path())
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", &self.checkout)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start bash: {e}"))?;
        // Read both pipes on threads so a chatty step cannot block on a full pipe.
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut out, &mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut s);
            s
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait().map_err(|e| e.to_string())? {
                Some(status) => break status,
                None if started.elapsed() > Duration::from_secs(300) => {
                    let _ = child.kill();
                    return Err("still running after 300 s".to_string());
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        // The step is over when bash is, as on GitHub; a server it left in
        // the background may still hold the pipes, so wait for them briefly.
        let settled = Instant::now();
        while !(out_reader.is_finished() && err_reader.is_finished())
            && settled.elapsed() < Duration::from_secs(2)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let collect = |reader: std::thread::JoinHandle<String>| {
            if reader.is_finished() {
                reader.join().unwrap_or_default()
            } else {
                "(still held open by a background process)".to_string()
            }
        };
        let stdout = collect(out_reader);
        let stderr = collect(err_reader);
        if status.success() {
            Ok(())
        } else {
            Err(format!("{status}\nstdout:\n{stdout}\nstderr:\n{stderr}"))
        }
    }

    fn use_action(&mut self, action: &str, step: &Yaml) -> Result<(), String> {
        let (name, version) = action
            .split_once('@')
            .ok_or_else(|| format!("{action}: no version"))?;
        assert!(
            version.starts_with('v'),
            "{action}: pin a major version (@v4)"
        );
        match name {
            // The stand-in checkout is laid out before the workflow runs.
            "actions/checkout" => Ok(()),
            "actions/upload-artifact" => {
                let paths = step["with"]["path"]
                    .as_str()
                    .ok_or("upload-artifact without path")?;
                let missing: Vec<&str> = paths
                    .lines()
                    .map(str::trim)
                    .filter(|p| !p.is_empty() && !self.checkout.join(p).exists())
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("nothing to upload at {missing:?}"))
                }
            }
            "actions/upload-pages-artifact" => {
                let path = step["with"]["path"]
                    .as_str()
                    .ok_or("upload-pages-artifact without path")?;
                let site = self.checkout.join(path);
                if site.join("index.html").is_file() {
                    self.pages = Some(site);
                    Ok(())
                } else {
                    Err(format!("{path}/index.html does not exist"))
                }
            }
            "actions/deploy-pages" => match &self.pages {
                Some(_) => Ok(()),
                None => Err("no pages artifact was uploaded before deploying".to_string()),
            },
            other => {
                panic!("no stand-in for the action {other}: add one to tests/harness/ci_recipes.rs")
            }
        }
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

fn json_report(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("the report is JSON")
}

#[test]
fn docs_ci_md_has_the_three_recipes_and_nothing_untested() {
    let headings: Vec<String> = recipes().into_iter().map(|(h, _)| h).collect();
    assert_eq!(
        headings,
        [
            "A KOReader plugin repository",
            "A sync server repository",
            "A site that publishes the spec"
        ],
        "every workflow in docs/ci.md needs a test here"
    );
}

#[test]
#[ignore = "needs luajit, lua-socket, lua-cjson: apt-get install luajit lua-socket lua-cjson"]
fn the_plugin_recipe_verifies_the_lua_example_client() {
    let mut runner = Runner::new();
    // The plugin's repository: the Lua example client with its adapter where the recipe expects it.
    copy_dir(
        &root().join("fixtures/adapters/lua"),
        &runner.checkout.join("spec/contract"),
    );
    runner.run(&recipe("A KOReader plugin repository"));
    let report = json_report(&runner.checkout.join("kosync-contract.json"));
    assert_eq!(report["exit_code"], 0, "{report}");
    assert!(
        report["summary"]["passed"].as_u64().unwrap_or(0) > 50,
        "{report}"
    );
    let junit = std::fs::read_to_string(runner.checkout.join("kosync-contract.xml"))
        .expect("JUnit written");
    assert!(junit.contains("<testcase"), "{junit}");
}

/// A free loopback port for the recipe's server (the recipe's 6060 may be
/// taken). Below Linux's ephemeral range (32768 and up), so no other test's
/// `bind(…:0)` can be handed the same port between this check and the
/// server's own bind.
fn free_port() -> u16 {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (start..32_000)
        .chain(20_000..start)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port below 32000")
}

#[test]
fn the_server_recipe_verifies_a_server_started_in_the_background() {
    let mut runner = Runner::new();
    let port = free_port();
    runner
        .overrides
        .insert("SYNC_PORT".into(), port.to_string());
    // The server's repository: a start script (here the built-in fake server
    // with the recipe's users and library) and the library's books.
    let library = runner.checkout.join("test-library");
    std::fs::create_dir_all(&library).expect("mkdir");
    for (n, name) in ["book.epub", "second.epub", "third.epub"]
        .iter()
        .enumerate()
    {
        let book: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(n as u32) >> 13) as u8)
            .collect();
        std::fs::write(library.join(name), book).expect("write book");
    }
    let pid_file = runner.checkout.join("../server.pid");
    let script = format!(
        "#!/bin/sh\necho $$ > '{pid}'\nexec '{bin}' serve --bind \"127.0.0.1:$SYNC_PORT\" --user ci:ci --user ci2:ci2 --sync-off-user ci3:ci3 --books test-library\n",
        pid = pid_file.display(),
        bin = env!("CARGO_BIN_EXE_kosync-contract"),
    );
    std::fs::create_dir_all(runner.checkout.join("scripts")).expect("mkdir");
    let start = runner.checkout.join("scripts/start-test-server");
    std::fs::write(&start, script).expect("write start script");
    make_executable(&start);

    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner.run(&recipe("A sync server repository"));
    }));
    // Stop the server the recipe left running (GitHub ends the job's processes).
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        let _ = Command::new("sh")
            .args(["-c", &format!("kill {}", pid.trim())])
            .status();
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    let report = json_report(&runner.checkout.join("kosync-contract.json"));
    assert_eq!(report["exit_code"], 0, "{report}");
    assert_eq!(report["target"], format!("http://127.0.0.1:{port}"));
    // With --document, a second user and a sync-off user nothing is skipped
    // for want of them (so exit 0 came without --allow-skips).
    let skipped: Vec<&serde_json::Value> = report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"] == "skipped")
        .filter(|r| {
            r["reason"].as_str().is_some_and(|s| {
                ["--document", "--second-user", "--disabled-user"]
                    .iter()
                    .any(|flag| s.contains(flag))
            })
        })
        .collect();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert!(runner.checkout.join("server.log").is_file());
}

#[test]
fn the_docs_recipe_checks_renders_and_publishes_the_spec() {
    let mut runner = Runner::new();
    // This repository's checkout, as far as the recipe reads it.
    copy_dir(&root().join("features"), &runner.checkout.join("features"));
    std::fs::copy(
        root().join("Cargo.toml"),
        runner.checkout.join("Cargo.toml"),
    )
    .expect("copy Cargo.toml");
    runner.run(&recipe("A site that publishes the spec"));
    let html =
        std::fs::read_to_string(runner.checkout.join("site/index.html")).expect("site rendered");
    assert!(
        html.contains("conformant"),
        "the results column is on the page"
    );
    assert!(runner.pages.is_some());
}

#[test]
fn a_broken_recipe_fails_here() {
    // The stand-ins are strict: a recipe that forgets to install the tool, or
    // runs a command that fails, does not pass.
    let workflow = YamlLoader::load_from_str(
        "jobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: kosync-contract --version\n",
    )
    .expect("yaml")
    .remove(0);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Runner::new().run(&workflow)
    }));
    let message = outcome
        .expect_err("kosync-contract is not installed in that workflow")
        .downcast::<String>()
        .map(|s| *s)
        .unwrap_or_default();
    assert!(message.contains("command not found"), "{message}");
}
