//! Who made an API call, from CloudTrail's `userIdentity`.
//!
//! Parsed after the priority action and defensively: root, service principals, federated and
//! unknown identity types all parse, none can stop a playbook.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    IamUser {
        arn: String,
        user_name: String,
        access_key_id: Option<String>,
    },
    AssumedRole {
        arn: String,
        role_name: String,
        /// The role's ARN (`sessionContext.sessionIssuer.arn`).
        role_arn: String,
        session_name: String,
        access_key_id: Option<String>,
    },
    Root {
        arn: String,
    },
    Federated {
        arn: String,
    },
    AwsService {
        service: String,
    },
    Unknown {
        raw_type: String,
    },
}

impl Actor {
    pub fn parse(identity: &Value) -> Actor {
        let s = |k: &str| identity.get(k).and_then(Value::as_str).map(str::to_string);
        let arn = s("arn").unwrap_or_default();
        match s("type").as_deref() {
            Some("IAMUser") => Actor::IamUser {
                user_name: s("userName")
                    .or_else(|| arn.rsplit('/').next().map(str::to_string))
                    .unwrap_or_default(),
                arn,
                access_key_id: s("accessKeyId"),
            },
            Some("AssumedRole") => {
                let issuer = identity
                    .get("sessionContext")
                    .and_then(|c| c.get("sessionIssuer"));
                let is = |k: &str| {
                    issuer
                        .and_then(|i| i.get(k))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                // arn:aws:sts::<acct>:assumed-role/<role>/<session>
                let mut tail = arn.split(":assumed-role/").nth(1).unwrap_or("").split('/');
                let role_from_arn = tail.next().unwrap_or("").to_string();
                let session = tail.next().unwrap_or("").to_string();
                Actor::AssumedRole {
                    role_name: is("userName").unwrap_or(role_from_arn),
                    role_arn: is("arn").unwrap_or_default(),
                    session_name: session,
                    access_key_id: s("accessKeyId"),
                    arn,
                }
            }
            Some("Root") => Actor::Root { arn },
            Some("FederatedUser") | Some("SAMLUser") | Some("WebIdentityUser") => {
                Actor::Federated { arn }
            }
            Some("AWSService") => Actor::AwsService {
                service: s("invokedBy").unwrap_or_default(),
            },
            other => Actor::Unknown {
                raw_type: other.unwrap_or("<missing>").chars().take(64).collect(),
            },
        }
    }

    /// The ARN allow and protect lists are matched against: a user's ARN, or a session's
    /// *role* ARN. Never the session ARN, whose last part the caller chooses freely.
    pub fn principal_arn(&self) -> String {
        match self {
            Actor::IamUser { arn, .. } | Actor::Root { arn } | Actor::Federated { arn } => {
                arn.clone()
            }
            Actor::AssumedRole { role_arn, arn, .. } => {
                if role_arn.is_empty() {
                    role_arn_of_session(arn).unwrap_or_default()
                } else {
                    role_arn.clone()
                }
            }
            Actor::AwsService { service } => service.clone(),
            Actor::Unknown { raw_type } => raw_type.clone(),
        }
    }

    /// The account the principal belongs to (from its ARN), when known.
    pub fn account(&self) -> Option<String> {
        crate::event::arn_account(&self.principal_arn())
    }

    pub fn describe(&self) -> String {
        match self {
            Actor::IamUser { user_name, .. } => format!("IAM user {user_name}"),
            Actor::AssumedRole {
                role_name,
                session_name,
                ..
            } => format!("role {role_name} (session {session_name})"),
            Actor::Root { .. } => "the root user".into(),
            Actor::Federated { arn } => format!("federated user {arn}"),
            Actor::AwsService { service } => format!("AWS service {service}"),
            Actor::Unknown { raw_type } => format!("unknown identity type {raw_type}"),
        }
    }
}

/// Forensics about an API call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forensics {
    pub actor: Actor,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub event_time: String,
    pub mfa_used: Option<bool>,
    pub allow_listed: bool,
}

/// `sessionContext.attributes.mfaAuthenticated` ("true"/"false").
pub fn mfa_used(identity: &Value) -> Option<bool> {
    identity
        .get("sessionContext")?
        .get("attributes")?
        .get("mfaAuthenticated")?
        .as_str()
        .map(|s| s == "true")
}

/// Rampart's own roles: its member roles by name (in the account where the call was made) and
/// the hub's roles by ARN.
#[derive(Debug, Clone, Default)]
pub struct OwnRoles {
    pub member_role_names: Vec<String>,
    pub hub_role_arns: Vec<String>,
}

impl OwnRoles {
    /// True when the actor is one of Rampart's roles acting in `account`. Acting on those would
    /// loop; a role *named* like Rampart's in another account, or a session named `rampart-*`,
    /// is nobody special.
    pub fn is_own(&self, actor: &Actor, account: &str) -> bool {
        let Actor::AssumedRole { arn, role_arn, .. } = actor else {
            return false;
        };
        let role = if role_arn.is_empty() {
            role_arn_of_session(arn)
        } else {
            Some(role_arn.clone())
        };
        let Some(role) = role else {
            return false;
        };
        if self.hub_role_arns.iter().any(|r| same_role(r, &role)) {
            return true;
        }
        let Some((role_account, name)) = split_role_arn(&role) else {
            return false;
        };
        role_account == account && self.member_role_names.iter().any(|n| n == name)
    }
}

/// `arn:aws:sts::<account>:assumed-role/<role>/<session>` -> the role's ARN (without a path,
/// which the session ARN does not carry).
pub fn role_arn_of_session(session_arn: &str) -> Option<String> {
    let (prefix, rest) = session_arn.split_once(":assumed-role/")?;
    let role = rest.split('/').next().filter(|r| !r.is_empty())?;
    let prefix = prefix.replacen(":sts:", ":iam:", 1);
    Some(format!("{prefix}:role/{role}"))
}

/// (account, role name) of `arn:<p>:iam::<account>:role/<path/>name`.
fn split_role_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let service = parts.nth(1)?;
    let account = parts.nth(1)?;
    let resource = parts.next()?;
    if service != "iam" {
        return None;
    }
    let path = resource.strip_prefix("role/")?;
    Some((account, path.rsplit('/').next().unwrap_or(path)))
}

/// Two role ARNs name the same role: same account and name (role names are unique in an
/// account whatever their path).
fn same_role(a: &str, b: &str) -> bool {
    matches!((split_role_arn(a), split_role_arn(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_identity_type_parses_without_panicking() {
        let user = Actor::parse(
            &json!({"type":"IAMUser","arn":"arn:aws:iam::1:user/alice","userName":"alice","accessKeyId":"AKIA1"}),
        );
        assert!(matches!(user, Actor::IamUser { ref user_name, .. } if user_name == "alice"));
        let role = Actor::parse(
            &json!({"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Ops/bob",
            "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/Ops","userName":"Ops"},
            "attributes":{"mfaAuthenticated":"true"}}}),
        );
        assert_eq!(role.principal_arn(), "arn:aws:iam::1:role/Ops");
        assert!(
            matches!(role, Actor::AssumedRole { ref session_name, .. } if session_name == "bob")
        );
        assert_eq!(
            Actor::parse(&json!({"type":"Root","arn":"arn:aws:iam::1:root"})),
            Actor::Root {
                arn: "arn:aws:iam::1:root".into()
            }
        );
        assert!(matches!(
            Actor::parse(&json!({"type":"AWSService","invokedBy":"config.amazonaws.com"})),
            Actor::AwsService { .. }
        ));
        assert!(matches!(Actor::parse(&json!(null)), Actor::Unknown { .. }));
        assert!(matches!(
            Actor::parse(&json!({"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/x"})),
            Actor::Federated { .. }
        ));
        assert_eq!(
            mfa_used(&json!({"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}})),
            Some(false)
        );
    }

    fn session(role_arn: &str, arn: &str) -> Actor {
        Actor::parse(&json!({"type":"AssumedRole","arn":arn,
            "sessionContext":{"sessionIssuer":{"type":"Role","arn":role_arn}}}))
    }

    #[test]
    fn own_sessions_are_known_by_role_not_by_session_name() {
        let own = OwnRoles {
            member_role_names: vec!["RampartResponder".into()],
            hub_role_arns: vec!["arn:aws:iam::999999999999:role/RampartHub".into()],
        };
        let a = "111111111111";
        let responder = session(
            "arn:aws:iam::111111111111:role/RampartResponder",
            "arn:aws:sts::111111111111:assumed-role/RampartResponder/anything",
        );
        assert!(own.is_own(&responder, a));
        // Same role name, other account: not Rampart's role in the account acted on.
        assert!(!own.is_own(&responder, "222222222222"));
        // A session named like Rampart's on an ordinary role.
        let admin = session(
            "arn:aws:iam::111111111111:role/Admin",
            "arn:aws:sts::111111111111:assumed-role/Admin/rampart-respond-x",
        );
        assert!(!own.is_own(&admin, a));
        // The hub's role, also with a path in the configured ARN.
        let hub = session(
            "arn:aws:iam::999999999999:role/RampartHub",
            "arn:aws:sts::999999999999:assumed-role/RampartHub/h",
        );
        assert!(own.is_own(&hub, "999999999999"));
        let pathed = OwnRoles {
            hub_role_arns: vec!["arn:aws:iam::999999999999:role/ops/RampartHub".into()],
            ..Default::default()
        };
        assert!(pathed.is_own(&hub, "999999999999"));
        // No session issuer: the role comes from the session ARN's role part.
        let bare = Actor::parse(&json!({"type":"AssumedRole",
            "arn":"arn:aws:sts::111111111111:assumed-role/RampartResponder/x"}));
        assert!(own.is_own(&bare, a));
        let user = Actor::parse(
            &json!({"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/RampartResponder"}),
        );
        assert!(!own.is_own(&user, a));
    }

    #[test]
    fn role_arns_split() {
        assert_eq!(
            split_role_arn("arn:aws:iam::111111111111:role/a/b/Name"),
            Some(("111111111111", "Name"))
        );
        assert_eq!(split_role_arn("arn:aws:iam::111111111111:user/Name"), None);
        assert_eq!(split_role_arn("nonsense"), None);
        assert_eq!(
            role_arn_of_session("arn:aws-us-gov:sts::1:assumed-role/R/s").as_deref(),
            Some("arn:aws-us-gov:iam::1:role/R")
        );
    }
}
