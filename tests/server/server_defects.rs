//! The deliberately defective servers break the rule they name — so the
//! contract's detection tests have something real to catch — and otherwise
//! behave like the correct server. Whether the contract catches each one is
//! `tests/detection_coverage.rs`.

use crate::server_support;

use kosync_contract::protocol::Dialect;
use kosync_contract::server::{Defect, ServerConfig};
use reqwest::Method;
use serde_json::json;
use server_support::*;

async fn defective(dialect: Dialect, defect: Defect) -> Harness {
    let mut config: ServerConfig = config_with_library(dialect);
    config.defect = Some(defect);
    start(config).await
}

#[tokio::test]
async fn every_defect_keeps_the_happy_path_of_its_dialect() {
    for &defect in Defect::ALL {
        for dialect in [Dialect::BookLore, Dialect::Kosync] {
            let h = defective(dialect, defect).await;
            // This one breaks the auth answer itself (K-AUTH-1), nothing else.
            let auth_status = match (defect, dialect) {
                (Defect::KosyncAuthAnswers204, Dialect::Kosync) => 204,
                _ => 200,
            };
            assert_eq!(
                h.auth(Some(ALICE)).await.status,
                auth_status,
                "{defect} {dialect}"
            );
            let push = h.push(ALICE, &push_body(BOOK, 0.5, "/body/p[2]")).await;
            assert_eq!(push.status, 200, "{defect} {dialect}");
            let pull = h.pull(ALICE, BOOK).await;
            assert_eq!(pull.status, 200, "{defect} {dialect}");
            assert_eq!(pull.body["document"], json!(BOOK), "{defect} {dialect}");
        }
    }
}

#[tokio::test]
async fn defect_unknown_progress_answers_200_empty_breaks_s_pull_2() {
    let h = defective(Dialect::BookLore, Defect::UnknownProgressAnswers200Empty).await;
    let a = h.pull(ALICE, OTHER_BOOK).await;
    assert_eq!((a.status, a.body), (200, json!({})));
}

#[tokio::test]
async fn defect_shared_across_users_breaks_s_iso_1() {
    let h = defective(Dialect::BookLore, Defect::SharedAcrossUsers).await;
    h.push(ALICE, &push_body(BOOK, 0.7, "alice")).await;
    assert_eq!(h.pull(BOB, BOOK).await.body["progress"], json!("alice"));
}

#[tokio::test]
async fn defect_millisecond_timestamps_breaks_s_ts_1() {
    let h = defective(Dialect::Kosync, Defect::MillisecondTimestamps).await;
    h.server.admin().set_clock(1_700_000_000).await.unwrap();
    let push = h.push(ALICE, &push_body(BOOK, 0.5, "1")).await;
    assert_eq!(push.body["timestamp"], json!(1_700_000_000_000i64));
    assert_eq!(
        h.pull(ALICE, BOOK).await.body["timestamp"],
        json!(1_700_000_000_000i64)
    );
}

#[tokio::test]
async fn defect_echo_client_timestamp_breaks_s_ts_1() {
    let h = defective(Dialect::BookLore, Defect::EchoClientTimestamp).await;
    h.server.admin().set_clock(1_750_000_000).await.unwrap();
    h.push(ALICE, &push_body(BOOK, 0.5, "1")).await;
    // push_body claims 1_600_000_000.
    assert_eq!(
        h.pull(ALICE, BOOK).await.body["timestamp"],
        json!(1_600_000_000)
    );
}

#[tokio::test]
async fn defect_percentage_as_string_breaks_s_pull_1() {
    let h = defective(Dialect::BookLore, Defect::PercentageAsString).await;
    h.push(ALICE, &push_body(BOOK, 0.25, "1")).await;
    assert_eq!(h.pull(ALICE, BOOK).await.body["percentage"], json!("0.25"));
}

#[tokio::test]
async fn defect_trim_progress_breaks_s_pull_1() {
    let h = defective(Dialect::BookLore, Defect::TrimProgress).await;
    h.push(ALICE, &push_body(BOOK, 0.25, "  /body/p[1] ")).await;
    assert_eq!(
        h.pull(ALICE, BOOK).await.body["progress"],
        json!("/body/p[1]")
    );
}

#[tokio::test]
async fn defect_accept_any_key_breaks_s_auth_2() {
    let h = defective(Dialect::BookLore, Defect::AcceptAnyKey).await;
    assert_eq!(h.auth(Some((ALICE.0, "wrong"))).await.status, 200);
    assert_eq!(
        h.auth(Some(("nobody", "x"))).await.status,
        403,
        "unknown users still refused"
    );
}

#[tokio::test]
async fn defect_first_write_wins_breaks_s_lww_1() {
    let h = defective(Dialect::BookLore, Defect::FirstWriteWins).await;
    h.push(ALICE, &push_body(BOOK, 0.9, "first")).await;
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.1, "second")).await.status,
        200
    );
    assert_eq!(h.pull(ALICE, BOOK).await.body["progress"], json!("first"));
}

#[tokio::test]
async fn defect_content_types_break_s_ct_1_and_s_ct_2() {
    let h = defective(Dialect::BookLore, Defect::TextPlainContentType).await;
    assert_eq!(
        h.auth(Some(ALICE)).await.content_type.as_deref(),
        Some("text/plain")
    );
    let h = defective(Dialect::BookLore, Defect::CharsetInContentType).await;
    assert_eq!(
        h.auth(Some(ALICE)).await.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn defect_store_unknown_book_breaks_s_book_1() {
    let h = defective(Dialect::BookLore, Defect::StoreUnknownBook).await;
    let stranger = "00000000000000000000000000000abc";
    assert_eq!(
        h.push(ALICE, &push_body(stranger, 0.5, "1")).await.status,
        200
    );
    h.server.admin().add_book(stranger).await.unwrap();
    assert_eq!(h.pull(ALICE, stranger).await.status, 200, "it was stored");
}

#[tokio::test]
async fn defect_missing_percentage_500_breaks_s_bad_1() {
    let h = defective(Dialect::BookLore, Defect::MissingPercentage500).await;
    let a = h
        .push(ALICE, &json!({ "document": BOOK, "progress": "1" }))
        .await;
    assert_eq!(a.status, 500);
    assert_eq!(
        h.push_raw(ALICE, b"{").await.status,
        400,
        "other bad input still 400"
    );
}

#[tokio::test]
async fn defect_percentage_out_of_range_accepted_breaks_s_bad_2() {
    let h = defective(Dialect::BookLore, Defect::PercentageOutOfRangeAccepted).await;
    assert_eq!(h.push(ALICE, &push_body(BOOK, 1.5, "1")).await.status, 200);
    assert_eq!(
        h.pull(ALICE, BOOK).await.body["percentage"].as_f64(),
        Some(1.5)
    );
}

#[tokio::test]
async fn defect_zero_percentage_omitted_breaks_s_pull_3() {
    let h = defective(Dialect::BookLore, Defect::ZeroPercentageOmitted).await;
    h.push(ALICE, &push_body(BOOK, 0.0, "1")).await;
    let body = h.pull(ALICE, BOOK).await.body;
    assert!(body.get("percentage").is_none(), "{body}");
}

#[tokio::test]
async fn defect_registration_allowed_breaks_s_reg_1() {
    let h = defective(Dialect::BookLore, Defect::RegistrationAllowed).await;
    let a = h.create("eve", "x").await;
    assert_eq!(a.status, 201);
    assert_eq!(h.auth(Some(("eve", "x"))).await.status, 200);
}

#[tokio::test]
async fn defect_ignore_sync_disabled_breaks_s_off_1() {
    let h = defective(Dialect::BookLore, Defect::IgnoreSyncDisabled).await;
    assert_eq!(h.push(CAROL, &push_body(BOOK, 0.5, "1")).await.status, 200);
}

#[tokio::test]
async fn defect_no_body_limit_breaks_s_bad_3() {
    let h = defective(Dialect::BookLore, Defect::NoBodyLimit).await;
    let a = h
        .push(ALICE, &push_body(BOOK, 0.5, &"z".repeat(100_000)))
        .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn defect_kosync_unknown_document_404_breaks_k_pull_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncUnknownDocument404).await;
    assert_eq!(h.pull(ALICE, OTHER_BOOK).await.status, 404);
}

#[tokio::test]
async fn defect_kosync_no_healthcheck_breaks_k_health_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncNoHealthcheck).await;
    assert_eq!(
        h.send(Method::GET, "/healthcheck", None, None).await.status,
        404
    );
}

#[tokio::test]
async fn defect_auth_answers_without_username_breaks_s_auth_1() {
    let h = defective(Dialect::BookLore, Defect::AuthAnswersWithoutUsername).await;
    let a = h.auth(Some(ALICE)).await;
    assert_eq!((a.status, a.body), (200, json!({ "authorized": "OK" })));
}

#[tokio::test]
async fn defect_text_node_progress_refused_breaks_s_push_1() {
    let h = defective(Dialect::BookLore, Defect::TextNodeProgressRefused).await;
    let xpointer = "/body/DocFragment[12]/body/p[4]/text().17";
    assert_eq!(
        h.push(ALICE, &push_body(BOOK, 0.5, xpointer)).await.status,
        400
    );
    assert_eq!(h.pull(ALICE, BOOK).await.status, 404, "nothing stored");
}

#[tokio::test]
async fn defect_concurrent_pushes_mix_fields_breaks_s_conc_1() {
    let h = defective(Dialect::Kosync, Defect::ConcurrentPushesMixFields).await;
    h.server.admin().set_clock(1_700_000_000).await.unwrap();
    let mut first = push_body(BOOK, 0.2, "first");
    first["device"] = json!("one");
    let mut second = push_body(BOOK, 0.8, "second");
    second["device"] = json!("two");
    h.push(ALICE, &first).await;
    h.push(ALICE, &second).await;
    let mixed = h.pull(ALICE, BOOK).await.body;
    assert_eq!(mixed["percentage"].as_f64(), Some(0.8), "{mixed}");
    assert_eq!(mixed["progress"], json!("first"), "{mixed}");
    // Two seconds later the window has passed: the push is stored whole.
    h.server.admin().set_clock(1_700_000_002).await.unwrap();
    h.push(ALICE, &first).await;
    assert_eq!(h.pull(ALICE, BOOK).await.body["progress"], json!("first"));
    h.server.admin().set_clock(1_700_000_004).await.unwrap();
    h.push(ALICE, &second).await;
    assert_eq!(h.pull(ALICE, BOOK).await.body["progress"], json!("second"));
}

async fn register(h: &Harness, name: &str) -> server_support::Answer {
    let body =
        json!({ "username": name, "password": kosync_contract::protocol::key_for_password("x") });
    h.send(
        Method::POST,
        &Dialect::Kosync.create_path(),
        None,
        Some(body.to_string().into_bytes()),
    )
    .await
}

#[tokio::test]
async fn defect_kosync_registration_answers_200_breaks_k_reg_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncRegistrationAnswers200).await;
    assert_eq!(register(&h, "eve").await.status, 200);
    assert_eq!(h.auth(Some(("eve", "x"))).await.status, 200);
}

#[tokio::test]
async fn defect_kosync_taken_name_allowed_breaks_k_reg_2() {
    let h = defective(Dialect::Kosync, Defect::KosyncTakenNameAllowed).await;
    assert_eq!(register(&h, "eve").await.status, 201);
    assert_eq!(register(&h, "eve").await.status, 201);
}

#[tokio::test]
async fn defect_kosync_registration_disabled_ignored_breaks_k_reg_3() {
    let mut config: ServerConfig = config_with_library(Dialect::Kosync);
    config.defect = Some(Defect::KosyncRegistrationDisabledIgnored);
    config.registration = false;
    let h = start(config).await;
    assert_eq!(register(&h, "eve").await.status, 201);
}

#[tokio::test]
async fn defect_kosync_auth_answers_username_breaks_k_auth_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncAuthAnswersUsername).await;
    let a = h.auth(Some(ALICE)).await;
    assert_eq!((a.status, a.body), (200, json!({ "username": ALICE.0 })));
}

#[tokio::test]
async fn defect_kosync_wrong_key_code_403_breaks_k_auth_2() {
    let h = defective(Dialect::Kosync, Defect::KosyncWrongKeyCode403).await;
    let a = h.auth(Some((ALICE.0, "wrong"))).await;
    assert_eq!((a.status, a.body["code"].clone()), (403, json!(2001)));
    assert_eq!(h.auth(None).await.status, 401, "only a wrong key changes");
}

#[tokio::test]
async fn defect_kosync_push_answers_without_timestamp_breaks_k_push_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncPushAnswersWithoutTimestamp).await;
    let a = h.push(ALICE, &push_body(BOOK, 0.5, "p")).await;
    assert_eq!((a.status, a.body), (200, json!({ "document": BOOK })));
}

#[tokio::test]
async fn defect_kosync_invalid_push_code_400_breaks_k_bad_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncInvalidPushCode400).await;
    let a = h
        .push(
            ALICE,
            &json!({ "document": BOOK, "percentage": 0.5, "progress": "p" }),
        )
        .await;
    assert_eq!((a.status, a.body["code"].clone()), (400, json!(2003)));
    let no_document = h.push(ALICE, &json!({ "percentage": 0.5 })).await;
    assert_eq!(no_document.status, 403, "K-BAD-2 untouched");
}

#[tokio::test]
async fn defect_kosync_missing_document_code_2003_breaks_k_bad_2() {
    let h = defective(Dialect::Kosync, Defect::KosyncMissingDocumentCode2003).await;
    let a = h
        .push(
            ALICE,
            &json!({ "percentage": 0.5, "progress": "p", "device": "d" }),
        )
        .await;
    assert_eq!((a.status, a.body["code"].clone()), (403, json!(2003)));
}

#[tokio::test]
async fn defect_kosync_invalid_json_500_breaks_k_bad_3() {
    let h = defective(Dialect::Kosync, Defect::KosyncInvalidJson500).await;
    let a = h.push_raw(ALICE, b"{").await;
    assert_eq!((a.status, a.body["code"].clone()), (500, json!(103)));
    assert_eq!(
        h.push_raw(ALICE, b"[1]").await.status,
        400,
        "arrays untouched"
    );
}

#[tokio::test]
async fn defect_kosync_errors_without_code_breaks_k_err_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncErrorsWithoutCode).await;
    let a = h.auth(Some((ALICE.0, "wrong"))).await;
    assert_eq!(a.status, 401);
    assert!(a.body.get("code").is_none(), "{}", a.body);
    assert!(a.body["message"].is_string(), "{}", a.body);
}

async fn strict(defect: Defect) -> Harness {
    let mut config: ServerConfig = config_with_library(Dialect::Kosync);
    config.defect = Some(defect);
    config.strict_accept = true;
    start(config).await
}

async fn auth_with_accept(h: &Harness, accept: &str) -> reqwest::Response {
    h.http
        .get(h.url(&Dialect::Kosync.auth_path()))
        .header(kosync_contract::protocol::HEADER_AUTH_USER, ALICE.0)
        .header(
            kosync_contract::protocol::HEADER_AUTH_KEY,
            kosync_contract::protocol::key_for_password(ALICE.1),
        )
        .header("Accept", accept)
        .send()
        .await
        .expect("an answer")
}

#[tokio::test]
async fn defect_kosync_rejects_vendor_accept_breaks_k_accept_1() {
    let h = strict(Defect::KosyncRejectsVendorAccept).await;
    let a = auth_with_accept(&h, kosync_contract::protocol::KOSYNC_ACCEPT).await;
    assert_eq!(a.status(), 412);
}

#[tokio::test]
async fn defect_kosync_missing_accept_code_101_breaks_k_accept_2() {
    let h = strict(Defect::KosyncMissingAcceptCode101).await;
    let raw = h.raw_auth_without_accept(ALICE).await;
    assert!(raw.starts_with("HTTP/1.1 412"), "{raw}");
    assert!(raw.contains(r#""code":101"#), "{raw}");
    let vendor = auth_with_accept(&h, kosync_contract::protocol::KOSYNC_ACCEPT).await;
    assert_eq!(vendor.status(), 200, "K-ACCEPT-1 untouched");
}

#[tokio::test]
async fn defect_kosync_device_id_not_stored_breaks_k_rt_1() {
    let h = defective(Dialect::Kosync, Defect::KosyncDeviceIdNotStored).await;
    h.push(ALICE, &push_body(BOOK, 0.5, "p")).await;
    let body = h.pull(ALICE, BOOK).await.body;
    assert!(body.get("device_id").is_none(), "{body}");
}
