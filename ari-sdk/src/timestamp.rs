//! [`Timestamp`]: the `Date` type of the ARI specs.

use std::fmt;
use std::str::FromStr;

use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Asterisk's own shape: `2026-11-26T05:06:00.285+0000` (fraction optional, no colon in the offset).
const ASTERISK_FORMAT: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]][offset_hour sign:mandatory][offset_minute]"
);

/// A point in time as ARI sends it: the spec type `Date`.
///
/// Asterisk writes timestamps as `2026-11-26T05:06:00.285+0000`: millisecond precision and a UTC
/// offset without a colon. Parsing accepts that shape (with or without the fraction, with any
/// offset sign) and RFC 3339 (`2026-11-26T05:06:00.285+00:00`, `…Z`). [`Display`](fmt::Display)
/// and serialisation write Asterisk's shape back, with three fraction digits (six or nine only for
/// an instant finer than a millisecond) and the original offset, so a timestamp read from Asterisk
/// serialises to the same string, and any timestamp reads back as the same instant.
///
/// Equality, ordering and hashing compare instants: `05:06:00+0000` equals `06:06:00+0100`.
///
/// ```
/// use ari_sdk::Timestamp;
///
/// let t: Timestamp = "2026-11-26T05:06:00.285+0000".parse()?;
/// assert_eq!(t.to_string(), "2026-11-26T05:06:00.285+0000");
/// assert_eq!(t.as_offset_date_time().millisecond(), 285);
/// # Ok::<(), ari_sdk::ParseTimestampError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Wraps a [`time::OffsetDateTime`].
    pub const fn new(value: OffsetDateTime) -> Self {
        Self(value)
    }

    /// The current time, in UTC.
    pub fn now_utc() -> Self {
        Self(OffsetDateTime::now_utc())
    }

    /// The wrapped [`time::OffsetDateTime`], with the offset Asterisk sent.
    pub const fn as_offset_date_time(&self) -> &OffsetDateTime {
        &self.0
    }

    /// Unwraps into a [`time::OffsetDateTime`].
    pub const fn into_offset_date_time(self) -> OffsetDateTime {
        self.0
    }

    /// Parses Asterisk's shape or RFC 3339; the same as [`str::parse`].
    pub fn parse(input: &str) -> Result<Self, ParseTimestampError> {
        match OffsetDateTime::parse(input, ASTERISK_FORMAT) {
            Ok(value) => Ok(Self(value)),
            Err(asterisk_error) => OffsetDateTime::parse(input, &Rfc3339)
                .map(Self)
                .map_err(|_| ParseTimestampError::new(input, asterisk_error)),
        }
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(value: OffsetDateTime) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl FromStr for Timestamp {
    type Err = ParseTimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    /// Writes `YYYY-MM-DDTHH:MM:SS.mmm+HHMM`: three fraction digits, or six or nine for an instant
    /// finer than a millisecond (parsed from another source), so the value reads back unchanged. An
    /// offset with seconds (which this shape cannot express) is written as the same instant in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0;
        if value.offset().seconds_past_minute() != 0 {
            if let Some(utc) = value.checked_to_offset(UtcOffset::UTC) {
                value = utc;
            }
        }
        let year = value.year();
        if year < 0 {
            f.write_str("-")?;
        }
        let (hours, minutes, _) = value.offset().as_hms();
        let offset_sign = if value.offset().is_negative() {
            '-'
        } else {
            '+'
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.",
            year.unsigned_abs(),
            u8::from(value.month()),
            value.day(),
            value.hour(),
            value.minute(),
            value.second(),
        )?;
        // Asterisk's three digits; more only for a finer instant (which Asterisk never sends), so that
        // writing and reading back gives the same instant.
        let nanos = value.nanosecond();
        if nanos % 1_000_000 == 0 {
            write!(f, "{:03}", nanos / 1_000_000)?;
        } else if nanos % 1_000 == 0 {
            write!(f, "{:06}", nanos / 1_000)?;
        } else {
            write!(f, "{nanos:09}")?;
        }
        write!(
            f,
            "{}{:02}{:02}",
            offset_sign,
            hours.unsigned_abs(),
            minutes.unsigned_abs(),
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp such as \"2026-11-26T05:06:00.285+0000\"")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

/// A string that is not a timestamp in Asterisk's shape or RFC 3339.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid timestamp {input:?} (expected e.g. \"2026-11-26T05:06:00.285+0000\"): {source}")]
pub struct ParseTimestampError {
    /// The input, cut to at most 64 characters.
    input: String,
    /// Why it did not parse as Asterisk's shape.
    #[source]
    source: time::error::Parse,
}

impl ParseTimestampError {
    fn new(input: &str, source: time::error::Parse) -> Self {
        Self {
            input: input.chars().take(64).collect(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Timestamp {
        match Timestamp::parse(s) {
            Ok(t) => t,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn asterisk_shape_round_trips() {
        for s in [
            "2026-11-26T05:06:00.285+0000",
            "2026-11-26T05:03:29.009+0000",
            "2026-01-01T00:00:00.000+0000",
            "1999-12-31T23:59:59.999-0500",
            "2026-06-30T12:00:00.001+0530",
            "2026-06-30T12:00:00.100-0930",
        ] {
            assert_eq!(parse(s).to_string(), s);
        }
    }

    #[test]
    fn components_and_offsets() {
        let t = parse("2026-11-26T05:06:00.285-0330");
        let odt = t.into_offset_date_time();
        assert_eq!(
            (odt.year(), u8::from(odt.month()), odt.day()),
            (2026, 11, 26)
        );
        assert_eq!((odt.hour(), odt.minute(), odt.second()), (5, 6, 0));
        assert_eq!(odt.millisecond(), 285);
        assert_eq!(odt.offset().as_hms(), (-3, -30, 0));
        assert_eq!(odt.unix_timestamp(), 1_795_669_560 + 3 * 3600 + 30 * 60);
    }

    #[test]
    fn finer_than_milliseconds_round_trips() {
        // Found by the fuzz target: `.6806` was written as `.680`, and read back as another instant.
        for (input, written) in [
            (
                "2026-11-26T05:06:00.6806+0000",
                "2026-11-26T05:06:00.680600+0000",
            ),
            (
                "2026-11-26T05:06:00.123456789+0000",
                "2026-11-26T05:06:00.123456789+0000",
            ),
            ("2026-11-26T05:06:00.5+0000", "2026-11-26T05:06:00.500+0000"),
        ] {
            let t = parse(input);
            assert_eq!(t.to_string(), written);
            assert_eq!(parse(written), t);
        }
    }

    #[test]
    fn without_millis() {
        let t = parse("2026-11-26T05:06:00+0000");
        assert_eq!(t.as_offset_date_time().nanosecond(), 0);
        assert_eq!(t.to_string(), "2026-11-26T05:06:00.000+0000");
        assert_eq!(
            parse("2026-11-26T05:06:00-0800").to_string(),
            "2026-11-26T05:06:00.000-0800"
        );
    }

    #[test]
    fn rfc3339() {
        assert_eq!(
            parse("2026-11-26T05:06:00.285+00:00"),
            parse("2026-11-26T05:06:00.285+0000")
        );
        assert_eq!(
            parse("2026-11-26T05:06:00Z").to_string(),
            "2026-11-26T05:06:00.000+0000"
        );
        assert_eq!(
            parse("2026-11-26T05:06:00.285-05:00").to_string(),
            "2026-11-26T05:06:00.285-0500"
        );
        // Longer fractions are kept, and written in full so that they read back the same.
        let t = parse("2026-11-26T05:06:00.123456789+01:00");
        assert_eq!(t.as_offset_date_time().nanosecond(), 123_456_789);
        assert_eq!(t.to_string(), "2026-11-26T05:06:00.123456789+0100");
    }

    #[test]
    fn equality_is_by_instant() {
        assert_eq!(
            parse("2026-11-26T05:06:00.285+0000"),
            parse("2026-11-26T06:06:00.285+0100")
        );
        assert!(parse("2026-11-26T05:06:00.285+0000") < parse("2026-11-26T05:06:00.286+0000"));
    }

    #[test]
    fn bad_input_is_an_error() {
        for s in [
            "",
            "now",
            "2026-11-26",
            "2026-11-26T05:06:00.285",
            "2026-11-26T05:06:00.285+",
            "2026-11-26T05:06:00.285+00",
            "2026-13-26T05:06:00.285+0000",
            "2026-02-30T05:06:00.285+0000",
            "2026-11-26T25:06:00.285+0000",
            "2026-11-26T05:06:00.+0000",
            "2026-11-26T05:06:00.285+0060",
            "2026-11-26T05:06:00.285+9900",
            "2026-11-26 05:06:00.285+0000x",
            "2026-11-26T05:06:00.285+0000 ",
            "２０２６-11-26T05:06:00.285+0000",
        ] {
            let err = Timestamp::parse(s).expect_err(s);
            assert!(err.to_string().contains("invalid timestamp"), "{err}");
        }
        let long = "x".repeat(10_000);
        let err = Timestamp::parse(&long).expect_err("long");
        assert!(err.to_string().len() < 300);
    }

    #[test]
    fn serde_round_trip() {
        let t: Timestamp =
            serde_json::from_str("\"2026-11-26T05:06:00.285+0000\"").expect("decode");
        assert_eq!(
            serde_json::to_string(&t).expect("encode"),
            "\"2026-11-26T05:06:00.285+0000\""
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("1764133560").is_err());
        assert!(serde_json::from_str::<Timestamp>("null").is_err());
        let opt: Option<Timestamp> = serde_json::from_str("null").expect("option");
        assert!(opt.is_none());
    }

    #[test]
    fn offsets_with_seconds_are_written_in_utc() {
        let offset = UtcOffset::from_hms(1, 0, 30).expect("offset");
        let odt = parse("2026-11-26T05:06:00.285+0000")
            .into_offset_date_time()
            .to_offset(offset);
        let t = Timestamp::from(odt);
        assert_eq!(t.to_string(), "2026-11-26T05:06:00.285+0000");
        assert_eq!(OffsetDateTime::from(t), odt);
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let min = Timestamp::new(OffsetDateTime::new_in_offset(
            time::Date::MIN,
            time::Time::MIDNIGHT,
            UtcOffset::from_hms(-23, -59, -59).expect("offset"),
        ));
        let max = Timestamp::new(OffsetDateTime::new_in_offset(
            time::Date::MAX,
            time::Time::MAX,
            UtcOffset::from_hms(23, 59, 59).expect("offset"),
        ));
        assert!(!min.to_string().is_empty());
        assert!(!max.to_string().is_empty());
        assert_eq!(format!("{min:?}"), format!("Timestamp({min})"));
    }
}
