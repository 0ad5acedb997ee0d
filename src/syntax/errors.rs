//! pest's errors, in our words. pest reports the rules it tried at a position; this module names them the way
//! a user thinks of them ("a value", "`{`") and says what was found there instead.

use super::parser::{describe_token, Rule};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// The user-facing name of what a rule expects.
fn expected_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::ident | Rule::block_label => "a name",
        Rule::block | Rule::top_item | Rule::use_decl => "a block",
        Rule::attribute | Rule::bad_attribute | Rule::entry => "an attribute",
        Rule::open_brace => "`{`",
        Rule::close_brace => "`}`",
        Rule::require_stmt | Rule::freeze_stmt => "a statement",
        Rule::cmp_op | Rule::bad_cmp_op => "a comparison (`>=`, `>`, `<=`, `<`, `==`, `!=`)",
        Rule::metric | Rule::condition => "a metric such as `budget(availability)`",
        Rule::string | Rule::string_inner => "a string",
        Rule::kw_require | Rule::kw_freeze | Rule::kw_use => "a block",
        Rule::kw_when => "`when`",
        Rule::kw_except | Rule::kw_or | Rule::kw_trailer => return None,
        Rule::matcher | Rule::match_field => {
            "`message ~ \"…\"`, `author ~ \"…\"` or `trailer \"…\"`"
        }
        Rule::value
        | Rule::list
        | Rule::map
        | Rule::promql
        | Rule::promql_inner
        | Rule::relative
        | Rule::percent
        | Rule::rate
        | Rule::duration
        | Rule::bad_unit
        | Rule::number
        | Rule::classifier
        | Rule::workload_ref => "a value",
        Rule::map_entry => "`key = value`",
        _ => return None,
    })
}

/// The token at `offset`, for "found X".
fn found_at(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or("");
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return "end of file".to_string();
    }
    if rest.starts_with(['\n', '\r']) {
        return "end of line".to_string();
    }
    let first = rest.chars().next().unwrap_or(' ');
    let token: String = if first.is_alphanumeric() || first == '_' {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '%'))
            .collect()
    } else {
        first.to_string()
    };
    describe_token(&token)
}

/// Converts a pest error into a `syntax` diagnostic.
pub(super) fn convert(file: FileId, text: &str, err: pest::error::Error<Rule>) -> Box<Diagnostic> {
    let offset = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = found_at(text, offset);
    let width = text[offset..]
        .chars()
        .next()
        .filter(|c| *c != '\n')
        .map_or(0, char::len_utf8);
    let span = Span::new(file, offset, offset + width);
    let mut expected: Vec<&str> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|r| expected_name(*r)).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    // Where a value may go, names, strings and classifiers are values too: say "a value" alone.
    if expected.contains(&"a value") {
        expected.retain(|e| *e == "a value" || e.starts_with('`') && !e.contains('~'));
    }
    let message = match expected.as_slice() {
        [] => format!("unexpected {found}"),
        [one] => format!("expected {one}, found {found}"),
        many => {
            let (last, rest) = many.split_last().expect("non-empty");
            format!("expected {} or {last}, found {found}", rest.join(", "))
        }
    };
    let at = text[offset..]
        .trim_start_matches([' ', '\t'])
        .chars()
        .next();
    let help = if let Some(q) = at.filter(|c| super::hints::typographic_quote(*c)) {
        let inner: String = text[offset..]
            .trim_start_matches([' ', '\t'])
            .chars()
            .skip(1)
            .take_while(|c| !super::hints::typographic_quote(*c) && *c != '\n')
            .collect();
        Some(format!(
            "`{q}` is a typographic quote (an editor or word processor replaced `\"`): write `\"{inner}\"`"
        ))
    } else if expected.contains(&"a value") && found == "end of line" {
        Some("every `key =` needs a value on the same line".to_string())
    } else if found.contains('%')
        || found.starts_with("the number") && text[offset..].contains(" %")
    {
        Some("write a percentage without a space: `99.9%`".to_string())
    } else {
        None
    };
    let mut d = Diagnostic::new(Code::Syntax, span, message)
        .with_primary_label(format!("unexpected {found}"))
        .with_help_opt(help);
    if super::hints::looks_like_yaml(text) {
        d = d.with_note(
            "this file looks like YAML; policies are written `service checkout { owner = \"team\" … }` (docs/language.md), and Kubernetes manifests belong in `.yaml` files",
        );
    }
    Box::new(d)
}
