//! The steps of `features/server/*.feature`, phrased in the domain's words.
//! Each step does one thing; a `Then` fails with what the rule expected and
//! what came back (the world adds the `curl` line).

use cucumber::{given, then, when};
use serde_json::{json, Value};

use super::world::{has_progress, AcceptOverride, ServerWorld, Signing, BUILT_IN_DISABLED_USER};
use crate::contract::runner::{fail, harness_fault, skip};
use crate::protocol::{same_percentage, CreateUser, Dialect, ProgressPush};
use crate::server::UserSpec;
use crate::sync_client::Credentials;

fn parse_number(s: &str) -> f64 {
    match s.parse::<f64>() {
        Ok(v) => v,
        Err(_) => harness_fault(format!("the step's number {s:?} does not parse")),
    }
}

/// The dialect's "no progress" answer: BookLore's 404, or the reference's 200
/// with an object that carries no percentage (KOReader reads it that way).
fn is_no_progress(dialect: Dialect, status: Option<u16>, body: Option<&Value>) -> bool {
    match dialect {
        Dialect::BookLore => status == Some(404),
        Dialect::Kosync => {
            status == Some(200)
                && body.is_some_and(|b| {
                    b.is_object() && b.get("percentage").is_none_or(Value::is_null)
                })
        }
    }
}

fn no_progress_expected(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::BookLore => "status 404 (no progress for this user)",
        Dialect::Kosync => {
            "status 200 with an object without a percentage (no progress for this user)"
        }
    }
}

impl ServerWorld {
    async fn push_labelled(
        &mut self,
        who: &str,
        label: &str,
        pct: f64,
        progress: &str,
    ) -> ProgressPush {
        let push = self.harness_push(&self.book(label), pct, progress);
        let signing = self.signing;
        self.push_as(who, &push, signing).await;
        push
    }

    /// Pull with proper credentials and check the stored position. `within`
    /// is a relative tolerance for the percentage (0 for wire equality).
    async fn check_reads(
        &mut self,
        who: &str,
        label: &str,
        percentage: f64,
        progress: Option<&str>,
        within: f64,
    ) {
        let ex = self.pull_as(who, label, Signing::Proper).await;
        let expected = match progress {
            Some(p) => format!("status 200 with percentage {percentage} and progress {p:?}"),
            None => format!(
                "status 200 with percentage {percentage} (relative error at most {within:e})"
            ),
        };
        let Some(body) = ex.json().filter(|_| ex.status == Some(200)) else {
            fail(expected, ex.answer());
        };
        // Wire equality (`protocol::same_percentage`), or a relative
        // tolerance for the precision rule.
        let pct_ok = body
            .get("percentage")
            .filter(|v| v.is_number())
            .and_then(Value::as_f64)
            .is_some_and(|got| {
                if within == 0.0 {
                    same_percentage(got, percentage)
                } else {
                    (got - percentage).abs() <= within * percentage.abs()
                }
            });
        let progress_ok =
            progress.is_none_or(|p| body.get("progress").and_then(Value::as_str) == Some(p));
        if !pct_ok || !progress_ok {
            fail(expected, ex.answer());
        }
    }

    async fn pulled_timestamp(&mut self, label: &str) -> i64 {
        let ex = self.pull_as("alice", label, Signing::Proper).await;
        match ex
            .json()
            .and_then(|b| b.get("timestamp").and_then(Value::as_i64))
        {
            Some(t) if ex.status == Some(200) => t,
            _ => fail("status 200 with a whole-number timestamp", ex.answer()),
        }
    }

    fn expect_status(&self, expected: u16) {
        let last = self.last();
        if last.status != Some(expected) {
            fail(format!("status {expected}"), last.answer());
        }
    }
}

// ---------------------------------------------------------------- Given

#[given(regex = r#"^a book "([^"]+)"$"#)]
async fn a_book(w: &mut ServerWorld, label: String) {
    w.declare_book(&label).await;
}

#[given(regex = r#"^a book "([^"]+)" that (\w+) has never synced$"#)]
async fn a_book_never_synced(w: &mut ServerWorld, label: String, who: String) {
    w.declare_never_synced(&label, &who).await;
}

#[given(regex = r#"^a hash "([^"]+)" that matches no book$"#)]
fn a_hash_matching_no_book(w: &mut ServerWorld, label: String) {
    let hash = w.fresh_hash(&format!("unknown:{label}"));
    w.books.insert(label, hash);
}

#[given(
    regex = r"^requests carry (no credentials|only a user name|an unknown user|a wrong key|proper credentials)$"
)]
fn requests_carry(w: &mut ServerWorld, what: String) {
    w.signing = match what.as_str() {
        "no credentials" => Signing::None,
        "only a user name" => Signing::UserOnly,
        "an unknown user" => Signing::UnknownUser,
        "a wrong key" => Signing::WrongKey,
        _ => Signing::Proper,
    };
}

#[given(regex = r"^requests carry no Accept header$")]
fn requests_carry_no_accept(w: &mut ServerWorld) {
    w.accept = AcceptOverride::Omitted;
}

#[given(regex = r#"^requests carry the Accept header "([^"]*)"$"#)]
fn requests_carry_accept(w: &mut ServerWorld, accept: String) {
    w.accept = AcceptOverride::Header(accept);
}

#[given(regex = r#"^(\w+) has pushed "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)"$"#)]
async fn has_pushed(
    w: &mut ServerWorld,
    who: String,
    label: String,
    pct: String,
    progress: String,
) {
    let push = w.harness_push(&w.book(&label), parse_number(&pct), &progress);
    let ex = w.push_as(&who, &push, Signing::Proper).await;
    if ex.status != Some(200) {
        fail("the setup push to be accepted with 200", ex.answer());
    }
}

// ---------------------------------------------------------------- When

#[when(regex = r"^(\w+) checks (?:her|his|their) credentials$")]
async fn checks_credentials(w: &mut ServerWorld, who: String) {
    let creds = w.credentials(&who);
    let request = w.client().auth_request(None);
    w.send(w.signed(request, &creds, w.signing)).await;
}

#[when(regex = r#"^(\w+) pulls "([^"]+)"$"#)]
async fn pulls(w: &mut ServerWorld, who: String, label: String) {
    let signing = w.signing;
    w.pull_as(&who, &label, signing).await;
}

#[when(regex = r#"^(\w+) pushes "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)"$"#)]
async fn pushes(w: &mut ServerWorld, who: String, label: String, pct: String, progress: String) {
    w.push_labelled(&who, &label, parse_number(&pct), &progress)
        .await;
}

#[when(
    regex = r#"^(\w+) pushes "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)" and timestamp (\d+)$"#
)]
async fn pushes_with_timestamp(
    w: &mut ServerWorld,
    who: String,
    label: String,
    pct: String,
    progress: String,
    timestamp: i64,
) {
    let mut push = w.harness_push(&w.book(&label), parse_number(&pct), &progress);
    push.timestamp = Some(timestamp);
    let signing = w.signing;
    w.push_as(&who, &push, signing).await;
}

#[when(
    regex = r#"^(\w+) pushes "([^"]+)" from device "([^"]*)" with id "([^"]*)" at (-?[0-9.]+) with progress "([^"]*)"$"#
)]
async fn pushes_from_device(
    w: &mut ServerWorld,
    who: String,
    label: String,
    device: String,
    device_id: String,
    pct: String,
    progress: String,
) {
    let mut push = w.harness_push(&w.book(&label), parse_number(&pct), &progress);
    push.device = device;
    push.device_id = Some(device_id);
    let signing = w.signing;
    w.push_as(&who, &push, signing).await;
}

#[when(regex = r"^(\w+) pushes the raw body (.+)$")]
async fn pushes_raw(w: &mut ServerWorld, who: String, template: String) {
    // `{A}` in the body stands for the id of book "A".
    let mut body = template;
    let labels: Vec<(String, String)> = w
        .books
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (label, hash) in labels {
        body = body.replace(&format!("{{{label}}}"), &hash);
    }
    let creds = w.credentials(&who);
    let request = w.client().push_raw_request(None, body);
    w.send(w.signed(request, &creds, w.signing)).await;
}

#[when(regex = r#"^(\w+) pushes "([^"]+)" with a progress of (\d+) characters$"#)]
async fn pushes_oversized(w: &mut ServerWorld, who: String, label: String, size: usize) {
    w.push_labelled(&who, &label, 0.5, &"x".repeat(size)).await;
}

#[when(regex = r#"^(\d+) devices of (\w+) push "([^"]+)" at the same time$"#)]
async fn concurrent_pushes(w: &mut ServerWorld, count: usize, who: String, label: String) {
    let creds = w.credentials(&who);
    let document = w.book(&label);
    // What KOReader sends: percentages floored to 4 decimals, one device each.
    let pushes: Vec<ProgressPush> = (0..count)
        .map(|i| ProgressPush {
            document: document.clone(),
            percentage: ((i + 1) * 1111 % 10_000) as f64 / 10_000.0,
            progress: format!("/body/DocFragment[{}]/p[{}]", i + 1, i * 7 + 3),
            timestamp: None,
            device: format!("device {}", i + 1),
            device_id: Some(format!("{:032X}", i + 1)),
        })
        .collect();
    let client = w.client().clone();
    let sends = pushes.iter().map(|push| {
        client.send(w.signed(client.push_request(None, push), &creds, Signing::Proper))
    });
    let answers = futures::future::join_all(sends).await;
    for ex in &answers {
        w.target().remember_if_written(&document, ex);
    }
    for (i, ex) in answers.into_iter().enumerate() {
        if ex.status != Some(200) {
            let answer = ex.answer();
            w.exchanges.push(ex);
            fail(
                "every concurrent push to be accepted with 200",
                format!("push {}: {answer}", i + 1),
            );
        }
    }
    w.concurrent = pushes;
}

#[when(regex = r#"^(\w+) remembers the timestamp of "([^"]+)"$"#)]
async fn remembers_timestamp(w: &mut ServerWorld, _who: String, label: String) {
    let t = w.pulled_timestamp(&label).await;
    w.remembered_timestamp.insert(label, t);
}

#[when(regex = r#"^the library gains the book "([^"]+)"$"#)]
async fn library_gains(w: &mut ServerWorld, label: String) {
    let hash = w.book(&label);
    let Some(server) = &w.server else {
        skip("needs the built-in server's admin API");
    };
    if let Err(err) = server.0.admin().add_book(&hash).await {
        harness_fault(format!(
            "the fake server cannot add a book over its admin API: {err:#}"
        ));
    }
}

#[when(regex = r"^the server's clock goes back (\d+) seconds$")]
async fn clock_goes_back(w: &mut ServerWorld, seconds: i64) {
    let Some(server) = &w.server else {
        skip("needs the built-in server's admin API (it sets the server's clock)");
    };
    let admin = server.0.admin();
    let result = async {
        let now = admin.clock().await?;
        admin.set_clock(now - seconds).await
    }
    .await;
    if let Err(err) = result {
        harness_fault(format!(
            "the fake server cannot set its clock over its admin API: {err:#}"
        ));
    }
}

#[when(regex = r"^carol's KOReader sync is switched on$")]
async fn carol_sync_on(w: &mut ServerWorld) {
    let Some(server) = &w.server else {
        skip("needs the built-in server's admin API (it changes a user)");
    };
    let user = UserSpec::with_password(BUILT_IN_DISABLED_USER.0, BUILT_IN_DISABLED_USER.1);
    if let Err(err) = server.0.admin().add_user(&user).await {
        harness_fault(format!(
            "the fake server cannot change a user over its admin API: {err:#}"
        ));
    }
}

#[when(regex = r#"^someone registers a new user "([^"]+)" with password "([^"]*)"$"#)]
async fn registers(w: &mut ServerWorld, name: String, password: String) {
    let actual = format!("{name}{}", &w.nonce[..12]);
    w.registered
        .insert(name, (actual.clone(), password.clone()));
    let user = CreateUser {
        username: actual.clone(),
        password: crate::protocol::key_for_password(&password),
    };
    let created = w
        .send(w.client().register_request(&user))
        .await
        .status
        .is_some_and(|s| (200..300).contains(&s));
    if created {
        if let Ok(mut names) = w.target().registered.lock() {
            names.insert(actual);
        }
    }
}

#[when(regex = r#"^someone registers the same user "([^"]+)" again$"#)]
async fn registers_again(w: &mut ServerWorld, name: String) {
    let Some((actual, password)) = w.registered.get(&name).cloned() else {
        harness_fault(format!(
            "user {name:?} is registered again before a first registration"
        ));
    };
    let user = CreateUser {
        username: actual,
        password: crate::protocol::key_for_password(&password),
    };
    w.send(w.client().register_request(&user)).await;
}

#[when(regex = r"^someone checks the server's health$")]
async fn checks_health(w: &mut ServerWorld) {
    w.send(w.client().health_request()).await;
}

// ---------------------------------------------------------------- Then

#[then(regex = r"^the answer is (\d{3})$")]
fn answer_is(w: &mut ServerWorld, status: u16) {
    w.expect_status(status);
}

#[then(regex = r"^the answer is a refusal$")]
fn answer_is_refusal(w: &mut ServerWorld) {
    let last = w.last();
    if !matches!(last.status, Some(401) | Some(403)) {
        fail("status 401 or 403", last.answer());
    }
}

#[then(regex = r"^the answer is a refusal or a client error$")]
fn answer_is_client_error(w: &mut ServerWorld) {
    let last = w.last();
    if !matches!(last.status, Some(400..=499)) {
        fail("a 4xx status (registration refused)", last.answer());
    }
}

#[then(regex = r"^the answer is a JSON object$")]
fn answer_is_object(w: &mut ServerWorld) {
    if !w.answer_json().is_object() {
        fail("a JSON object", w.last().answer());
    }
}

#[then(regex = r"^the answer is the JSON (.+)$")]
fn answer_is_the_json(w: &mut ServerWorld, expected: String) {
    let want: Value = match serde_json::from_str(&expected) {
        Ok(v) => v,
        Err(e) => harness_fault(format!("the step's JSON {expected:?} does not parse: {e}")),
    };
    if w.answer_json() != want {
        fail(format!("the JSON {want}"), w.last().answer());
    }
}

#[then(regex = r"^the answer carries no progress$")]
fn answer_carries_no_progress(w: &mut ServerWorld) {
    let last = w.last();
    if !is_no_progress(w.dialect, last.status, last.json().as_ref()) {
        fail(no_progress_expected(w.dialect), last.answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is (\w+)'s user name$"#)]
fn field_is_user_name(w: &mut ServerWorld, field: String, who: String) {
    let name = w.credentials(&who).user;
    if w.field(&field) != json!(name) {
        fail(format!("{field:?} to be {name:?}"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the new user's name$"#)]
fn field_is_new_user(w: &mut ServerWorld, field: String) {
    let names: Vec<String> = w.registered.values().map(|(n, _)| n.clone()).collect();
    let got = w.field(&field);
    if !names.iter().any(|n| got == json!(n)) {
        fail(
            format!("{field:?} to be one of {names:?}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is "([^"]*)"$"#)]
fn field_is_string(w: &mut ServerWorld, field: String, value: String) {
    if w.field(&field) != json!(value) {
        fail(
            format!("{field:?} to be the string {value:?}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the hash of "([^"]+)"$"#)]
fn field_is_hash(w: &mut ServerWorld, field: String, label: String) {
    let hash = w.book(&label);
    if w.field(&field) != json!(hash) {
        fail(format!("{field:?} to be {hash:?}"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is a whole number$"#)]
fn field_is_whole(w: &mut ServerWorld, field: String) {
    let v = w.field(&field);
    if !(v.is_i64() || v.is_u64()) {
        fail(format!("{field:?} to be a whole number"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is a string$"#)]
fn field_is_a_string(w: &mut ServerWorld, field: String) {
    if !w.field(&field).is_string() {
        fail(format!("{field:?} to be a string"), w.last().answer());
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the number (-?[0-9.]+)$"#)]
fn field_is_number(w: &mut ServerWorld, field: String, number: String) {
    let want = parse_number(&number);
    let v = w.field(&field);
    if v.as_f64() != Some(want) || !v.is_number() {
        fail(
            format!("{field:?} to be the JSON number {number}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r#"^the answer's "([^"]+)" is the server's time in whole seconds$"#)]
async fn field_is_server_time(w: &mut ServerWorld, field: String) {
    let v = w.field(&field);
    let answer = w.last().answer();
    let Some(ts) = v.as_i64() else {
        fail(
            format!("{field:?} to be whole seconds since the epoch"),
            answer,
        );
    };
    let (now, tolerance) = w.server_now().await;
    if (ts - now).abs() > tolerance {
        fail(
            format!("{field:?} within {tolerance} s of the server's time {now} (whole seconds since the epoch)"),
            answer,
        );
    }
}

#[then(regex = r#"^the answer does not contain "([^"]+)"$"#)]
fn answer_does_not_contain(w: &mut ServerWorld, needle: String) {
    let last = w.last();
    if last.response.contains(&needle) {
        fail(format!("nothing revealing {needle:?}"), last.answer());
    }
}

#[then(regex = r#"^(\w+) reads "([^"]+)" at (-?[0-9.]+) with progress "([^"]*)"$"#)]
async fn reads(w: &mut ServerWorld, who: String, label: String, pct: String, progress: String) {
    w.check_reads(&who, &label, parse_number(&pct), Some(&progress), 0.0)
        .await;
}

#[then(regex = r#"^(\w+) reads "([^"]+)" at (-?[0-9.]+) to (\d+) significant digits$"#)]
async fn reads_to_digits(
    w: &mut ServerWorld,
    who: String,
    label: String,
    pct: String,
    digits: i32,
) {
    let within = 10f64.powi(-digits);
    w.check_reads(&who, &label, parse_number(&pct), None, within)
        .await;
}

#[then(regex = r#"^(\w+) finds no progress for "([^"]+)"$"#)]
async fn finds_no_progress(w: &mut ServerWorld, who: String, label: String) {
    let ex = w.pull_as(&who, &label, Signing::Proper).await;
    if !is_no_progress(w.dialect, ex.status, ex.json().as_ref()) {
        fail(no_progress_expected(w.dialect), ex.answer());
    }
}

/// Isolation, and only isolation: the reader must not see the other user's
/// position. An answer that invents a record for a document this user never
/// pushed breaks K-PULL-1 or S-PULL-2, which their own scenarios report.
#[then(regex = r#"^(\w+) does not read (\w+)'s progress for "([^"]+)"$"#)]
async fn does_not_read_others(w: &mut ServerWorld, who: String, owner: String, label: String) {
    let theirs = w
        .exchanges
        .iter()
        .rev()
        .filter(|ex| ex.method == "PUT")
        .find_map(|ex| {
            let body: Value = serde_json::from_str(ex.body.as_deref()?).ok()?;
            (body.get("document")? == &json!(w.books.get(&label)?)).then_some(body)
        });
    let Some(theirs) = theirs else {
        harness_fault(format!(
            "{owner} pushed nothing for {label:?} earlier in the scenario"
        ));
    };
    let ex = w.pull_as(&who, &label, Signing::Proper).await;
    let body = ex.json();
    let no_progress = is_no_progress(w.dialect, ex.status, body.as_ref());
    let a_record = ex.status == Some(200) && has_progress(&ex);
    let leaked = body.as_ref().is_some_and(|b| {
        b.get("progress").is_some() && b.get("progress") == theirs.get("progress")
    });
    if leaked || !(no_progress || a_record) {
        fail(
            format!(
                "{}, and nothing of {owner}'s push",
                no_progress_expected(w.dialect)
            ),
            ex.answer(),
        );
    }
}

#[then(regex = r#"^(\w+) reads "([^"]+)" as exactly one of those pushes$"#)]
async fn reads_one_of(w: &mut ServerWorld, who: String, label: String) {
    let ex = w.pull_as(&who, &label, Signing::Proper).await;
    let Some(body) = ex.json().filter(|_| ex.status == Some(200)) else {
        fail("status 200 with one of the concurrent pushes", ex.answer());
    };
    let percentage = body
        .get("percentage")
        .filter(|v| v.is_number())
        .and_then(Value::as_f64);
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    let whole = w.concurrent.iter().any(|push| {
        percentage.is_some_and(|p| same_percentage(p, push.percentage))
            && text("progress") == Some(push.progress.as_str())
            && (w.dialect == Dialect::BookLore
                || (text("device") == Some(push.device.as_str())
                    && text("device_id") == push.device_id.as_deref()))
    });
    if !whole {
        fail(
            "the stored record to equal one of the concurrent pushes, field for field",
            ex.answer(),
        );
    }
}

#[then(regex = r#"^the timestamp of "([^"]+)" has not gone backwards$"#)]
async fn timestamp_not_backwards(w: &mut ServerWorld, label: String) {
    let Some(&before) = w.remembered_timestamp.get(&label) else {
        harness_fault("the scenario checks a timestamp it never remembered");
    };
    let after = w.pulled_timestamp(&label).await;
    if after < before {
        fail(
            format!("a timestamp no earlier than {before}"),
            format!("timestamp {after}: {}", w.last().answer()),
        );
    }
}

#[then(regex = r"^the error code is (\d+)$")]
fn error_code_is(w: &mut ServerWorld, code: u64) {
    if w.answer_json().get("code").and_then(Value::as_u64) != Some(code) {
        fail(
            format!("an error body with \"code\": {code}"),
            w.last().answer(),
        );
    }
}

#[then(regex = r"^the answer is an error with a numeric code and a message$")]
fn error_shape(w: &mut ServerWorld) {
    let body = w.answer_json();
    let ok = body.get("code").is_some_and(Value::is_u64)
        && body.get("message").is_some_and(Value::is_string);
    if !ok {
        fail(
            "an error body {\"code\": N, \"message\": \"…\"}",
            w.last().answer(),
        );
    }
}

#[then(regex = r"^the answer is JSON with a JSON media type$")]
fn json_media_type(w: &mut ServerWorld) {
    let last = w.last();
    let media = last
        .content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let json_type = media.as_deref().is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    });
    if !json_type || last.json().is_none() {
        fail("a JSON body labelled with a JSON media type", last.answer());
    }
}

#[then(regex = r#"^the media type is exactly "([^"]+)"$"#)]
fn media_type_exactly(w: &mut ServerWorld, media: String) {
    let last = w.last();
    if last.content_type.as_deref() != Some(media.as_str()) {
        fail(format!("Content-Type: {media}"), last.answer());
    }
}

#[then(regex = r#"^the new user "([^"]+)" (can|cannot) sign in$"#)]
async fn new_user_signs_in(w: &mut ServerWorld, name: String, can: String) {
    let Some((actual, password)) = w.registered.get(&name).cloned() else {
        harness_fault(format!("user {name:?} signs in before being registered"));
    };
    let creds = Credentials::with_password(&actual, &password);
    let ex = w.send(w.client().auth_request(Some(&creds))).await;
    let signed_in = ex.status == Some(200);
    if signed_in != (can == "can") {
        let expected = if can == "can" {
            "the registered user to sign in (200)"
        } else {
            "the refused registration to create no user (auth refused)"
        };
        fail(expected, ex.answer());
    }
}

#[then(regex = r"^the answer is served, or refused with 412 and error code (\d+)$")]
fn served_or_412(w: &mut ServerWorld, code: u64) {
    let last = w.last();
    if last.status == Some(200) {
        return;
    }
    let got = last
        .json()
        .and_then(|b| b.get("code").and_then(Value::as_u64));
    if last.status != Some(412) || got != Some(code) {
        fail(format!("200, or 412 with error code {code}"), last.answer());
    }
}
