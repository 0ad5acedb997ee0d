//! The names a service's definitions get in Prometheus: alert names, SLO ids (the `slo_id` label and the rule
//! group names). One place decides them, so that the emitter writes them and the policy checks can prove
//! that two definitions never end up with the same name (`a-b` and `a_b` both become `AB`).

use super::types::{Alert, Service, Slo};

/// `checkout` + `fast-weekly` → `CheckoutFastWeekly` (`-` and `_` both separate words).
pub fn camel(parts: &[&str]) -> String {
    parts
        .iter()
        .flat_map(|p| p.split(['-', '_']))
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The alert name of an alert block: `CheckoutAvailabilityErrorBudgetBurn`.
pub fn alert_name(s: &Service, a: &Alert) -> String {
    format!("{}ErrorBudgetBurn", camel(&[&s.name.value, &a.name.value]))
}

/// The absent-data alert of an SLI: `CheckoutAvailabilitySLIAbsent`.
pub fn absent_name(s: &Service, sli: &str) -> String {
    format!("{}SLIAbsent", camel(&[&s.name.value, sli]))
}

/// The stopped-traffic alert of an SLI: `CheckoutAvailabilityNoTraffic`.
pub fn no_traffic_name(s: &Service, sli: &str) -> String {
    format!("{}NoTraffic", camel(&[&s.name.value, sli]))
}

/// The id of an SLO's series and rule group: `<service>-<slo>`.
pub fn slo_id(service: &Service, slo: &Slo) -> String {
    format!("{}-{}", service.name.value, slo.name.value)
}

#[cfg(test)]
mod tests {
    use super::camel;

    #[test]
    fn dashes_and_underscores_are_both_word_breaks() {
        assert_eq!(camel(&["checkout", "fast-weekly"]), "CheckoutFastWeekly");
        assert_eq!(camel(&["a", "b_c"]), camel(&["a", "b-c"]));
    }
}
