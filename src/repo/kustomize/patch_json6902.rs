//! JSON patches (RFC 6902) as Kustomize applies them: `add`, `remove`, `replace`, `move`, `copy` and `test`
//! over JSON pointers (RFC 6901, `~0`/`~1` escapes, `-` appends). Each operation reports the dotted path it
//! changed so the rendered field can point at the operation that wrote it.

use serde_yaml::Value;

/// One parsed operation.
#[derive(Debug)]
pub struct Op {
    pub op: String,
    pub path: String,
    pub from: Option<String>,
    pub value: Option<Value>,
}

/// The operations of a patch document (a YAML or JSON list).
pub fn parse(v: &Value) -> Result<Vec<Op>, String> {
    let Some(items) = v.as_sequence() else {
        return Err("a JSON 6902 patch must be a list of operations".into());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let s = |k: &str| it.get(k).and_then(Value::as_str).map(str::to_string);
            let op = s("op").ok_or(format!("operation {i} has no `op`"))?;
            let path = s("path").ok_or(format!("operation {i} has no `path`"))?;
            if !["add", "remove", "replace", "move", "copy", "test"].contains(&op.as_str()) {
                return Err(format!("operation {i}: unknown op `{op}`"));
            }
            Ok(Op {
                op,
                path,
                from: s("from"),
                value: it.get("value").cloned(),
            })
        })
        .collect()
}

fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!(
            "`{pointer}` is not a JSON pointer (must start with `/`)"
        ));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Walks to the parent of the pointer's last token; returns (parent, last token, dotted path of parent).
fn parent<'v>(
    root: &'v mut Value,
    toks: &[String],
) -> Result<(&'v mut Value, String, String), String> {
    let (last, init) = toks
        .split_last()
        .ok_or("the whole document cannot be patched")?;
    let mut cur = root;
    let mut dotted = String::new();
    for t in init {
        cur = match cur {
            Value::Mapping(m) => {
                dotted = join(&dotted, t);
                m.get_mut(t.as_str())
                    .ok_or(format!("`{t}` does not exist"))?
            }
            Value::Sequence(s) => {
                let i: usize = t
                    .parse()
                    .map_err(|_| format!("`{t}` is not a list index"))?;
                dotted = format!("{dotted}[{i}]");
                s.get_mut(i).ok_or(format!("index {i} is out of range"))?
            }
            _ => return Err(format!("`{t}` is inside a scalar")),
        };
    }
    Ok((cur, last.clone(), dotted))
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

fn get(root: &Value, pointer: &str) -> Result<Value, String> {
    let mut cur = root;
    for t in tokens(pointer)? {
        cur = match cur {
            Value::Mapping(m) => m.get(t.as_str()),
            Value::Sequence(s) => t.parse::<usize>().ok().and_then(|i| s.get(i)),
            _ => None,
        }
        .ok_or(format!("`{pointer}` does not exist"))?;
    }
    Ok(cur.clone())
}

fn remove(root: &mut Value, pointer: &str) -> Result<(Value, String), String> {
    let toks = tokens(pointer)?;
    let (p, last, dotted) = parent(root, &toks)?;
    match p {
        Value::Mapping(m) => m
            .remove(last.as_str())
            .map(|v| (v, join(&dotted, &last)))
            .ok_or(format!("`{pointer}` does not exist")),
        Value::Sequence(s) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not a list index"))?;
            if i >= s.len() {
                return Err(format!("`{pointer}`: index {i} is out of range"));
            }
            Ok((s.remove(i), format!("{dotted}[{i}]")))
        }
        _ => Err(format!("`{pointer}` is inside a scalar")),
    }
}

fn add(root: &mut Value, pointer: &str, value: Value, replace: bool) -> Result<String, String> {
    let toks = tokens(pointer)?;
    let (p, last, dotted) = parent(root, &toks)?;
    match p {
        Value::Mapping(m) => {
            if replace && !m.contains_key(last.as_str()) {
                return Err(format!(
                    "`{pointer}` does not exist (replace needs an existing value)"
                ));
            }
            m.insert(Value::String(last.clone()), value);
            Ok(join(&dotted, &last))
        }
        Value::Sequence(s) => {
            let i = if last == "-" {
                s.len()
            } else {
                last.parse::<usize>()
                    .map_err(|_| format!("`{last}` is not a list index"))?
            };
            if replace {
                let slot = s
                    .get_mut(i)
                    .ok_or(format!("`{pointer}`: index {i} is out of range"))?;
                *slot = value;
            } else {
                if i > s.len() {
                    return Err(format!("`{pointer}`: index {i} is out of range"));
                }
                s.insert(i, value);
            }
            Ok(format!("{dotted}[{i}]"))
        }
        _ => Err(format!("`{pointer}` is inside a scalar")),
    }
}

/// Applies one operation; returns the dotted path it wrote (None for `test` and `remove`'s gone value).
pub fn apply(root: &mut Value, op: &Op) -> Result<String, String> {
    let value = || {
        op.value
            .clone()
            .ok_or(format!("`{}` needs a `value`", op.op))
    };
    let from = || op.from.clone().ok_or(format!("`{}` needs a `from`", op.op));
    match op.op.as_str() {
        "add" => add(root, &op.path, value()?, false),
        "replace" => add(root, &op.path, value()?, true),
        "remove" => remove(root, &op.path).map(|(_, d)| d),
        "move" => {
            let (v, _) = remove(root, &from()?)?;
            add(root, &op.path, v, false)
        }
        "copy" => {
            let v = get(root, &from()?)?;
            add(root, &op.path, v, false)
        }
        _ => {
            if get(root, &op.path)? != value()? {
                return Err(format!("test of `{}` failed", op.path));
            }
            Ok(String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    // RFC 6902 section 4 semantics, written out by hand.
    #[test]
    fn operations() {
        let mut doc = y("spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x:1\n");
        let ops = parse(&y("- op: replace\n  path: /spec/replicas\n  value: 3\n- op: add\n  path: /spec/template/spec/containers/0/args\n  value: [--v]\n- op: add\n  path: /spec/template/spec/containers/-\n  value: {name: b, image: y:2}\n- op: copy\n  from: /spec/template/spec/containers/0/image\n  path: /metadata~1x\n- op: test\n  path: /spec/replicas\n  value: 3\n")).unwrap();
        let at: Vec<String> = ops.iter().map(|o| apply(&mut doc, o).unwrap()).collect();
        assert_eq!(
            at,
            vec![
                "spec.replicas",
                "spec.template.spec.containers[0].args",
                "spec.template.spec.containers[1]",
                "metadata/x",
                ""
            ]
        );
        assert_eq!(doc.get("spec").unwrap().get("replicas"), Some(&y("3")));
        assert_eq!(doc.get("metadata/x"), Some(&y("x:1")));
        let bad = Op {
            op: "replace".into(),
            path: "/spec/nope".into(),
            from: None,
            value: Some(y("1")),
        };
        assert!(apply(&mut doc, &bad).is_err());
        let bad = Op {
            op: "remove".into(),
            path: "/spec/template/spec/containers/9".into(),
            from: None,
            value: None,
        };
        assert!(apply(&mut doc, &bad).is_err());
    }
}
