//! Every role (and managed policy) Rampart deploys, with the document its policy is generated
//! from: the one table `rampart iam-policy` prints from and the templates are rendered from.

use rampart_common::permissions::PolicyError;
use serde_json::Value;

/// One generated policy.
#[derive(Clone, Copy)]
pub struct RoleDoc {
    /// Its name for `rampart iam-policy NAME`.
    pub cli: &'static str,
    /// Its marker in stacksets/*.yaml (`# generated: MARKER`).
    pub marker: &'static str,
    /// Where it is deployed and what it is for.
    pub what: &'static str,
    pub document: fn() -> Result<Value, PolicyError>,
}

/// Every generated policy.
pub const ROLES: &[RoleDoc] = &[
    RoleDoc {
        cli: "assess",
        marker: "assess-member",
        what: "the member assessment role (collectors, publishing; read-only)",
        document: rampart_member::roles::assess_policy,
    },
    RoleDoc {
        cli: "respond",
        marker: "respond-member",
        what: "the member response role (playbooks and remedies)",
        document: rampart_member::roles::respond_policy,
    },
    RoleDoc {
        cli: "require-mfa",
        marker: "require-mfa",
        what: "the managed policy auto MFA attaches to users without MFA (member stack)",
        document: require_mfa,
    },
    RoleDoc {
        cli: "hub",
        marker: "hub-respond",
        what: "the hub's response Lambda role",
        document: crate::respond::hub_policy,
    },
    RoleDoc {
        cli: "assess-hub",
        marker: "assess-hub",
        what: "the hub's assessment Lambda role (discovery, sessions, report bucket)",
        document: super::policies::assess_hub_policy,
    },
];

fn require_mfa() -> Result<Value, PolicyError> {
    Ok(rampart_member::respond::auto_mfa::require_mfa_policy_document())
}

/// The names `rampart iam-policy` accepts.
pub fn cli_names() -> Vec<&'static str> {
    ROLES.iter().map(|r| r.cli).collect()
}

/// The policy by its CLI name (case-insensitive).
pub fn by_cli(name: &str) -> Option<&'static RoleDoc> {
    ROLES.iter().find(|r| r.cli.eq_ignore_ascii_case(name))
}

/// The policy by its template marker.
pub fn by_marker(marker: &str) -> Option<&'static RoleDoc> {
    ROLES.iter().find(|r| r.marker == marker)
}
