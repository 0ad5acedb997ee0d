//! `slogate fmt`: the canonical layout of a policy file.
//!
//! Two-space indentation; one entry per line with the `=` of consecutive attributes aligned; blocks that were
//! written on one line and hold only attributes stay on one line (`slo x { sli = a  objective = 99.9% }`);
//! at most one blank line, kept where the author put one; a blank line between top-level blocks. Literals are
//! kept as written (`4w` stays `4w`, PromQL is verbatim). Comments are kept: a comment on its own line stays
//! before the entry that follows it, a comment at the end of a line stays at the end of that line. Formatting
//! is idempotent, and the formatted file parses to the same tree. A comment inside a one-line entry (between a
//! key and its `=`, inside a multi-line list) or between a block's name and its `{` is printed on its own line
//! before that entry or block, which is where it stays on every later run.

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::ast::*;
use crate::syntax::{self, Parsed};
use std::path::Path;

/// Result of formatting one file.
pub enum Outcome {
    Unchanged,
    Changed(String),
}

/// Why a file could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file does not parse; the rendered diagnostics.
    Syntax(String),
    Io(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(s) | FormatError::Io(s) => f.write_str(s),
        }
    }
}

/// Formats a file on disk (without writing it).
pub fn format_path(path: &Path) -> Result<Outcome, FormatError> {
    let bytes = std::fs::read(path)
        .map_err(|e| FormatError::Io(format!("error: {}: {e}\n", path.display())))?;
    let mut sources = SourceMap::new();
    let id = FileId(0);
    let (text, diag) = match syntax::decode(id, bytes) {
        Ok(t) => (t, None),
        Err(d) => (String::new(), Some(*d)),
    };
    sources.add(SourceFile::new(
        path.display().to_string(),
        path.to_path_buf(),
        text.as_str(),
    ));
    if let Some(d) = diag {
        return Err(FormatError::Syntax(crate::report::render_human(
            &sources,
            &[d],
            1,
            false,
        )));
    }
    match format_text(id, &text) {
        Ok(out) if out == text => Ok(Outcome::Unchanged),
        Ok(out) => Ok(Outcome::Changed(out)),
        Err(diags) => Err(FormatError::Syntax(crate::report::render_human(
            &sources, &diags, 1, false,
        ))),
    }
}

/// Formats source text; errors when it does not parse cleanly.
pub fn format_text(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = syntax::parse(file, text);
    match parsed {
        Parsed {
            ast: Some(ast),
            comments,
            diagnostics,
        } if diagnostics.is_empty() => Ok(Printer::new(text, comments).file(&ast)),
        Parsed { diagnostics, .. } => Err(diagnostics),
    }
}

/// Writes `text` to `path` through a temporary file and a rename, so a crash never leaves half a file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "policy".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.slogate-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

struct Printer<'a> {
    text: &'a str,
    comments: Vec<(usize, usize)>,
    next_comment: usize,
    out: String,
    indent: usize,
    /// Source offset of the end of what was printed last.
    last_end: usize,
    /// Output lines with a trailing comment: (line index, byte length of the code before it).
    trailing: Vec<(usize, usize)>,
}

impl<'a> Printer<'a> {
    fn new(text: &'a str, comments: Vec<(usize, usize)>) -> Printer<'a> {
        Printer {
            text,
            comments,
            next_comment: 0,
            out: String::new(),
            indent: 0,
            last_end: 0,
            trailing: Vec::new(),
        }
    }

    fn file(mut self, f: &File) -> String {
        let mut prev_block = false;
        for item in &f.items {
            let (start, is_block) = match item {
                Item::Use(u) => (u.span.start as usize, false),
                Item::Block(b) => (b.span.start as usize, true),
                Item::Attribute(a) => (a.span.start as usize, false),
            };
            let force_blank = prev_block || (is_block && !self.out.is_empty());
            let printed = self.comments_before(start, force_blank);
            self.blank_line_if(
                (force_blank && !printed) || self.blank_between(self.last_end, start),
            );
            if !is_block {
                self.comments_inside(item_end(item));
            }
            match item {
                Item::Use(u) => {
                    self.line(&format!("use {}", self.slice(u.path.span)));
                    self.end_entry(u.span.end as usize);
                }
                Item::Block(b) => self.block(b, None),
                Item::Attribute(a) => {
                    let line = self.attribute(a, 0);
                    self.line(&line);
                    self.end_entry(a.span.end as usize);
                }
            }
            prev_block = is_block;
        }
        self.comments_before(self.text.len(), false);
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.align_trailing_comments();
        self.out
    }

    /// Aligns the trailing comments of adjacent lines: two spaces after the longest code of the run.
    fn align_trailing_comments(&mut self) {
        // Split on `\n` only: a `\r` before it belongs to a multi-line string or query and is kept verbatim.
        let body = self.out.strip_suffix('\n').unwrap_or(&self.out);
        let mut lines: Vec<String> = body.split('\n').map(str::to_string).collect();
        let mut i = 0;
        while i < self.trailing.len() {
            let mut j = i + 1;
            while j < self.trailing.len() && self.trailing[j].0 == self.trailing[j - 1].0 + 1 {
                j += 1;
            }
            let width = self.trailing[i..j].iter().map(|t| t.1).max().unwrap_or(0);
            for &(line, code) in &self.trailing[i..j] {
                let l = &lines[line];
                let comment = l[code..].trim_start().to_string();
                lines[line] = format!("{}{}{comment}", &l[..code], " ".repeat(width - code + 2));
            }
            i = j;
        }
        let mut out = lines.join("\n");
        out.push('\n');
        self.out = out;
    }

    fn slice(&self, span: crate::source::Span) -> &'a str {
        &self.text[span.range()]
    }

    fn blank_between(&self, from: usize, to: usize) -> bool {
        if self.out.is_empty() || from >= to {
            return false;
        }
        let between = &self.text[from..to];
        between
            .split('\n')
            .skip(1)
            .take(between.matches('\n').count().saturating_sub(1))
            .any(|l| l.trim().is_empty())
    }

    fn blank_line_if(&mut self, yes: bool) {
        if yes && !self.out.is_empty() && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n")
        {
            self.out.push('\n');
        }
    }

    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// Prints own-line comments that start before `offset`; returns whether it printed any.
    fn comments_before(&mut self, offset: usize, first_blank: bool) -> bool {
        let mut first = true;
        while let Some(&(s, e)) = self.comments.get(self.next_comment) {
            if s >= offset {
                break;
            }
            self.blank_line_if((first && first_blank) || self.blank_between(self.last_end, s));
            first = false;
            let c = self.text[s..e].trim_end().to_string();
            self.line(&c);
            self.last_end = e;
            self.next_comment += 1;
        }
        !first
    }

    /// Comments inside a one-line entry (between a key and `=`, inside a list) are printed before it, on their
    /// own lines: where they will stand when the output is formatted again.
    fn comments_inside(&mut self, end: usize) {
        self.comments_before(end, false);
    }

    /// After an entry ending at `end`: appends a comment on the same source line, records the end.
    fn end_entry(&mut self, end: usize) {
        // Comments inside the entry (e.g. inside a multi-line list) go after it, on their own lines.
        let mut inner = false;
        while let Some(&(s, e)) = self.comments.get(self.next_comment) {
            if s >= end {
                break;
            }
            let c = self.text[s..e].trim_end().to_string();
            self.line(&c);
            self.next_comment += 1;
            inner = true;
        }
        self.last_end = end;
        if let Some(&(s, e)) = self.comments.get(self.next_comment) {
            // A comment at the end of the entry's last line trails it, unless inner comments were just printed
            // after the entry (it would be glued onto the last of them): then it gets its own line too.
            // Only a comment with nothing but spaces before it on the rest of the line trails the entry; one
            // after more code (`{ key = # c`) belongs to what follows.
            let trails = self.text[end..s].trim().is_empty() && !self.text[end..s].contains('\n');
            if trails && inner {
                let c = self.text[s..e].trim_end().to_string();
                self.line(&c);
                self.next_comment += 1;
                self.last_end = e;
            } else if trails {
                self.out.pop();
                let line = self.out.matches('\n').count();
                let code = self.out.len() - self.out.rfind('\n').map_or(0, |p| p + 1);
                self.trailing.push((line, code));
                self.out.push(' ');
                self.out.push_str(self.text[s..e].trim_end());
                self.out.push('\n');
                self.next_comment += 1;
                self.last_end = e;
            }
        }
    }

    fn header(&self, b: &Block) -> String {
        match &b.label {
            Some(l) => format!("{} {}", b.kind.name, l.name),
            None => b.kind.name.clone(),
        }
    }

    fn own_line_comment_in(&self, from: usize, to: usize) -> bool {
        self.comments.iter().any(|&(s, _)| {
            s >= from && s < to && {
                let line_start = self.text[..s].rfind('\n').map_or(0, |p| p + 1);
                self.text[line_start..s].trim().is_empty()
            }
        })
    }

    fn any_comment_in(&self, from: usize, to: usize) -> bool {
        self.comments.iter().any(|&(s, _)| s >= from && s < to)
    }

    fn has_comment_in(&self, from: usize, to: usize) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .any(|&(s, _)| s >= from && s < to)
    }

    /// The cells of a block printed on one line, or `None` when it must span lines.
    fn one_line_cells(&self, b: &Block) -> Option<Vec<String>> {
        let (start, end) = (b.span.start as usize, b.span.end as usize);
        let fits = !b.entries.is_empty()
            && !self.text[start..end].contains('\n')
            && !self.has_comment_in(start, end)
            && b.entries.iter().all(|e| matches!(e, Entry::Attribute(_)));
        fits.then(|| {
            b.entries
                .iter()
                .map(|e| match e {
                    Entry::Attribute(a) => self.attribute(a, 0),
                    _ => unreachable!("one-line blocks hold attributes only"),
                })
                .collect()
        })
    }

    /// Column widths for runs of adjacent one-line blocks, so they line up like a table.
    fn table_layout(&self, entries: &[Entry]) -> Vec<Option<(usize, Vec<usize>)>> {
        let mut layout = vec![None; entries.len()];
        let mut run: Vec<(usize, String, Vec<String>)> = Vec::new();
        let flush = |run: &mut Vec<(usize, String, Vec<String>)>,
                     layout: &mut Vec<Option<(usize, Vec<usize>)>>| {
            let header = run.iter().map(|r| r.1.len()).max().unwrap_or(0);
            let cols = run.iter().map(|r| r.2.len()).max().unwrap_or(0);
            let widths: Vec<usize> = (0..cols)
                .map(|c| {
                    run.iter()
                        .filter_map(|r| r.2.get(c))
                        .map(|x| x.chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for r in run.iter() {
                layout[r.0] = Some((header, widths.clone()));
            }
            run.clear();
        };
        let mut prev_end: Option<usize> = None;
        for (i, e) in entries.iter().enumerate() {
            let start = e.span().start as usize;
            if prev_end.is_some_and(|p| {
                self.blank_between_raw(p, start) || self.own_line_comment_in(p, start)
            }) {
                flush(&mut run, &mut layout);
            }
            match e {
                Entry::Block(b) => match self.one_line_cells(b) {
                    Some(cells) => run.push((i, self.header(b), cells)),
                    None => flush(&mut run, &mut layout),
                },
                _ => flush(&mut run, &mut layout),
            }
            prev_end = Some(e.span().end as usize);
        }
        flush(&mut run, &mut layout);
        layout
    }

    fn block(&mut self, b: &Block, table: Option<&(usize, Vec<usize>)>) {
        let (start, end) = (b.span.start as usize, b.span.end as usize);
        if b.entries.is_empty() && !self.has_comment_in(start, end) {
            self.line(&format!("{} {{}}", self.header(b)));
            self.end_entry(end);
            return;
        }
        if let Some(cells) = self.one_line_cells(b) {
            let (header_width, widths) = table.cloned().unwrap_or((0, Vec::new()));
            let last = cells.len() - 1;
            let body: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let w = if i == last {
                        0
                    } else {
                        widths.get(i).copied().unwrap_or(0)
                    };
                    let pad = w.saturating_sub(c.chars().count());
                    format!("{c}{}", " ".repeat(pad))
                })
                .collect();
            let header = pad(&self.header(b), header_width);
            self.line(&format!("{header} {{ {} }}", body.join("  ")));
            self.end_entry(end);
            return;
        }
        // Comments between the block's kind, label and `{` go before the block, on their own lines.
        self.comments_before(b.open.start as usize, false);
        self.line(&format!("{} {{", self.header(b)));
        self.end_entry(b.open.end as usize);
        self.indent += 1;
        let widths = self.key_widths(&b.entries);
        let table = self.table_layout(&b.entries);
        for (i, e) in b.entries.iter().enumerate() {
            let s = e.span().start as usize;
            self.comments_before(s, false);
            self.blank_line_if(self.blank_between(self.last_end, s));
            if !matches!(e, Entry::Block(_)) {
                self.comments_inside(e.span().end as usize);
            }
            match e {
                Entry::Attribute(a) => {
                    let l = self.attribute(a, widths[i]);
                    self.line(&l);
                }
                Entry::Block(inner) => {
                    self.block(inner, table[i].as_ref());
                    continue;
                }
                Entry::Require(r) => {
                    let l = format!("require {}", self.condition(&r.condition));
                    self.line(&l);
                }
                Entry::Freeze(f) => {
                    let mut l = format!("freeze when {}", self.condition(&f.condition));
                    if !f.except.is_empty() {
                        let names: Vec<&str> = f.except.iter().map(|x| x.name.as_str()).collect();
                        l.push_str(&format!(" except {}", names.join(", ")));
                    }
                    self.line(&l);
                }
            }
            self.end_entry(e.span().end as usize);
        }
        self.comments_before(b.close.start as usize, false);
        self.indent -= 1;
        self.line("}");
        self.end_entry(end);
    }

    /// For each entry, the key width to pad to: the longest key in its run of single-line attributes.
    fn key_widths(&self, entries: &[Entry]) -> Vec<usize> {
        let mut widths = vec![0; entries.len()];
        let mut run: Vec<usize> = Vec::new();
        let flush = |run: &mut Vec<usize>, widths: &mut Vec<usize>| {
            let w = run
                .iter()
                .map(|&i| match &entries[i] {
                    Entry::Attribute(a) => a.key.name.chars().count(),
                    _ => 0,
                })
                .max()
                .unwrap_or(0);
            for &i in run.iter() {
                widths[i] = w;
            }
            run.clear();
        };
        let mut prev_end: Option<usize> = None;
        for (i, e) in entries.iter().enumerate() {
            let start = e.span().start as usize;
            let breaks_run = match prev_end {
                Some(p) => self.blank_between_raw(p, start) || self.own_line_comment_in(p, start),
                None => false,
            };
            if breaks_run {
                flush(&mut run, &mut widths);
            }
            // Runs are decided on the printed form (a key and `= value` split over two lines print as one),
            // and a comment inside an entry is printed after it: it ends the run as it will on the next pass.
            if self.any_comment_in(start, e.span().end as usize) {
                flush(&mut run, &mut widths);
            }
            match e {
                Entry::Attribute(a) if !self.attribute(a, 0).contains('\n') => run.push(i),
                _ => flush(&mut run, &mut widths),
            }
            prev_end = Some(e.span().end as usize);
        }
        flush(&mut run, &mut widths);
        widths
    }

    fn blank_between_raw(&self, from: usize, to: usize) -> bool {
        let between = &self.text[from..to];
        let n = between.matches('\n').count();
        n >= 2
            && between
                .split('\n')
                .skip(1)
                .take(n - 1)
                .any(|l| l.trim().is_empty())
    }

    fn attribute(&self, a: &Attribute, width: usize) -> String {
        format!("{} = {}", pad(&a.key.name, width), self.value(&a.value))
    }

    fn condition(&self, c: &Condition) -> String {
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

    fn value(&self, v: &Value) -> String {
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

fn item_end(item: &Item) -> usize {
    match item {
        Item::Use(u) => u.span.end as usize,
        Item::Block(b) => b.span.end as usize,
        Item::Attribute(a) => a.span.end as usize,
    }
}

/// `s` padded with spaces to `width` characters (no formatting width: those are limited to 65,535).
fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}
