//! Strategic merge patches as Kustomize applies them to the built-in kinds: maps merge key by key, `null`
//! deletes a key, lists of named things (containers, env, volumes, ports, volume mounts) merge by their key,
//! other lists are replaced, and `$patch: delete` / `$patch: replace` directives act on maps and list items.
//! Every value the patch writes records where in the patch it was written.

use super::Origin;
use serde_yaml::{Mapping, Value};

/// The key that identifies items of a list field, when the list merges rather than replaces.
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "envFrom" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "ports" => Some(if items.iter().any(|i| i.get("containerPort").is_some()) {
            "containerPort"
        } else {
            "port"
        }),
        _ => None,
    }
    .filter(|k| *k != "name" || field != "envFrom")
}

/// What `$patch` says on a map.
pub fn directive(v: &Value) -> Option<&str> {
    v.get("$patch").and_then(Value::as_str)
}

fn is_directive_key(k: &str) -> bool {
    k == "$patch" || k.starts_with("$setElementOrder") || k.starts_with("$retainKeys")
}

/// Merges `patch` into `target`. `at` is the target path (`spec.template`), `pat` the path in the patch.
pub fn merge(target: &mut Value, patch: &Value, at: &str, pat: &str, origin: &mut dyn Origin) {
    let Some(pm) = patch.as_mapping() else {
        *target = patch.clone();
        origin.set(at, pat);
        return;
    };
    if directive(patch) == Some("replace") {
        let mut m = pm.clone();
        m.remove("$patch");
        *target = Value::Mapping(m);
        origin.set(at, pat);
        return;
    }
    if !target.is_mapping() {
        *target = Value::Mapping(Mapping::new());
        origin.set(at, pat);
    }
    let Some(tm) = target.as_mapping_mut() else {
        return;
    };
    for (k, v) in pm {
        let Some(key) = k.as_str() else { continue };
        if is_directive_key(key) || tm.get(k) == Some(v) {
            continue; // directives, and values the patch restates (identity, merge keys)
        }
        let child_at = join(at, key);
        let child_pat = join(pat, key);
        if v.is_null() {
            tm.remove(k);
            origin.set(&child_at, &child_pat);
            continue;
        }
        let existing = tm.get_mut(k);
        match (existing, v) {
            (Some(t @ Value::Mapping(_)), Value::Mapping(_)) if directive(v) != Some("delete") => {
                merge(t, v, &child_at, &child_pat, origin);
            }
            (_, Value::Mapping(_)) if directive(v) == Some("delete") => {
                tm.remove(k);
                origin.set(&child_at, &child_pat);
            }
            (Some(Value::Sequence(items)), Value::Sequence(patch_items)) => {
                match merge_key(key, items) {
                    Some(mk) => merge_list(items, patch_items, mk, &child_at, &child_pat, origin),
                    None => {
                        *items = patch_items.clone();
                        origin.set(&child_at, &child_pat);
                    }
                }
            }
            _ => {
                let mut v = v.clone();
                strip_directives(&mut v);
                tm.insert(k.clone(), v);
                origin.set(&child_at, &child_pat);
            }
        }
    }
}

fn merge_list(
    items: &mut Vec<Value>,
    patch: &[Value],
    key: &str,
    at: &str,
    pat: &str,
    origin: &mut dyn Origin,
) {
    for (pi, p) in patch.iter().enumerate() {
        let pat_i = format!("{pat}[{pi}]");
        let id = p.get(key);
        let found = id.and_then(|id| items.iter().position(|i| i.get(key) == Some(id)));
        match (found, directive(p)) {
            (Some(i), Some("delete")) => {
                items.remove(i);
                origin.set(&format!("{at}[{i}]"), &pat_i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => merge(&mut items[i], p, &format!("{at}[{i}]"), &pat_i, origin),
            (None, _) => {
                let mut v = p.clone();
                strip_directives(&mut v);
                items.push(v);
                origin.set(&format!("{at}[{}]", items.len() - 1), &pat_i);
            }
        }
    }
}

fn strip_directives(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            m.retain(|k, _| !k.as_str().is_some_and(is_directive_key));
            for (_, c) in m.iter_mut() {
                strip_directives(c);
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(strip_directives),
        _ => {}
    }
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Log(BTreeMap<String, String>);
    impl Origin for Log {
        fn set(&mut self, at: &str, pat: &str) {
            self.0.insert(at.to_string(), pat.to_string());
        }
    }

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    // From the Kubernetes strategic-merge-patch rules: containers merge by name, a new container is appended,
    // `$patch: delete` removes the named item, `null` removes a key.
    #[test]
    fn containers_merge_by_name() {
        let mut t = y("spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: app\n        image: a:1\n      - name: side\n        image: s:1\n");
        let p = y("spec:\n  replicas: null\n  template:\n    spec:\n      containers:\n      - name: app\n        readinessProbe: {httpGet: {path: /ready, port: 80}}\n      - name: side\n        $patch: delete\n      - name: new\n        image: n:1\n");
        let mut log = Log::default();
        merge(&mut t, &p, "", "", &mut log);
        let want = y("spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: a:1\n        readinessProbe: {httpGet: {path: /ready, port: 80}}\n      - name: new\n        image: n:1\n");
        assert_eq!(t, want);
        assert_eq!(
            log.0
                .get("spec.template.spec.containers[0].readinessProbe")
                .map(String::as_str),
            Some("spec.template.spec.containers[0].readinessProbe")
        );
        assert_eq!(
            log.0
                .get("spec.template.spec.containers[1]")
                .map(String::as_str),
            Some("spec.template.spec.containers[2]")
        );
        assert!(log.0.contains_key("spec.replicas"));
    }

    #[test]
    fn replace_directive_and_plain_lists() {
        let mut t = y("spec:\n  selector:\n    matchLabels: {a: b, c: d}\n  args: [x, y]\n");
        let p = y("spec:\n  selector:\n    matchLabels:\n      $patch: replace\n      e: f\n  args: [z]\n");
        merge(&mut t, &p, "", "", &mut Log::default());
        assert_eq!(
            t,
            y("spec:\n  selector:\n    matchLabels: {e: f}\n  args: [z]\n")
        );
    }
}
