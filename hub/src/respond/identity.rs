//! Who made an API call, from CloudTrail's `userIdentity`.
//!
//! Parsed after the priority action and defensively: the seed crashed on root and service
//! principals before restarting the trail.

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
                    super::trust::role_arn_of_session(arn).unwrap_or_default()
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
        super::event::arn_account(&self.principal_arn())
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
}
