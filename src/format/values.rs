//! How entries and values are spelled: literals as written, lists and maps on one line, conditions with single
//! spaces, relative canary limits as `F * baseline`.

use super::printer::{pad, Printer};
use crate::syntax::ast::*;

impl Printer<'_> {
    pub(super) fn attribute(&self, a: &Attribute, width: usize) -> String {
        format!("{} = {}", pad(&a.key.name, width), self.value(&a.value))
    }

    pub(super) fn condition(&self, c: &Condition) -> String {
        let args = match &c.args {
            Some(args) => format!(
                "({})",
                args.iter()
                    .map(|a| self.value(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        format!(
            "{}{args} {} {}",
            c.metric.name,
            c.op.as_str(),
            self.value(&c.value)
        )
    }

    pub(super) fn value(&self, v: &Value) -> String {
        match &v.kind {
            ValueKind::List(items) => {
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| self.value(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            ValueKind::Map(entries) => {
                if entries.is_empty() {
                    return "{}".into();
                }
                let parts: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{} = {}", self.slice(e.key.span), self.value(&e.value)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            ValueKind::Relative { base, .. } => {
                let text = self.slice(v.span);
                // The factor as written: up to a space, `*` or a comment (comments inside an entry are printed
                // before it).
                let factor = text
                    .split(|c: char| c.is_whitespace() || c == '*' || c == '#')
                    .next()
                    .unwrap_or("");
                format!("{factor} * {}", base.name)
            }
            ValueKind::Classifier(ms) => ms
                .iter()
                .map(|m| match m {
                    Matcher::Field { field, pattern } => {
                        format!("{} ~ {}", field.name, self.slice(pattern.span))
                    }
                    Matcher::Trailer(s) => format!("trailer {}", self.slice(s.span)),
                })
                .collect::<Vec<_>>()
                .join(" or "),
            _ => self.slice(v.span).to_string(),
        }
    }
}
