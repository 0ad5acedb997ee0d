//! slogate: a compiler for reliability policies.
//!
//! The pipeline, one module per stage, each producing a different type so unresolved data cannot reach a later
//! stage: [`syntax`] (bytes → AST with spans) → [`model`] (names resolved, units typed, exact decimals) →
//! [`graph`] (dependencies, cycles, order) → [`check`] (diagnostics) → [`report`] (renderers).

pub mod diag;
pub mod source;
pub mod syntax;
