//! The integration tests: one binary (fast to link), one module per concern.

mod build;
mod cli;
mod codes;
mod confinement;
mod dashboards;
mod diff_aware;
mod fixtures;
mod format;
mod formats;
mod fuzz;
mod gate;
mod gate_change;
mod gate_kustomize;
mod hard_errors;
mod history;
mod kustomize;
mod messages;
mod precommit;
mod prometheus_e2e;
mod prometheus_tls;
mod promtool;
mod remote;
mod robustness;
mod servers;
mod support;
mod victoria;
