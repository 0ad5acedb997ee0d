//! `fmt` is idempotent and meaning-preserving over every fixture, example and built-in policy.

use crate::snap;
use slogate::source::FileId;
use slogate::syntax;
use std::path::{Path, PathBuf};

fn all_policy_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "policies", "tests/fixtures"] {
        files.extend(slogate::workspace::find_policy_files(&root.join(dir)).expect("walk"));
    }
    assert!(files.len() > 20, "found only {} policy files", files.len());
    files
}

/// The tree without spans (it parses: every file here is valid).
fn shape(text: &str) -> String {
    crate::support::shape(text).expect("parses")
}

#[test]
fn fmt_is_idempotent_and_keeps_meaning() {
    let mut formatted = 0;
    for file in all_policy_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(once) = slogate::format::format_text(FileId(0), &text) else {
            continue;
        };
        let twice =
            slogate::format::format_text(FileId(0), &once).expect("formatted output parses");
        assert_eq!(once, twice, "fmt is not idempotent on {}", file.display());
        assert_eq!(
            shape(&text),
            shape(&once),
            "fmt changed the meaning of {}",
            file.display()
        );
        let comments = |t: &str| syntax::parse(FileId(0), t).comments.len();
        assert_eq!(
            comments(&text),
            comments(&once),
            "fmt lost comments in {}",
            file.display()
        );
        formatted += 1;
    }
    assert!(formatted > 20);
}

#[test]
fn bundled_policies_are_formatted() {
    for file in all_policy_files() {
        if file.components().any(|c| c.as_os_str() == "fixtures") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let once = slogate::format::format_text(FileId(0), &text).expect("parses");
        assert_eq!(
            text,
            once,
            "{} is not in canonical format: run `slogate fmt`",
            file.display()
        );
    }
}

#[test]
fn comments_stay_where_they_were() {
    let messy = r#"# header comment

use "x.slo"   # trailing on use
service   a {   # after the brace
  # before owner
owner="x"
      tier=1 # tier


  slo s { sli = a objective = 99.9% window = 30d }   # one-liner
  slo long_name { sli = a  objective = 99% window = 7d }
  depends = [
    b, # inside a list
    c,
  ]
  gate g {
    require   budget( s )>=25%
    freeze when budget(s) <= 0% except rollback,reliability_fix
    # last in gate
  }
  # last in service
}
# trailing comment at the end
"#;
    let out = slogate::format::format_text(FileId(0), messy).expect("parses");
    snap!("fmt__comments", out.clone());
    assert_eq!(slogate::format::format_text(FileId(0), &out).unwrap(), out);
}

/// The shapes that broke idempotence (found by mutation): a key and its `= value` on two lines, comments before
/// `{`, between a key and its value, inside a list, after code on a block's first line, and two comments that
/// the old printer glued onto one line.
#[test]
fn split_attributes_and_comments_anywhere_are_stable() {
    let cases = [
        "service a {\n  owner\n    = \"x\"\n  tier = 1\n}\n",
        "service a # why\n{\n  owner = \"x\"\n  tier  = 1\n}\n",
        "service a {\n  owner = # who\n    \"x\"\n  tier = 1\n}\n",
        "service a { owner = \"x\"  # first\n  tier = 1 }\n",
        "service a {\n  owner = \"x\"\n  depends = [b, # one\n    c] # two\n  tier = 1\n}\n",
        "service a {\n  slo s { sli = # c\n  a  objective = 99%  window = 30d }\n  owner = \"x\"\n}\n",
        "use # c\n\"p.slo\"\n\nservice a {\n  owner = \"x\"\n}\n",
    ];
    for text in cases {
        let once = slogate::format::format_text(FileId(0), text).expect("parses");
        let twice = slogate::format::format_text(FileId(0), &once).expect("parses");
        assert_eq!(once, twice, "not idempotent on:\n{text}\n--- once\n{once}");
        assert_eq!(shape(text), shape(&once), "meaning changed:\n{text}");
        let comments = |t: &str| syntax::parse(FileId(0), t).comments.len();
        assert_eq!(comments(text), comments(&once), "comments lost:\n{once}");
        assert!(
            once.lines().all(|l| l.matches('#').count() <= 1),
            "two comments glued onto one line:\n{once}"
        );
    }
}
