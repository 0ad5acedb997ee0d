//! Canary queries: the SLI's queries with the canary's (or the baseline's) label matchers added to every
//! series selector, by rewriting the parsed PromQL rather than editing text.

use crate::model::promql::fill;
use crate::model::{Canary, Sli, SliKind};
use promql_parser::label::Matcher;
use promql_parser::parser::Expr;

/// The matchers of a selector text such as `track="canary"` (braces optional).
pub fn matchers(selector: &str) -> Result<Vec<Matcher>, String> {
    let s = selector
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}');
    match crate::model::promql::parse_guarded(&format!("{{{s}}}")) {
        Ok(Expr::VectorSelector(vs)) => Ok(vs.matchers.matchers),
        Ok(_) => Err(format!("`{selector}` is not a list of label matchers")),
        Err(e) => Err(format!("`{selector}` is not a list of label matchers: {e}")),
    }
}

fn inject(e: &mut Expr, extra: &[Matcher]) {
    match e {
        Expr::VectorSelector(vs) => vs.matchers.matchers.extend(extra.iter().cloned()),
        Expr::MatrixSelector(ms) => ms.vs.matchers.matchers.extend(extra.iter().cloned()),
        Expr::Aggregate(a) => {
            inject(&mut a.expr, extra);
            if let Some(p) = &mut a.param {
                inject(p, extra);
            }
        }
        Expr::Unary(u) => inject(&mut u.expr, extra),
        Expr::Binary(b) => {
            inject(&mut b.lhs, extra);
            inject(&mut b.rhs, extra);
        }
        Expr::Paren(p) => inject(&mut p.expr, extra),
        Expr::Subquery(s) => inject(&mut s.expr, extra),
        Expr::Call(c) => c.args.args.iter_mut().for_each(|a| inject(a, extra)),
        _ => {}
    }
}

/// The error ratio of a ratio SLI over the canary's interval, restricted by `selector`.
pub fn error_ratio(sli: &Sli, canary: &Canary, selector: &str) -> Result<String, String> {
    let SliKind::Ratio {
        events,
        events_are_bad,
        total,
    } = &sli.kind
    else {
        return Err("canary analysis needs a ratio SLI".to_string());
    };
    let extra = matchers(selector)?;
    let window = canary.over.to_string();
    let rewrite = |q: &str| -> Result<String, String> {
        let mut e = crate::model::promql::parse_guarded(&fill(q.trim(), &window))
            .map_err(|e| format!("cannot rewrite `{q}`: {e}"))?;
        inject(&mut e, &extra);
        Ok(e.to_string())
    };
    let (ev, tot) = (rewrite(&events.text)?, rewrite(&total.text)?);
    // As in the rules (emit::queries): with traffic, a missing event series is zero events.
    Ok(if *events_are_bad {
        format!("({ev} or on() vector(0)) / ({tot})")
    } else {
        format!("1 - (({ev} or on() vector(0)) / ({tot}))")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_are_added_to_every_selector() {
        let m = matchers("track=\"canary\"").unwrap();
        let mut e = crate::model::promql::parse_guarded(
            "sum(rate(http_requests_total{job=\"api\",code!~\"5..\"}[10m])) / sum(rate(x[10m]))",
        )
        .unwrap();
        inject(&mut e, &m);
        let s = e.to_string();
        assert_eq!(s.matches("track=\"canary\"").count(), 2, "{s}");
        assert!(promql_parser::parser::parse(&s).is_ok(), "{s}");
        assert!(matchers("not a matcher ===").is_err());
    }
}
