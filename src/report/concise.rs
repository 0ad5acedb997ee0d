//! One line per finding, for editors, grep and terminals that want nothing else:
//! `path:line:col: severity[code] message`. Untrusted text is stripped of control characters and newlines.

use super::check::{at, CheckReport};
use super::excerpt::sanitize_text;

pub fn render_concise(r: &CheckReport<'_>) -> String {
    let mut out = String::new();
    for d in r.shown() {
        let a = at(r.sources, &d.primary);
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n",
            one_line(a.file),
            a.start.line,
            a.start.column,
            d.severity.as_str(),
            d.code.as_str(),
            one_line(&d.message)
        ));
    }
    out
}

fn one_line(s: &str) -> String {
    sanitize_text(s).replace(['\n', '\r'], " ")
}
