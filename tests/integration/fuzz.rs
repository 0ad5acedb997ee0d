//! The seeded fuzzing campaign that runs in CI.
//!
//! Every `.slo` under examples/ and tests/fixtures/ is mutated with the mutators that found real defects
//! (byte flips, token swaps, deleted and duplicated lines, truncation, 200,000-character lines, deep nesting
//! inside and outside backticks, huge numbers and durations, `0s`, unicode and right-to-left identifiers, NUL,
//! CRLF and lone CR). Each mutant goes through the library (analysis, human and JSON rendering, fmt, rule
//! emission when it is sound); a sample also goes through the real binary, where an abort or a stack overflow
//! would show. Asserted: no panic, no abort, exit ≤ 2, a generous per-case time bound (a hang detector, not a
//! timing assertion), and for every mutant that parses, fmt is idempotent, keeps the meaning and the comments.
//!
//! The seed is printed; `SLOGATE_FUZZ_SEED=<n>` replays a run and `SLOGATE_FUZZ_CASES=<n>` sizes it. Every
//! failing mutant is written to `target/fuzz-failures/`; copy it to `tests/fixtures/fuzz/` to keep it: those
//! files are replayed first, every run.

use crate::support::{shape, Rng};
use slogate::source::FileId;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CASE_LIMIT: Duration = Duration::from_secs(20);

const TOKENS: &[&str] = &[
    "{", "}", "[", "]", "(", ")", "=", ":", ",", "\"", "`", "#", "%", "$window", "require",
    "freeze", "when", "except", "use", "slo", "sli", "alert", "gate", "service", "toil", "canary",
    "page", "ticket", "0s", "0%", "100%", "1e26", "-1", "0.999", "30D", "1mo", "1.5h", "\u{201c}",
];

const IDENTS: &[&str] = &[
    "ñame",
    "服务",
    "\u{202e}evil",
    "a\u{200f}b",
    "ᚠᚢᚦ",
    "x\u{0301}",
    "عربي",
    "a-b",
    "a_b",
    "_",
];

fn mutate(rng: &mut Rng, original: &[u8]) -> (Vec<u8>, &'static str) {
    let mut b = original.to_vec();
    let at = rng.below(b.len() + 1);
    let kind = rng.below(16);
    let name = match kind {
        0 => {
            for _ in 0..=rng.below(4) {
                if !b.is_empty() {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
            }
            "byte flips"
        }
        1 => {
            let mut words: Vec<Vec<u8>> = b.split(|c| *c == b' ').map(<[u8]>::to_vec).collect();
            if words.len() > 1 {
                let (i, j) = (rng.below(words.len()), rng.below(words.len()));
                words.swap(i, j);
            }
            b = words.join(&b' ');
            "token swap"
        }
        2 | 3 => {
            let mut lines: Vec<Vec<u8>> = b.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
            let i = rng.below(lines.len());
            if kind == 2 {
                lines.remove(i);
            } else {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            b = lines.join(&b'\n');
            if kind == 2 {
                "line deleted"
            } else {
                "line duplicated"
            }
        }
        4 => {
            b.truncate(at);
            "truncated"
        }
        5 => {
            let long: String = match rng.below(4) {
                0 => format!("# {}\n", "x".repeat(200_000)),
                1 => format!("owner = \"{}\"\n", "y".repeat(200_000)),
                2 => "a".repeat(200_000),
                _ => format!(" {} ", "9".repeat(200_000)),
            };
            b.splice(at..at, long.bytes());
            "200,000-character line"
        }
        6 => {
            let depth = 1 + rng.below(20_000);
            let open = ["{", "[", "("][rng.below(3)];
            b.splice(at..at, open.repeat(depth).bytes());
            "deep nesting outside backticks"
        }
        7 => {
            let depth = 1 + rng.below(20_000);
            let body = match rng.below(3) {
                0 => format!("{}x{}", "(".repeat(depth), ")".repeat(depth)),
                1 => format!("{}1", "-".repeat(depth)),
                _ => vec!["a"; depth].join("+"),
            };
            match find(&b, b"`") {
                Some(i) => {
                    b.splice(i + 1..i + 1, body.bytes());
                }
                None => b.splice(at..at, format!("`{body}`").bytes()).for_each(drop),
            }
            "deep nesting inside backticks"
        }
        8 => {
            let huge = [
                "99999999999999999999999999999",
                "1e26",
                "0.00000000000000000000000000001",
                "99999999999999999999d",
                "18446744073709551616ms",
                "0s",
                "0%",
                "1000000000000000%",
            ][rng.below(8)];
            replace_token(
                rng,
                &mut b,
                |t| t.first().is_some_and(u8::is_ascii_digit),
                huge,
            );
            "huge number or duration"
        }
        9 => {
            let ident = IDENTS[rng.below(IDENTS.len())];
            replace_token(
                rng,
                &mut b,
                |t| t.first().is_some_and(u8::is_ascii_alphabetic),
                ident,
            );
            "unicode identifier"
        }
        10 => {
            b.insert(at, 0);
            "NUL"
        }
        11 => {
            let cr = rng.below(2) == 0;
            let mut out = Vec::with_capacity(b.len() + b.len() / 10);
            for c in b {
                if c == b'\n' {
                    out.push(b'\r');
                    if cr {
                        out.push(b'\n');
                    }
                } else {
                    out.push(c);
                }
            }
            b = out;
            if cr {
                "CRLF"
            } else {
                "lone CR"
            }
        }
        13 | 14 => {
            // A line break (or a comment and a line break) where a space was: splits `key = value` over
            // lines, puts comments before `{`, inside lists, between a key and its value.
            let spaces: Vec<usize> = (0..b.len()).filter(|&i| b[i] == b' ').collect();
            if !spaces.is_empty() {
                let i = spaces[rng.below(spaces.len())];
                let with: &[u8] = if kind == 13 { b"\n" } else { b" # note\n" };
                b.splice(i..i + 1, with.iter().copied());
            }
            if kind == 13 {
                "line split at a space"
            } else {
                "comment inserted"
            }
        }
        12 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            b.splice(at..at, t.bytes());
            "token inserted"
        }
        _ => {
            let len = rng.below(80).min(b.len() - at.min(b.len()));
            b.drain(at..at + len);
            "span deleted"
        }
    };
    (b, name)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Replaces a random whitespace-separated token that `pick` accepts.
fn replace_token(rng: &mut Rng, b: &mut Vec<u8>, pick: impl Fn(&[u8]) -> bool, with: &str) {
    let mut starts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if (i == 0 || b" \t\n=[{(".contains(&b[i - 1])) && !b" \t\n".contains(&b[i]) {
            let end = b[i..]
                .iter()
                .position(|c| b" \t\n,}])".contains(c))
                .map_or(b.len(), |p| i + p);
            if pick(&b[i..end]) {
                starts.push((i, end));
            }
            i = end;
        }
        i += 1;
    }
    if !starts.is_empty() {
        let (s, e) = starts[rng.below(starts.len())];
        b.splice(s..e, with.bytes());
    }
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures"] {
        for p in slogate::workspace::find_policy_files(&root.join(dir)).expect("walk") {
            let name = p.strip_prefix(root).unwrap().display().to_string();
            files.push((name, std::fs::read(&p).unwrap()));
        }
    }
    files.sort();
    assert!(files.len() > 30, "corpus too small: {}", files.len());
    files
}

/// Runs one mutant through the library; returns what went wrong, if anything.
fn check_in_process(dir: &Path, bytes: &[u8]) -> Option<String> {
    let file = dir.join("policy.slo");
    std::fs::write(&file, bytes).unwrap();
    let started = Instant::now();
    let result = std::panic::catch_unwind(|| {
        let a = slogate::analyze(dir).map_err(|e| e.to_string())?;
        let files = a.workspace.user_files().count();
        let _ = slogate::report::render_human(&a.workspace.sources, &a.diagnostics, files, false);
        let _ = slogate::report::render_json(&a.workspace.sources, &a.diagnostics, files);
        if !a.has_errors() {
            let _ = slogate::emit::build(&a.model, &|_| "policy.slo".into(), &tests_options());
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Ok(());
        };
        if let Ok(once) = slogate::format::format_text(FileId(0), text) {
            let twice = slogate::format::format_text(FileId(0), &once)
                .map_err(|_| "fmt output does not parse".to_string())?;
            if once != twice {
                return Err(format!(
                    "fmt is not idempotent:\n--- once\n{once}\n--- twice\n{twice}"
                ));
            }
            let (before, after) = (
                shape(text).unwrap_or_default(),
                shape(&once).unwrap_or_default(),
            );
            if before != after {
                let at = before
                    .bytes()
                    .zip(after.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(before.len().min(after.len()));
                let around = |s: &str| {
                    s.get(at.saturating_sub(80)..(at + 80).min(s.len()))
                        .unwrap_or("")
                        .to_string()
                };
                return Err(format!(
                    "fmt changed the meaning:\n  before: …{}…\n  after:  …{}…",
                    around(&before),
                    around(&after)
                ));
            }
            let comments = |t: &str| slogate::syntax::parse(FileId(0), t).comments.len();
            if comments(text) != comments(&once) {
                return Err(format!("fmt lost or split comments:\n{once}"));
            }
        }
        Ok(())
    });
    let elapsed = started.elapsed();
    match result {
        Err(p) => Some(format!(
            "panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
        Ok(Err(e)) if !e.contains("policy.slo") => Some(e),
        Ok(_) if elapsed > CASE_LIMIT => Some(format!("took {elapsed:?}")),
        Ok(_) => None,
    }
}

fn tests_options() -> slogate::emit::Options {
    slogate::emit::Options {
        tests: true,
        ..slogate::emit::Options::default()
    }
}

/// Runs one mutant through the real binary (`check --format json` and `fmt --check`), in a child process so
/// that an abort or a stack overflow is seen as such.
fn check_binary(dir: &Path) -> Option<String> {
    for args in [
        &["check", ".", "--format", "json"][..],
        &["fmt", "--check", "."],
        &["build", ".", "-o", "out", "--check"],
    ] {
        // stderr goes to a file: a pipe nobody drains while we wait would block a verbose child.
        let err_path = dir.join("stderr.txt");
        let err_file = std::fs::File::create(&err_path).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_slogate"))
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(err_file)
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > CASE_LIMIT {
                let _ = child.kill();
                return Some(format!("`slogate {}` hung", args.join(" ")));
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let err = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned();
        match status.code() {
            None => {
                return Some(format!(
                    "`slogate {}` was killed by a signal (abort?)",
                    args.join(" ")
                ))
            }
            Some(c) if c > 2 => return Some(format!("`slogate {}` exited {c}", args.join(" "))),
            _ if err.contains("panicked") => {
                return Some(format!("`slogate {}` panicked: {err}", args.join(" ")))
            }
            _ => {}
        }
    }
    None
}

fn save_failure(name: &str, index: usize, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}-{index}.slo", name.replace('/', "_")));
    std::fs::write(&file, bytes).unwrap();
    file
}

#[test]
fn seeded_mutation_campaign_finds_nothing() {
    let seed: u64 = std::env::var("SLOGATE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x51_06a7e);
    let cases: usize = std::env::var("SLOGATE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    eprintln!("fuzz campaign: seed {seed} (SLOGATE_FUZZ_SEED), {cases} cases (SLOGATE_FUZZ_CASES)");
    let quiet = std::panic::take_hook();
    if std::env::var_os("SLOGATE_FUZZ_LOUD").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let corpus = corpus();
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    // Kept failures first: each must now pass.
    let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut kept_files: Vec<PathBuf> = std::fs::read_dir(&kept)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    kept_files.sort();
    for f in &kept_files {
        let bytes = std::fs::read(f).unwrap();
        if let Some(why) = check_in_process(dir.path(), &bytes).or_else(|| check_binary(dir.path()))
        {
            failures.push(format!("{}: {why}", f.display()));
        }
    }
    let started = Instant::now();
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut spent: std::collections::BTreeMap<&str, Duration> = Default::default();
    for index in 0..cases {
        let (name, original) = &corpus[rng.below(corpus.len())];
        let (mut bytes, mut kind) = mutate(&mut rng, original);
        if rng.below(4) == 0 {
            let (more, k) = mutate(&mut rng, &bytes);
            bytes = more;
            kind = k;
        }
        *kinds.entry(kind).or_default() += 1;
        let t0 = Instant::now();
        let mut why = check_in_process(dir.path(), &bytes);
        *spent.entry(kind).or_default() += t0.elapsed();
        if why.is_none() && index % 12 == 0 {
            why = check_binary(dir.path());
        }
        if let Some(why) = why {
            let saved = save_failure(name, index, &bytes);
            failures.push(format!(
                "case {index} ({kind} of {name}), saved as {}: {why}",
                saved.display()
            ));
            if failures.len() >= 20 {
                break;
            }
        }
    }
    std::panic::set_hook(quiet);
    eprintln!(
        "fuzz campaign: {cases} cases in {:?}; mutators used: {kinds:?}; time in process: {spent:?}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures (replay with SLOGATE_FUZZ_SEED={seed}):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
