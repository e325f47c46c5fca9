//! The deliberately defective servers break the rule they name — so the
//! contract's detection tests have something real to catch — and otherwise
//! behave like the correct server.

mod server_support;

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
            assert_eq!(h.auth(Some(ALICE)).await.status, 200, "{defect} {dialect}");
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
async fn defect_kosync_unknown_document_404() {
    let h = defective(Dialect::Kosync, Defect::KosyncUnknownDocument404).await;
    assert_eq!(h.pull(ALICE, OTHER_BOOK).await.status, 404);
}

#[tokio::test]
async fn defect_kosync_no_healthcheck() {
    let h = defective(Dialect::Kosync, Defect::KosyncNoHealthcheck).await;
    assert_eq!(
        h.send(Method::GET, "/healthcheck", None, None).await.status,
        404
    );
}
