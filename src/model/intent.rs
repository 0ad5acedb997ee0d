//! Helps that guess what a value of the wrong kind meant, from its size and the key it was written for:
//! `objective = 0.999` is a ratio (`99.9%`), `under = 250` is milliseconds, `window = 30` is days.

use crate::syntax::ast::DurationUnit;
use crate::syntax::hints::whole_duration;
use rust_decimal::Decimal;

/// A plain number where a percentage goes.
pub fn percent_for_number(n: Decimal) -> String {
    if n > Decimal::ZERO && n < Decimal::ONE {
        let p = (n * Decimal::ONE_HUNDRED).normalize();
        format!("did you mean `{p}%`? `{n}` reads as a ratio, and `{n}%` would be less than 1%")
    } else {
        format!("write `{n}%`")
    }
}

/// A plain number where a duration goes, by what the key measures.
pub fn duration_for_number(key: &str, n: Decimal) -> String {
    let unit = match key {
        // Latency thresholds: a number of 10 or more is milliseconds, a smaller one seconds.
        "under" => {
            return if n >= Decimal::TEN && n.fract().is_zero() {
                format!("latency thresholds are durations: did you mean `{n}ms`?")
            } else {
                match whole_duration(&n.to_string(), DurationUnit::S) {
                    Some(w) => format!(
                        "latency thresholds are durations: did you mean `{w}` ({n} seconds)?"
                    ),
                    None => generic(n),
                }
            };
        }
        "window" => DurationUnit::D,
        "long" | "the window argument" => DurationUnit::H,
        "short" | "over" => DurationUnit::M,
        _ => return generic(n),
    };
    match whole_duration(&n.to_string(), unit) {
        Some(w) => format!("did you mean `{w}`?"),
        None => generic(n),
    }
}

fn generic(n: Decimal) -> String {
    format!("add a unit: `{n}m`, `{n}h`, `{n}d` (units: ms, s, m, h, d, w)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn ratios_are_read_as_percentages() {
        assert_eq!(
            percent_for_number(d("0.999")),
            "did you mean `99.9%`? `0.999` reads as a ratio, and `0.999%` would be less than 1%"
        );
        assert_eq!(percent_for_number(d("25")), "write `25%`");
    }

    #[test]
    fn durations_follow_the_key() {
        assert_eq!(
            duration_for_number("under", d("250")),
            "latency thresholds are durations: did you mean `250ms`?"
        );
        assert_eq!(
            duration_for_number("under", d("0.3")),
            "latency thresholds are durations: did you mean `300ms` (0.3 seconds)?"
        );
        assert_eq!(
            duration_for_number("window", d("30")),
            "did you mean `30d`?"
        );
        assert_eq!(duration_for_number("long", d("1.5")), "did you mean `90m`?");
        assert_eq!(duration_for_number("short", d("5")), "did you mean `5m`?");
    }
}
