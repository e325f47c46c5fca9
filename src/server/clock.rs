//! The server's clock: wall time, wall time plus an offset, or frozen.
//!
//! Every `timestamp` the fake server hands out and every journal `at` comes
//! from here, so a harness can set and advance time over the admin API instead
//! of waiting for it.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the clock currently follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Wall time plus this many seconds (0 = plain wall time).
    Offset(i64),
    /// Stopped at this second.
    Frozen(i64),
}

/// The times the clock can be set to: from the epoch to the end of year 9999.
/// A sync timestamp before the epoch means nothing to a client, and the upper
/// end keeps every time printable as a date.
pub const RANGE: std::ops::RangeInclusive<i64> = 0..=253_402_300_799;

fn check(seconds: i64) -> Result<(), String> {
    if RANGE.contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "the clock would read {seconds}: it must stay between {} (the Unix epoch) and {} (the end of 9999)",
            RANGE.start(),
            RANGE.end()
        ))
    }
}

/// A controllable clock in whole seconds since the Unix epoch.
#[derive(Debug)]
pub struct ServerClock {
    mode: Mutex<Mode>,
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock {
            mode: Mutex::new(Mode::Offset(0)),
        }
    }
}

fn wall_seconds() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

impl ServerClock {
    fn mode(&self) -> std::sync::MutexGuard<'_, Mode> {
        // A panic elsewhere while holding this lock cannot leave the mode half-written.
        self.mode.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current server time.
    pub fn now(&self) -> i64 {
        match *self.mode() {
            Mode::Offset(off) => wall_seconds().saturating_add(off),
            Mode::Frozen(at) => at,
        }
    }

    /// Freeze the clock at `seconds`, which must be in [`RANGE`].
    pub fn set(&self, seconds: i64) -> Result<(), String> {
        check(seconds)?;
        *self.mode() = Mode::Frozen(seconds);
        Ok(())
    }

    /// Move the clock by `seconds` (may be negative); a frozen clock stays
    /// frozen. Refused when it would leave [`RANGE`].
    pub fn advance(&self, seconds: i64) -> Result<(), String> {
        let mut mode = self.mode();
        let now = match *mode {
            Mode::Offset(off) => wall_seconds().saturating_add(off),
            Mode::Frozen(at) => at,
        };
        check(now.saturating_add(seconds))?;
        *mode = match *mode {
            Mode::Offset(off) => Mode::Offset(off.saturating_add(seconds)),
            Mode::Frozen(at) => Mode::Frozen(at.saturating_add(seconds)),
        };
        Ok(())
    }

    /// Follow wall time again.
    pub fn real(&self) {
        *self.mode() = Mode::Offset(0);
    }
}

/// `seconds` since the epoch as an RFC 3339 UTC date-time, for BookLore's error bodies.
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Civil-from-days (proleptic Gregorian), after H. Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_stays_and_advances() {
        let c = ServerClock::default();
        c.set(1_000).unwrap();
        assert_eq!(c.now(), 1_000);
        c.advance(25).unwrap();
        assert_eq!(c.now(), 1_025);
        c.real();
        assert!((c.now() - wall_seconds()).abs() <= 1);
    }

    #[test]
    fn offset_clock_follows_wall_time() {
        let c = ServerClock::default();
        c.advance(3_600).unwrap();
        assert!((c.now() - wall_seconds() - 3_600).abs() <= 1);
    }

    #[test]
    fn times_before_the_epoch_are_refused_and_change_nothing() {
        let c = ServerClock::default();
        assert!(c.set(-1).is_err());
        c.set(10).unwrap();
        assert!(c.advance(-11).is_err());
        assert_eq!(c.now(), 10);
        assert!(c.set(i64::MAX).is_err());
    }

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
