//! Messages that guess what a mistaken token meant, with the concrete rewrite: a number glued to a unit the
//! language does not have (`30days`, `30D`, `1mo`, `1.5h`), typographic quotes, a file written as YAML.
//! Pure functions over text: the parser and the pest-error converter call them.

use super::ast::DurationUnit;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The diagnostic for `bad_unit` (a number glued to letters the grammar does not know).
pub fn bad_unit(span: Span, text: &str) -> Diagnostic {
    let digits_end = text
        .find(|c: char| c.is_ascii_alphabetic() || c == '/')
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(digits_end);
    if let Some(per) = unit.strip_prefix('/') {
        return Diagnostic::new(
            Code::WrongType,
            span,
            format!("unknown rate unit `/{per}` in `{text}`"),
        )
        .with_primary_label("expected `/s`, `/m`, `/h` or `/d`")
        .with_help_opt(
            suggest_unit(per, &["s", "m", "h", "d"]).map(|u| format!("write `{num}/{u}`")),
        );
    }
    if let Some(days) = calendar_days(unit) {
        let rewrite = Decimal::from_str(num)
            .ok()
            .map(|n| (n * Decimal::from(days)).normalize())
            .filter(|d| d.fract().is_zero() && *d > Decimal::ZERO);
        return Diagnostic::new(
            Code::InvalidValue,
            span,
            format!("calendar windows are not supported yet: `{text}` is calendar time"),
        )
        .with_primary_label("calendar unit")
        .with_help(match rewrite {
            Some(d) => format!("use a rolling window: `{d}d`"),
            None => "use a rolling window in days, e.g. `30d`".to_string(),
        });
    }
    if let Some(u) = DurationUnit::parse(unit) {
        if num.contains('.') {
            let rewrite = whole_duration(num, u);
            return Diagnostic::new(
                Code::InvalidValue,
                span,
                format!("durations are whole numbers, found `{text}`"),
            )
            .with_primary_label("fractional duration")
            .with_help(match rewrite {
                Some(w) => format!("write `{w}`"),
                None => "use a smaller unit, e.g. `90m` instead of `1.5h`".to_string(),
            });
        }
    }
    let lower = unit.to_ascii_lowercase();
    let help = if lower != unit && DurationUnit::parse(&lower).is_some() {
        Some(format!("units are lower-case: write `{num}{lower}`"))
    } else {
        suggest_unit(unit, &["ms", "s", "m", "h", "d", "w"]).map(|u| format!("write `{num}{u}`"))
    };
    Diagnostic::new(
        Code::WrongType,
        span,
        format!("unknown unit `{unit}` in `{text}`"),
    )
    .with_primary_label("expected one of `ms`, `s`, `m`, `h`, `d`, `w` (durations) or `%`")
    .with_help_opt(help)
}

/// Days in one calendar unit (`mo` 30, `q` 90, `y` 365); `M` is a month (minutes are `m`).
fn calendar_days(unit: &str) -> Option<u32> {
    if unit == "M" {
        return Some(30);
    }
    match unit.to_ascii_lowercase().as_str() {
        "mo" | "mos" | "mon" | "month" | "months" => Some(30),
        "q" | "qtr" | "quarter" | "quarters" => Some(90),
        "y" | "yr" | "yrs" | "year" | "years" => Some(365),
        _ => None,
    }
}

/// `1.5h` → `90m`: the same length in the largest unit that makes it whole; `None` if even milliseconds
/// cannot (`0.0001s`).
pub fn whole_duration(amount: &str, unit: DurationUnit) -> Option<String> {
    let ms = Decimal::from_str(amount).ok()? * Decimal::from(unit.millis());
    if !ms.fract().is_zero() || ms <= Decimal::ZERO {
        return None;
    }
    for (u, name) in [
        (DurationUnit::W, "w"),
        (DurationUnit::D, "d"),
        (DurationUnit::H, "h"),
        (DurationUnit::M, "m"),
        (DurationUnit::S, "s"),
        (DurationUnit::Ms, "ms"),
    ] {
        let n = ms / Decimal::from(u.millis());
        if n.fract().is_zero() {
            return Some(format!("{}{name}", n.normalize()));
        }
    }
    None
}

/// Maps long unit spellings to ours: `30days` → `d`, `5min` → `m`.
pub fn suggest_unit(unit: &str, allowed: &[&str]) -> Option<&'static str> {
    let u = unit.to_ascii_lowercase();
    let pick = match u.as_str() {
        "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => "ms",
        "sec" | "secs" | "second" | "seconds" => "s",
        "min" | "mins" | "minute" | "minutes" => "m",
        "hr" | "hrs" | "hour" | "hours" => "h",
        "day" | "days" => "d",
        "wk" | "wks" | "week" | "weeks" => "w",
        _ => return None,
    };
    allowed.contains(&pick).then_some(pick)
}

/// Typographic quotes an editor or word processor put in place of `"`.
pub fn typographic_quote(c: char) -> bool {
    matches!(
        c,
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2018}' | '\u{2019}' | '\u{00AB}' | '\u{00BB}'
    )
}

/// Whether a file reads as YAML rather than policy: no `{` at all, and at least two `key: value` lines or
/// `- item` lines.
pub fn looks_like_yaml(text: &str) -> bool {
    if text.contains('{') {
        return false;
    }
    let yamlish = text
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.starts_with("- ")
                || l.split_once(':').is_some_and(|(k, rest)| {
                    !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                        && (rest.is_empty() || rest.starts_with(' '))
                })
        })
        .count();
    yamlish >= 2
}

/// The services and profiles a file that does not parse declares, read line by line (`service name {` or
/// `profile name {` at the start of a line, outside comments): their names are known, only their definitions
/// are not.
pub fn declared_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l
                .strip_prefix("service")
                .or_else(|| l.strip_prefix("profile"))?;
            let rest = rest.strip_prefix([' ', '\t'])?.trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn services_of_a_broken_file_are_still_named() {
        use super::declared_names;
        let text = "# service commented {\nservice payments {\n  owner = \n}\n  service  cart-api{\nprofile fast {\n";
        assert_eq!(declared_names(text), ["payments", "cart-api", "fast"]);
    }

    use super::*;

    #[test]
    fn fractional_durations_are_rewritten_in_the_largest_whole_unit() {
        assert_eq!(
            whole_duration("1.5", DurationUnit::H).as_deref(),
            Some("90m")
        );
        assert_eq!(
            whole_duration("0.5", DurationUnit::D).as_deref(),
            Some("12h")
        );
        assert_eq!(
            whole_duration("1.25", DurationUnit::S).as_deref(),
            Some("1250ms")
        );
        // 3.5 weeks = 24.5 days = 588 hours.
        assert_eq!(
            whole_duration("3.5", DurationUnit::W).as_deref(),
            Some("588h")
        );
        assert_eq!(whole_duration("0.0001", DurationUnit::S), None);
    }

    #[test]
    fn yaml_is_told_from_policy() {
        assert!(looks_like_yaml("service: checkout\nowner: payments\n"));
        assert!(!looks_like_yaml("service checkout {\n  owner = \"x\"\n}\n"));
        assert!(!looks_like_yaml("owner: x\n"));
    }
}
