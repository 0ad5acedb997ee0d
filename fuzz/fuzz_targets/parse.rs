//! Feeds arbitrary bytes through decoding, the parser, the formatter, the model and the human renderer:
//! nothing may panic, and formatting is idempotent. (`cargo test` runs a seeded campaign over the same stages;
//! this target explores with coverage guidance: `cargo +nightly fuzz run parse`.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use slogate::model::imports::Imports;
use slogate::source::{FileId, SourceFile, SourceMap};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = slogate::syntax::decode(FileId(0), data.to_vec()) else { return };
    let parsed = slogate::syntax::parse(FileId(0), &text);
    if let Ok(formatted) = slogate::format::format_text(FileId(0), &text) {
        let again = slogate::format::format_text(FileId(0), &formatted).expect("fmt output parses");
        assert_eq!(formatted, again, "fmt is idempotent");
    }
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("fuzz.slo".into(), "fuzz.slo".into(), text.as_str()));
    let mut diags = parsed.diagnostics.clone();
    if let Some(ast) = &parsed.ast {
        let inputs = [slogate::model::lower::Input { file: FileId(0), ast, builtin: false }];
        // No file is ever read: every `use` is refused, as an import of a file that was not loaded.
        let imports = Imports::default();
        diags.extend(slogate::model::lower::lower(&inputs, &sources, &imports).1);
    }
    let _ = slogate::report::render_human(&sources, &diags, 1, false);
});
