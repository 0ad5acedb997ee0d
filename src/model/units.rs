//! Typed units: durations in milliseconds, ratios and rates as exact decimals.
//!
//! Policies never use floating point: `99.9%` is the decimal 0.999, and every derived figure (error budget,
//! burn factor, threshold) is computed with [`Decimal`], so emitted rules show `0.001`, not
//! `0.0009999999999999432`.

use rust_decimal::Decimal;
use std::fmt;

/// A span of time, exact to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    pub millis: u64,
}

pub const SECOND: u64 = 1_000;
pub const MINUTE: u64 = 60 * SECOND;
pub const HOUR: u64 = 60 * MINUTE;
pub const DAY: u64 = 24 * HOUR;
pub const WEEK: u64 = 7 * DAY;

impl Duration {
    pub const fn from_millis(millis: u64) -> Duration {
        Duration { millis }
    }

    pub const fn minutes(m: u64) -> Duration {
        Duration::from_millis(m * MINUTE)
    }

    pub const fn hours(h: u64) -> Duration {
        Duration::from_millis(h * HOUR)
    }

    pub const fn days(d: u64) -> Duration {
        Duration::from_millis(d * DAY)
    }

    /// `self ÷ other` as an exact decimal (28 significant digits when it does not terminate).
    pub fn ratio_to(self, other: Duration) -> Decimal {
        Decimal::from(self.millis) / Decimal::from(other.millis)
    }

    pub fn as_secs_decimal(self) -> Decimal {
        Decimal::from(self.millis) / Decimal::from(SECOND)
    }
}

/// Prometheus duration syntax with the single largest unit that divides exactly, without weeks
/// (`30d`, `28d`, `90m`, `1500ms`): what rule names and range selectors show.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.millis;
        for (unit, size) in [("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", SECOND)] {
            if m >= size && m % size == 0 {
                return write!(f, "{}{unit}", m / size);
            }
        }
        write!(f, "{m}ms")
    }
}

/// A decimal printed without trailing zeros: `0.0144`, `14.4`, `2`.
pub fn plain(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}

/// A ratio in `[0, 1]` printed as a percentage: 0.999 → `99.9%`.
pub fn percent(ratio: Decimal) -> String {
    format!("{}%", plain(ratio * Decimal::ONE_HUNDRED))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn durations_render_like_prometheus() {
        assert_eq!(Duration::days(30).to_string(), "30d");
        assert_eq!(Duration::days(28).to_string(), "28d");
        assert_eq!(Duration::minutes(90).to_string(), "90m");
        assert_eq!(Duration::hours(1).to_string(), "1h");
        assert_eq!(Duration::from_millis(1500).to_string(), "1500ms");
    }

    #[test]
    fn decimals_are_exact() {
        let budget = Decimal::ONE - Decimal::from_str("0.999").unwrap();
        assert_eq!(plain(budget), "0.001");
        assert_eq!(plain(Decimal::from_str("14.4").unwrap() * budget), "0.0144");
        assert_eq!(percent(Decimal::from_str("0.999").unwrap()), "99.9%");
        assert_eq!(
            plain(Duration::days(30).ratio_to(Duration::hours(1))),
            "720"
        );
    }
}
