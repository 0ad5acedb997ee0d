//! The list of codes is an interface: renaming one is a visible snapshot change. Every code is documented
//! (`slogate explain CODE`) and docs/diagnostics.md is generated from the same table.

use crate::snap;
use slogate::diag::Code;

#[test]
fn code_list_is_stable() {
    let list: String = Code::ALL
        .iter()
        .map(|c| {
            format!(
                "{} {} {}\n",
                c.as_str(),
                c.default_severity().as_str(),
                c.class().as_str()
            )
        })
        .collect();
    snap!("codes", list);
}

#[test]
fn every_code_is_explained() {
    for c in Code::ALL {
        assert!(c.summary().len() > 10, "{c} has no summary");
        assert!(c.explanation().len() > 40, "{c} has no explanation");
        let text = slogate::cli::explain_text(*c);
        assert!(text.starts_with(c.as_str()));
    }
}

/// docs/diagnostics.md is generated from the registry; run with UPDATE_DOCS=1 to rewrite it.
#[test]
fn diagnostics_doc_is_current() {
    let mut doc = String::from(
        "# Diagnostic codes\n\n<!-- Generated from src/diag/codes.rs by `UPDATE_DOCS=1 cargo test diagnostics_doc`. -->\n\n\
         Every diagnostic has a stable code; `slogate explain CODE` prints the same text.\n\n\
         Codes come in two classes. **Hard** codes — syntax, resolution, unreadable files, policy soundness and \
         generated-rules drift — are always errors: `--warn`/`--allow CODE` is refused (exit 2), `checks { … }` \
         cannot name them except in `deny`, and diff-aware mode (`--base`, `--staged`) never hides them. \
         **Adjustable** codes take their severity from the command line (`--deny`/`--warn`/`--allow CODE`, which \
         wins), then the service's `checks { deny = […] warn = […] allow = […] }`, then the tier defaults (for \
         the tiered manifest codes), then the default below.\n\n\
         | code | default severity | class | summary |\n| --- | --- | --- | --- |\n",
    );
    for c in Code::ALL {
        doc.push_str(&format!(
            "| [`{0}`](#{0}) | {1} | {2} | {3} |\n",
            c.as_str(),
            c.default_severity().as_str(),
            c.class().as_str(),
            c.summary()
        ));
    }
    for c in Code::ALL {
        doc.push_str(&format!("\n## {}\n\n{}\n", c.as_str(), c.explanation()));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &doc).expect("write docs");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == doc,
        "docs/diagnostics.md is out of date: run `UPDATE_DOCS=1 cargo test diagnostics_doc`"
    );
}
