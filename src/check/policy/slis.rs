//! SLI checks: `unused-sli`, `identical-good-total`.

use crate::diag::{Code, Diagnostic};
use crate::model::{Model, SliKind};

pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    for s in &model.services {
        for (i, sli) in s.slis.iter().enumerate() {
            let used = s.slos.iter().any(|o| o.sli == i)
                || s.gates
                    .iter()
                    .any(|g| g.canary.as_ref().is_some_and(|c| c.sli == i));
            if !used && !s.incomplete {
                diags.push(
                    Diagnostic::new(
                        Code::UnusedSli,
                        sli.name.span,
                        format!("SLI `{}` is not used by any SLO", sli.name.value),
                    )
                    .with_primary_label("defined but never used")
                    .with_help(format!(
                        "add `slo {0} {{ sli = {0}  objective = 99.9%  window = 30d }}` or remove the SLI",
                        sli.name.value
                    )),
                );
            }
            if let SliKind::Ratio {
                events,
                events_are_bad,
                total,
            } = &sli.kind
            {
                if normalize(&events.text) == normalize(&total.text) {
                    let which = if *events_are_bad { "bad" } else { "good" };
                    diags.push(
                        Diagnostic::new(
                            Code::IdenticalGoodTotal,
                            events.span,
                            format!(
                                "`{which}` and `total` of SLI `{}` are the same query",
                                sli.name.value
                            ),
                        )
                        .with_primary_label(format!("`{which}`"))
                        .with_label(total.span, "`total`")
                        .with_help(if *events_are_bad {
                            "`bad` must select only failed events, e.g. add `code=~\"5..\"`"
                        } else {
                            "`good` must select only successful events, e.g. add `code!~\"5..\"`"
                        }),
                    );
                }
            }
        }
    }
}

/// Whitespace-insensitive form of a query.
fn normalize(q: &str) -> String {
    q.chars().filter(|c| !c.is_whitespace()).collect()
}
