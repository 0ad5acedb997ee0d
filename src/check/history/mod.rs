//! Checks against git history: diff-aware reporting (the problems a change introduces: new compared with the
//! base revision, or on lines the change touched) and policy regressions between the base revision and the
//! change, reported for review.

mod caps;
mod fresh;
mod regressions;

pub use fresh::{introduced, Base};

pub use caps::check as caps;

pub use regressions::compare;

use crate::diag::Diagnostic;
use crate::repo::git::{Changes, Repo};
use crate::source::SourceMap;

/// Whether a finding's primary span touches lines the change added or modified.
pub fn on_changed_lines(
    d: &Diagnostic,
    sources: &SourceMap,
    repo: &Repo,
    changes: &Changes,
) -> bool {
    let f = sources.get(d.primary.span.file);
    repo.relative(&f.path).is_some_and(|rel| {
        // A finding about a whole block (its primary span is the block's header) belongs to every line of
        // the block: removing a `runbook` line is what makes `alert x` page without one.
        let (start, end) = (d.primary.span.start as usize, d.primary.span.end as usize);
        let end = block_end(&f.text, end).unwrap_or(end).max(start);
        let first = f.line_col(start).line as u32;
        let last = f.line_col(end).line as u32;
        changes.touches(&rel, first, last)
    })
}

/// When the text after `at` on its line opens a block (`name {`, `kind name {`), the offset of the block's
/// closing brace; strings, PromQL and comments are skipped.
fn block_end(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at..)?;
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let head = &rest[..line_end];
    let open = head.find('{')?;
    if head[..open].contains(['=', '"', '`', '#']) {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::block_end;

    #[test]
    fn block_headers_extend_to_their_closing_brace() {
        let t = "alert fast {\n  a = \"}\"\n  b = `}`\n}\nx = 1\n";
        assert_eq!(block_end(t, 6), Some(t.find("}\nx").unwrap()));
        assert_eq!(block_end("x = { a = 1 }", 0), None);
        assert_eq!(block_end("owner = \"x\"", 0), None);
    }
}
