//! A synthetic repository generator for benchmarks: N services with their policies (5 SLOs each) and
//! Kubernetes manifests, deterministic for a given N. Used by `slogate-bench`.

use std::fmt::Write as _;
use std::path::Path;

/// Writes `services` services under `dir/policies/` (one file per service) and `dir/manifests/` (one file per
/// service, holding its Deployment, Service, ServiceMonitor and PodDisruptionBudget).
pub fn generate(dir: &Path, services: usize) -> std::io::Result<()> {
    generate_with(dir, services, 1)
}

/// Like [`generate`], with `files_per_service` manifest files per service: the first holds the workload, the
/// others three documents each of configuration (ConfigMap, Service, NetworkPolicy) — 10 files per service
/// gives the 10,000-file / ~30,000-document manifest benchmark for 1,000 services.
pub fn generate_with(dir: &Path, services: usize, files_per_service: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("policies"))?;
    std::fs::create_dir_all(dir.join("manifests"))?;
    for i in 0..services {
        std::fs::write(dir.join(format!("policies/svc-{i:05}.slo")), policy(i))?;
        let mdir = dir.join(format!("manifests/svc-{i:05}"));
        std::fs::create_dir_all(&mdir)?;
        std::fs::write(mdir.join("workload.yaml"), manifest(i))?;
        for j in 1..files_per_service {
            std::fs::write(mdir.join(format!("config-{j}.yaml")), config(i, j))?;
        }
    }
    Ok(())
}

/// Three documents of configuration for service `i`.
fn config(i: usize, j: usize) -> String {
    let n = name(i);
    let ns = i % 20;
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {n}-config-{j}
  namespace: ns-{ns}
  labels: {{ app: {n} }}
data:
  LOG_LEVEL: info
  FEATURE_{j}: "true"
  endpoint: https://{n}.internal.example:8443/v{j}
---
apiVersion: v1
kind: Service
metadata:
  name: {n}-extra-{j}
  namespace: ns-{ns}
spec:
  selector: {{ app: {n}, part: "{j}" }}
  ports: [{{ name: grpc, port: 9090 }}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {n}-allow-{j}
  namespace: ns-{ns}
spec:
  podSelector:
    matchLabels: {{ app: {n} }}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {{ team: team-{team} }}
"#,
        team = i % 37
    )
}

fn name(i: usize) -> String {
    format!("svc-{i:05}")
}

/// The policy of service `i`: 3 SLIs, 5 SLOs, 3 alerts, a gate and a toil block. It hard-depends on one
/// earlier service and soft-depends on another, so the dependency graph is a DAG with long chains.
pub fn policy(i: usize) -> String {
    let n = name(i);
    let tier = i % 3 + 1;
    let mut deps = String::new();
    if i >= 3 {
        let _ = write!(deps, "\n  soft_depends = [{}]", name(i / 2));
    }
    if i > 1 {
        let _ = write!(deps, "\n  depends  = [{}]", name(i - 1));
    }
    format!(
        r#"# Synthetic service {i}.
service {n} {{
  owner    = "team-{team}"
  tier     = {tier}
  workload = deployment/ns-{ns}/{n}{deps}

  sli availability {{
    good  = `sum(rate(http_requests_total{{job="{n}",code!~"5.."}}[$window]))`
    total = `sum(rate(http_requests_total{{job="{n}"}}[$window]))`
  }}
  sli errors {{
    bad   = `sum(rate(rpc_errors_total{{service="{n}"}}[$window]))`
    total = `sum(rate(rpc_requests_total{{service="{n}"}}[$window]))`
  }}
  sli latency {{
    histogram = `http_request_duration_seconds_bucket{{job="{n}"}}`
    under     = 300ms
  }}

  slo availability {{ sli = availability  objective = 99%     window = 30d }}
  slo weekly       {{ sli = availability  objective = 98.5%   window = 7d }}
  slo rpc          {{ sli = errors        objective = 99%     window = 28d }}
  slo fast         {{ sli = latency       objective = 95%     window = 28d }}
  slo fast-weekly  {{ sli = latency       objective = 90%     window = 7d }}

  alert availability {{
    slo      = availability
    profile  = mwmb
    min_rate = 1/s
    runbook  = "https://runbooks.example/{n}"
    labels   = {{ team = "team-{team}" }}
  }}
  alert rpc {{
    slo     = rpc
    runbook = "https://runbooks.example/{n}/rpc"
    page   {{ long = 1h  short = 5m  factor = 14.4 }}
    ticket {{ long = 1d  short = 2h  budget = 10% }}
  }}
  alert fast {{
    slo     = fast
    runbook = "https://runbooks.example/{n}/latency"
  }}

  gate deploy {{
    require budget(availability) >= 25%
    require burn(availability, 1h) < 2
    require toil <= 50%
    freeze when budget(availability) <= 0% except rollback, reliability_fix
  }}

  toil {{
    window = 90d
    bots   = ["renovate[bot]", "argocd-image-updater"]
    manual = message ~ "^(hotfix|manual)" or trailer "Toil: yes"
  }}
}}
"#,
        team = i % 37,
        ns = i % 20,
    )
}

/// A Deployment, Service, ServiceMonitor and PodDisruptionBudget for service `i`.
pub fn manifest(i: usize) -> String {
    let n = name(i);
    let ns = i % 20;
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {n}
  namespace: ns-{ns}
  labels: {{ app: {n} }}
spec:
  replicas: 3
  selector:
    matchLabels: {{ app: {n} }}
  template:
    metadata:
      labels: {{ app: {n} }}
    spec:
      containers:
        - name: app
          image: registry.example/{n}:1.{i}.0
          readinessProbe:
            httpGet: {{ path: /ready, port: 8080 }}
          resources:
            requests: {{ cpu: 100m, memory: 128Mi }}
---
apiVersion: v1
kind: Service
metadata:
  name: {n}
  namespace: ns-{ns}
  labels: {{ app: {n} }}
spec:
  selector: {{ app: {n} }}
  ports: [{{ name: http, port: 80, targetPort: 8080 }}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {n}
  namespace: ns-{ns}
spec:
  selector:
    matchLabels: {{ app: {n} }}
  endpoints: [{{ port: http }}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {n}
  namespace: ns-{ns}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{ app: {n} }}
"#
    )
}
