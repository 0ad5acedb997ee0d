//! The part of a file a human diagnostic shows, prepared so that rendering is cheap and safe on any input.
//!
//! miette renders snippets from whatever source it is given, scanning it from the start for every label and
//! formatting lines of any width. On hostile input that is both slow (16,000 diagnostics of one large file:
//! quadratic) and fatal (a column past 65,535 overflows a formatting width and panics). So each diagnostic gets
//! an [`Excerpt`]: only the lines its labels touch plus one line of context, each long line cut to a window
//! around the labels (with `…` where text was left out), control and bidirectional-override characters
//! replaced by `�` so a policy cannot drive the terminal or hide text. Line numbers and columns shown are those
//! of the original file: [`Excerpt`] maps them back when miette asks.

use crate::source::{SourceFile, Span};
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Longest line shown, in characters; longer lines are cut around their labels.
pub const MAX_SHOWN_CHARS: usize = 200;
/// Characters kept before the first label of a cut line.
const LEAD_CHARS: usize = 60;
const ELLIPSIS: &str = "…";
/// Snippets of two labels whose context lines are at most this many lines apart are joined into one.
const MERGE_GAP: usize = 3;

/// A window of a file for one diagnostic.
pub struct Excerpt {
    name: String,
    text: String,
    /// 0-based index in the file of the excerpt's first line.
    first_line: usize,
    /// Per excerpt line: byte offset in `text`, and what to add to a character column to get the file's column.
    lines: Vec<(usize, isize)>,
}

/// A shown line: the original line's index, where it was cut (in characters), and the text kept.
struct Shown {
    cut_chars: usize,
    lead: bool,
    kept: String,
    /// The kept characters' bytes in the original file.
    orig_kept: std::ops::Range<usize>,
}

impl Excerpt {
    /// The excerpt of `file` showing `spans` (all in this file), and the spans mapped into it.
    pub fn new(file: &SourceFile, spans: &[Span]) -> (Excerpt, Vec<SourceSpan>) {
        // The "line" after a final line break does not exist for a reader.
        let ends_with_break = file.text.ends_with('\n');
        let last_line = file
            .line_count()
            .saturating_sub(if ends_with_break { 2 } else { 1 });
        let ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|s| {
                let a = file.line_index(s.start as usize);
                let b = file.line_index((s.end as usize).max(s.start as usize));
                (a.saturating_sub(1), (b + 1).min(last_line))
            })
            .collect();
        let first = ranges.iter().map(|r| r.0).min().unwrap_or(0);
        let last = ranges.iter().map(|r| r.1).max().unwrap_or(0).max(first);
        // Contexts at most MERGE_GAP lines apart are shown as one snippet, gap included (see `read_span`).
        let mut sorted = ranges.clone();
        sorted.sort_unstable();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for r in sorted {
            match ranges.last_mut() {
                Some(prev) if r.0 <= prev.1 + 1 + MERGE_GAP => prev.1 = prev.1.max(r.1),
                _ => ranges.push(r),
            }
        }
        let mut excerpt = Excerpt {
            name: file.name.clone(),
            text: String::new(),
            first_line: first,
            lines: Vec::new(),
        };
        let mut shown_lines = Vec::new();
        for line in first..=last {
            let wanted = ranges.iter().any(|&(a, b)| a <= line && line <= b);
            let shown = if wanted {
                Some(show_line(file, line, spans))
            } else {
                None // a line between two labels' contexts: kept empty so line numbers stay right
            };
            let start = excerpt.text.len();
            let shift = match &shown {
                Some(s) => s.cut_chars as isize - if s.lead { 1 } else { 0 },
                None => 0,
            };
            if let Some(s) = &shown {
                excerpt.text.push_str(&s.kept);
            }
            excerpt.text.push('\n');
            excerpt.lines.push((start, shift));
            shown_lines.push(shown);
        }
        let mapped = spans
            .iter()
            .map(|s| {
                let a = excerpt.map(file, &shown_lines, s.start as usize);
                let b = excerpt.map(file, &shown_lines, s.end as usize).max(a);
                SourceSpan::new(a.into(), b - a)
            })
            .collect();
        (excerpt, mapped)
    }

    /// The excerpt offset of an original byte offset (clamped into the kept window of its line).
    fn map(&self, file: &SourceFile, shown: &[Option<Shown>], offset: usize) -> usize {
        let line = file.line_index(offset);
        let Some(idx) = line.checked_sub(self.first_line) else {
            return 0;
        };
        let Some((start, _)) = self.lines.get(idx) else {
            return self.text.len();
        };
        let Some(Some(s)) = shown.get(idx) else {
            return *start;
        };
        let lead = if s.lead { ELLIPSIS.len() } else { 0 };
        let clamped = offset.clamp(s.orig_kept.start, s.orig_kept.end);
        // Bytes of the kept original text before `clamped`, re-measured in the sanitised text.
        let orig = &file.text[s.orig_kept.start..clamped];
        let sanitized_len: usize = orig.chars().map(|c| sanitize(c).len_utf8()).sum();
        start + lead + sanitized_len
    }
}

/// The shown form of one line: cut to a window around the labels that touch it, sanitised.
fn show_line(file: &SourceFile, line: usize, spans: &[Span]) -> Shown {
    let range = file.line_range(line);
    let text = &file.text[range.clone()];
    let total_chars = if text.len() <= MAX_SHOWN_CHARS {
        text.len() // ASCII-bounded fast path: a short line in bytes is short in characters
    } else {
        text.chars().count()
    };
    if total_chars <= MAX_SHOWN_CHARS {
        return Shown {
            cut_chars: 0,
            lead: false,
            kept: text.chars().map(sanitize).collect(),
            orig_kept: range,
        };
    }
    // The first label on this line decides the window.
    let first_label = spans
        .iter()
        .filter(|s| range.contains(&(s.start as usize)) || (s.start as usize) == range.end)
        .map(|s| s.start as usize)
        .min()
        .unwrap_or(range.start);
    let label_char = text[..first_label - range.start].chars().count();
    let cut = label_char.saturating_sub(LEAD_CHARS);
    let mut chars = text.char_indices().skip(cut);
    let start_byte = chars.next().map_or(text.len(), |(b, _)| b);
    let end_byte = text[start_byte..]
        .char_indices()
        .nth(MAX_SHOWN_CHARS)
        .map_or(text.len(), |(b, _)| start_byte + b);
    let mut kept = String::new();
    if cut > 0 {
        kept.push_str(ELLIPSIS);
    }
    kept.extend(text[start_byte..end_byte].chars().map(sanitize));
    if end_byte < text.len() {
        kept.push_str(ELLIPSIS);
    }
    Shown {
        cut_chars: cut,
        lead: cut > 0,
        kept,
        orig_kept: range.start + start_byte..range.start + end_byte,
    }
}

/// Control characters (other than tab) and bidirectional overrides/isolates become `�`.
pub fn sanitize(c: char) -> char {
    let bidi =
        matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}');
    if (c.is_control() && c != '\t') || bidi {
        '\u{FFFD}'
    } else {
        c
    }
}

/// A message, label or help text with control characters replaced (newlines kept).
pub fn sanitize_text(s: &str) -> String {
    s.chars()
        .map(|c| if c == '\n' { c } else { sanitize(c) })
        .collect()
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        let data_start = inner.span().offset();
        let idx = self
            .lines
            .partition_point(|(start, _)| *start <= data_start)
            .saturating_sub(1);
        let (line_start, shift) = self.lines.get(idx).copied().unwrap_or((0, 0));
        let chars_in = self
            .text
            .get(line_start..data_start)
            .map_or(0, |s| s.chars().count()) as isize;
        let column = (chars_in + shift).max(0) as usize;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            self.first_line + idx,
            column,
            // miette joins two labels' snippets when the first's line plus this count reaches the second's
            // first line: the lines really read, plus the gap `new` filled in.
            inner.data().iter().filter(|&&b| b == b'\n').count() + MERGE_GAP,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, SourceFile};

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f.slo".into(), "f.slo".into(), text)
    }

    #[test]
    fn long_lines_are_cut_around_the_label_and_keep_their_position() {
        let long = format!("{}BAD{}", "x".repeat(100_000), "y".repeat(100_000));
        let f = file(&format!("first\n{long}\nlast\n"));
        let at = 6 + 100_000;
        let span = Span::new(FileId(0), at, at + 3);
        let (ex, mapped) = Excerpt::new(&f, &[span]);
        assert!(
            ex.text.len() < 3 * MAX_SHOWN_CHARS + 20,
            "{}",
            ex.text.len()
        );
        assert_eq!(&ex.text[mapped[0].offset()..mapped[0].offset() + 3], "BAD");
        let c = ex.read_span(&mapped[0], 0, 0).unwrap();
        assert_eq!(
            (c.line(), c.column()),
            (1, 100_000),
            "0-based line and column of the original"
        );
    }

    #[test]
    fn control_characters_are_replaced() {
        let f = file("a = \"\u{1b}[2J\u{202e}x\"\n");
        let (ex, _) = Excerpt::new(&f, &[Span::new(FileId(0), 0, 1)]);
        assert!(!ex.text.contains('\u{1b}') && !ex.text.contains('\u{202e}'));
    }
}
