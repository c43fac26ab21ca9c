//! The action kernel every change inside a member account goes through: the context an action
//! runs in ([`ctx`]), exemptions ([`exempt`]), the recorder that keeps each action's outcome
//! and prior state ([`record`]) and the remediation change records ([`change`]). Playbooks
//! (`respond`) and remedies (`remediate`) both build on it; it knows neither.

pub mod change;
pub mod ctx;
pub mod exempt;
pub mod record;

pub use change::{Action, Change, Planned};
pub use ctx::{Ctx, Memory, Run};
pub use record::{ActionRecord, Recorder, Stage, Status};
