//! Diagnostics as data.
//!
//! A [`Diagnostic`] is what every stage produces when something is wrong: a stable [`Code`], a severity, a
//! message, a primary label (the span to point at), secondary labels (other places that explain it, possibly in
//! other files), a help line and notes. Stages collect diagnostics instead of failing fast; the renderers in
//! `src/report/` turn the same data into human, JSON or other formats. Wording lives at the construction site;
//! the code's documentation lives in [`codes`].

mod class;
pub mod codes;

pub use class::{Class, HARD_KINDS};
pub use codes::Code;

use crate::source::Span;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    /// A change for a reviewer to look at (a policy regression): shown prominently, failing only with
    /// `--deny review`.
    Review,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Review => "review",
            Severity::Error => "error",
        }
    }
}

/// A span with an optional message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// The service the finding is about, when there is one: its `checks { … }` apply, and diff-aware mode
    /// matches findings between revisions by it.
    pub service: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            primary: Label {
                span,
                message: None,
            },
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            service: None,
        }
    }

    /// Text shown under the primary span.
    pub fn with_primary_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = Some(message.into());
        self
    }

    /// A secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: Some(message.into()),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// The service the finding is about.
    pub fn for_service(mut self, service: &str) -> Diagnostic {
        self.service = Some(service.to_string());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// A fingerprint that does not move with line numbers: a stable hash (FNV-1a, 64 bits, the same on every
    /// platform and release) of the code, the entity — the service the finding is about, else `file` (its path
    /// as shown) — and the message. Reports carry it (SARIF `partialFingerprints`) so that a finding keeps its
    /// identity while the lines around it move.
    pub fn fingerprint(&self, file: &str) -> String {
        let entity = match &self.service {
            Some(s) => format!("service {s}"),
            None => format!("file {file}"),
        };
        let text = format!("{}\u{0}{entity}\u{0}{}", self.code.as_str(), self.message);
        format!("{:016x}", fnv1a(text.as_bytes()))
    }

    /// Sort key: files that cannot be read or parsed first (root causes before what follows from them), then
    /// file, position, code — so output order never depends on thread scheduling.
    pub fn sort_key(&self) -> (bool, u32, u32, u32, &'static str) {
        let s = self.primary.span;
        let root_cause = matches!(
            self.code,
            Code::Syntax
                | Code::UnclosedDelimiter
                | Code::NestingTooDeep
                | Code::InvalidEncoding
                | Code::FileTooLarge
        );
        (!root_cause, s.file.0, s.start, s.end, self.code.as_str())
    }
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Puts diagnostics in their stable output order and drops exact duplicates.
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
    diags.dedup();
}

/// "did you mean `x`?" — the closest candidate by Jaro-Winkler similarity, if it is close enough.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    suggest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The closest candidate to `input`, if any is close enough to be a likely typo.
pub fn suggest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == input {
            continue;
        }
        let score = strsim::jaro_winkler(&input.to_lowercase(), &c.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(b, bc)| score > b || (score == b && c < bc)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Counts by severity.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub reviews: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of(diags: &[Diagnostic]) -> Counts {
        let mut c = Counts::default();
        for d in diags {
            match d.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Review => c.reviews += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_positions_and_follow_the_entity() {
        let at = |start| Span::new(crate::source::FileId(0), start, start + 3);
        let a = Diagnostic::new(Code::UnusedSli, at(10), "SLI `x` is not used by any SLO");
        let moved = Diagnostic::new(Code::UnusedSli, at(400), "SLI `x` is not used by any SLO");
        assert_eq!(a.fingerprint("a.slo"), moved.fingerprint("a.slo"));
        assert_ne!(a.fingerprint("a.slo"), a.fingerprint("b.slo"));
        // A finding about a service keeps its fingerprint when the service moves to another file.
        let web = a.clone().for_service("web");
        assert_eq!(web.fingerprint("a.slo"), web.fingerprint("b.slo"));
        assert_ne!(web.fingerprint("a.slo"), a.fingerprint("a.slo"));
        assert_eq!(a.fingerprint("a.slo").len(), 16);
        // The published FNV-1a 64 test vectors.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn suggestions_pick_the_closest_typo() {
        let keys = ["objective", "window", "sli"];
        assert_eq!(suggest("objectiv", keys), Some("objective"));
        assert_eq!(suggest("windw", keys), Some("window"));
        assert_eq!(suggest("zzz", keys), None);
    }
}
