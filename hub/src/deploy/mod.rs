//! The deployment surface, generated from the code: the IAM policy of every role Rampart
//! deploys (one table, [`roles::ROLES`], serving `rampart iam-policy` and the templates), the
//! EventBridge patterns of the stacks' rules (from the playbooks' triggers, [`patterns`]), and
//! the renderer that writes both into stacksets/*.yaml between their markers (`rampart deploy
//! render`); a test holds the committed templates to what it writes.

pub mod patterns;
pub mod policies;
pub mod render;
pub mod roles;
pub mod sources;
pub mod yaml;

pub use policies::{
    assess_hub_permissions, assess_hub_policy, assess_member_permissions, assess_member_policy,
    FLEET_PERMISSIONS, SESSION_CHECK,
};
