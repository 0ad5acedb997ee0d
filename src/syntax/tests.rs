use super::ast::*;
use super::*;

fn ok(text: &str) -> File {
    let p = parse(FileId(0), text);
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    p.ast.expect("parsed")
}

fn err(text: &str) -> Diagnostic {
    let p = parse(FileId(0), text);
    p.diagnostics.into_iter().next().expect("a diagnostic")
}

fn attr_value(file: &File, key: &str) -> ValueKind {
    fn walk(entries: &[Entry], key: &str) -> Option<ValueKind> {
        for e in entries {
            match e {
                Entry::Attribute(a) if a.key.name == key => return Some(a.value.kind.clone()),
                Entry::Block(b) => {
                    if let Some(v) = walk(&b.entries, key) {
                        return Some(v);
                    }
                }
                _ => {}
            }
        }
        None
    }
    for item in &file.items {
        if let Item::Block(b) = item {
            if let Some(v) = walk(&b.entries, key) {
                return v;
            }
        }
    }
    panic!("no attribute {key}")
}

#[test]
fn parses_every_value_kind() {
    let f = ok(r#"
service checkout {
  tier = 1
  objective = 99.9%
  window = 30d
  min_rate = 0.5/s
  workload = deployment/shop/checkout
  depends = [payments, cart,]
  labels = { team = "payments", "x" = 1 }
  good = `sum(rate(x[$window]))`
  max = 1.1 * baseline
  manual = message ~ "^(hotfix|manual)" or trailer "Toil: yes"
  regex = "\d+\"q\""
}
"#);
    use rust_decimal::Decimal;
    assert_eq!(
        attr_value(&f, "tier"),
        ValueKind::Number(Decimal::new(1, 0))
    );
    assert_eq!(
        attr_value(&f, "objective"),
        ValueKind::Percent(Decimal::new(999, 1))
    );
    assert_eq!(
        attr_value(&f, "window"),
        ValueKind::Duration {
            amount: 30,
            unit: DurationUnit::D
        }
    );
    assert!(matches!(
        attr_value(&f, "min_rate"),
        ValueKind::Rate {
            per: DurationUnit::S,
            ..
        }
    ));
    assert_eq!(
        attr_value(&f, "workload"),
        ValueKind::Workload(vec!["deployment".into(), "shop".into(), "checkout".into()])
    );
    assert!(matches!(attr_value(&f, "depends"), ValueKind::List(l) if l.len() == 2));
    assert!(matches!(attr_value(&f, "labels"), ValueKind::Map(m) if m.len() == 2));
    assert_eq!(
        attr_value(&f, "good"),
        ValueKind::Promql("sum(rate(x[$window]))".into())
    );
    assert!(matches!(attr_value(&f, "max"), ValueKind::Relative { .. }));
    assert!(matches!(attr_value(&f, "manual"), ValueKind::Classifier(m) if m.len() == 2));
    assert_eq!(attr_value(&f, "regex"), ValueKind::Str("\\d+\"q\"".into()));
}

#[test]
fn parses_gate_statements() {
    let f = ok("service a { gate deploy {
        require budget(availability) >= 25%
        require burn(availability, 1h) < 2
        require toil <= 50%
        freeze when budget(availability) <= 0% except rollback, reliability_fix
        canary { max_error_ratio = 1.1 * baseline  over = 10m }
    } }");
    let Item::Block(service) = &f.items[0] else {
        panic!()
    };
    let Entry::Block(gate) = &service.entries[0] else {
        panic!()
    };
    assert_eq!(gate.entries.len(), 5);
    let Entry::Require(r) = &gate.entries[1] else {
        panic!()
    };
    assert_eq!(r.condition.metric.name, "burn");
    assert_eq!(r.condition.args.as_ref().unwrap().len(), 2);
    assert_eq!(r.condition.op, CmpOp::Lt);
    let Entry::Require(r) = &gate.entries[2] else {
        panic!()
    };
    assert!(r.condition.args.is_none());
    let Entry::Freeze(fz) = &gate.entries[3] else {
        panic!()
    };
    assert_eq!(fz.except.len(), 2);
}

#[test]
fn one_line_blocks_and_comments() {
    let f = ok("# top\nuse \"profiles.slo\" # why\nservice a { slo x { sli = y  objective = 99%  window = 7d } } # end");
    assert_eq!(f.items.len(), 2);
    let p = parse(FileId(0), "# a\nservice a {} # b");
    assert_eq!(p.comments.len(), 2);
}

#[test]
fn colon_instead_of_equals_is_targeted() {
    let d = err("service a {\n  owner: \"x\"\n}");
    assert_eq!(d.code, Code::Syntax);
    assert_eq!(d.message, "expected `=` after `owner`, found `:`");
}

#[test]
fn bad_units_are_named() {
    let d = err("service a { window = 30days }");
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(d.message, "unknown unit `days` in `30days`");
    assert_eq!(d.help.as_deref(), Some("write `30d`"));
    let d = err("service a { window = 1.5h }");
    assert_eq!(d.code, Code::InvalidValue);
    let d = err("service a { min_rate = 1/sec }");
    assert_eq!(d.help.as_deref(), Some("write `1/s`"));
}

#[test]
fn missing_value_says_what_was_expected() {
    let d = err("service a {\n  owner =\n}");
    assert_eq!(d.code, Code::Syntax);
    assert!(
        d.message.starts_with("expected a value, found"),
        "{}",
        d.message
    );
}

#[test]
fn assignment_in_condition_is_targeted() {
    let d = err("service a { gate g { require toil = 50% } }");
    assert_eq!(d.message, "expected a comparison, found `=`");
}

#[test]
fn missing_brace_after_header() {
    let d = err("service checkout\n");
    assert!(d.message.contains("expected"), "{}", d.message);
    assert!(d.message.contains("found end of file"), "{}", d.message);
}

#[test]
fn stray_tokens_are_named() {
    let d = err("service a { ; }");
    assert_eq!(d.message, "unexpected `;`");
}

#[test]
fn encoding_and_size_guards() {
    let d = decode(FileId(0), vec![b'a', b'\n', 0xff, b'b']).unwrap_err();
    assert_eq!(d.code, Code::InvalidEncoding);
    assert_eq!(d.primary.span.start, 2);
    let d = decode(FileId(0), vec![b' '; MAX_FILE_BYTES + 1]).unwrap_err();
    assert_eq!(d.code, Code::FileTooLarge);
}
