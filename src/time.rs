//! Timestamps: a strict RFC 3339 parser and the few conversions the core needs.
//!
//! The event log's `ts` is parsed on every line, so the parser is hand-written for
//! speed and for exactly the grammar the log format allows ("T" or "t", "Z" or "z"
//! or a numeric offset, an optional fraction, a real calendar date). chrono's own
//! RFC 3339 parser also accepts a space as the separator, which the format forbids.

use thiserror::Error;

/// Microseconds since the Unix epoch, UTC. Every instant in the core is one of these.
pub type Micros = i64;

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
pub const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// Why a timestamp was rejected.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TimeError {
    #[error("not an RFC 3339 timestamp with offset (expected e.g. 2026-11-26T21:30:00Z)")]
    Syntax,
    #[error("not a real calendar date or time of day")]
    Range,
}

/// Parses an RFC 3339 timestamp (`2026-11-26T21:30:00.123Z`, `...+02:00`) into
/// microseconds since the epoch. Digits of the fraction beyond microseconds are
/// validated and dropped. A leap second (`:60`) is read as the last microsecond of
/// the minute, so that ordering is kept.
pub fn parse_rfc3339(text: &str) -> Result<Micros, TimeError> {
    parse_rfc3339_cached(text, &mut DayCache::default())
}

/// The last date [`parse_rfc3339_cached`] read and its day number: a log's
/// lines are nearly all of the day before, so its date is read and checked once.
#[derive(Debug, Default, Clone, Copy)]
pub struct DayCache {
    date: Option<([u8; 10], i64)>,
}

/// [`parse_rfc3339`], reading the date through `cache`.
pub fn parse_rfc3339_cached(text: &str, cache: &mut DayCache) -> Result<Micros, TimeError> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return Err(TimeError::Syntax);
    }
    // The fixed-width head, as an array: every index below is checked at compile time.
    let mut head = [0u8; 19];
    head.copy_from_slice(&b[..19]);
    let mut date = [0u8; 10];
    date.copy_from_slice(&head[..10]);
    let days = match cache.date {
        Some((known, days)) if known == date => days,
        _ => {
            let days = date_days(date)?;
            cache.date = Some((date, days));
            days
        }
    };
    let Some((hour, minute, second)) = time_of_day(&head).filter(|_| matches!(head[10], b'T' | b't')) else {
        return Err(TimeError::Syntax);
    };

    let mut pos = 19;
    let mut micros: i64 = 0;
    if b[pos] == b'.' {
        pos += 1;
        let start = pos;
        // Each byte read once: a first read parses a mapped file in place,
        // whose bytes a truncation turns to zeros between two looks at them.
        while let Some(&digit @ b'0'..=b'9') = b.get(pos) {
            if pos - start < 6 {
                micros = micros * 10 + i64::from(digit - b'0');
            }
            pos += 1;
        }
        let n = pos - start;
        if n == 0 {
            return Err(TimeError::Syntax);
        }
        for _ in n..6 {
            micros *= 10;
        }
    }
    let offset_seconds = match b.get(pos) {
        Some(b'Z' | b'z') if pos + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if pos + 6 == b.len() => {
            let oh = digits(b, pos + 1, 2)?;
            expect(b, pos + 3, b':')?;
            let om = digits(b, pos + 4, 2)?;
            if oh > 23 || om > 59 {
                return Err(TimeError::Range);
            }
            let s = oh * 3600 + om * 60;
            if sign == b'+' { s } else { -s }
        }
        _ => return Err(TimeError::Syntax),
    };

    if hour > 23 || minute > 59 || second > 60 {
        return Err(TimeError::Range);
    }
    let (second, micros) = if second == 60 { (59, 999_999) } else { (second, micros) };
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Ok(seconds * MICROS_PER_SECOND + micros)
}

/// The hour, minute and second of a stamp's `HH:MM:SS` (its bytes 11 to 18),
/// if they are digits and colons: read as one word, the six digits checked and
/// paired by a few word operations (reading a stamp was a twenty-fifth of a
/// fold's instructions; this made the fold 0.994 of its time).
#[inline]
fn time_of_day(head: &[u8; 19]) -> Option<(i64, i64, i64)> {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&head[11..19]);
    let word = u64::from_le_bytes(bytes);
    // Bytes 2 and 5 of the word (the lowest byte first) are the colons.
    const COLONS: u64 = 0x0000_ff00_00ff_0000;
    let colons = word & COLONS == 0x0000_3a00_003a_0000;
    // The digits' values, colons zeroed; a byte that is not a digit is over 9,
    // and adding 0x76 to it (or it alone, from 0x80) sets its high bit. A carry
    // out of such a byte may spoil the bytes above, but the line is bad by then.
    let values = (word ^ 0x3030_3030_3030_3030) & !COLONS;
    let digits = (values.wrapping_add(0x7676_7676_7676_7676) | values) & 0x8080_8080_8080_8080 == 0;
    // Each byte times ten plus the byte above: bytes 0, 3 and 6 are then the
    // hour, the minute and the second (at most 99: no carries).
    let pairs = values.wrapping_mul(10).wrapping_add(values >> 8);
    let byte = |at: u32| ((pairs >> (8 * at)) & 0xff) as i64;
    (colons && digits).then(|| (byte(0), byte(3), byte(6)))
}

/// The value of a fixed-width run of digits; `bad` is set if any byte is not
/// one (checked once for all the runs of a timestamp, not after each).
#[inline]
fn fixed_digits(digits: &[u8], bad: &mut bool) -> i64 {
    let mut v = 0i64;
    for &c in digits {
        *bad |= !c.is_ascii_digit();
        v = v * 10 + i64::from(c.wrapping_sub(b'0'));
    }
    v
}

/// The day number of `YYYY-MM-DD`, a real calendar date.
fn date_days(date: [u8; 10]) -> Result<i64, TimeError> {
    let mut bad = false;
    let mut num = |from: usize, to: usize| fixed_digits(&date[from..to], &mut bad);
    let (year, month, day) = (num(0, 4), num(5, 7), num(8, 10));
    if bad || date[4] != b'-' || date[7] != b'-' {
        return Err(TimeError::Syntax);
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(TimeError::Range);
    }
    Ok(days_from_civil(year, month, day))
}

fn digits(b: &[u8], at: usize, n: usize) -> Result<i64, TimeError> {
    let mut v = 0i64;
    for &c in b.get(at..at + n).ok_or(TimeError::Syntax)? {
        if !c.is_ascii_digit() {
            return Err(TimeError::Syntax);
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Ok(v)
}

fn expect(b: &[u8], at: usize, c: u8) -> Result<(), TimeError> {
    if b.get(at) == Some(&c) { Ok(()) } else { Err(TimeError::Syntax) }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The time of day of an instant, "HH:MM:SS" in UTC (the panes' clock column).
pub fn clock_time(t: Micros) -> String {
    let stamp = format_rfc3339(t);
    stamp.get(11..19).unwrap_or(&stamp).to_owned()
}

/// The time of day of an RFC 3339 stamp this crate wrote ("HH:MM:SS"), or the
/// stamp itself if it is not one.
pub fn clock_of(stamp: &str) -> &str {
    stamp.get(11..19).unwrap_or(stamp)
}

/// Formats an instant as RFC 3339 in UTC with millisecond precision.
pub fn format_rfc3339(t: Micros) -> String {
    match chrono::DateTime::from_timestamp_micros(t) {
        Some(dt) => dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => format!("@{t}us"),
    }
}

/// Formats an instant as RFC 3339 in UTC with microsecond precision (for writers:
/// events a few microseconds apart keep their order).
pub fn format_rfc3339_micros(t: Micros) -> String {
    match chrono::DateTime::from_timestamp_micros(t) {
        Some(dt) => dt.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        None => format!("@{t}us"),
    }
}

/// The wall clock, for the shell only: the core is always handed its `now`.
pub fn wall_clock() -> Micros {
    chrono::Utc::now().timestamp_micros()
}

/// A compact human duration: "850ms", "12.3s", "4m 05s", "2h 15m", "3d 4h".
pub fn human_duration(micros: i64) -> String {
    let ms = micros as f64 / 1000.0;
    if micros < 0 {
        return format!("-{}", human_duration(-micros));
    }
    if ms < 1000.0 {
        return format!("{ms:.0}ms");
    }
    let s = micros / MICROS_PER_SECOND;
    if s < 60 {
        return format!("{:.1}s", ms / 1000.0);
    }
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m {sec:02}s")
    }
}

/// Reads "250ms", "2s", "1.5s", "5m", "1h".
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("{s:?} is not a duration like 500ms, 2s, 5m or 1h"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    if !(secs > 0.0 && secs < 1e9) {
        return Err(format!("{s:?} must be more than zero"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Serialises an instant as RFC 3339 (for serde's `serialize_with`).
pub fn serialize_rfc3339<S: serde::Serializer>(t: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_rfc3339(*t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_cache_reads_as_the_parser_does() {
        let mut cache = DayCache::default();
        for text in [
            "2026-02-28T10:00:00Z",
            "2026-02-28T23:59:59.999999Z",
            "2026-02-29T00:00:00Z",
            "2026-02-28T25:00:00Z",
            "2026-02-28T10:00:00+02:00",
            "2028-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-31T12:00:00.5Z",
            "2026-12-31t12:00:00z",
            "2026-12-31X12:00:00Z",
            "2026-12-31T12:00:60Z",
            "20x6-12-31T12:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_cached(text, &mut cache), parse_rfc3339(text), "{text}");
        }
    }

    /// `time_of_day`, a byte at a time (as it was read before).
    fn time_of_day_bytewise(head: &[u8; 19]) -> Option<(i64, i64, i64)> {
        let digit = |at: usize| head[at].is_ascii_digit().then(|| i64::from(head[at] - b'0'));
        let two = |at: usize| Some(digit(at)? * 10 + digit(at + 1)?);
        let colons = head[13] == b':' && head[16] == b':';
        colons.then_some(())?;
        Some((two(11)?, two(14)?, two(17)?))
    }

    #[test]
    fn the_time_of_day_reads_as_a_digit_at_a_time() {
        let mut rng = crate::synth::Rng::new(3);
        // Bytes near the digits' and colon's values, and anywhere.
        let near = [b'0', b'9', b'/', b':', b';', b'9' + 7, b'0' + 0x80, 0x00, 0x7f, 0xff, b'T', b' '];
        for case in 0..200_000 {
            let mut head = *b"2026-11-26T21:30:59";
            for digit in &mut head[11..19] {
                *digit = b'0' + rng.below(10) as u8;
            }
            head[13] = b':';
            head[16] = b':';
            // Most cases change a byte or two; some none (every valid time).
            for _ in 0..case % 3 {
                let at = 11 + rng.below(8);
                head[at] = if rng.chance(0.5) { near[rng.below(near.len())] } else { rng.below(256) as u8 };
            }
            assert_eq!(time_of_day(&head), time_of_day_bytewise(&head), "{:?}", String::from_utf8_lossy(&head));
        }
    }

    #[test]
    fn agrees_with_chrono_on_random_valid_stamps() {
        let mut rng = crate::synth::Rng::new(5);
        let mut cache = DayCache::default();
        for _ in 0..20_000 {
            let (h, m, s) = (rng.below(24), rng.below(60), rng.below(60));
            let day = 1 + rng.below(28);
            let stamp = format!("2026-03-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z", rng.below(1000));
            assert_eq!(parse_rfc3339_cached(&stamp, &mut cache), Ok(chrono_micros(&stamp)), "{stamp}");
        }
    }

    fn chrono_micros(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    #[test]
    fn agrees_with_chrono_on_valid_stamps() {
        for s in [
            "2026-11-26T21:30:00.123Z",
            "2026-11-26T21:30:00Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999Z",
            "2024-02-29T12:00:00+05:30",
            "2000-02-29T00:00:00-08:00",
            "2026-11-26T21:30:00.123456789Z",
            "2026-11-26t21:30:00.5z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), Ok(chrono_micros(s)), "{s}");
        }
    }

    #[test]
    fn rejects_what_the_format_forbids() {
        for s in [
            "2026-11-26 21:30:00Z",
            "2026-11-26T21:30:00",
            "2026-11-26T21:30Z",
            "2026-11-26T21:30:00.Z",
            "2026-11-26T21:30:00+0200",
            "2026-11-26T21:30:00Zjunk",
            "26-11-26T21:30:00Z",
            "2026-1-26T21:30:00Z",
            "",
            "２０２６-11-26T21:30:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), Err(TimeError::Syntax), "{s}");
        }
        for s in [
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T23:60:00Z",
            "2026-11-26T23:59:61Z",
            "2026-11-26T23:59:00+24:00",
        ] {
            assert_eq!(parse_rfc3339(s), Err(TimeError::Range), "{s}");
        }
    }

    #[test]
    fn leap_second_sorts_inside_its_minute() {
        let leap = parse_rfc3339("2016-12-31T23:59:60Z").unwrap();
        let next = parse_rfc3339("2017-01-01T00:00:00Z").unwrap();
        assert!(leap < next && next - leap == 1);
    }

    #[test]
    fn formats_and_humanises() {
        let t = parse_rfc3339("2026-11-26T21:30:00.123Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-26T21:30:00.123Z");
        assert_eq!(human_duration(850_000), "850ms");
        assert_eq!(human_duration(12_340_000), "12.3s");
        assert_eq!(human_duration(245 * MICROS_PER_SECOND), "4m 05s");
        assert_eq!(human_duration(2 * MICROS_PER_HOUR + 15 * MICROS_PER_MINUTE), "2h 15m");
    }
}
