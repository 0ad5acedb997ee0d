//! The integration tests: one binary (fast to link), one module per concern.

mod build;
mod cli;
mod codes;
mod confinement;
mod dashboards;
mod fixtures;
mod format;
mod fuzz;
mod gate;
mod gate_change;
mod gate_kustomize;
mod history;
mod kustomize;
mod prometheus_e2e;
mod prometheus_tls;
mod promtool;
mod remote;
mod robustness;
mod servers;

mod support;
mod victoria;
