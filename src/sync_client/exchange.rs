//! One request and what came back, kept for reports: a one-line summary for
//! transcripts, the answer for "got:", and a `curl` line that sends the same
//! request again.

use serde_json::Value;

use super::Request;

/// One request and what came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub response: String,
    /// Transport failure (timeout, refused connection) instead of an answer.
    pub error: Option<String>,
}

impl Exchange {
    /// The exchange of a request about to be sent to `url`: no answer yet.
    pub(super) fn new(request: &Request, url: String) -> Self {
        Exchange {
            method: request.method.to_string(),
            url,
            headers: request.headers.clone(),
            body: request.body.clone(),
            status: None,
            content_type: None,
            response: String::new(),
            error: None,
        }
    }

    /// True when the request got no answer within its timeout.
    pub fn timed_out(&self) -> bool {
        self.error
            .as_deref()
            .is_some_and(|e| e.contains("(timeout)"))
    }

    /// The answer as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.response).ok()
    }

    /// A `curl` line that sends the same request.
    pub fn curl(&self) -> String {
        let mut line = format!("curl -sS -i -X {}", self.method);
        for (name, value) in &self.headers {
            line.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        if let Some(body) = &self.body {
            if body.len() > 2048 {
                line.push_str(&format!(
                    " --data-binary @body.json  # a {}-byte body starting {}",
                    body.len(),
                    shell_quote(&body.chars().take(60).collect::<String>())
                ));
            } else {
                line.push_str(&format!(" --data-binary {}", shell_quote(body)));
            }
        }
        line.push_str(&format!(" {}", shell_quote(&self.url)));
        line
    }

    /// `PUT /path {body} → 200 application/json {answer}`, one line, shortened.
    pub fn summary(&self) -> String {
        let path = self
            .url
            .find("//")
            .and_then(|i| self.url[i + 2..].find('/').map(|j| &self.url[i + 2 + j..]))
            .unwrap_or(&self.url);
        let body = self
            .body
            .as_deref()
            .map(|b| format!(" {}", shorten(b, 160)))
            .unwrap_or_default();
        let answer = match (&self.status, &self.error) {
            (_, Some(err)) => format!("no answer: {err}"),
            (Some(status), None) => format!(
                "{status} {} {}",
                self.content_type.as_deref().unwrap_or("(no content type)"),
                shorten(&self.response, 200)
            ),
            (None, None) => "no answer".to_string(),
        };
        format!("{} {path}{body} → {answer}", self.method)
    }

    /// What came back, for `actual`: status, content type, body (or the transport error).
    pub fn answer(&self) -> String {
        match (&self.status, &self.error) {
            (_, Some(err)) => format!("no answer: {err}"),
            (Some(status), None) => format!(
                "status {status}, content type {}, body {}",
                self.content_type.as_deref().unwrap_or("(none)"),
                if self.response.is_empty() {
                    "(empty)".to_string()
                } else {
                    shorten(&self.response, 300)
                }
            ),
            (None, None) => "no answer".to_string(),
        }
    }
}

/// `s` on one line and at most `max` characters: a pretty-printed HTML error
/// page must not take a screen of the report. Only whitespace runs that hold a
/// line break become one space; other spacing is shown as sent.
fn shorten(s: &str, max: usize) -> String {
    let flat = if s.contains(['\n', '\r']) {
        let mut flat = String::with_capacity(s.len());
        let mut gap = String::new();
        for c in s.chars() {
            if c.is_whitespace() {
                gap.push(c);
                continue;
            }
            if !gap.is_empty() {
                if gap.contains(['\n', '\r']) {
                    flat.push(' ');
                } else {
                    flat.push_str(&gap);
                }
                gap.clear();
            }
            flat.push(c);
        }
        flat
    } else {
        s.to_string()
    };
    if flat.chars().count() <= max {
        flat
    } else {
        let head: String = flat.chars().take(max).collect();
        format!("{head}… ({} bytes)", s.len())
    }
}

/// Quote for a POSIX shell: single quotes, with `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_body_is_shown_on_one_line_and_other_spacing_kept() {
        let page = "<html>\n    <head>\r\n  <title>Error</title>\n</head>";
        assert_eq!(
            shorten(page, 200),
            "<html> <head> <title>Error</title> </head>"
        );
        assert_eq!(shorten("page  12", 200), "page  12");
        assert_eq!(shorten("a\nbcdef", 3), "a b… (7 bytes)");
    }

    #[test]
    fn curl_lines_quote_for_the_shell() {
        let exchange = Exchange {
            method: "PUT".into(),
            url: "http://h:1/syncs/progress".into(),
            headers: vec![("x-auth-user".into(), "o'brien".into())],
            body: Some("{\"progress\":\"it's\"}".into()),
            status: Some(200),
            content_type: None,
            response: String::new(),
            error: None,
        };
        let curl = exchange.curl();
        assert_eq!(
            curl,
            r#"curl -sS -i -X PUT -H 'x-auth-user: o'\''brien' --data-binary '{"progress":"it'\''s"}' 'http://h:1/syncs/progress'"#
        );
        assert!(exchange.summary().starts_with("PUT /syncs/progress {"));
    }
}
