//! Hostile and damaged input: never a panic, never a hang, always exit 0, 1 or 2 with a diagnostic.

use crate::support::{code, slogate, stderr, stdout, Rng};
use slogate::diag::Code;
use std::path::Path;

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    ":",
    ",",
    "\"",
    "`",
    "#",
    "%",
    "$window",
    "require",
    "freeze",
    "slo",
    "sli",
    "service",
    "99.9%",
    "30d",
    "1/s",
    "1.1 * baseline",
    "\n",
    "\u{0}",
    "é",
    "\u{FEFF}",
    "message ~",
    "or",
];

fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 => {
                // delete a line
                let start = bytes[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let end = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| at + p + 1);
                bytes.drain(start..end);
            }
            1 => {
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            2 => bytes.truncate(at),
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, t.bytes());
            }
            4 => {
                let len = rng.below(40).min(bytes.len() - at.min(bytes.len()));
                bytes.drain(at..at + len);
            }
            _ => {
                // duplicate a slice
                let len = rng.below(80).min(bytes.len() - at.min(bytes.len()));
                let copy = bytes[at..at + len].to_vec();
                bytes.splice(at..at, copy);
            }
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

#[test]
fn seeded_mutations_of_the_examples_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let originals: Vec<(String, Vec<u8>)> =
        slogate::workspace::find_policy_files(&root.join("examples/shop"))
            .unwrap()
            .into_iter()
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let dir = tempfile::tempdir().unwrap();
    for round in 0..400 {
        for (name, text) in &originals {
            let mutated = if rng.below(3) == 0 {
                mutate(&mut rng, text)
            } else {
                text.clone()
            };
            std::fs::write(dir.path().join(name), mutated).unwrap();
        }
        let analysis =
            slogate::analyze(dir.path()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        // Rendering must not panic either, whatever the spans.
        let files = analysis.workspace.user_files().count();
        let _ = slogate::report::render_human(
            &analysis.workspace.sources,
            &analysis.diagnostics,
            files,
            false,
        );
        let _ =
            slogate::report::render_json(&analysis.workspace.sources, &analysis.diagnostics, files);
        for (name, _) in &originals {
            let text = std::fs::read(dir.path().join(name)).unwrap();
            if let Ok(text) = String::from_utf8(text) {
                let _ = slogate::format::format_text(slogate::source::FileId(0), &text);
            }
        }
    }
}

fn check_file(content: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.slo");
    std::fs::write(&file, content).unwrap();
    let o = slogate(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    (code(&o), stdout(&o))
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let mut text = b"service a { depends = ".to_vec();
    text.extend(std::iter::repeat_n(b'[', 10_000));
    let (code, out) = check_file(&text);
    assert_eq!(code, 1);
    assert!(out.contains("\"nesting-too-deep\""), "{out}");
    let (code, out) = check_file(&"{".repeat(10_000).into_bytes());
    assert_eq!(code, 1);
    assert!(out.contains("\"nesting-too-deep\""), "{out}");
}

#[test]
fn oversized_file_is_refused() {
    let mut text = b"service a {\n  owner = \"x\"\n  tier = 1\n".to_vec();
    text.resize(50 * 1024 * 1024, b' ');
    text.extend_from_slice(b"\n}\n");
    let (code, out) = check_file(&text);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("\"{}\"", Code::FileTooLarge)),
        "{out}"
    );
}

#[test]
fn binary_and_invalid_utf8_files_get_a_diagnostic() {
    let (code, out) = check_file(&[0x7f, b'E', b'L', b'F', 0, 0, 0xff, 0xfe, 1, 2, 3]);
    assert_eq!(code, 1);
    assert!(out.contains("\"invalid-encoding\""), "{out}");
    let (code, out) = check_file(b"service a {\n  owner = \"\xc3\x28\"\n}\n");
    assert_eq!(code, 1);
    assert!(out.contains("\"line\": 2"), "{out}");
}

#[test]
fn odd_but_harmless_files() {
    for text in [
        &b""[..],
        b"\n\n",
        b"# only a comment",
        b"\xef\xbb\xbfservice a { owner = \"x\"  tier = 1 }",
        b"service a {\r\n  owner = \"x\"\r\n  tier = 1\r\n}\r\n",
    ] {
        let (code, out) = check_file(text);
        assert_eq!(code, 0, "{}: {out}", String::from_utf8_lossy(text));
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("nowhere.slo"),
        dir.path().join("dangling.slo"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sub/a.slo"),
        "service a {\n  owner = \"x\"\n  tier  = 1\n}\n",
    )
    .unwrap();
    let o = slogate(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "no problems in 1 policy file\n");
}

/// A repository with one valid policy and the given manifest files; returns exit code and JSON output.
fn check_manifests(files: &[(&str, Vec<u8>)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.slo"),
        "service a {\n  owner = \"x\"\n  tier  = 1\n}\n",
    )
    .unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let o = slogate(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    (code(&o), stdout(&o))
}

#[test]
fn hostile_manifests_are_skipped_with_a_reason() {
    let mut laughs = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let prev = (b'a' + i - 1) as char;
        let cur = (b'a' + i) as char;
        laughs.push_str(&format!("{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    // 100,000 levels in flow style took the YAML parser 20 s (mapping) to refuse; a linear scan refuses it now.
    let deep_map = format!("a: {}1{}\n", "{x: ".repeat(100_000), "}".repeat(100_000));
    let deep_quoted = format!("a: \"{}\"\nb: '{}'\n", "[".repeat(1000), "[{".repeat(500));
    let deep_block: String = (0..20_000)
        .map(|i| format!("{}k:\n", " ".repeat(i % 200)))
        .collect();
    let mut huge =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  x: \"".to_vec();
    huge.resize(100 * 1024 * 1024, b'x');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.yaml", laughs.into_bytes(), "not valid YAML"),
        (
            "deep.yaml",
            deep.into_bytes(),
            "nested deeper than 64 levels",
        ),
        (
            "deep-map.yaml",
            deep_map.into_bytes(),
            "nested deeper than 64 levels",
        ),
        // Brackets inside quoted scalars are text, not nesting: a valid document, not a Kubernetes object.
        (
            "deep-quoted.yaml",
            deep_quoted.into_bytes(),
            "not a Kubernetes object: no `apiVersion`",
        ),
        ("deep-block.yaml", deep_block.into_bytes(), "skipped"),
        (
            "binary.yaml",
            vec![0x7f, b'E', b'L', b'F', 0, 1, 2, 0xff],
            "not UTF-8",
        ),
        (
            "latin1.yml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n".to_vec(),
            "not UTF-8",
        ),
        ("huge.yaml", huge, "are not read"),
        (
            "chart/templates/x.yaml",
            b"kind: {{ .Values.kind }}\n".to_vec(),
            "Helm",
        ),
        (
            "scalar.yaml",
            b"just a string\n".to_vec(),
            "the document is a scalar",
        ),
        (
            "list.yaml",
            b"- a\n- b\n".to_vec(),
            "the document is a list",
        ),
        (
            "nameless.yaml",
            b"apiVersion: v1\nkind: ConfigMap\n".to_vec(),
            "without `metadata.name`",
        ),
    ];
    for (name, content, reason) in cases {
        let (code, out) = check_manifests(&[(name, content)]);
        assert!(code <= 2, "{name}: exit {code}");
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}\n{out}"));
        let skipped: Vec<&serde_json::Value> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "manifest-skipped")
            .collect();
        assert!(
            skipped.iter().any(|d| d["message"].as_str().unwrap().contains(reason) && d["severity"] == "info"),
            "{name}: expected a skip note containing {reason:?}, got {out}"
        );
    }
}

#[cfg(unix)]
#[test]
fn manifest_symlink_loops_and_odd_documents() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.slo"),
        "service a {\n  owner = \"x\"\n  tier  = 1\n}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("k8s/loop")).unwrap();
    // BOM, CRLF, trailing tabs, empty documents: one ConfigMap indexed, nothing skipped.
    std::fs::write(
        dir.path().join("k8s/odd.yaml"),
        "\u{feff}---\r\n---\r\n# nothing\r\n---\r\napiVersion: v1\t\r\nkind: ConfigMap\t\r\nmetadata:\r\n  name: odd\t\r\n---\r\n",
    )
    .unwrap();
    let a = slogate::analyze(dir.path()).unwrap();
    let inv = a.inventory.as_ref().unwrap();
    assert_eq!(inv.objects.len(), 1, "{:?}", inv.skipped);
    assert_eq!(inv.objects[0].name, "odd");
    assert_eq!(inv.objects[0].namespace, "default");
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
}

/// A diagnostic at column 100,000 panicked inside the renderer ("Formatting argument out of range"): it now
/// shows a window of the line around the column, with the true line and column in its header.
#[test]
fn a_diagnostic_far_along_a_long_line_renders() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "service a {{\n  owner = \"{}\"  tier = 1  ownr = \"x\"\n}}\n",
        "x".repeat(100_000)
    );
    std::fs::write(dir.path().join("p.slo"), text).unwrap();
    let o = slogate(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    // `ownr` starts after `  owner = "` (11 characters), 100,000 x, `"  tier = 1  ` (13): column 100,025.
    assert!(out.contains("p.slo:2:100025]"), "{out}");
    assert!(
        out.lines().all(|l| l.chars().count() < 400),
        "a line was not cut"
    );
    assert!(out.contains('…'));
}
