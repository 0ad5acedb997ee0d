//! Feeds arbitrary bytes through decoding, the parser, the formatter and the model: nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slogate::source::{FileId, SourceFile, SourceMap};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = slogate::syntax::decode(FileId(0), data.to_vec()) else { return };
    let parsed = slogate::syntax::parse(FileId(0), &text);
    if let Ok(formatted) = slogate::format::format_text(FileId(0), &text) {
        assert!(slogate::format::format_text(FileId(0), &formatted).is_ok());
    }
    if let Some(ast) = &parsed.ast {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("fuzz.slo".into(), "fuzz.slo".into(), text.as_str()));
        let inputs = [slogate::model::lower::Input { file: FileId(0), ast, builtin: false }];
        let _ = slogate::model::lower::lower(&inputs, &sources);
    }
});
