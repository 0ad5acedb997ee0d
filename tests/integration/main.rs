//! The integration tests: one binary (fast to link), one module per concern.

mod build;
mod cli;
mod codes;
mod fixtures;
mod format;
mod gate;
mod history;
mod promtool;
mod robustness;
mod support;
