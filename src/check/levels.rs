//! Severity overrides, decided in one place.
//!
//! A finding's severity comes from, in order of precedence: the command line (`--deny`/`--warn`/`--allow`,
//! the last one for a code wins), the `checks { … }` block of the service it is about, the tier defaults
//! (`manifests = error|warning|off`, for the tiered manifest codes only), and the code's default. Hard codes
//! ([`Code::class`]) skip all of it: they stay errors. So a tier whose manifest checks are `off` can have one
//! check turned back on with `checks { deny = ["missing-pdb"] }` or `--deny missing-pdb`.
//!
//! Every finding is attributed to a service here when its primary span lies inside that service's block (the
//! manifest checks name their service themselves).

use crate::diag::HARD_KINDS;
use crate::diag::{Code, Diagnostic, Severity};
use crate::model::{CheckLevel, ManifestLevel, Model, Service};
use std::collections::HashMap;

/// Why an override on the command line is refused (exit 2): it tries to downgrade a hard code.
pub fn refuse_hard(levels: &[(Code, CheckLevel)]) -> Option<String> {
    let (code, level) = levels
        .iter()
        .find(|(c, l)| c.is_hard() && *l != CheckLevel::Deny)?;
    let flag = match level {
        CheckLevel::Warn => "--warn",
        _ => "--allow",
    };
    Some(format!(
        "`{flag} {code}` is refused: `{code}` is a hard error ({}), which no override can downgrade\nhelp: fix the problem; `slogate explain` lists which codes are hard and which can be adjusted",
        HARD_KINDS
    ))
}

/// Attributes findings to services and applies every override; `Allow` and tier `off` drop a finding.
pub fn apply(diags: Vec<Diagnostic>, model: &Model, cli: &[(Code, CheckLevel)]) -> Vec<Diagnostic> {
    let services: HashMap<&str, &Service> = model
        .services
        .iter()
        .map(|s| (s.name.value.as_str(), s))
        .collect();
    let mut extents: HashMap<u32, Vec<(u32, u32, &str)>> = HashMap::new();
    for s in &model.services {
        extents.entry(s.extent.file.0).or_default().push((
            s.extent.start,
            s.extent.end,
            s.name.value.as_str(),
        ));
    }
    diags
        .into_iter()
        .filter_map(|mut d| {
            if d.service.is_none() {
                let at = d.primary.span;
                d.service = extents.get(&at.file.0).and_then(|list| {
                    list.iter()
                        .find(|(start, end, _)| *start <= at.start && at.end <= *end)
                        .map(|(_, _, name)| name.to_string())
                });
            }
            if d.code.is_hard() {
                return Some(d);
            }
            let service = d.service.as_deref().and_then(|n| services.get(n).copied());
            let explicit = last_level(cli, d.code)
                .or_else(|| service.and_then(|s| last_level(&s.check_levels, d.code)));
            let level = match explicit {
                Some(l) => l,
                None => match (d.code.is_tiered(), service) {
                    (true, Some(s)) => match tier_level(model, s) {
                        ManifestLevel::Error => return Some(d),
                        ManifestLevel::Warning => CheckLevel::Warn,
                        ManifestLevel::Off => CheckLevel::Allow,
                    },
                    _ => return Some(d),
                },
            };
            match level {
                CheckLevel::Allow => None,
                CheckLevel::Warn => Some(d.with_severity(Severity::Warning)),
                CheckLevel::Deny => Some(d.with_severity(Severity::Error)),
            }
        })
        .collect()
}

fn last_level(levels: &[(Code, CheckLevel)], code: Code) -> Option<CheckLevel> {
    levels
        .iter()
        .rev()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

/// How the tier defaults report the tiered manifest codes (an unknown tier: as errors).
fn tier_level(model: &Model, s: &Service) -> ManifestLevel {
    model
        .tier(s.tier.value)
        .map_or(ManifestLevel::Error, |t| t.manifests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downgrading_a_hard_code_is_refused_and_denying_it_is_not() {
        let msg = refuse_hard(&[
            (Code::UnusedSli, CheckLevel::Allow),
            (Code::Syntax, CheckLevel::Warn),
        ])
        .expect("refused");
        assert!(msg.starts_with("`--warn syntax` is refused"), "{msg}");
        assert!(refuse_hard(&[(Code::UnclosedDelimiter, CheckLevel::Allow)]).is_some());
        assert!(refuse_hard(&[(Code::GeneratedRulesDrift, CheckLevel::Allow)]).is_some());
        assert_eq!(refuse_hard(&[(Code::Syntax, CheckLevel::Deny)]), None);
        assert_eq!(refuse_hard(&[(Code::MissingPdb, CheckLevel::Allow)]), None);
    }
}
