//! The `images:` transformer: containers (and init containers) whose image name matches get a new name, tag
//! or digest, as the Kustomize docs describe. This is how most overlays deploy a new version, so each
//! rewritten image records the kustomization line that set it: history and gate see the bump as a deploy.

use super::load::Kust;
use super::Res;
use crate::repo::k8s::scalar;
use serde_yaml::Value;

/// `registry/app:1.2@sha256:…` → (`registry/app`, rest).
pub fn split(image: &str) -> (&str, &str) {
    let at = image.find('@').unwrap_or(image.len());
    let slash = image[..at].rfind('/').map_or(0, |i| i + 1);
    let colon = image[slash..at].find(':').map_or(at, |i| slash + i);
    (&image[..colon], &image[colon..])
}

pub fn apply(k: &Kust, res: &mut [Res]) {
    for (i, e) in k
        .value
        .get("images")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(name) = e.get("name").and_then(scalar) else {
            continue;
        };
        let new_name = e.get("newName").and_then(scalar);
        let new_tag = e.get("newTag").and_then(scalar);
        let digest = e.get("digest").and_then(scalar);
        let key = ["digest", "newTag", "newName"]
            .into_iter()
            .find(|f| e.get(*f).is_some())
            .unwrap_or("name");
        let from = k.span(&format!("images[{i}].{key}"));
        for r in res.iter_mut() {
            let base = match r.kind() {
                "CronJob" => "spec.jobTemplate.spec.template.spec",
                "Pod" => "spec",
                _ => "spec.template.spec",
            };
            let mut changed = Vec::new();
            let mut spec = Some(&mut r.value);
            for p in base.split('.') {
                spec = spec.and_then(|v| v.get_mut(p));
            }
            let Some(spec) = spec else { continue };
            for list in ["initContainers", "containers"] {
                let Some(cs) = spec.get_mut(list).and_then(Value::as_sequence_mut) else {
                    continue;
                };
                for (ci, c) in cs.iter_mut().enumerate() {
                    let Some(img) = c.get("image").and_then(Value::as_str) else {
                        continue;
                    };
                    let (n, rest) = split(img);
                    if n != name {
                        continue;
                    }
                    let mut out = new_name.clone().unwrap_or_else(|| n.to_string());
                    if let Some(d) = &digest {
                        out = format!("{out}@{d}");
                    } else if let Some(t) = &new_tag {
                        out = format!("{out}:{t}");
                    } else {
                        out.push_str(rest);
                    }
                    if let Some(m) = c.as_mapping_mut() {
                        m.insert(Value::String("image".into()), Value::String(out));
                    }
                    changed.push(format!("{base}.{list}[{ci}].image"));
                }
            }
            for c in changed {
                r.origins.insert(c, from);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_image_names() {
        assert_eq!(super::split("nginx"), ("nginx", ""));
        assert_eq!(super::split("nginx:1.2"), ("nginx", ":1.2"));
        assert_eq!(
            super::split("localhost:5000/app:v1"),
            ("localhost:5000/app", ":v1")
        );
        assert_eq!(
            super::split("ghcr.io/a/b@sha256:ab"),
            ("ghcr.io/a/b", "@sha256:ab")
        );
    }
}
