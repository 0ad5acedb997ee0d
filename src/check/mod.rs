//! Checks over the resolved model. One folder per family (policy now; manifests and history later), each
//! producing diagnostics with their own codes; nothing here fails fast.

pub mod history;
pub mod levels;
pub mod live;
pub mod manifests;
pub mod policy;
