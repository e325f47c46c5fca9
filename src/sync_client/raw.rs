//! HTTP/1.1 written by hand over TCP, for the one request an HTTP library
//! cannot send: one with no `Accept` header at all (rule K-ACCEPT-2), since
//! libraries add `Accept: */*` on their own.

use std::time::Duration;

use super::{Exchange, Request, MAX_ANSWER_BYTES};

/// Send `request` as written (no `Accept` added) and fill in `exchange`.
pub(super) async fn send_without_accept(
    exchange: &mut Exchange,
    request: &Request,
    timeout: Duration,
) {
    let parsed = match reqwest::Url::parse(&exchange.url) {
        Ok(u) if u.scheme() == "http" => u,
        _ => {
            exchange.error = Some(
                "a request without Accept is written by hand over TCP and needs a plain http:// URL"
                    .to_string(),
            );
            return;
        }
    };
    let host = parsed.host_str().unwrap_or("localhost").to_string();
    let port = parsed.port_or_known_default().unwrap_or(80);
    let mut target = parsed.path().to_string();
    if let Some(q) = parsed.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n",
        request.method
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = request.body.as_deref().unwrap_or("");
    if request.body.is_some() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body);
    let result = tokio::time::timeout(timeout, async {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 || raw.len() >= MAX_ANSWER_BYTES {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
        }
        Ok::<Vec<u8>, std::io::Error>(raw)
    })
    .await;
    match result {
        Err(_) => {
            exchange.error = Some(format!(
                "no answer within {} ms (timeout)",
                timeout.as_millis()
            ))
        }
        Ok(Err(e)) => exchange.error = Some(format!("cannot connect: {e}")),
        Ok(Ok(raw)) => match parse_http_response(&raw) {
            Some((status, content_type, body)) => {
                exchange.status = Some(status);
                exchange.content_type = content_type;
                exchange.response = body;
            }
            None => exchange.error = Some("the answer is not HTTP/1.x".to_string()),
        },
    }
}

/// Status, content type and body of a raw HTTP/1.x answer (chunked bodies decoded).
fn parse_http_response(raw: &[u8]) -> Option<(u16, Option<String>, String)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let mut content_type = None;
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            if name == "content-type" {
                content_type = Some(value.to_string());
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = &raw[split + 4..];
    let mut decoded = Vec::new();
    if chunked {
        while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&body[..end]);
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            body = &body[end + 2..];
            if size == 0 || body.len() < size {
                break;
            }
            decoded.extend_from_slice(&body[..size]);
            body = body.get(size + 2..).unwrap_or(&[]);
        }
    } else {
        decoded.extend_from_slice(body);
    }
    Some((
        status,
        content_type,
        String::from_utf8_lossy(&decoded).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_answers_parse_with_and_without_chunking() {
        let plain = b"HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\nContent-Length: 35\r\n\r\n{\"code\":100,\"message\":\"no accept\"}";
        let (status, ct, body) = parse_http_response(plain).expect("parses");
        assert_eq!(status, 412);
        assert_eq!(ct.as_deref(), Some("application/json"));
        assert!(body.contains("\"code\":100"));

        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        let (_, _, body) = parse_http_response(chunked).expect("parses");
        assert_eq!(body, "{\"a\":1}");

        assert!(parse_http_response(b"garbage").is_none());
        assert!(parse_http_response(b"SMTP 220 hi\r\n\r\n").is_none());
    }
}
