//! The model: names resolved, units typed, exact decimals. See [`types`] for what later stages see and
//! [`lower`] for how the syntax tree becomes it.

mod burn;
mod describe;
mod feasible;
pub mod fields;
mod gate;
pub mod imports;
mod intent;
pub mod lower;
pub mod names;
pub mod promql;
pub mod selectors;
mod service;
pub mod types;
pub mod units;

pub use burn::default_short;
pub use gate::DEFAULT_TOIL_WINDOW;
pub use service::RESERVED_LABELS;
pub use types::*;
pub use units::Duration;
