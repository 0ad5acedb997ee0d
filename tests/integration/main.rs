//! The integration tests: one binary (fast to link), one module per concern.

mod cli;
mod codes;
mod fixtures;
mod format;
mod robustness;
mod support;
