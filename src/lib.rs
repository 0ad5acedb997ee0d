//! slogate: a compiler for reliability policies.
//!
//! The pipeline, one module per stage, each producing a different type so unresolved data cannot reach a later
//! stage: [`syntax`] (bytes → AST with spans) → [`model`] (names resolved, units typed, exact decimals) →
//! [`graph`] (dependencies, cycles, order) → [`check`] (diagnostics) → [`report`] (renderers).

pub mod bounded;
pub mod check;
pub mod cli;
pub mod diag;
pub mod emit;
pub mod format;
pub mod gate;
pub mod graph;
pub mod model;
pub mod remote;
pub mod repo;
pub mod report;
pub mod scope;
pub mod source;
pub mod syntax;
pub mod synth;
pub mod workspace;

mod analysis;
pub use analysis::{
    analyze, analyze_paths, analyze_policies, analyze_with, analyze_workspace, Analysis,
    AnalyzeOptions,
};
