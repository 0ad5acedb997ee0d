//! The two classes of codes (hard: never downgraded; adjustable: set by overrides), which code is which, and
//! the text `slogate explain` prints.

use super::codes::Code;

/// What the hard codes are, for messages.
pub const HARD_KINDS: &str =
    "syntax, resolution, unreadable files, policy soundness and generated-rules drift";

/// Whether a code's severity can be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Syntax, resolution, unreadable files, policy soundness and generated-rules drift: always an error,
    /// never hidden by diff-aware mode; no `--warn`/`--allow` or `checks { … }` changes that.
    Hard,
    /// Everything else: `--deny`/`--warn`/`--allow` and `checks { … }` set its severity.
    Adjustable,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Hard => "hard",
            Class::Adjustable => "adjustable",
        }
    }
}

impl Code {
    /// Hard codes keep their severity whatever the overrides say: a file that does not parse, a name that
    /// does not resolve, a file that cannot be read, a policy that is unsound (no rules can be built from it
    /// that mean what it says), and committed generated rules that no longer match the policies.
    pub fn class(self) -> Class {
        use Code::*;
        match self {
            Syntax
            | UnclosedDelimiter
            | NestingTooDeep
            | InvalidEncoding
            | FileTooLarge
            | UnknownBlock
            | UnknownKey
            | MissingKey
            | DuplicateKey
            | WrongType
            | InvalidValue
            | NumberTooLarge
            | PromqlSyntax
            | QueryTooComplex
            | MissingWindowPlaceholder
            | InvalidHistogram
            | UnresolvedName
            | DuplicateName
            | UnresolvedImport
            | ImportOutsideRoot
            | NameCollision
            | DependencyCycle
            | ObjectiveOutOfRange
            | AlertWindowExceedsSlo
            | BurnNeverFires
            | IdenticalGoodTotal
            | GeneratedRulesDrift => Class::Hard,
            _ => Class::Adjustable,
        }
    }

    pub fn is_hard(self) -> bool {
        self.class() == Class::Hard
    }

    /// Whether the severity of this code follows the service's tier (`manifests = error|warning|off`).
    pub fn is_tiered(self) -> bool {
        matches!(
            self,
            Code::MissingReadinessProbe
                | Code::TooFewReplicas
                | Code::MissingPdb
                | Code::PdbBlocksEviction
                | Code::MissingResourceRequests
        )
    }

    /// What `slogate explain CODE` prints: summary, explanation and class (also SARIF's rule help).
    pub fn help_text(self) -> String {
        let class = match self.class() {
            Class::Hard => format!(
                "Class: hard. {HARD_KINDS} always fail: no `--warn`/`--allow` or `checks {{ … }}` changes that, and diff-aware mode never hides it."
            ),
            Class::Adjustable => "Class: adjustable. `--deny`/`--warn`/`--allow CODE` and a service's `checks { deny = […] warn = […] allow = […] }` set its severity (the command line wins).".to_string(),
        };
        format!(
            "{} ({} by default, {}): {}\n\n{}\n\n{class}\n",
            self.as_str(),
            self.default_severity().as_str(),
            self.class().as_str(),
            self.summary(),
            self.explanation()
        )
    }

    /// Looks a code up by its name.
    pub fn parse(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
