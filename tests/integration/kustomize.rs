//! Kustomize rendered natively. Expected renders are worked out by hand from the Kustomize documentation
//! (resources, components, namespace, namePrefix, commonLabels with selectors, images, replicas, strategic
//! merge with `$patch: delete`, JSON 6902), and every changed field must point at the line that changed it.

use slogate::repo::k8s::Object;
use slogate::repo::manifests::{find_manifests, load_rendered, Inventory};
use slogate::source::{SourceMap, Span};
use std::path::Path;

fn fixture(name: &str) -> (Inventory, SourceMap) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kustomize")
        .join(name);
    let paths = find_manifests(&root).expect("walk");
    let mut sources = SourceMap::new();
    let inv = load_rendered(&root, &paths, &mut sources);
    (inv, sources)
}

/// `file:line` of a span, the file relative to the fixture.
fn at(sources: &SourceMap, span: Span) -> String {
    let f = sources.get(span.file);
    let name = f
        .name
        .split("tests/fixtures/kustomize/overlays/")
        .last()
        .unwrap_or(&f.name)
        .to_string();
    format!("{name}:{}", f.line_col(span.start as usize).line)
}

fn find<'a>(inv: &'a Inventory, kind: &str, ns: &str, name: &str) -> &'a Object {
    inv.objects
        .iter()
        .find(|o| o.kind == kind && o.namespace == ns && o.name == name)
        .unwrap_or_else(|| {
            panic!(
                "{kind} {ns}/{name} not rendered: {:?}",
                inv.objects.iter().map(Object::describe).collect::<Vec<_>>()
            )
        })
}

fn y(s: &str) -> serde_yaml::Value {
    serde_yaml::from_str(s).unwrap()
}

#[test]
fn prod_overlay_renders_as_kustomize_documents() {
    let (inv, sources) = fixture("overlays");
    let mut names: Vec<String> = inv.objects.iter().map(Object::describe).collect();
    names.sort();
    // Base files are built into each overlay, not objects of their own; patch files are never objects.
    assert_eq!(
        names,
        vec![
            "Deployment dev/api",
            "Deployment prod/prod-api",
            "Service dev/api",
            "Service prod/prod-api"
        ]
    );
    let d = find(&inv, "Deployment", "prod", "prod-api");
    let want = y(r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prod-api
  namespace: prod
  labels: {app: api, env: prod}
spec:
  replicas: 3
  selector:
    matchLabels: {app: api, env: prod}
  template:
    metadata:
      labels: {app: api, env: prod}
    spec:
      containers:
      - name: api
        image: ghcr.io/acme/api:1.4.2
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
        args: ["--mode=prod"]
"#);
    assert_eq!(d.value, want);
    let s = find(&inv, "Service", "prod", "prod-api");
    assert_eq!(
        s.get(&["spec", "selector"]),
        Some(&y("{app: api, env: prod}"))
    );

    // Provenance: each changed field points at the line that changed it; untouched fields at the base.
    assert_eq!(
        at(&sources, d.span("spec.replicas")),
        "overlays/prod/kustomization.yaml:16"
    );
    assert_eq!(
        at(&sources, d.span("spec.template.spec.containers[0].image")),
        "overlays/prod/kustomization.yaml:13"
    );
    assert_eq!(
        at(
            &sources,
            d.span("spec.template.spec.containers[0].readinessProbe")
        ),
        "components/probes/probe.yaml:10"
    );
    assert_eq!(
        at(
            &sources,
            d.span("spec.template.spec.containers[0].readinessProbe.httpGet.path")
        ),
        "components/probes/probe.yaml:10"
    );
    assert_eq!(
        at(&sources, d.span("spec.template.spec.containers[0].args")),
        "overlays/prod/kustomization.yaml:22"
    );
    assert_eq!(
        at(&sources, d.span("metadata.namespace")),
        "overlays/prod/kustomization.yaml:3"
    );
    assert_eq!(
        at(&sources, d.span("spec.selector.matchLabels.env")),
        "overlays/prod/kustomization.yaml:6"
    );
    assert_eq!(at(&sources, d.span("kind")), "base/deployment.yaml:2");
    assert_eq!(
        at(&sources, d.span("spec.template.spec.containers[0].name")),
        "base/deployment.yaml:18"
    );
}

#[test]
fn dev_overlay_reports_what_it_cannot_render() {
    let (inv, sources) = fixture("overlays");
    let d = find(&inv, "Deployment", "dev", "api");
    assert_eq!(d.replicas(), Some(2));
    assert_eq!(
        at(&sources, d.span("spec.replicas")),
        "overlays/dev/replicas.yaml:1"
    );
    assert_eq!(
        d.get(&["spec", "template", "spec", "containers"])
            .and_then(|c| c.as_sequence())
            .map(Vec::len),
        Some(2),
        "the dev overlay keeps the sidecar"
    );
    let mut issues: Vec<String> = inv
        .unrendered
        .iter()
        .map(|i| format!("{} {}", at(&sources, i.span), i.reason))
        .collect();
    issues.sort();
    assert_eq!(issues.len(), 3, "{issues:#?}");
    assert!(
        issues[0].starts_with(
            "overlays/dev/kustomization.yaml:6 `../../../outside` leaves the repository"
        ),
        "{issues:#?}"
    );
    assert!(issues[1].starts_with("overlays/dev/kustomization.yaml:7 `https://github.com/acme/shared//base?ref=v1` is a remote base"), "{issues:#?}");
    assert!(
        issues[2].starts_with("overlays/dev/kustomization.yaml:8 kustomization field `helmCharts`"),
        "{issues:#?}"
    );
}

#[test]
fn cycles_and_escapes_are_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (p, t) in [
        ("a/kustomization.yaml", "resources:\n- ../b\n"),
        ("b/kustomization.yaml", "resources:\n- ../a\n"),
        (
            "top/kustomization.yaml",
            "resources:\n- ../a\n- /etc/passwd\n",
        ),
    ] {
        std::fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
        std::fs::write(root.join(p), t).unwrap();
    }
    let outside = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        std::fs::write(outside.path().join("secret.yaml"), "kind: Secret\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("top/link")).unwrap();
        std::fs::write(
            root.join("top/kustomization.yaml"),
            "resources:\n- ../a\n- /etc/passwd\n- link/secret.yaml\n",
        )
        .unwrap();
    }
    let paths = find_manifests(root).unwrap();
    let mut sources = SourceMap::new();
    let inv = load_rendered(root, &paths, &mut sources);
    let reasons: Vec<&str> = inv.unrendered.iter().map(|i| i.reason.as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("cycle: top → a → b → a") || r.contains("cycle: a → b → a")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("`/etc/passwd` is an absolute path")),
        "{reasons:#?}"
    );
    #[cfg(unix)]
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("symlink out of the repository")),
        "{reasons:#?}"
    );
    assert!(
        sources
            .files()
            .all(|(_, f)| !f.text.contains("kind: Secret")),
        "a file outside was read"
    );
}

/// A HelmRelease (or any object that does not run pods) is not a workload: an error that says what to name.
#[test]
fn helmrelease_is_not_a_workload() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("web.slo"),
        "service web {\n  owner = \"team\"\n  tier = 2\n  workload = helmrelease/flux-system/web\n}\n",
    )
    .unwrap();
    let out = crate::support::slogate_in(dir.path(), &["check", "."]);
    let text = format!(
        "{}{}",
        crate::support::stdout(&out),
        crate::support::stderr(&out)
    );
    assert_ne!(crate::support::code(&out), 0, "{text}");
    assert!(text.contains("invalid-value"), "{text}");
    assert!(text.contains("`helmrelease` is not a workload"), "{text}");
    assert!(
        text.contains("name the Deployment/StatefulSet it creates"),
        "{text}"
    );
}

/// A Flux `Kustomization` object is not told to "build it with kustomize".
#[test]
fn flux_kustomization_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("apps.yaml"),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\nspec:\n  path: ./apps/prod\n",
    )
    .unwrap();
    let paths = find_manifests(dir.path()).unwrap();
    let mut sources = SourceMap::new();
    let inv = load_rendered(dir.path(), &paths, &mut sources);
    assert_eq!(inv.skipped.len(), 1);
    assert!(
        inv.skipped[0].reason.starts_with("a Flux Kustomization"),
        "{:?}",
        inv.skipped
    );
    assert!(!inv.skipped[0].reason.contains("kustomize build"));
}

/// The renderer reads a git tree at a commit as it reads the working tree: an overlay's image bump is seen
/// at the commit that made it and not before (what history and gate need).
#[test]
fn renders_an_overlay_from_a_git_tree_at_each_commit() {
    use slogate::repo::kustomize::tree::GitTree;
    use slogate::repo::kustomize::Renderer;
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let write = |p: &str, t: &str| {
        let f = dir.path().join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, t).unwrap();
    };
    write("base/kustomization.yaml", "resources:\n- web.yaml\n");
    write("base/web.yaml", &crate::support::deployment("web", "1.0"));
    write(
        "prod/kustomization.yaml",
        "resources:\n- ../base\nimages:\n- name: web\n  newTag: \"1.1\"\n",
    );
    let first = crate::support::commit_all(&repo, "Dev", "prod at 1.1", 1_700_000_000);
    write(
        "prod/kustomization.yaml",
        "resources:\n- ../base\nimages:\n- name: web\n  newTag: \"1.2\"\n",
    );
    let second = crate::support::commit_all(&repo, "Dev", "bump prod to 1.2", 1_700_000_100);
    // The working tree is then changed without a commit: the git trees must not see it.
    write("prod/kustomization.yaml", "resources:\n- ../base\n");
    let image_at = |oid: git2::Oid| {
        let tree = GitTree {
            repo: &repo,
            tree: repo.find_commit(oid).unwrap().tree().unwrap(),
            label: std::path::PathBuf::from(format!("{oid}")),
        };
        let mut sources = SourceMap::new();
        let mut r = Renderer::new(&tree, &mut sources);
        let from = Span::new(slogate::source::FileId(0), 0, 0);
        let objs = r.render(Path::new("prod"), Vec::new(), from, false);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        let o = objs.into_iter().next().unwrap().into_object().unwrap();
        let image = o.containers()[0]
            .1
            .get("image")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        let line = at(&sources, o.span("spec.template.spec.containers[0].image"));
        (image, line)
    };
    let (image, line) = image_at(first);
    assert_eq!(image, "web:1.1");
    assert!(line.ends_with("prod/kustomization.yaml:5"), "{line}");
    assert_eq!(image_at(second).0, "web:1.2");
}
