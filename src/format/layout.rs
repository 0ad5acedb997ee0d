//! Alignment decisions: which attributes form a run whose `=` line up, which one-line blocks form a table, and
//! where comments break those runs. Decided on the printed form, so that the next run decides the same.

use super::printer::Printer;
use crate::syntax::ast::*;

impl Printer<'_> {
    pub(super) fn own_line_comment_in(&self, from: usize, to: usize) -> bool {
        self.comments.iter().any(|&(s, _)| {
            s >= from && s < to && {
                let line_start = self.text[..s].rfind('\n').map_or(0, |p| p + 1);
                self.text[line_start..s].trim().is_empty()
            }
        })
    }

    pub(super) fn any_comment_in(&self, from: usize, to: usize) -> bool {
        self.comments.iter().any(|&(s, _)| s >= from && s < to)
    }

    pub(super) fn has_comment_in(&self, from: usize, to: usize) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .any(|&(s, _)| s >= from && s < to)
    }

    /// The cells of a block printed on one line, or `None` when it must span lines.
    pub(super) fn one_line_cells(&self, b: &Block) -> Option<Vec<String>> {
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
    pub(super) fn table_layout(&self, entries: &[Entry]) -> Vec<Option<(usize, Vec<usize>)>> {
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

    /// For each entry, the key width to pad to: the longest key in its run of single-line attributes.
    pub(super) fn key_widths(&self, entries: &[Entry]) -> Vec<usize> {
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

    pub(super) fn blank_between_raw(&self, from: usize, to: usize) -> bool {
        let between = &self.text[from..to];
        let n = between.matches('\n').count();
        n >= 2
            && between
                .split('\n')
                .skip(1)
                .take(n - 1)
                .any(|l| l.trim().is_empty())
    }
}
