//! Checks against git history: diff-aware reporting (only problems on lines a change touched) and policy
//! regressions between the base revision and the change, reported for review.

mod caps;
mod regressions;

pub use caps::check as caps;

pub use regressions::compare;

use crate::diag::{Diagnostic, Severity};
use crate::model::{lower, Model};
use crate::repo::git::{Changes, Repo};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::Parsed;
use std::path::{Path, PathBuf};

/// Lowers the policies as they were at the base revision. Their files join `sources` (named
/// `path @ label`) so that findings can show both revisions; errors in them are not reported.
pub fn base_model(
    files: Vec<(PathBuf, String)>,
    label: &str,
    sources: &mut SourceMap,
    builtin: &[(FileId, &Parsed)],
) -> Model {
    let mut parsed = Vec::new();
    for (path, text) in files {
        let id = sources.add(SourceFile::new(
            format!("{} @ {label}", path.display()),
            Path::new("<base>").join(&path),
            text.as_str(),
        ));
        parsed.push((id, crate::syntax::parse(id, &text)));
    }
    let mut inputs: Vec<lower::Input<'_>> = builtin
        .iter()
        .filter_map(|(id, p)| {
            p.ast.as_ref().map(|ast| lower::Input {
                file: *id,
                ast,
                builtin: true,
            })
        })
        .collect();
    inputs.extend(parsed.iter().filter_map(|(id, p)| {
        p.ast.as_ref().map(|ast| lower::Input {
            file: *id,
            ast,
            builtin: false,
        })
    }));
    lower::lower(&inputs, sources).0
}

/// Splits diagnostics into those on lines the change touched (and every review finding) and the count of
/// the rest.
pub fn on_changed_lines(
    diags: Vec<Diagnostic>,
    sources: &SourceMap,
    repo: &Repo,
    changes: &Changes,
) -> (Vec<Diagnostic>, usize) {
    let mut shown = Vec::new();
    let mut hidden = 0;
    for d in diags {
        if d.severity == Severity::Review {
            shown.push(d);
            continue;
        }
        let f = sources.get(d.primary.span.file);
        let touched = repo.relative(&f.path).is_some_and(|rel| {
            let first = f.line_col(d.primary.span.start as usize).line as u32;
            let last = f
                .line_col(d.primary.span.end.max(d.primary.span.start) as usize)
                .line as u32;
            changes.touches(&rel, first, last)
        });
        if touched {
            shown.push(d);
        } else {
            hidden += 1;
        }
    }
    (shown, hidden)
}
