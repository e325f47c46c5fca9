//! Lua's `tonumber` on a JSON value, as the reference koreader-sync-server
//! (OpenResty, LuaJIT 2.1) applies it to a push's `percentage`: a JSON number
//! is itself, text is read the way LuaJIT reads numeric text, anything else
//! (`true`, `null`, an object) is not a number. Rule K-NUM-1 holds servers of
//! the kosync dialect to it, and the fake server's kosync dialect follows it.
//!
//! What LuaJIT reads (checked against `luajit -e 'print(tonumber(s))'`):
//! surrounding whitespace, an optional sign, then a decimal numeral
//! (`5`, `.5`, `5.`, `1e-1`), a hexadecimal one with an optional fraction and
//! binary exponent (`0x10`, `0x1.8p1`), a binary one (`0b101`), or `inf`,
//! `infinity`, `nan` in any case. Anything left over (`0.5x`, `1 2`, `1_000`),
//! an empty string or an embedded NUL is not a number.

use serde_json::Value;

/// What `tonumber(value)` gives, for a value decoded from JSON.
pub fn tonumber(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => tonumber_text(s),
        _ => None,
    }
}

/// What `tonumber(text)` gives.
pub fn tonumber_text(text: &str) -> Option<f64> {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r');
    let trimmed = text.trim_matches(is_space);
    if trimmed.is_empty() || trimmed.contains('\0') {
        return None;
    }
    let (negative, unsigned) = match trimmed.as_bytes()[0] {
        b'-' => (true, &trimmed[1..]),
        b'+' => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let magnitude = match unsigned.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        lower => {
            if let Some(digits) = lower.strip_prefix("0x") {
                hexadecimal(digits)
            } else if let Some(digits) = lower.strip_prefix("0b") {
                binary(digits)
            } else {
                decimal(lower)
            }
        }
    }?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits[.digits][e[+-]digits]`, with at least one digit before the exponent.
fn decimal(s: &str) -> Option<f64> {
    let (mantissa, exponent) = match s.find('e') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !all_digits(e) {
            return None;
        }
    }
    // Rust's parser reads this grammar exactly (and rounds correctly); an
    // exponent too large becomes infinity, as in LuaJIT.
    s.parse::<f64>().ok()
}

/// Hex digits with an optional `.fraction` and an optional `p[+-]digits`
/// (a power of two).
fn hexadecimal(s: &str) -> Option<f64> {
    let (mantissa, exponent) = match s.find('p') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.len() + frac.len() == 0 {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let power: i32 = e.parse().unwrap_or(if e.starts_with('-') {
            i32::MIN
        } else {
            i32::MAX
        });
        value *= 2f64.powi(power);
    }
    Some(value)
}

/// Binary digits only.
fn binary(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for b in s.bytes() {
        value = value * 2.0
            + match b {
                b'0' => 0.0,
                b'1' => 1.0,
                _ => return None,
            };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each pair was checked against LuaJIT 2.1's `tonumber`.
    #[test]
    fn reads_text_as_luajit_does() {
        let cases: &[(&str, Option<f64>)] = &[
            ("0.5", Some(0.5)),
            (" 0.5", Some(0.5)),
            ("0.5 ", Some(0.5)),
            ("\t0.5\n", Some(0.5)),
            ("0x10", Some(16.0)),
            ("0X1p4", Some(16.0)),
            ("0x.8", Some(0.5)),
            ("0x1.8p1", Some(3.0)),
            ("-0x10", Some(-16.0)),
            ("  0x10  ", Some(16.0)),
            ("0b1", Some(1.0)),
            ("1e-1", Some(0.1)),
            ("1E2", Some(100.0)),
            ("1.5e+2", Some(150.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("-0.5", Some(-0.5)),
            ("+0.5", Some(0.5)),
            ("00.5", Some(0.5)),
            ("inf", Some(f64::INFINITY)),
            ("-inf", Some(f64::NEG_INFINITY)),
            ("infinity", Some(f64::INFINITY)),
            ("Inf", Some(f64::INFINITY)),
            ("1e400", Some(f64::INFINITY)),
            ("0.5x", None),
            ("", None),
            ("  ", None),
            ("1_000", None),
            ("1,5", None),
            ("0x", None),
            ("1e", None),
            ("- 1", None),
            ("0.5\0", None),
            ("--1", None),
            ("0x-1", None),
            ("1 2", None),
            ("half", None),
            (".", None),
        ];
        for (text, want) in cases {
            assert_eq!(tonumber_text(text), *want, "tonumber({text:?})");
        }
        assert!(tonumber_text("nan").is_some_and(f64::is_nan));
        assert!(tonumber_text("NaN").is_some_and(f64::is_nan));
    }

    #[test]
    fn json_values() {
        assert_eq!(tonumber(&json!(0.25)), Some(0.25));
        assert_eq!(tonumber(&json!("0.25")), Some(0.25));
        assert_eq!(tonumber(&json!(true)), None);
        assert_eq!(tonumber(&json!(null)), None);
        assert_eq!(tonumber(&json!([0.5])), None);
    }

    /// Checked against the real thing when LuaJIT is installed.
    #[test]
    #[ignore = "needs luajit: apt-get install luajit"]
    fn agrees_with_luajit() {
        let inputs = [
            "0.5", " 0.25 ", "1e-1", "0x1.8p1", "0b11", ".5", "5.", "half", "0.5x", "1_0", "inf",
            "-0x10", "1e", "0x", "",
        ];
        for text in inputs {
            let script = format!("print(tonumber({text:?}))");
            let out = std::process::Command::new("luajit")
                .args(["-e", &script])
                .output()
                .expect("luajit runs");
            let lua = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let ours = match tonumber_text(text) {
                None => "nil".to_string(),
                Some(v) if v.is_infinite() => if v > 0.0 { "inf" } else { "-inf" }.to_string(),
                Some(v) => format!("{v}"),
            };
            let lua_value: Option<f64> = lua.parse().ok();
            let same = lua == ours || lua_value.is_some_and(|l| Some(l) == tonumber_text(text));
            assert!(same, "tonumber({text:?}): luajit {lua}, ours {ours}");
        }
    }
}
