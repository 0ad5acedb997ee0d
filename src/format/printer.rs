//! The printer: walks the syntax tree and writes the canonical layout, carrying comments along (own-line
//! comments before what follows them, trailing comments at the end of their line, aligned in runs). The
//! decisions about alignment live in [`super::layout`], the spelling of values in [`super::values`].

use crate::syntax::ast::*;

pub(super) struct Printer<'a> {
    pub(super) text: &'a str,
    pub(super) comments: Vec<(usize, usize)>,
    pub(super) next_comment: usize,
    pub(super) out: String,
    pub(super) indent: usize,
    /// Source offset of the end of what was printed last.
    pub(super) last_end: usize,
    /// Output lines with a trailing comment: (line index, byte length of the code before it).
    pub(super) trailing: Vec<(usize, usize)>,
}

impl<'a> Printer<'a> {
    pub(super) fn new(text: &'a str, comments: Vec<(usize, usize)>) -> Printer<'a> {
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

    pub(super) fn file(mut self, f: &File) -> String {
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
    pub(super) fn align_trailing_comments(&mut self) {
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

    pub(super) fn slice(&self, span: crate::source::Span) -> &'a str {
        &self.text[span.range()]
    }

    pub(super) fn blank_between(&self, from: usize, to: usize) -> bool {
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

    pub(super) fn blank_line_if(&mut self, yes: bool) {
        if yes && !self.out.is_empty() && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n")
        {
            self.out.push('\n');
        }
    }

    pub(super) fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// Prints own-line comments that start before `offset`; returns whether it printed any.
    pub(super) fn comments_before(&mut self, offset: usize, first_blank: bool) -> bool {
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
    pub(super) fn comments_inside(&mut self, end: usize) {
        self.comments_before(end, false);
    }

    /// After an entry ending at `end`: appends a comment on the same source line, records the end.
    pub(super) fn end_entry(&mut self, end: usize) {
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

    pub(super) fn header(&self, b: &Block) -> String {
        match &b.label {
            Some(l) => format!("{} {}", b.kind.name, l.name),
            None => b.kind.name.clone(),
        }
    }

    pub(super) fn block(&mut self, b: &Block, table: Option<&(usize, Vec<usize>)>) {
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
}

fn item_end(item: &Item) -> usize {
    match item {
        Item::Use(u) => u.span.end as usize,
        Item::Block(b) => b.span.end as usize,
        Item::Attribute(a) => a.span.end as usize,
    }
}

/// `s` padded with spaces to `width` characters (no formatting width: those are limited to 65,535).
pub(super) fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}
