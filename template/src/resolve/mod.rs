//! Intrinsic-function resolution: what a property will be at deploy time, as far as the
//! template (and supplied parameter values) can tell.
//!
//! Values that identify something concrete but unknown (a resource's `Ref`, `AWS::Region`)
//! become [`Value::Opaque`]; values that could be anything become [`Value::Unknown`], so a rule
//! can report them as unresolved instead of assuming them safe. An undecidable `Fn::If` becomes
//! [`Value::Alt`] holding both branches; conditions are decided one at a time and memoised, so
//! nothing is ever enumerated over combinations.
//!
//! The resolver's state and charging live in `context`, its construction from the Parameters
//! section in `params`, intrinsic functions in `intrinsics` and conditions in `conditions`.
//!
//! [`Value::Opaque`]: crate::node::Value::Opaque
//! [`Value::Unknown`]: crate::node::Value::Unknown
//! [`Value::Alt`]: crate::node::Value::Alt

mod conditions;
mod context;
mod intrinsics;
mod params;
pub mod pattern;

pub use context::{Param, Resolver};
